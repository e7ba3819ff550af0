// y = s * x.
void vscal(const float *x, float *y, float s, int n) {
  for (int i = 0; i < n; i++) y[i] = s * x[i];
}
