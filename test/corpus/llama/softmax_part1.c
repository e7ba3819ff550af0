// The maximum of x (llama2.c softmax, first loop); size >= 1.
float softmax_part1(const float *x, int size) {
  float max_val = x[0];
  for (int i = 1; i < size; i++)
    if (x[i] > max_val) max_val = x[i];
  return max_val;
}
