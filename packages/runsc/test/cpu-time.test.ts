import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

/**
 * CPU-time accounting: the CPU clocks, times(2), getrusage(2), wait4's
 * rusage, ITIMER_VIRTUAL/PROF and POSIX timers on CPU clocks. The program
 * prints only facts that hold on Linux however loaded the machine is (it
 * spins until its own CPU clock has advanced, never for a wall-clock time),
 * so its output natively and under runsc must be the same. Its spin does
 * user-mode work between readings of the CPU clock (a syscall): under runsc
 * a trapped syscall counts as system time, measured as the sentry's time
 * serving it, which load inflates; with one reading after another the app's
 * user time stayed a small share of 0.3 s, and ITIMER_VIRTUAL's 20 ms often
 * never came (CI under load, and `nice`).
 */
const CPU_PROGRAM = `#define _GNU_SOURCE
#include <stdio.h>
#include <time.h>
#include <signal.h>
#include <unistd.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <pthread.h>
#include <errno.h>
#include <string.h>

static double now(clockid_t c) { struct timespec ts; clock_gettime(c, &ts); return ts.tv_sec + ts.tv_nsec / 1e9; }
static volatile int prof, virt, timerhits;
static void on(int s) { if (s == SIGPROF) prof++; else if (s == SIGVTALRM) virt++; else timerhits++; }
static void spin(double secs) { double s = now(CLOCK_PROCESS_CPUTIME_ID); while (now(CLOCK_PROCESS_CPUTIME_ID) - s < secs) for (volatile int i = 0; i < 200000; i++) ; }
static double tv(struct timeval t) { return t.tv_sec + t.tv_usec / 1e6; }

int main(void) {
  signal(SIGPROF, on); signal(SIGVTALRM, on); signal(SIGUSR1, on);
  double w0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID), t0 = now(CLOCK_THREAD_CPUTIME_ID);
  struct itimerval it = { { 0, 20000 }, { 0, 20000 } };
  setitimer(ITIMER_PROF, &it, 0);
  setitimer(ITIMER_VIRTUAL, &it, 0);
  spin(0.3);
  struct itimerval left; getitimer(ITIMER_PROF, &left);
  printf("itimer armed: %d\\n", left.it_value.tv_sec > 0 || left.it_value.tv_usec > 0);
  struct itimerval off = {0};
  setitimer(ITIMER_PROF, &off, 0); setitimer(ITIMER_VIRTUAL, &off, 0);
  double w1 = now(CLOCK_MONOTONIC), c1 = now(CLOCK_PROCESS_CPUTIME_ID), t1 = now(CLOCK_THREAD_CPUTIME_ID);
  printf("cpu <= wall: %d\\n", c1 - c0 <= (w1 - w0) + 0.01);
  printf("thread ~ process: %d\\n", (t1 - t0) > 0.25 && (t1 - t0) <= (c1 - c0) + 0.001);
  printf("SIGPROF fired: %d (>=5: %d)\\n", prof > 0, prof >= 5);
  printf("SIGVTALRM fired: %d\\n", virt > 0);
  struct rusage ru; getrusage(RUSAGE_SELF, &ru);
  double ru_total = tv(ru.ru_utime) + tv(ru.ru_stime);
  printf("rusage self ~ clock: %d\\n", ru_total >= 0.29 && ru_total <= c1 + 0.02);
  printf("maxrss > 0: %d\\n", ru.ru_maxrss > 0);
  struct tms tm; times(&tm);
  printf("times ticks ~ clock: %d\\n", (tm.tms_utime + tm.tms_stime) >= 28);
  /* sleeping costs no CPU */
  double c2 = now(CLOCK_PROCESS_CPUTIME_ID);
  usleep(200000);
  printf("sleep costs little cpu: %d\\n", now(CLOCK_PROCESS_CPUTIME_ID) - c2 < 0.05);
  /* a POSIX timer on the process CPU clock */
  timer_t tid; struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1 };
  printf("timer_create: %d\\n", timer_create(CLOCK_PROCESS_CPUTIME_ID, &sev, &tid));
  struct itimerspec its = { {0, 0}, {0, 50000000} };
  timer_settime(tid, 0, &its, 0);
  spin(0.15);
  printf("cpu timer fired: %d\\n", timerhits == 1);
  /* clock ids */
  clockid_t cid; clock_getcpuclockid(getpid(), &cid);
  printf("getcpuclockid readable: %d\\n", now(cid) > 0.4);
  clockid_t bad = ((~(clockid_t)99999) << 3) | 2;
  struct timespec ts;
  int r = clock_gettime(bad, &ts);
  printf("bad pid clock: %d %s\\n", r, strerror(errno));
  struct timespec z = {0, 1000};
  printf("nanosleep thread clock: %s\\n", strerror(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &z, 0)));
  printf("nanosleep raw: %s\\n", strerror(clock_nanosleep(CLOCK_MONOTONIC_RAW, 0, &z, 0)));
  /* ITIMER_VIRTUAL reaches code that makes no syscalls */
  alarm(10);
  virt = 0;
  struct itimerval v1 = { {0, 0}, {0, 50000} };
  setitimer(ITIMER_VIRTUAL, &v1, 0);
  while (!virt) ;
  printf("virtual fired in a syscall-free loop\\n");
  /* a signal ends nanosleep with EINTR and the time left */
  signal(SIGALRM, on);
  struct itimerval a1 = { {0, 0}, {0, 100000} };
  setitimer(ITIMER_REAL, &a1, 0);
  struct timespec full = {1, 0}, rem = {0, 0};
  int nr = nanosleep(&full, &rem);
  int nerr = errno;
  double remd = rem.tv_sec + rem.tv_nsec / 1e9;
  printf("nanosleep: %d %s, rem in (0.8, 0.95): %d\\n", nr, strerror(nerr), remd > 0.8 && remd < 0.95);
  /* children */
  pid_t p = fork();
  if (p == 0) { spin(0.2); _exit(0); }
  struct rusage cru; int st;
  wait4(p, &st, 0, &cru);
  printf("wait4 rusage ~ child: %d\\n", tv(cru.ru_utime) + tv(cru.ru_stime) >= 0.19);
  getrusage(RUSAGE_CHILDREN, &ru);
  printf("children rusage: %d\\n", tv(ru.ru_utime) + tv(ru.ru_stime) >= 0.19);
  times(&tm);
  printf("times children: %d\\n", tm.tms_cutime + tm.tms_cstime >= 19);
  return 0;
}
`;

