// Reciprocal of every element.
void vrecip(const float *a, float *b, int n) {
  for (int i = 0; i < n; i++) b[i] = 1.0f / a[i];
}
