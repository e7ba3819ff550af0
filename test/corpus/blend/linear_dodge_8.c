// Linear dodge on a fixed-size 45-pixel row: the byte sum wraps above 255.
#include <stdint.h>

void linear_dodge_8(const uint8_t base[45], const uint8_t active[45], uint8_t out[45]) {
  for (int i = 0; i < 45; i++)
    out[i] = (uint8_t)(base[i] + active[i]);
}
