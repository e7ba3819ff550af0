// Normal blend on float pixels.
void normal_blend_f(const float *base, const float *active, float opacity, float *out, int n) {
  for (int i = 0; i < n; i++)
    out[i] = opacity * active[i] + (1.0f - opacity) * base[i];
}
