/**
 * The systrap platform end to end, next to ptrace and native Linux: the
 * same programs (threads, signal handlers with FP state, a caught SIGSEGV,
 * fork+exec, a shell pipeline) print the same on both platforms as natively.
 * The whole runsc suite runs on systrap with TVISOR_PLATFORM=systrap.
 */
import { describe, expect, it } from 'vitest';
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

  it('runs a bash pipeline with command substitution', () => {
    const script = 'x=$(seq 1 50 | grep 5 | wc -l); echo "$x $(( x * 2 ))"';
    const r = runsc(['--platform=systrap', 'do', '/bin/bash', '-c', script]);
    expect(r.stdout).toBe(native(['/bin/bash', '-c', script]).stdout);
    expect(r.status).toBe(0);
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
