// Sum of squares of a float array (darknet's mag_array without the final sqrt).
float mag_array(const float *a, int n) {
  float sum = 0;
  for (int i = 0; i < n; ++i) sum += a[i] * a[i];
  return sum;
}
