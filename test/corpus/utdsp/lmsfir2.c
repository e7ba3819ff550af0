// LMS coefficient update over the first NTAPS - 1 taps (UTDSP lmsfir, second loop).
void lmsfir2(int NTAPS, const float *input, float *coefficient, float error) {
  for (int i = 0; i < NTAPS - 1; i++) coefficient[i] += input[i] * error;
}
