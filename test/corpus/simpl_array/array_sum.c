// Sum of a fixed 64-element float array.
float array_sum(const float arr[64]) {
  float sum = 0.0f;
  for (int i = 0; i < 64; i++) sum += arr[i];
  return sum;
}
