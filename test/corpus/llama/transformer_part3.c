#include <math.h>
// SiLU on a fixed 48-element vector.
void transformer_part3(float out[48], const float x[48]) {
  for (int i = 0; i < 48; i++) {
    float v = x[i];
    out[i] = v * (1.0f / (1.0f + expf(-v)));
  }
}
