// Z += X * Y.
void mult_add_into_cpu(int n, const float *X, const float *Y, float *Z) {
  for (int i = 0; i < n; ++i) Z[i] += X[i] * Y[i];
}
