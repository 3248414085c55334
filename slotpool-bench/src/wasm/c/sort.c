// sort: sorts N pseudo-random 32-bit integers (argv[1], default 2000; seed argv[2]) with qsort
// and a hand-written merge sort, checks both agree and prints the order checksum.
// Exports work(n): the same for n integers and seed 1, returning the checksum.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int compare(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return (x > y) - (x < y);
}

static void merge_sort(uint32_t *a, uint32_t *tmp, size_t n) {
  if (n < 2) return;
  size_t half = n / 2;
  merge_sort(a, tmp, half);
  merge_sort(a + half, tmp, n - half);
  size_t i = 0, j = half, k = 0;
  while (i < half && j < n) tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
  while (i < half) tmp[k++] = a[i++];
  while (j < n) tmp[k++] = a[j++];
  memcpy(a, tmp, n * sizeof *a);
}

static uint32_t run(int n, uint32_t seed) {
  uint32_t *a = malloc((size_t)n * sizeof *a), *b = malloc((size_t)n * sizeof *b);
  uint32_t *tmp = malloc((size_t)n * sizeof *tmp);
  uint32_t x = seed ? seed : 1;
  for (int i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >> 17; x ^= x << 5;
    a[i] = b[i] = x;
  }
  qsort(a, (size_t)n, sizeof *a, compare);
  merge_sort(b, tmp, (size_t)n);
  uint32_t sum = memcmp(a, b, (size_t)n * sizeof *a) == 0 ? 0 : 0xFFFFFFFFu;
  for (int i = 0; i < n; i++) sum = sum * 31 + a[i];
  free(a); free(b); free(tmp);
  return sum;
}

__attribute__((export_name("work"))) uint32_t work(int n) { return run(n, 1); }

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 2000;
  uint32_t seed = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 1;
  printf("sorted %d checksum %08x\n", n, run(n, seed));
  return 0;
}
