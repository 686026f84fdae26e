import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

// Calls that used to park forever under the sandbox (gVisor's suite counted
// them as hangs); each program prints what Linux answers, and the sandbox
// must print the same.
describe('runsc do: blocking calls end as on Linux', () => {
  it('robust mutexes of a thread that exits holding them (dynamic glibc, addresses above 4 GiB) give EOWNERDEAD; FUTEX_WAKE 0 wakes one', () => {
    const prog = compileC(
      `
      #define _GNU_SOURCE
      #include <errno.h>
      #include <linux/futex.h>
      #include <pthread.h>
      #include <stdatomic.h>
      #include <stdio.h>
      #include <string.h>
      #include <sys/syscall.h>
      #include <unistd.h>
      static pthread_mutex_t m[3];
      static atomic_int word = 1;
      static atomic_int waiting;
      static void *locker(void *arg) {
        (void)arg;
        for (int i = 0; i < 3; i++) pthread_mutex_lock(&m[i]);
        pthread_exit(0);
      }
      static void *waiter(void *arg) {
        (void)arg;
        waiting = 1;
        long r;
        do r = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 1, 0, 0, 0);
        while (r == -1 && errno == EINTR);
        return 0;
      }
      int main(void) {
        for (int i = 0; i < 3; i++) {
          pthread_mutexattr_t at;
          pthread_mutexattr_init(&at);
          pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
          pthread_mutex_init(&m[i], &at);
        }
        pthread_t t;
        pthread_create(&t, 0, locker, 0);
        pthread_join(t, 0);
        for (int i = 0; i < 3; i++) {
          int r = pthread_mutex_lock(&m[i]);
          int consistent = pthread_mutex_consistent(&m[i]);
          printf("lock %d: %s, consistent %d, unlock %d\\n", i, strerrorname_np(r), consistent, pthread_mutex_unlock(&m[i]));
        }
        pthread_create(&t, 0, waiter, 0);
        // Wake until the waiter is in the queue: a count of 0 still wakes one.
        long woken = 0;
        while (!waiting || (woken = syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 0, 0, 0, 0)) == 0) sched_yield();
        pthread_join(t, 0);
        printf("wake 0 woke %ld\\n", woken);
        return 0;
      }`,
      ['-pthread'],
    );
    const expected = native([prog]).stdout;
    expect(expected).toContain('lock 2: EOWNERDEAD, consistent 0, unlock 0\nwake 0 woke 1\n');
    expect(runsc(['do', prog]).stdout).toBe(expected);
  });

  it('waitid without WEXITED does not wait for a child that can only exit; writev stops at MAX_RW_COUNT', () => {
    const prog = compileC(`
      #define _GNU_SOURCE
      #include <errno.h>
      #include <fcntl.h>
      #include <limits.h>
      #include <stdio.h>
      #include <stdlib.h>
      #include <string.h>
      #include <sys/mman.h>
      #include <sys/uio.h>
      #include <sys/wait.h>
      #include <unistd.h>
      int main(void) {
        pid_t child = fork();
        if (child == 0) _exit(0);
        siginfo_t info;
        int r = waitid(P_ALL, 0, &info, WSTOPPED);
        printf("waitid WSTOPPED %d %s\\n", r, strerrorname_np(errno));
        printf("waitid WEXITED %d\\n", waitid(P_ALL, 0, &info, WEXITED));
        // Three segments across MAX_RW_COUNT (INT_MAX rounded down to a page):
        // the total is cut there. /dev/null does not read the (untouched) buffer.
        size_t max = INT_MAX & ~4095UL;
        char *buf = mmap(0, max + 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        struct iovec iov[3] = { { buf, max - 4096 }, { buf + max - 4096, 8192 }, { buf + max + 4096, 4096 } };
        int null = open("/dev/null", O_WRONLY);
        printf("writev %zd of %zu\\n", writev(null, iov, 3), max);
        return 0;
      }`);
    const expected = native([prog]).stdout;
    expect(expected).toMatch(/^waitid WSTOPPED -1 ECHILD\nwaitid WEXITED 0\nwritev 2147479552 of 2147479552\n$/);
    expect(runsc(['do', prog]).stdout).toBe(expected);
  });

  it("RLIMIT_CPU: SIGXCPU at the soft limit, SIGKILL at the hard one, and a zombie's CPU clock still reads", () => {
    const prog = compileC(`
      #define _GNU_SOURCE
      #include <signal.h>
      #include <stdio.h>
      #include <sys/resource.h>
      #include <sys/wait.h>
      #include <time.h>
      #include <unistd.h>
      static volatile sig_atomic_t xcpu;
      static void onXcpu(int sig) { (void)sig; xcpu++; }
      int main(void) {
        int p[2];
        pipe(p);
        pid_t child = fork();
        if (child == 0) {
          signal(SIGXCPU, onXcpu);
          struct rlimit rl = { 0, 1 };
          setrlimit(RLIMIT_CPU, &rl);
          for (int reported = 0;;) {
            if (xcpu && !reported) reported = write(p[1], "x", 1);
          }
        }
        char c;
        printf("SIGXCPU seen %zd\\n", read(p[0], &c, 1));
        siginfo_t info;
        waitid(P_PID, child, &info, WEXITED | WNOWAIT);
        clockid_t clock;
        struct timespec ts = {0};
        int r = clock_getcpuclockid(child, &clock) || clock_gettime(clock, &ts);
        printf("zombie clock %d, ran %d\\n", r, ts.tv_sec > 0 || ts.tv_nsec > 0);
        int status;
        waitpid(child, &status, 0);
        printf("killed by %s\\n", WIFSIGNALED(status) ? sigabbrev_np(WTERMSIG(status)) : "nothing");
        return 0;
      }`);
    const expected = native([prog]).stdout;
    expect(expected).toBe('SIGXCPU seen 1\nzombie clock 0, ran 1\nkilled by KILL\n');
    expect(runsc(['do', prog]).stdout).toBe(expected);
  });
});
