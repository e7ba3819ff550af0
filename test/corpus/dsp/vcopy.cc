// A copy of src, built with push_back (C++: the result vector becomes the output 'dst').
#include <vector>

std::vector<double> vcopy(const std::vector<double> &src) {
  std::vector<double> dst;
  for (size_t i = 0; i < src.size(); i++) dst.push_back(src[i]);
  return dst;
}
