// The Linux side of the fork accounting test: maps argv[1] private
// anonymous pages, writes one byte to each page listed in argv[2] (before
// fork), forks; the child writes the pages in argv[3] and prints its smaps
// entry for the region, then the parent writes the pages in argv[4] and
// prints its own. Page lists are comma-separated ("-" for none).
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define BASE 0x220000000000UL
#define PG 4096UL

static void touch(char *base, const char *list) {
  if (strcmp(list, "-") == 0) return;
  char copy[1024];
  strncpy(copy, list, sizeof copy - 1);
  copy[sizeof copy - 1] = 0;
  for (char *t = strtok(copy, ","); t; t = strtok(NULL, ",")) base[atol(t) * PG + 3] = 1;
}

static void dump(const char *who) {
  FILE *f = fopen("/proc/self/smaps", "r");
  char l[512];
  int in = 0;
  printf("%s\n", who);
  while (fgets(l, sizeof l, f)) {
    unsigned long s, e;
    if (sscanf(l, "%lx-%lx ", &s, &e) == 2 && strchr(l, '-') == l + 12) in = s >= BASE && s < BASE + (1UL << 30);
    if (in) fputs(l, stdout);
  }
  fclose(f);
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc < 5) return 2;
  long pages = atol(argv[1]);
  char *base = mmap((void *)BASE, pages * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  touch(base, argv[2]);
  int pipefd[2];
  if (pipe(pipefd) != 0) return 3;
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    touch(base, argv[3]);
    dump("CHILD");
    char c = 1;
    if (write(pipefd[1], &c, 1) != 1) return 4;
    pause(); // stay alive (and keep sharing pages) until the parent has dumped
    return 0;
  }
  char c;
  if (read(pipefd[0], &c, 1) != 1) return 5;
  touch(base, argv[4]);
  dump("PARENT");
  kill(pid, 9);
  waitpid(pid, NULL, 0);
  return 0;
}
