#include <math.h>
// Normalise and scale (llama2.c rmsnorm, second loop).
void rmsnorm_part2(float *o, const float *x, const float *weight, float ss, int size) {
  float scale = 1.0f / sqrtf(ss / size + 1e-5f);
  for (int j = 0; j < size; j++) o[j] = weight[j] * (scale * x[j]);
}
