// The FIR inner product over NTAPS taps (UTDSP fir, small version).
int fir_small(int NTAPS, const int *input, const int *coefficient) {
  int sum = 0;
  for (int i = 0; i < NTAPS; i++) sum += input[i] * coefficient[i];
  return sum;
}
