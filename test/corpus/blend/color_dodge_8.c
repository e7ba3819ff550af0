// Color dodge: base / (255 - active), or 255 where active is 255.
#include <stdint.h>

void color_dodge_8(const uint8_t *base, const uint8_t *active, uint8_t *out, int n) {
  for (int i = 0; i < n; i++) {
    if (active[i] == 255)
      out[i] = 255;
    else
      out[i] = base[i] / (255 - active[i]);
  }
}
