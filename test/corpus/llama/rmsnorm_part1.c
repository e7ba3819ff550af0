// Sum of squares (llama2.c rmsnorm, first loop).
float rmsnorm_part1(const float *x, int size) {
  float ss = 0.0f;
  for (int j = 0; j < size; j++) ss += x[j] * x[j];
  return ss;
}
