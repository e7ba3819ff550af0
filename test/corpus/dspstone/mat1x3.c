// y = h x for a 3x3 matrix, accumulating in y (DSPstone mat1x3).
void mat1x3(const int h[3][3], const int x[3], int y[3]) {
  for (int i = 0; i < 3; i++) {
    y[i] = 0;
    for (int j = 0; j < 3; j++) y[i] += h[i][j] * x[j];
  }
}
