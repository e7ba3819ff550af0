// Normal blend on bytes without the division by 255 (the result wraps, as in the corpus).
#include <stdint.h>

void normal_blend_8(const uint8_t *base, const uint8_t *active, uint8_t opacity, uint8_t *out, int n) {
  int inv = 255 - opacity;
  for (int i = 0; i < n; i++)
    out[i] = opacity * active[i] + inv * base[i];
}
