// B = s * A on a fixed 8x12 matrix.
void matscal(const float A[8][12], float B[8][12], float s) {
  for (int i = 0; i < 8; i++)
    for (int j = 0; j < 12; j++)
      B[i][j] = s * A[i][j];
}
