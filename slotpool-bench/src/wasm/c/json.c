// json: tokenizes the JSON document on stdin and prints how many tokens of each kind it holds,
// the deepest nesting and a checksum of the string and number bytes; "invalid at N" on bad input.
// Exports work(n): tokenizes a built-in document of n objects and returns the token count.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  long objects, arrays, strings, numbers, literals, depth, max_depth;
  uint32_t checksum;
} counts;

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Returns -1 if the whole document tokenizes, else the offset of the first bad byte.
static long tokenize(const char *s, size_t n, counts *c) {
  memset(c, 0, sizeof *c);
  size_t i = 0;
  while (i < n) {
    char ch = s[i];
    if (is_space(ch) || ch == ',' || ch == ':') {
      i++;
    } else if (ch == '{' || ch == '[') {
      if (ch == '{') c->objects++; else c->arrays++;
      if (++c->depth > c->max_depth) c->max_depth = c->depth;
      i++;
    } else if (ch == '}' || ch == ']') {
      if (c->depth-- == 0) return (long)i;
      i++;
    } else if (ch == '"') {
      i++;
      while (i < n && s[i] != '"') {
        if (s[i] == '\\') i++;
        c->checksum = c->checksum * 31 + (uint8_t)s[i];
        i++;
      }
      if (i >= n) return (long)i;
      c->strings++;
      i++;
    } else if (ch == '-' || (ch >= '0' && ch <= '9')) {
      while (i < n && strchr("+-.eE0123456789", s[i]) != NULL && s[i] != '\0') {
        c->checksum = c->checksum * 31 + (uint8_t)s[i];
        i++;
      }
      c->numbers++;
    } else if (n - i >= 4 && (memcmp(s + i, "true", 4) == 0 || memcmp(s + i, "null", 4) == 0)) {
      c->literals++;
      i += 4;
    } else if (n - i >= 5 && memcmp(s + i, "false", 5) == 0) {
      c->literals++;
      i += 5;
    } else {
      return (long)i;
    }
  }
  return c->depth == 0 ? -1 : (long)n;
}

__attribute__((export_name("work"))) long work(int objects) {
  size_t cap = (size_t)objects * 96 + 16, len = 0;
  char *doc = malloc(cap);
  len += (size_t)snprintf(doc + len, cap - len, "[");
  for (int k = 0; k < objects; k++) {
    len += (size_t)snprintf(doc + len, cap - len,
                            "%s{\"id\":%d,\"name\":\"item %d\",\"price\":%d.%02d,\"tags\":[true,null]}",
                            k == 0 ? "" : ",", k, k, k * 7 % 1000, k % 100);
  }
  len += (size_t)snprintf(doc + len, cap - len, "]");
  counts c;
  long bad = tokenize(doc, len, &c);
  free(doc);
  return bad >= 0 ? -1 : c.objects + c.arrays + c.strings + c.numbers + c.literals;
}

int main(void) {
  size_t cap = 1 << 16, len = 0, n;
  char *doc = malloc(cap);
  while ((n = fread(doc + len, 1, cap - len, stdin)) > 0) {
    len += n;
    if (len == cap) doc = realloc(doc, cap *= 2);
  }
  counts c;
  long bad = tokenize(doc, len, &c);
  if (bad >= 0) {
    printf("invalid at %ld\n", bad);
    return 1;
  }
  printf("objects %ld\narrays %ld\nstrings %ld\nnumbers %ld\nliterals %ld\ndepth %ld\nchecksum %08x\n",
         c.objects, c.arrays, c.strings, c.numbers, c.literals, c.max_depth, c.checksum);
  free(doc);
  return 0;
}
