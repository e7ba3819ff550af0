// Linear burn: base + active - 255 in int, truncated to a byte on store (wraps below zero).
#include <stdint.h>

void linear_burn_8(const uint8_t *base, const uint8_t *active, uint8_t *out, int n) {
  for (int i = 0; i < n; ++i)
    out[i] = base[i] + active[i] - 255;
}
