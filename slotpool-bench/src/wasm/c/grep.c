// grep: prints the lines of stdin that match a pattern (argv[1]) and how many matched. Patterns
// are the small regular expressions of Kernighan and Pike's matcher: literals, '.', '*', '^', '$'.
#include <stdio.h>
#include <string.h>

static int match_here(const char *re, const char *text);

static int match_star(int c, const char *re, const char *text) {
  do {
    if (match_here(re, text)) return 1;
  } while (*text != '\0' && (*text++ == c || c == '.'));
  return 0;
}

static int match_here(const char *re, const char *text) {
  if (re[0] == '\0') return 1;
  if (re[1] == '*') return match_star(re[0], re + 2, text);
  if (re[0] == '$' && re[1] == '\0') return *text == '\0';
  if (*text != '\0' && (re[0] == '.' || re[0] == *text)) return match_here(re + 1, text + 1);
  return 0;
}

static int match(const char *re, const char *text) {
  if (re[0] == '^') return match_here(re + 1, text);
  do {
    if (match_here(re, text)) return 1;
  } while (*text++ != '\0');
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: grep PATTERN < FILE\n");
    return 2;
  }
  char line[4096];
  long lines = 0, matched = 0;
  while (fgets(line, sizeof line, stdin) != NULL) {
    line[strcspn(line, "\n")] = '\0';
    lines++;
    if (match(argv[1], line)) {
      printf("%ld:%s\n", lines, line);
      matched++;
    }
  }
  printf("%ld of %ld lines match\n", matched, lines);
  return 0;
}
