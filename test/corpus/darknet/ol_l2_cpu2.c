// Error delta per element, in double.
void ol_l2_cpu2(int n, const double *pred, const double *truth, double *delta) {
  for (int i = 0; i < n; ++i) delta[i] = truth[i] - pred[i];
}