describe('runsc do: CPU time', () => {
  it('clocks, rusage, times and CPU timers agree with Linux', () => {
    const prog = compileC(CPU_PROGRAM, ['-static', '-pthread']);
    const expected = native([prog]);
    expect(expected.status).toBe(0);
    expect(expected.stdout).toContain('SIGPROF fired: 1 (>=5: 1)');
    const r = runsc(['do', prog]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(expected.stdout);
    expect(r.status).toBe(0);
  });

  it('waitid fills its rusage argument and writes only the six siginfo fields Linux writes', () => {
    const prog = compileC(`
      #define _GNU_SOURCE
      #include <signal.h>
      #include <stdio.h>
      #include <string.h>
      #include <time.h>
      #include <unistd.h>
      #include <sys/resource.h>
      #include <sys/syscall.h>
      #include <sys/wait.h>
      static double cpu(void) { struct timespec t; clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t); return t.tv_sec + t.tv_nsec / 1e9; }
      int main(void) {
        pid_t p = fork();
        if (p == 0) { double s = cpu(); while (cpu() - s < 0.1) ; _exit(3); }
        siginfo_t info; struct rusage ru;
        memset(&info, 0xaa, sizeof info); memset(&ru, 0, sizeof ru);
        long r = syscall(SYS_waitid, P_PID, p, &info, WEXITED, &ru);
        unsigned char *raw = (unsigned char *)&info;
        int untouched = 1;
        for (int i = 32; i < (int)sizeof info; i++) if (raw[i] != 0xaa) untouched = 0;
        printf("r=%ld code=%d status=%d pid_ok=%d rest untouched=%d\\n", r, info.si_code, info.si_status, info.si_pid == p, untouched);
        printf("rusage >= 0.09: %d\\n", ru.ru_utime.tv_sec + ru.ru_stime.tv_sec + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6 >= 0.09);
        return 0;
      }`);
    const expected = native([prog]);
    expect(expected.stdout).toContain('rest untouched=1');
    expect(expected.stdout).toContain('rusage >= 0.09: 1');
    const r = runsc(['do', prog]);
    expect(r.stdout).toBe(expected.stdout);
  });

  it('/proc/PID/stat reports the CPU time ps shows', () => {
    const script = 'i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; read -a f < /proc/$$/stat; echo $(( f[13] + f[14] > 0 ))';
    const r = runsc(['do', '/bin/bash', '-c', script]);
    expect(r.stdout).toBe(native(['/bin/bash', '-c', script]).stdout);
    expect(r.stdout).toBe('1\n');
  });
});
