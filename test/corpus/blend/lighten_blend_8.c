// Lighten: the lighter of two 8-bit pixels, with an if/else storing in each branch.
#include <stdint.h>

void lighten_blend_8(const uint8_t *base, const uint8_t *active, uint8_t *out, int n) {
  for (int i = 0; i < n; i++) {
    if (base[i] < active[i])
      out[i] = active[i];
    else
      out[i] = base[i];
  }
}
