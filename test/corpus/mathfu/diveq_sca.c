// a /= s, C's division toward zero.
void diveq_sca(int *a, int s, int n) {
  for (int i = 0; i < n; i++) a[i] /= s;
}
