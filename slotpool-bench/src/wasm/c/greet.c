// greet: a WASI command that greets the people named in its arguments and the lines of stdin.
// Usage: greet NAME... < names.txt
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv) {
  int greeted = 0;
  for (int i = 1; i < argc; i++) {
    printf("Hello, %s!\n", argv[i]);
    greeted++;
  }
  char line[256];
  while (fgets(line, sizeof line, stdin) != NULL) {
    line[strcspn(line, "\r\n")] = '\0';
    if (line[0] != '\0') {
      printf("Hello, %s!\n", line);
      greeted++;
    }
  }
  printf("%d greeted\n", greeted);
  return 0;
}
