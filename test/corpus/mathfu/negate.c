// out = -a on a fixed 16-element vector.
void negate(const float a[16], float out[16]) {
  for (int i = 0; i < 16; i++) out[i] = -a[i];
}
