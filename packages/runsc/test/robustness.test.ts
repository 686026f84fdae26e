import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { compileC, native, RUNSC, runsc, testEnv } from './helpers.js';

/** Hostile input from the application never takes the sentry down. */
describe('runsc do: robustness against hostile syscalls', () => {
  it('random syscalls with hostile arguments (fixed seeds, 150 children) get results or errnos, never a sentry error', () => {
    const prog = compileC(`#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <sys/time.h>
/* Random syscalls with hostile arguments, in throwaway children: the sandbox must answer each with a result or an errno. */
static const int banned[] = { SYS_exit, SYS_exit_group, SYS_kill, SYS_tkill, SYS_tgkill, SYS_fork, SYS_vfork, SYS_clone, SYS_clone3,
  SYS_execve, SYS_execveat, SYS_rt_sigreturn, SYS_reboot, SYS_ptrace, SYS_setsid, SYS_setpgid, SYS_rt_sigqueueinfo, SYS_rt_tgsigqueueinfo,
  SYS_pidfd_send_signal, SYS_unlink, SYS_unlinkat, SYS_rmdir, SYS_rename, SYS_renameat, SYS_renameat2, SYS_truncate, SYS_chroot,
  SYS_umount2, SYS_mount, SYS_chmod, SYS_fchmodat, SYS_chown, SYS_lchown, SYS_fchownat, SYS_setuid, SYS_setgid, SYS_setreuid, SYS_setregid,
  SYS_setresuid, SYS_setresgid, SYS_setfsuid, SYS_setfsgid, SYS_setgroups, SYS_capset, SYS_sethostname, SYS_setdomainname };
static int is_banned(long nr) { for (unsigned i = 0; i < sizeof banned / sizeof banned[0]; i++) if (banned[i] == nr) return 1; return 0; }
static char buf[8192];
static long arg(unsigned *seed) {
  switch (rand_r(seed) % 10) {
  case 0: return 0; case 1: return -1; case 2: return rand_r(seed) % 8; case 3: return (long)buf; case 4: return (long)buf + 4096;
  case 5: return 0x7fffffffffffL; case 6: return 1L << 62; case 7: return 4096; case 8: return (long)rand_r(seed) << 16; default: return rand_r(seed) % 0x10000;
  }
}
static void on_alarm(int s) { (void)s; }
int main(int argc, char **argv) {
  struct sigaction sa = { .sa_handler = on_alarm };
  sigaction(SIGALRM, &sa, 0);
  int rounds = argc > 1 ? atoi(argv[1]) : 200, calls = 0;
  for (int r = 0; r < rounds; r++) {
    pid_t p = fork();
    if (p == 0) {
      unsigned seed = 1000 + r;
      signal(SIGALRM, SIG_DFL);
      struct itimerval limit = { {0, 0}, {0, 100000} };
      setitimer(ITIMER_REAL, &limit, 0);
      for (int i = 0; i < 50; i++) {
        long nr = rand_r(&seed) % 450;
        if (is_banned(nr)) continue;
        memset(buf, 'A', sizeof buf);
        syscall(nr, arg(&seed), arg(&seed), arg(&seed), arg(&seed), arg(&seed), arg(&seed));
      }
      _exit(0);
    }
    int st;
    /* A child that blocked SIGALRM and waits forever: killed by the parent's own alarm. */
    alarm(1);
    if (waitpid(p, &st, 0) < 0) { kill(p, SIGKILL); waitpid(p, &st, 0); }
    alarm(0);
    calls++;
  }
  printf("rounds %d\\n", calls);
  return 0;
}
`);
    const r = spawnSync(process.execPath, [RUNSC, '--debug', 'do', prog, '150'], { encoding: 'utf8', timeout: 120_000, env: testEnv(), input: '' });
    expect(r.stdout).toContain('rounds 150');
    expect(r.stderr).not.toMatch(/sentry error|Fatal/);
    expect(r.status).toBe(0);
  });

  it('mmap of what has no pages (stdin as a pipe or /dev/null, a pipe) is ENODEV; /dev/zero maps as anonymous memory', () => {
    const four = compileC(`#include <stdio.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
int main(void) {
  void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 0, 0);
  printf("mmap stdin: %s\\n", p == MAP_FAILED ? strerror(errno) : "mapped");
  char link[64] = {0};
  return 0;
}
`);
    for (const input of ['', 'x\n']) {
      const viaPipe = runsc(['do', four], { input });
      expect(viaPipe.stdout).toBe('mmap stdin: No such device\n');
    }
    const zero = compileC(`#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
  int z = open("/dev/zero", O_RDWR);
  int *priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, z, 0);
  int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, z, 0);
  printf("private %s shared %s zeros %d\\n", priv == MAP_FAILED ? "failed" : "ok", shared == MAP_FAILED ? "failed" : "ok", priv[10] + shared[10]);
  if (fork() == 0) { shared[0] = 42; priv[0] = 7; _exit(0); }
  wait(NULL);
  printf("after child: shared %d private %d\\n", shared[0], priv[0]);
  int p[2]; pipe(p);
  printf("pipe: %s\\n", mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, p[0], 0) == MAP_FAILED ? "refused" : "mapped");
  return 0;
}
`);
    const r = runsc(['do', zero]);
    expect(r.stdout).toBe(native([zero]).stdout);
  });

  it('timers longer than Node can arm (alarm of 3e6 s, a 4e6 s ITIMER_PROF) stay armed instead of firing at once', () => {
    const prog = compileC(`#include <stdio.h>
#include <sys/time.h>
#include <unistd.h>
int main(void) {
  alarm(3000000);
  struct itimerval it = { {0, 0}, {4000000, 0} };
  setitimer(ITIMER_PROF, &it, 0);
  usleep(50000);
  struct itimerval left; getitimer(ITIMER_PROF, &left);
  printf("alarm left ~ %u, prof armed %d\\n", alarm(0) / 1000 * 1000, left.it_value.tv_sec > 3000000);
  return 0;
}
`);
    const r = runsc(['do', prog]);
    expect(r.stdout).toBe(native([prog]).stdout);
    expect(r.status).toBe(0);
  });
});
