// Difference of two m x n matrices stored row-major in flat arrays (sizes as size_t: an int size
// could be negative, and then the flattened m*n would not describe what the loops do).
#include <stddef.h>

void matsub(const int *A, const int *B, int *C, size_t m, size_t n) {
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < n; j++)
      C[i * n + j] = A[i * n + j] - B[i * n + j];
}
