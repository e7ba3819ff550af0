// Overlay as Tenspiler writes it (reads only base), in int, truncated to a byte.
#include <stdint.h>

void overlay_blend_8(const uint8_t *base, const uint8_t *active, uint8_t *out, int n) {
  for (int i = 0; i < n; i++) {
    int b = base[i];
    int pixel;
    if (b >= 128)
      pixel = 2 * b + b - 2 * b * b / 255 - 255;
    else
      pixel = 2 * b * b / 255;
    out[i] = pixel;
  }
}
