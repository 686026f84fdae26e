// The Linux side of the smaps differential test: maps the regions described
// on the command line (one "kind:npages" per region, kind 0 private
// anonymous, 1 shared anonymous; regions one page apart), then runs "W region
// page" (write a byte) and "F region page npages" (MADV_DONTNEED) from stdin
// and prints the smaps entries of the regions.
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define BASE 0x210000000000UL
#define PG 4096UL
#define MAX_REGIONS 16

int main(int argc, char **argv) {
  char *start[MAX_REGIONS];
  unsigned long offset = 0;
  int n = argc - 1 < MAX_REGIONS ? argc - 1 : MAX_REGIONS;
  for (int i = 0; i < n; i++) {
    int kind, pages;
    sscanf(argv[i + 1], "%d:%d", &kind, &pages);
    start[i] = mmap((void *)(BASE + offset), pages * PG, PROT_READ | PROT_WRITE,
                    (kind ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (start[i] == MAP_FAILED) return 2;
    offset += (pages + 1) * PG;
  }
  char line[128];
  while (fgets(line, sizeof line, stdin)) {
    int r, p, c;
    if (line[0] == 'W' && sscanf(line + 1, "%d %d", &r, &p) == 2) start[r][p * PG + 7] = 1;
    if (line[0] == 'F' && sscanf(line + 1, "%d %d %d", &r, &p, &c) == 3) madvise(start[r] + p * PG, c * PG, MADV_DONTNEED);
  }
  FILE *f = fopen("/proc/self/smaps", "r");
  char l[512];
  int in_region = 0;
  while (fgets(l, sizeof l, f)) {
    unsigned long s, e;
    char perms[8];
    if (sscanf(l, "%lx-%lx %7s", &s, &e, perms) == 3 && strchr(l, ':') != NULL && l[0] != ' ' &&
        (l[8] == '-' || l[12] == '-')) {
      in_region = s >= BASE && e <= BASE + offset;
    }
    if (in_region) fputs(l, stdout);
  }
  return 0;
}
