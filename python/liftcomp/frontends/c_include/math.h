#pragma once
#ifdef __cplusplus
extern "C" {
#endif
double fabs(double); float fabsf(float);
double sqrt(double); float sqrtf(float);
double exp(double); float expf(float);
double exp2(double); float exp2f(float);
double log(double); float logf(float);
double log2(double); float log2f(float);
double log10(double); float log10f(float);
double tanh(double); float tanhf(float);
double sin(double); float sinf(float);
double cos(double); float cosf(float);
double erf(double); float erff(float);
double floor(double); float floorf(float);
double ceil(double); float ceilf(float);
double trunc(double); float truncf(float);
double round(double); float roundf(float);
double rint(double); float rintf(float);
double nearbyint(double); float nearbyintf(float);
double pow(double, double); float powf(float, float);
double fmax(double, double); float fmaxf(float, float);
double fmin(double, double); float fminf(float, float);
#ifdef __cplusplus
}
#endif
