// z = a * x + y.
void wvec(const float *x, const float *y, float *z, float a, int n) {
  for (int i = 0; i < n; i++) z[i] = a * x[i] + y[i];
}
