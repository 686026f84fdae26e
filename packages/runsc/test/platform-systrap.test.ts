/**
 * The systrap platform end to end, next to ptrace and native Linux: the
 * same programs (threads, signal handlers with FP state, a caught SIGSEGV,
 * fork+exec, a shell pipeline) print the same on both platforms as natively.
 * systrap is the default where the host allows it, so the rest of the runsc
 * suite runs on it; TVISOR_PLATFORM=ptrace runs the suite on ptrace.
 */
import { describe, expect, it } from 'vitest';
import { STUB_BATCH, STUB_MEMFD } from '@tvisor/platform-systrap';
import { compileC, native, runsc } from './helpers.js';

const PROGRAM = `
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
static volatile int got;
static sigjmp_buf jb;
static void onusr(int s) { volatile double y = 0.5; got = s + (int)(y * 2); }
static void onsegv(int s) { (void)s; siglongjmp(jb, 1); }
static void *worker(void *a) {
  long n = (long)a;
  double d = 1.5;
  for (int i = 0; i < 2000; i++) { d = d * 1.0001; getppid(); }
  return (void *)(n * 2 + (d > 1.5));
}
int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  pthread_t t[4];
  for (long i = 0; i < 4; i++) pthread_create(&t[i], 0, worker, (void *)i);
  long sum = 0;
  for (int i = 0; i < 4; i++) { void *r; pthread_join(t[i], &r); sum += (long)r; }
  printf("threads %ld\\n", sum);
  signal(SIGUSR1, onusr);
  volatile double x = 3.25;
  kill(getpid(), SIGUSR1);
  printf("signal %d fp %.2f\\n", got, x * 2);
  signal(SIGSEGV, onsegv);
  if (!sigsetjmp(jb, 1)) { *(volatile int *)8 = 1; printf("no fault\\n"); } else printf("segv caught\\n");
  pid_t p = fork();
  if (p == 0) { execl("/bin/sh", "sh", "-c", "echo child; exit 7", (char *)0); _exit(9); }
  int st;
  waitpid(p, &st, 0);
  printf("child status %d\\n", WEXITSTATUS(st));
  return 3;
}
`;

/**
 * A process that runs host syscalls through its stub's own code (the set-up
 * batch routine: a syscall instruction, then an int3 whose SIGTRAP comes back
 * to the program) to map the memory file and read its sibling's secret.
 */
const MEMORY_FILE_ATTACK = `
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

static sigjmp_buf jb;
static void onsig(int s) { siglongjmp(jb, s); }

/* One host syscall run by the stub's own code: its set-up batch routine runs
 * the table entry at r12 (nr, six arguments), stores the result at r14 and
 * stops at an int3, whose SIGTRAP the sentry delivers back here. */
static long stub_syscall(uintptr_t batch, long nr, long a0, long a1, long a2, long a3, long a4, long a5) {
  static volatile long entry[7];
  static volatile long result;
  entry[0] = nr; entry[1] = a0; entry[2] = a1; entry[3] = a2; entry[4] = a3; entry[5] = a4; entry[6] = a5;
  result = 1;
  int s = sigsetjmp(jb, 1);
  if (s == 0) {
    __asm__ volatile("mov %0, %%r12\\n\\tmov $1, %%r13\\n\\tmov %1, %%r14\\n\\tjmp *%2\\n"
                     : : "r"(entry), "r"(&result), "r"(batch) : "r12", "r13", "r14", "memory");
  }
  if (s != SIGTRAP) { printf("attack: signal %d instead of the stub's int3\\n", s); exit(4); }
  return result;
}

int main(int argc, char **argv) {
  setvbuf(stdout, 0, _IONBF, 0);
  if (argc < 3) return 2;
  uintptr_t batch = strtoull(argv[1], 0, 16);
  int memfd = atoi(argv[2]);
  long scan = 128L << 20, chunk = 4L << 20;
  char marker[32];
  snprintf(marker, sizeof marker, "%s-%s:", "sibling", "secret");
  int ready[2], done[2];
  if (pipe(ready) || pipe(done)) return 2;
  pid_t child = fork();
  if (child == 0) {
    unsigned char tok[8];
    if (getrandom(tok, sizeof tok, 0) != sizeof tok) _exit(3);
    char *page = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    int n = snprintf(page, 4096, "%s", marker);
    for (int i = 0; i < 8; i++) n += snprintf(page + n, 4096 - n, "%02x", tok[i]);
    char line[64];
    snprintf(line, sizeof line, "secret %s\\n", page + strlen(marker));
    memset(tok, 0, sizeof tok);
    if (write(ready[1], "r", 1) != 1) _exit(3);
    char c;
    if (read(done[0], &c, 1) != 1) _exit(3);
    if (write(1, line, strlen(line)) < 0) _exit(3);
    _exit(0);
  }
  char c;
  if (read(ready[0], &c, 1) != 1) return 2;
  struct sigaction sa = {0};
  sa.sa_handler = onsig;
  sigaction(SIGTRAP, &sa, 0);
  sigaction(SIGBUS, &sa, 0);
  sigaction(SIGSEGV, &sa, 0);
  int found = 0;
  for (long off = 0; off < scan; off += chunk) {
    long p = stub_syscall(batch, 9 /* mmap */, 0, chunk, PROT_READ, MAP_SHARED, memfd, off);
    if (p < 0 && p > -4096) { printf("mmap of the memory file at %ld refused: errno %ld\\n", off, -p); break; }
    const char *base = (const char *)p;
    const char *at = base;
    while ((at = memmem(at, base + chunk - at, marker, strlen(marker))) != 0) {
      at += strlen(marker);
      if (at + 16 <= base + chunk) { printf("found %.16s\\n", at); found++; }
    }
    stub_syscall(batch, 11 /* munmap */, p, chunk, 0, 0, 0, 0);
  }
  printf("scan done, %d found\\n", found);
  if (write(done[1], "d", 1) != 1) return 2;
  int st;
  waitpid(child, &st, 0);
  return 0;
}
`;

