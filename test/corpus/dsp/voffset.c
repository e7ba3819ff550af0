// Add a scalar to every element.
void voffset(const int *arr, int v, int *out, int n) {
  for (int i = 0; i < n; i++) out[i] = arr[i] + v;
}
