// a *= s on int16: computed in int, truncated on store.
void muleq_sca(short *a, short s, int n) {
  for (int i = 0; i < n; i++) a[i] *= s;
}
