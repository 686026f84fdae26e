import { describe, expect, it } from 'vitest';
import { compileC, native, runsc, testEnv } from './helpers.js';

/**
 * The vDSO: clock_gettime, gettimeofday and time are served in the
 * application without a trap, from the same TSC parameters the sentry uses,
 * so values from the vDSO and from the trapped syscall interleave in order.
 */
const LOOPS = 20000;
const EVERY = 100;
const PROGRAM = `#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <elf.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <stdlib.h>
#include <sys/time.h>

static long long ns(struct timespec t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

int main(int argc, char **argv) {
  int loops = argc > 1 ? atoi(argv[1]) : ${LOOPS};
  const Elf64_Ehdr *eh = (const Elf64_Ehdr *)getauxval(AT_SYSINFO_EHDR);
  printf("vdso elf: %d\\n", eh != 0 && memcmp(eh->e_ident, ELFMAG, SELFMAG) == 0 && eh->e_type == ET_DYN && eh->e_machine == EM_X86_64);
  int ordered = 1, trapped = 0;
  clockid_t clocks[] = { CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_BOOTTIME };
  for (int c = 0; c < 3; c++) {
    struct timespec t;
    syscall(SYS_clock_gettime, clocks[c], &t);
    trapped++;
    long long last = ns(t);
    for (int i = 0; i < loops; i++) {
      if (i % ${EVERY} == 0) { syscall(SYS_clock_gettime, clocks[c], &t); trapped++; }
      else clock_gettime(clocks[c], &t);
      if (ns(t) < last) { ordered = 0; printf("clock %d backwards at %d: %lld < %lld\\n", clocks[c], i, ns(t), last); }
      last = ns(t);
    }
  }
  printf("never backwards: %d\\n", ordered);
  struct timespec a, b;
  syscall(SYS_clock_gettime, CLOCK_REALTIME, &a);
  struct timeval tv; gettimeofday(&tv, 0);
  time_t now = time(0);
  syscall(SYS_clock_gettime, CLOCK_REALTIME, &b);
  trapped += 2;
  long long us = tv.tv_sec * 1000000LL + tv.tv_usec;
  printf("gettimeofday in order: %d\\n", ns(a) / 1000 <= us && us <= ns(b) / 1000);
  printf("time in order: %d\\n", a.tv_sec <= now && now <= b.tv_sec);
  struct timespec res;
  int rc = clock_getres(CLOCK_MONOTONIC, &res);
  printf("clock_getres: %d %ld\\n", rc, res.tv_nsec);
  fprintf(stderr, "trapped %d\\n", trapped);
  return 0;
}
`;

const EXPECTED = ['vdso elf: 1', 'never backwards: 1', 'gettimeofday in order: 1', 'time in order: 1', 'clock_getres: 0 1', ''].join('\n');

/** How many clock_gettime/gettimeofday/time calls reached the sentry, from --strace's lines. */
function trappedClockCalls(stderr: string): number {
  return stderr.split('\n').filter((l) => /^\[\d+\] (clock_gettime|gettimeofday|time)\(/.test(l)).length;
}

describe('vDSO', () => {
  const prog = compileC(PROGRAM, []);
  const TRAPPED = 3 * (1 + LOOPS / EVERY) + 2;

  it('prints the same natively', () => {
    const r = native([prog]);
    expect(r.stdout).toBe(EXPECTED);
    expect(r.stderr).toBe(`trapped ${TRAPPED}\n`);
  });

  for (const platform of ['ptrace', 'systrap']) {
    it(`serves clock_gettime, gettimeofday and time without a trap, in order with trapped calls (${platform})`, () => {
      const r = runsc([`--platform=${platform}`, '--strace', 'do', prog], { timeout: 120_000 });
      expect(r.stdout).toBe(EXPECTED);
      expect(r.status).toBe(0);
      // Only the program's explicit syscall(SYS_clock_gettime) calls trap; the 60000 others stay in the vDSO.
      expect(trappedClockCalls(r.stderr)).toBe(TRAPPED);
    });
  }

  it('falls back to the syscall instruction when the sentry offers no TSC clock, with the same results', () => {
    // Fewer loops: every call is now a line of --strace.
    const loops = 2000;
    const r = runsc(['--strace', 'do', prog, String(loops)], { timeout: 120_000, env: { ...testEnv(), TVISOR_TSC_CLOCK: '0' } });
    expect(r.stdout).toBe(EXPECTED);
    // Every call reaches the sentry: each loop's clock_gettime (through the vDSO's fallback or not), the first three, two more, gettimeofday and time.
    expect(trappedClockCalls(r.stderr)).toBe(3 * (loops + 1) + 4);
  });

  it('date and python3 read the wall clock (between the host readings before and after)', () => {
    const before = Math.floor(Date.now() / 1000);
    const date = runsc(['do', 'date', '+%s'], { timeout: 120_000 });
    const py = runsc(['do', 'python3', '-c', 'import time; print(time.time())'], { timeout: 120_000 });
    const after = Date.now() / 1000;
    expect(Number(date.stdout.trim())).toBeGreaterThanOrEqual(before);
    expect(Number(date.stdout.trim())).toBeLessThanOrEqual(after);
    expect(Number(py.stdout.trim())).toBeGreaterThanOrEqual(before);
    expect(Number(py.stdout.trim())).toBeLessThanOrEqual(after);
  });
});
