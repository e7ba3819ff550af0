#include <math.h>
// x = exp(x - max) on a fixed 24-element vector.
void softmax_part2(float x[24], float max_val) {
  for (int i = 0; i < 24; i++) x[i] = expf(x[i] - max_val);
}
