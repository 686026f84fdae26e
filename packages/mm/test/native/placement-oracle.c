// The Linux side of the placement differential test. Re-executes itself
// without address randomization (so mmap_base is TASK_SIZE - 128 MiB), prints
// its initial /proc/self/maps, then runs non-fixed mmap / munmap commands
// from stdin and prints where each mapping landed. It never calls malloc
// (static stdio buffers, raw reads of /proc) so its own heap stays put.
//
// Commands (sizes in pages; k indexes earlier A results):
//   A npages prot hintK hintDelta   mmap(hint, ...) with hint = result[k] + delta pages, or 0 if k < 0
//   U k offset npages               munmap(result[k] + offset pages, npages), clipped to
//                                   that mapping (the process's own mappings stay put)
// Each prints "R <address in hex>" or "E <errno>".
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <unistd.h>

#define PG 4096UL
#define MAX_RESULTS 4096

static char in_buf[1 << 16], out_buf[1 << 16], maps_buf[1 << 16];
static unsigned long results[MAX_RESULTS], sizes[MAX_RESULTS];
static int nresults;

int main(int argc, char **argv) {
  (void)argc;
  int pers = personality(0xffffffff);
  if (!(pers & ADDR_NO_RANDOMIZE)) {
    personality(pers | ADDR_NO_RANDOMIZE);
    execv("/proc/self/exe", argv);
    return 3;
  }
  setvbuf(stdin, in_buf, _IOFBF, sizeof in_buf);
  setvbuf(stdout, out_buf, _IOFBF, sizeof out_buf);
  int fd = open("/proc/self/maps", O_RDONLY);
  ssize_t n, total = 0;
  while ((n = read(fd, maps_buf + total, sizeof maps_buf - 1 - total)) > 0) total += n;
  close(fd);
  maps_buf[total] = 0;
  printf("INIT\n%sEND\n", maps_buf);
  char line[256];
  while (fgets(line, sizeof line, stdin)) {
    long a, b, c, d;
    if (line[0] == 'A') {
      sscanf(line + 1, "%ld %ld %ld %ld", &a, &b, &c, &d);
      unsigned long hint = (c >= 0 && c < nresults && results[c]) ? results[c] + d * PG : 0;
      void *r = mmap((void *)hint, a * PG, (int)b, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (r == MAP_FAILED) {
        printf("E %d\n", errno);
        if (nresults < MAX_RESULTS) sizes[nresults] = 0, results[nresults++] = 0;
      } else {
        printf("R %lx\n", (unsigned long)r);
        if (nresults < MAX_RESULTS) sizes[nresults] = a, results[nresults++] = (unsigned long)r;
      }
    } else if (line[0] == 'U') {
      sscanf(line + 1, "%ld %ld %ld", &a, &b, &c);
      if (a >= 0 && a < nresults && results[a] && b < (long)sizes[a]) {
        long pages = c < (long)sizes[a] - b ? c : (long)sizes[a] - b;
        int r = munmap((void *)(results[a] + b * PG), pages * PG);
        printf(r == 0 ? "R 0\n" : "E %d\n", errno);
      } else {
        printf("R 0\n");
      }
    }
  }
  fflush(stdout);
  return 0;
}
