#include <stdint.h>
// Element-wise product of int16 vectors: computed in int, truncated to 16 bits on store.
void vmul(const int16_t *a, const int16_t *b, int16_t *c, int n) {
  for (int i = 0; i < n; i++) c[i] = a[i] * b[i];
}
