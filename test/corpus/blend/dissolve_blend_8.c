// Dissolve: the active pixel where opacity - (rand % 100 + 1) >= 0, the base pixel elsewhere.
#include <stdint.h>

void dissolve_blend_8(const uint8_t *base, const uint8_t *active, uint8_t opacity, const uint8_t *rand,
                      uint8_t *out, int n) {
  for (int i = 0; i < n; i++) {
    int rand_val = rand[i] % 100 + 1;
    out[i] = opacity - rand_val >= 0 ? active[i] : base[i];
  }
}
