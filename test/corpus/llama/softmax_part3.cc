// Sum of a std::vector<float> (C++).
#include <vector>

float softmax_part3(const std::vector<float> &x) {
  float sum = 0.0f;
  for (size_t i = 0; i < x.size(); ++i) sum += x[i];
  return sum;
}
