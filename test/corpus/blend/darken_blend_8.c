// Darken: the darker of two 8-bit pixels (liftcomp's own C version of the corpus kernel).
#include <stdint.h>

void darken_blend_8(const uint8_t *base, const uint8_t *active, uint8_t *out, int n) {
  for (int i = 0; i < n; i++)
    out[i] = base[i] > active[i] ? active[i] : base[i];
}
