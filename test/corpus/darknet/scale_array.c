// Scale an array in place.
void scale_array(float *a, int n, float s) {
  for (int i = 0; i < n; ++i) a[i] *= s;
}
