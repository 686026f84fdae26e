// The Linux side of the brk differential test. Prints start_brk and the
// current break, then runs commands from stdin with raw syscalls (no malloc,
// so nothing else moves the break) and prints each result:
//   B npages extra          brk(start_brk + npages pages + extra bytes)
//   M page npages prot      mmap(start_brk + page pages, MAP_FIXED|MAP_PRIVATE|MAP_ANONYMOUS)
//   U page npages           munmap
//   D                       the maps lines inside [start_brk, start_brk + 64 pages)
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PG 4096UL
#define REGION_PAGES 64

static char in_buf[1 << 16], out_buf[1 << 16], file_buf[1 << 16];

static ssize_t slurp(const char *path) {
  int fd = open(path, O_RDONLY);
  ssize_t n, total = 0;
  while ((n = read(fd, file_buf + total, sizeof file_buf - 1 - total)) > 0) total += n;
  close(fd);
  file_buf[total] = 0;
  return total;
}

int main(void) {
  setvbuf(stdin, in_buf, _IOFBF, sizeof in_buf);
  setvbuf(stdout, out_buf, _IOFBF, sizeof out_buf);
  slurp("/proc/self/stat");
  // start_brk is field 47; the comm field (2) may hold spaces, so count from its ')'.
  char *p = strrchr(file_buf, ')') + 2;
  for (int field = 3; field < 47; field++) p = strchr(p, ' ') + 1;
  unsigned long start_brk = strtoul(p, NULL, 10);
  unsigned long cur = syscall(SYS_brk, 0);
  printf("S %lx %lx\n", start_brk, cur);
  char line[128];
  while (fgets(line, sizeof line, stdin)) {
    long a, b, c;
    char *base = (char *)start_brk;
    if (line[0] == 'B' && sscanf(line + 1, "%ld %ld", &a, &b) == 2) {
      printf("R %lx\n", (unsigned long)syscall(SYS_brk, start_brk + a * PG + b));
    } else if (line[0] == 'M' && sscanf(line + 1, "%ld %ld %ld", &a, &b, &c) == 3) {
      void *r = mmap(base + a * PG, b * PG, (int)c, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      printf(r == MAP_FAILED ? "E %d\n" : "R 0\n", errno);
    } else if (line[0] == 'U' && sscanf(line + 1, "%ld %ld", &a, &b) == 2) {
      printf(munmap(base + a * PG, b * PG) == 0 ? "R 0\n" : "E %d\n", errno);
    } else if (line[0] == 'D') {
      slurp("/proc/self/maps");
      printf("MAPS\n");
      for (char *l = file_buf; *l; ) {
        char *nl = strchr(l, '\n');
        if (nl) *nl = 0;
        unsigned long s, e;
        if (sscanf(l, "%lx-%lx", &s, &e) == 2 && s >= start_brk && e <= start_brk + REGION_PAGES * PG) printf("%s\n", l);
        if (!nl) break;
        l = nl + 1;
      }
      printf("END\n");
    }
  }
  fflush(stdout);
  return 0;
}
