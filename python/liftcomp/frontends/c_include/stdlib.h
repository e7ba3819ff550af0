#pragma once
#include <stddef.h>
#ifdef __cplusplus
extern "C" {
#endif
int abs(int);
long labs(long);
#ifdef __cplusplus
}
#endif
