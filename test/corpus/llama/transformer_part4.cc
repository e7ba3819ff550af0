// hb *= hb2 element-wise, on std::vector (C++).
#include <vector>

void transformer_part4(std::vector<float> &hb, const std::vector<float> &hb2) {
  for (size_t i = 0; i < hb.size(); i++) hb[i] = hb[i] * hb2[i];
}