describe('--platform=systrap', () => {
  it('runs threads, signals, faults and fork+exec as Linux does, like ptrace', () => {
    const prog = compileC(PROGRAM, ['-static', '-pthread']);
    const expected = native([prog]);
    expect(expected.status).toBe(3);
    for (const platform of ['systrap', 'ptrace']) {
      const r = runsc([`--platform=${platform}`, 'do', prog]);
      expect({ platform, stdout: r.stdout, status: r.status }).toEqual({ platform, stdout: expected.stdout, status: 3 });
    }
  });

  it("does not let a process map the memory file through its stub's code to read its sibling's memory", () => {
    const prog = compileC(MEMORY_FILE_ATTACK, ['-static', '-O1']);
    const r = runsc(['--platform=systrap', 'do', prog, STUB_BATCH.toString(16), String(STUB_MEMFD)]);
    expect(r.status).toBe(0);
    const secret = /^secret ([0-9a-f]{16})$/m.exec(r.stdout)?.[1];
    expect(secret).toBeDefined();
    // The attempt was made and refused by the host, before any page was read.
    expect(r.stdout).toMatch(/^mmap of the memory file at 0 refused: errno 1$/m);
    expect(r.stdout).toMatch(/^scan done, 0 found$/m);
    expect(r.stdout).not.toContain(`found ${secret}`);
  });

  it('runs a bash pipeline with command substitution on both platforms', () => {
    const script = 'x=$(seq 1 50 | grep 5 | wc -l); echo "$x $(( x * 2 ))"';
    const expected = native(['/bin/bash', '-c', script]).stdout;
    for (const platform of ['systrap', 'ptrace']) {
      const r = runsc([`--platform=${platform}`, 'do', '/bin/bash', '-c', script]);
      expect({ platform, stdout: r.stdout, status: r.status }).toEqual({ platform, stdout: expected, status: 0 });
    }
  });

  it('help platforms says which platform is in use and why', () => {
    const byFlag = runsc(['--platform=systrap', 'help', 'platforms']);
    expect(byFlag.stdout).toMatch(/^Platform in use: systrap \(asked for with --platform\)\./);
    expect(byFlag.stdout).toMatch(/systrap {2}available: the host kernel has seccomp filters/);
    const byDefault = runsc(['help', 'platforms'], { env: { ...process.env, TVISOR_PLATFORM: '' } });
    expect(byDefault.stdout).toMatch(/^Platform in use: ptrace \(the default\)\./);
  });

  it('rejects an unknown platform with one line', () => {
    const r = runsc(['--platform=kvm', 'do', '/bin/true']);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/invalid platform "kvm": one of ptrace, systrap/);
  });
});
