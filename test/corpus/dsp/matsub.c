// Difference of two m x n matrices stored row-major in flat arrays.
void matsub(const int *A, const int *B, int *C, int m, int n) {
  for (int i = 0; i < m; i++)
    for (int j = 0; j < n; j++)
      C[i * n + j] = A[i * n + j] - B[i * n + j];
}
