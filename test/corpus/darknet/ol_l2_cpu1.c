// Squared error per element.
void ol_l2_cpu1(int n, const float *pred, const float *truth, float *error) {
  for (int i = 0; i < n; ++i) {
    float diff = truth[i] - pred[i];
    error[i] = diff * diff;
  }
}
