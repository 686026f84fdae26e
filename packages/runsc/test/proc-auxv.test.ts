import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

describe('runsc do: /proc/PID/auxv and /proc/cmdline', () => {
  it('/proc/self/auxv is byte for byte the auxv exec put on the stack, AT_NULL included; /proc/cmdline exists', () => {
    const prog = compileC(`
      #include <elf.h>
      #include <fcntl.h>
      #include <stdio.h>
      #include <string.h>
      #include <unistd.h>
      extern char **environ;
      int main(void) {
        char **p = environ;
        while (*p) p++;
        const Elf64_auxv_t *stack = (const Elf64_auxv_t *)(p + 1);
        size_t count = 0;
        while (stack[count].a_type != AT_NULL) count++;
        Elf64_auxv_t a[128];
        int fd = open("/proc/self/auxv", O_RDONLY);
        ssize_t n = read(fd, a, sizeof a);
        printf("/proc/self/auxv is the stack's auxv: %d\\n", n == (ssize_t)((count + 1) * sizeof *a) && memcmp(a, stack, n) == 0);
        char buf[256];
        int c = open("/proc/cmdline", O_RDONLY);
        printf("/proc/cmdline non-empty: %d\\n", read(c, buf, sizeof buf) > 0);
        return 0;
      }`);
    const expected = native([prog]).stdout;
    expect(expected).toBe("/proc/self/auxv is the stack's auxv: 1\n/proc/cmdline non-empty: 1\n");
    expect(runsc(['do', prog]).stdout).toBe(expected);
  }, 60_000);
});
