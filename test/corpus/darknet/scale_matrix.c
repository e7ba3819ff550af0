// Scale a fixed 6x10 int matrix in place.
void scale_matrix(int m[6][10], int scale) {
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 10; ++j)
      m[i][j] *= scale;
}
