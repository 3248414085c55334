// alloc: a malloc-heavy workload that grows memory. Builds a hash map of N string keys (argv[1],
// default 500) in many small blocks, then a 2 MiB array written one word per 4 KiB page, frees
// half the entries, reallocates the rest larger, and prints a checksum of what it read back.
// Exports work(n): the same with n keys, returning the checksum.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
  struct entry *next;
  uint32_t hash;
  char *key;
  uint32_t *values;
  int count;
} entry;

static uint32_t fnv1a(const char *s) {
  uint32_t h = 2166136261u;
  while (*s) h = (h ^ (uint8_t)*s++) * 16777619u;
  return h;
}

__attribute__((export_name("work"))) uint32_t work(int n) {
  int buckets = 4096;
  entry **table = calloc((size_t)buckets, sizeof *table);
  char key[32];
  for (int i = 0; i < n; i++) {
    snprintf(key, sizeof key, "key-%d-%d", i, i * 7919 % 10007);
    entry *e = malloc(sizeof *e);
    e->hash = fnv1a(key);
    e->key = strdup(key);
    e->count = 1 + i % 13;
    e->values = malloc((size_t)e->count * sizeof *e->values);
    for (int v = 0; v < e->count; v++) e->values[v] = e->hash + (uint32_t)v;
    e->next = table[e->hash % (uint32_t)buckets];
    table[e->hash % (uint32_t)buckets] = e;
  }
  // One word per 4 KiB page: the memory grows by 2 MiB and every page of it is written.
  uint32_t *big = malloc(2u << 20);
  for (size_t i = 0; i < (1u << 19); i += 1024) big[i] = (uint32_t)i * 2654435761u;
  uint32_t sum = 0;
  for (int b = 0; b < buckets; b++) {
    entry **link = &table[b];
    while (*link != NULL) {
      entry *e = *link;
      if (e->hash & 1) {
        *link = e->next;
        free(e->key);
        free(e->values);
        free(e);
        continue;
      }
      e->values = realloc(e->values, (size_t)(e->count * 2) * sizeof *e->values);
      for (int v = e->count; v < e->count * 2; v++) e->values[v] = big[(e->hash + (uint32_t)v) % 512 * 1024];
      e->count *= 2;
      link = &e->next;
    }
  }
  for (int b = 0; b < buckets; b++) {
    entry *e = table[b];
    while (e != NULL) {
      entry *next = e->next;
      for (int v = 0; v < e->count; v++) sum = sum * 31 + e->values[v];
      sum += fnv1a(e->key);
      free(e->key);
      free(e->values);
      free(e);
      e = next;
    }
  }
  free(big);
  free(table);
  return sum;
}

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 500;
  printf("checksum %08x\n", work(n));
  return 0;
}
