// Screen on a fixed 6x9 image: base + active - base * active / 255.
#include <stdint.h>

void screen_blend_8(const uint8_t base[6][9], const uint8_t active[6][9], uint8_t out[6][9]) {
  for (int i = 0; i < 6; i++)
    for (int j = 0; j < 9; j++)
      out[i][j] = base[i][j] + active[i][j] - (unsigned)(base[i][j] * active[i][j]) / 255u;
}
