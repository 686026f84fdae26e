import type { CompatCase } from '../src/case.js';

const program = `#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A little of everything a C program does: the heap, stdio, qsort, argv. */
static int compare(const void *a, const void *b) { return *(const int *)a - *(const int *)b; }

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 10;
  int *v = malloc(sizeof *v * n);
  for (int i = 0; i < n; i++) v[i] = (i * 7919) % 1009;
  qsort(v, n, sizeof *v, compare);
  long sum = 0;
  for (int i = 0; i < n; i++) sum += v[i];
  char buf[64];
  snprintf(buf, sizeof buf, "n=%d min=%d max=%d sum=%ld", n, v[0], v[n - 1], sum);
  puts(buf);
  printf("strlen=%zu\\n", strlen(buf));
  free(v);
  return n % 256 == 0 ? 0 : 3;
}
`;

const makefile = `CFLAGS = -O1 -Wall
OBJS = main.o greet.o

all: hello

hello: $(OBJS)
\t$(CC) $(CFLAGS) -o $@ $(OBJS)

%.o: %.c greet.h
\t$(CC) $(CFLAGS) -c $<

check: hello
\t./hello make

clean:
\trm -f hello $(OBJS)

.PHONY: all check clean
`;

const makeSources = {
  Makefile: makefile,
  'greet.h': 'void greet(const char *who);\n',
  'greet.c': '#include <stdio.h>\n#include "greet.h"\nvoid greet(const char *who) { printf("hello from %s\\n", who); }\n',
  'main.c': '#include "greet.h"\nint main(int argc, char **argv) { greet(argc > 1 ? argv[1] : "main"); return 0; }\n',
};

/** gcc (cc1, as, collect2 and ld as children) and make. */
export const toolchainCases: CompatCase[] = [
  {
    name: 'toolchain/gcc-version',
    // The driver alone, without its children.
    argv: ['gcc', '-dumpversion'],
    packages: ['gcc'],
  },
  {
    name: 'toolchain/gcc-compile-run',
    argv: ['bash', '-c', 'gcc -O2 -Wall -o sort sort.c && ./sort 1000; echo "exit $?"; ./sort 256; echo "exit $?"'],
    files: { 'sort.c': program },
    packages: ['gcc', 'libc6-dev', 'bash'],
    timeoutMs: 30_000,
  },
  {
    name: 'toolchain/gcc-error',
    // A compile error: the diagnostics (stderr) are compared too.
    argv: ['gcc', '-fdiagnostics-color=never', '-c', 'broken.c'],
    files: { 'broken.c': 'int main(void) { return undeclared; }\n' },
    compareStderr: true,
    packages: ['gcc'],
    timeoutMs: 30_000,
  },
  {
    name: 'toolchain/make-dry-run',
    // make -n prints the recipes without running them: only make itself runs.
    argv: ['make', '-n', 'check'],
    files: makeSources,
    packages: ['make'],
  },
  {
    name: 'toolchain/make-build',
    argv: ['bash', '-c', 'make -s check && make -q hello; echo "up to date: $?"; touch greet.h; make -q hello; echo "after touch: $?"; make -s clean && ls'],
    files: makeSources,
    packages: ['make', 'gcc', 'libc6-dev', 'bash', 'coreutils'],
    timeoutMs: 30_000,
  },
];
