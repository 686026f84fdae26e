import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

/** Runs `prog` natively and under runsc do: the same stdout and exit status. */
function sameAsNative(prog: string[], expected?: string): void {
  const n = native(prog);
  expect(n.status).toBe(0);
  if (expected !== undefined) expect(n.stdout).toBe(expected);
  const r = runsc(['do', ...prog]);
  expect({ stdout: r.stdout, status: r.status }).toEqual({ stdout: n.stdout, status: n.status });
}

describe('runsc do: job control', () => {
  it('a child stopped by raise(SIGSTOP) and SIGTSTP: waitpid WUNTRACED/WCONTINUED, SIGCHLD codes, SA_NOCLDSTOP, SIGKILL of a stopped child', () => {
    const prog = compileC(`
      #include <signal.h>
      #include <stdio.h>
      #include <string.h>
      #include <sys/wait.h>
      #include <unistd.h>
      static volatile sig_atomic_t codes[16], statuses[16], ncodes;
      static void on_chld(int sig, siginfo_t *si, void *uc) {
        (void)sig; (void)uc;
        if (ncodes < 16) { codes[ncodes] = si->si_code; statuses[ncodes] = si->si_status; ncodes++; }
      }
      static void show(const char *what, pid_t w, pid_t child, int st) {
        printf("%s: ours=%d", what, w == child);
        if (w <= 0) { printf(" ret=%d\\n", (int)w); return; }
        if (WIFSTOPPED(st)) printf(" stopped sig=%d", WSTOPSIG(st));
        if (WIFCONTINUED(st)) printf(" continued");
        if (WIFEXITED(st)) printf(" exited code=%d", WEXITSTATUS(st));
        if (WIFSIGNALED(st)) printf(" killed sig=%d", WTERMSIG(st));
        printf(" raw=0x%x\\n", st);
      }
      static void sigchlds(const char *label) {
        usleep(50000);
        printf("%s sigchld:", label);
        for (int i = 0; i < ncodes; i++) {
          int c = codes[i];
          printf(" %s/%d", c == CLD_STOPPED ? "STOPPED" : c == CLD_CONTINUED ? "CONTINUED" : c == CLD_EXITED ? "EXITED" : c == CLD_KILLED ? "KILLED" : "?", statuses[i]);
        }
        printf("\\n");
        ncodes = 0;
      }
      int main(int argc, char **argv) {
        setvbuf(stdout, NULL, _IONBF, 0);
        struct sigaction sa = { 0 };
        sa.sa_sigaction = on_chld;
        sa.sa_flags = SA_SIGINFO | SA_RESTART | (argc > 1 && strcmp(argv[1], "nocldstop") == 0 ? SA_NOCLDSTOP : 0);
        sigaction(SIGCHLD, &sa, NULL);
        int p[2];
        pipe(p);
        pid_t child = fork();
        if (child == 0) {
          close(p[0]);
          setpgid(0, 0);
          raise(SIGSTOP);
          write(p[1], "A", 1);
          for (;;) pause();
        }
        close(p[1]);
        int st = 0;
        show("raise(SIGSTOP)", waitpid(child, &st, WUNTRACED), child, st);
        show("again", waitpid(child, &st, WUNTRACED | WNOHANG), child, st);
        sigchlds("stop");
        kill(child, SIGCONT);
        show("SIGCONT", waitpid(child, &st, WCONTINUED), child, st);
        char c = '?';
        read(p[0], &c, 1);
        printf("child ran on: %c\\n", c);
        sigchlds("cont");
        kill(child, SIGTSTP);
        show("SIGTSTP", waitpid(child, &st, WUNTRACED), child, st);
        sigchlds("tstp");
        kill(child, SIGTERM);
        show("SIGTERM waits for SIGCONT", waitpid(child, &st, WNOHANG), child, st);
        kill(child, SIGKILL);
        show("SIGKILL", waitpid(child, &st, 0), child, st);
        sigchlds("kill");
        return 0;
      }`);
    sameAsNative([prog]);
    sameAsNative([prog, 'nocldstop']);
  });

  it('a stopped multi-threaded child: every thread is frozen, /proc shows T, waitid reports, terminal stops are dropped in an orphaned group', () => {
    const prog = compileC(
      `
      #define _GNU_SOURCE
      #include <pthread.h>
      #include <signal.h>
      #include <stdio.h>
      #include <string.h>
      #include <sys/mman.h>
      #include <sys/wait.h>
      #include <unistd.h>
      static volatile long *shared;
      static void *spin(void *a) { (void)a; for (;;) shared[0]++; return NULL; }
      static void *sleeper(void *a) { (void)a; for (;;) { usleep(1000); shared[1]++; } return NULL; }
      static void on_cont(int s) { (void)s; shared[2]++; }
      static char state(pid_t pid) {
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/%d/stat", pid);
        FILE *f = fopen(path, "r");
        if (!f || !fgets(buf, sizeof buf, f)) return '?';
        fclose(f);
        return strrchr(buf, ')')[2];
      }
      int main(void) {
        setvbuf(stdout, NULL, _IONBF, 0);
        shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        pid_t child = fork();
        if (child == 0) {
          setpgid(0, 0);
          signal(SIGCONT, on_cont);
          pthread_t a, b;
          pthread_create(&a, NULL, spin, NULL);
          pthread_create(&b, NULL, sleeper, NULL);
          for (;;) pause();
        }
        while (shared[0] == 0 || shared[1] == 0) usleep(1000);
        int st;
        kill(child, SIGSTOP);
        pid_t w = waitpid(child, &st, WUNTRACED);
        printf("stopped %d sig %d state %c\\n", w == child && WIFSTOPPED(st), WSTOPSIG(st), state(child));
        long spun = shared[0], slept = shared[1];
        usleep(100000);
        printf("frozen: spinner %d sleeper %d\\n", shared[0] == spun, shared[1] == slept);
        kill(child, SIGCONT);
        siginfo_t si;
        memset(&si, 0, sizeof si);
        int r = waitid(P_PID, child, &si, WCONTINUED | WNOWAIT);
        printf("waitid WNOWAIT %d continued %d status %d ours %d\\n", r, si.si_code == CLD_CONTINUED, si.si_status, si.si_pid == child);
        memset(&si, 0, sizeof si);
        r = waitid(P_PID, child, &si, WCONTINUED | WNOHANG);
        printf("waitid again %d continued %d status %d ours %d\\n", r, si.si_code == CLD_CONTINUED, si.si_status, si.si_pid == child);
        memset(&si, 0xff, sizeof si);
        r = waitid(P_PID, child, &si, WCONTINUED | WSTOPPED | WNOHANG);
        printf("waitid nothing %d signo %d code %d pid %d status %d\\n", r, si.si_signo, si.si_code, si.si_pid, si.si_status);
        usleep(100000);
        printf("running: spinner %d sleeper %d SIGCONT handler ran %ld state %c\\n", shared[0] != spun, shared[1] != slept, shared[2], state(child));
        kill(child, SIGTSTP);
        memset(&si, 0, sizeof si);
        r = waitid(P_PID, child, &si, WSTOPPED);
        printf("waitid WSTOPPED %d stopped %d status %d\\n", r, si.si_code == CLD_STOPPED, si.si_status);
        kill(child, SIGKILL);
        waitpid(child, &st, 0);
        printf("killed %d sig %d\\n", WIFSIGNALED(st), WTERMSIG(st));

        /* A session leader's process group is orphaned: SIGTSTP is dropped, SIGSTOP stops. */
        child = fork();
        if (child == 0) { setsid(); usleep(200000); _exit(3); }
        usleep(20000);
        kill(child, SIGTSTP);
        waitpid(child, &st, WUNTRACED);
        printf("orphaned, SIGTSTP: exited %d code %d\\n", WIFEXITED(st), WEXITSTATUS(st));
        child = fork();
        if (child == 0) { setsid(); for (;;) pause(); }
        usleep(20000);
        kill(child, SIGSTOP);
        waitpid(child, &st, WUNTRACED);
        printf("orphaned, SIGSTOP: stopped %d sig %d\\n", WIFSTOPPED(st), WSTOPSIG(st));
        kill(child, SIGKILL);
        waitpid(child, &st, 0);

        /* A blocked SIGTSTP stays pending, SIGCONT discards it, an unblocked one stops. */
        child = fork();
        if (child == 0) {
          setpgid(0, 0);
          sigset_t set, pend;
          sigemptyset(&set);
          sigaddset(&set, SIGTSTP);
          sigprocmask(SIG_BLOCK, &set, NULL);
          raise(SIGTSTP);
          sigpending(&pend);
          printf("child: SIGTSTP pending %d\\n", sigismember(&pend, SIGTSTP));
          raise(SIGCONT);
          sigpending(&pend);
          printf("child: pending after SIGCONT %d\\n", sigismember(&pend, SIGTSTP));
          raise(SIGTSTP);
          sigprocmask(SIG_UNBLOCK, &set, NULL);
          printf("child: continued\\n");
          _exit(0);
        }
        waitpid(child, &st, WUNTRACED);
        printf("unblocked SIGTSTP: stopped %d sig %d\\n", WIFSTOPPED(st), WSTOPSIG(st));
        kill(child, SIGCONT);
        waitpid(child, &st, 0);
        printf("then exited %d\\n", WIFEXITED(st));

        /* A zombie keeps its pid until it is reaped. */
        child = fork();
        if (child == 0) _exit(0);
        usleep(50000);
        printf("kill(zombie, 0) = %d\\n", kill(child, 0));
        waitpid(child, &st, 0);
        return 0;
      }`,
      ['-static', '-pthread'],
    );
    sameAsNative([prog]);
  });

  it('SIG_DFL discards a pending SIGCONT, whose default action does nothing at delivery', () => {
    const prog = compileC(`
      #include <signal.h>
      #include <stdio.h>
      static void on_cont(int s) { (void)s; }
      int main(void) {
        sigset_t set, pend;
        sigemptyset(&set);
        sigaddset(&set, SIGCONT);
        sigprocmask(SIG_BLOCK, &set, NULL);
        signal(SIGCONT, on_cont);
        raise(SIGCONT);
        sigpending(&pend);
        printf("pending, caught: %d\\n", sigismember(&pend, SIGCONT));
        signal(SIGCONT, SIG_DFL);
        sigpending(&pend);
        printf("pending after SIG_DFL: %d\\n", sigismember(&pend, SIGCONT));
        raise(SIGCONT);
        sigpending(&pend);
        printf("pending, blocked default: %d\\n", sigismember(&pend, SIGCONT));
        return 0;
      }`);
    sameAsNative([prog], 'pending, caught: 1\npending after SIG_DFL: 0\npending, blocked default: 1\n');
  });

  it('bash: kill -STOP / -CONT a background job, its state in ps and /proc, and set -m job reports', () => {
    // ps's '<'/'N' flags show the nice value the test runner happens to run at (it is inherited natively): left out.
    // Each step waits for its effect, never for a time: the process state in
    // /proc for the kernel's side, the shell's own job table for bash's side
    // (and the reaped job's /proc entry gone for its end).
    const script =
      'state() { cut -d" " -f3 /proc/$1/stat; }; job_is() { until jobs %1 | grep -q "$1"; do :; done; }; ' +
      'sleep 30 & p=$!; kill -STOP $p; until [ "$(state $p)" = T ]; do :; done; ps -o stat= -p $p | tr -d "<N"; state $p; ' +
      'kill -CONT $p; until [ "$(state $p)" != T ]; do :; done; ps -o stat= -p $p | tr -d "<N"; kill $p; wait $p; echo "wait: $?"; ' +
      'set -m; sleep 30 & q=$!; kill -STOP %1; job_is Stopped; jobs; kill -CONT %1; job_is Running; jobs; kill -TSTP %1; job_is Stopped; jobs; kill %1; until [ ! -e /proc/$q ]; do :; done; jobs; wait; echo "wait: $?"';
    sameAsNative(['/bin/bash', '-c', script]);
  });

  it('execve from a thread other than the leader: the other threads go, the thread becomes the leader with the pid', () => {
    const prog = compileC(
      `
      #define _GNU_SOURCE
      #include <pthread.h>
      #include <stdio.h>
      #include <stdlib.h>
      #include <string.h>
      #include <sys/syscall.h>
      #include <sys/wait.h>
      #include <unistd.h>
      static char self[4096], pidarg[32];
      static void *thread(void *arg) {
        (void)arg;
        char *argv[] = { self, "after", pidarg, NULL };
        execv(self, argv);
        perror("execv");
        return NULL;
      }
      int main(int argc, char **argv) {
        if (argc == 3 && strcmp(argv[1], "after") == 0) {
          pid_t pid = getpid();
          int threads = -1;
          char line[256];
          FILE *f = fopen("/proc/self/status", "r");
          while (f && fgets(line, sizeof line, f)) sscanf(line, "Threads: %d", &threads);
          printf("after exec: pid==tid %d, same pid %d, threads %d\\n", pid == (pid_t)syscall(SYS_gettid), pid == atoi(argv[2]), threads);
          fflush(stdout);
          return 7;
        }
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n < 0) return 1;
        self[n] = 0;
        pid_t child = fork();
        if (child == 0) {
          snprintf(pidarg, sizeof pidarg, "%d", getpid());
          pthread_t t;
          pthread_create(&t, NULL, thread, NULL);
          for (;;) pause();
        }
        int st;
        pid_t w = waitpid(child, &st, 0);
        printf("parent: waited for its child %d, exited %d code %d\\n", w == child, WIFEXITED(st), WEXITSTATUS(st));
        return 0;
      }`,
      ['-static', '-pthread'],
    );
    sameAsNative([prog], 'after exec: pid==tid 1, same pid 1, threads 1\nparent: waited for its child 1, exited 1 code 7\n');
  });
});
