import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

describe('runsc do: signals', () => {
  it('a bash trap runs its handler', () => {
    const script = 'trap "echo got USR1" USR1; kill -USR1 $$; echo after';
    const r = runsc(['do', '/bin/bash', '-c', script]);
    expect(r.stdout).toBe(native(['/bin/bash', '-c', script]).stdout);
    expect(r.stdout).toBe('got USR1\nafter\n');
  });

  it('timeout 1 sleep 5 exits 124', () => {
    const r = runsc(['do', '/usr/bin/timeout', '1', '/bin/sleep', '5']);
    expect(r.status).toBe(124);
  });

  it('sleep 30 & kill %1; wait', () => {
    const script = 'sleep 30 & kill %1; wait; echo waited $?';
    const r = runsc(['do', '/bin/bash', '-c', script]);
    expect(r.stdout).toBe(native(['/bin/bash', '-c', script]).stdout);
  });

  it('a signal reaches a thread spinning in user code (SIGALRM from alarm)', () => {
    const prog = compileC(`
      #include <signal.h>
      #include <stdio.h>
      #include <unistd.h>
      volatile sig_atomic_t got;
      void on_alarm(int s) { got = s; }
      int main(void) {
        signal(SIGALRM, on_alarm);
        alarm(1);
        while (!got) {}
        printf("got %d\\n", got);
        return 0;
      }`);
    const r = runsc(['do', prog]);
    expect(r.stdout).toBe('got 14\n');
  });

  it('a SIGSEGV handler on an alternate stack sees the fault address, and siglongjmp leaves it', () => {
    const prog = compileC(`
      #include <setjmp.h>
      #include <signal.h>
      #include <stdio.h>
      #include <stdlib.h>
      static sigjmp_buf env;
      static char altstack[65536];
      static void on_segv(int sig, siginfo_t *si, void *uc) {
        stack_t ss;
        sigaltstack(NULL, &ss);
        printf("sig %d addr %p code %d onstack %d\\n", sig, si->si_addr, si->si_code, (ss.ss_flags & SS_ONSTACK) != 0);
        siglongjmp(env, 1);
      }
      int main(void) {
        stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
        sigaltstack(&ss, NULL);
        struct sigaction sa = { 0 };
        sa.sa_sigaction = on_segv;
        sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
        sigaction(SIGSEGV, &sa, NULL);
        if (sigsetjmp(env, 1) == 0) *(volatile int *)0x1234 = 1;
        printf("recovered\\n");
        return 0;
      }`);
    const expected = native([prog]).stdout;
    expect(expected).toBe('sig 11 addr 0x1234 code 1 onstack 1\nrecovered\n');
    expect(runsc(['do', prog]).stdout).toBe(expected);
  });

  it('SA_RESTART restarts an interrupted read; without it the read fails with EINTR', () => {
    const prog = compileC(`
      #include <errno.h>
      #include <signal.h>
      #include <stdio.h>
      #include <string.h>
      #include <unistd.h>
      static void on_alarm(int s) { (void)s; }
      static void attempt(int flags) {
        struct sigaction sa = { 0 };
        sa.sa_handler = on_alarm;
        sa.sa_flags = flags;
        sigaction(SIGALRM, &sa, NULL);
        int p[2];
        pipe(p);
        if (fork() == 0) { sleep(2); write(p[1], "x", 1); _exit(0); }
        alarm(1);
        char c;
        ssize_t n = read(p[0], &c, 1);
        printf("%s: n=%zd errno=%s\\n", flags ? "restart" : "plain", n, n < 0 ? strerror(errno) : "-");
        close(p[0]); close(p[1]);
      }
      int main(void) {
        setvbuf(stdout, NULL, _IONBF, 0);
        attempt(0);
        attempt(SA_RESTART);
        return 0;
      }`);
    const expected = native([prog]).stdout;
    expect(expected).toBe('plain: n=-1 errno=Interrupted system call\nrestart: n=1 errno=-\n');
    expect(runsc(['do', prog]).stdout).toBe(expected);
  });

  it('sigsuspend returns at once for a signal that was pending while blocked (pty_test ReleaseTTYSignals hung)', () => {
    const prog = compileC(`
      #include <errno.h>
      #include <signal.h>
      #include <stdio.h>
      #include <string.h>
      static volatile sig_atomic_t received;
      static void on_signal(int s) { received |= 1 << s; }
      int main(void) {
        sigset_t block, wait;
        sigemptyset(&block);
        sigaddset(&block, SIGUSR1);
        sigaddset(&block, SIGCONT);
        sigprocmask(SIG_BLOCK, &block, NULL);
        struct sigaction sa = { 0 };
        sa.sa_handler = on_signal;
        sigaction(SIGUSR1, &sa, NULL);
        sigaction(SIGCONT, &sa, NULL);
        raise(SIGUSR1);
        raise(SIGCONT);
        sigfillset(&wait);
        sigdelset(&wait, SIGUSR1);
        sigdelset(&wait, SIGCONT);
        // Linux runs both handlers on one return (nested frames); a second
        // round is allowed, a wait that never ends is the bug.
        int r = 0;
        while (received != ((1 << SIGUSR1) | (1 << SIGCONT))) r = sigsuspend(&wait);
        printf("both handled, sigsuspend %d %s\\n", r, strerror(errno));
        return 0;
      }`);
    const expected = native([prog]).stdout;
    expect(expected).toBe('both handled, sigsuspend -1 Interrupted system call\n');
    expect(runsc(['do', prog], { timeout: 60_000 }).stdout).toBe(expected);
  });

  it('the alternate signal stack: kept by fork, disabled by execve and by clone(CLONE_VM) without CLONE_VFORK (differential against Linux)', () => {
    const prog = compileC(`
      #define _GNU_SOURCE
      #include <sched.h>
      #include <signal.h>
      #include <stdio.h>
      #include <string.h>
      #include <sys/wait.h>
      #include <unistd.h>
      static char altstack[65536], cstack[65536];
      static int report(const char *who) {
        stack_t ss;
        sigaltstack(NULL, &ss);
        printf("%s: %s size %zu\\n", who, ss.ss_flags & SS_DISABLE ? "disabled" : "enabled", ss.ss_size);
        fflush(stdout);
        return 0;
      }
      static int in_clone(void *arg) { return report(arg); }
      int main(int argc, char **argv) {
        if (argc > 1) return report("after execve");
        stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0 };
        sigaltstack(&ss, NULL);
        report("parent");
        if (fork() == 0) _exit(report("fork child"));
        wait(NULL);
        pid_t c = clone(in_clone, cstack + sizeof cstack, CLONE_VM | SIGCHLD, "CLONE_VM child");
        waitpid(c, NULL, 0);
        c = clone(in_clone, cstack + sizeof cstack, CLONE_VM | CLONE_VFORK | SIGCHLD, "CLONE_VM|CLONE_VFORK child");
        waitpid(c, NULL, 0);
        execl("/proc/self/exe", argv[0], "again", (char *)NULL);
        return 1;
      }`);
    const expected = native([prog]).stdout;
    expect(expected).toBe(
      'parent: enabled size 65536\nfork child: enabled size 65536\nCLONE_VM child: disabled size 0\nCLONE_VM|CLONE_VFORK child: enabled size 65536\nafter execve: disabled size 0\n',
    );
    expect(runsc(['do', prog], { timeout: 60_000 }).stdout).toBe(expected);
  });
});
