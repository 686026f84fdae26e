// The Linux side of the differential test: runs mmap/munmap/mprotect/mremap
// commands read from stdin inside a fixed region and reports each result and
// the region's /proc/self/maps lines. Pages are never touched, so Linux's
// VMA merging is not affected by anon_vma assignment.
//
// Commands (numbers in decimal, page counts relative to the region base):
//   R                               unmap the whole region
//   M page npages prot kind fpage noreplace   kind: 0 anon, 1 noreserve, 2 shared anon, 3 private file,
//                                   4 anon growsdown
//   U page npages
//   P page npages prot
//   X page oldpages newpages move destpage
//   V page npages advice            madvise
//   D                               dump: "MAPS" then region lines then "END"
// Each M/U/P/X/V prints "E <errno or 0> <result page or -1>".
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define BASE 0x200000000000UL
#define REGION_PAGES 64
#define PG 4096UL

static void result(long r) {
  if (r == -1) printf("E %d -1\n", errno);
  else printf("E 0 %ld\n", r);
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) return 3;
  char line[256];
  setvbuf(stdout, NULL, _IOFBF, 1 << 16);
  while (fgets(line, sizeof line, stdin)) {
    long a, n, prot, kind, fpage, noreplace, old_n, new_n, move, dest;
    char *base = (char *)BASE;
    switch (line[0]) {
    case 'R':
      munmap(base, REGION_PAGES * PG);
      break;
    case 'M': {
      sscanf(line + 1, "%ld %ld %ld %ld %ld %ld", &a, &n, &prot, &kind, &fpage, &noreplace);
      int flags = (kind == 2 ? MAP_SHARED : MAP_PRIVATE) | (kind == 3 ? 0 : MAP_ANONYMOUS) |
                  (kind == 1 ? MAP_NORESERVE : 0) | (kind == 4 ? MAP_GROWSDOWN : 0) |
                  (noreplace ? MAP_FIXED_NOREPLACE : MAP_FIXED);
      void *r = mmap(base + a * PG, n * PG, prot, flags, kind == 3 ? fd : -1, kind == 3 ? fpage * PG : 0);
      result(r == MAP_FAILED ? -1 : (long)(((char *)r - base) / PG));
      break;
    }
    case 'U':
      sscanf(line + 1, "%ld %ld", &a, &n);
      result(munmap(base + a * PG, n * PG) == 0 ? 0 : -1);
      break;
    case 'P':
      sscanf(line + 1, "%ld %ld %ld", &a, &n, &prot);
      result(mprotect(base + a * PG, n * PG, prot) == 0 ? 0 : -1);
      break;
    case 'X': {
      sscanf(line + 1, "%ld %ld %ld %ld %ld", &a, &old_n, &new_n, &move, &dest);
      void *r = move ? mremap(base + a * PG, old_n * PG, new_n * PG, MREMAP_MAYMOVE | MREMAP_FIXED, base + dest * PG)
                     : mremap(base + a * PG, old_n * PG, new_n * PG, 0);
      result(r == MAP_FAILED ? -1 : (long)(((char *)r - base) / PG));
      break;
    }
    case 'V':
      sscanf(line + 1, "%ld %ld %ld", &a, &n, &prot);
      result(madvise(base + a * PG, n * PG, (int)prot) == 0 ? 0 : -1);
      break;
    case 'D': {
      printf("MAPS\n");
      FILE *f = fopen("/proc/self/maps", "r");
      char l[512];
      while (fgets(l, sizeof l, f)) {
        unsigned long s, e;
        if (sscanf(l, "%lx-%lx", &s, &e) == 2 && s >= BASE && e <= BASE + REGION_PAGES * PG) fputs(l, stdout);
      }
      fclose(f);
      printf("END\n");
      break;
    }
    }
  }
  fflush(stdout);
  return 0;
}
