// Sum of an int array, with a while loop.
int sum_array(const int *a, int n) {
  int sum = 0;
  int i = 0;
  while (i < n) {
    sum = sum + a[i];
    i++;
  }
  return sum;
}
