import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { compileC, HOST_SCRATCH, native, RUNSC, runsc, testEnv } from './helpers.js';

const BUSYBOX = '/bin/busybox';

describe('runsc do: processes', () => {
  it('fork, exec and wait: a shell runs commands and sees their status', () => {
    const script = 'busybox true; echo a $?; busybox false; echo b $?; (exit 5); echo c $?';
    const r = runsc(['do', BUSYBOX, 'sh', '-c', script]);
    expect(r.stdout).toBe(native([BUSYBOX, 'sh', '-c', script]).stdout);
    expect(r.stdout).toBe('a 0\nb 1\nc 5\n');
  });

  it('init is PID 1 and its children get new pids with init as parent', () => {
    const prog = compileC(`
      #include <stdio.h>
      #include <sys/wait.h>
      #include <unistd.h>
      int main(void) {
        printf("init %d parent %d\\n", getpid(), getppid());
        fflush(stdout);
        pid_t c = fork();
        if (c == 0) { printf("child %d parent %d\\n", getpid(), getppid()); return 42; }
        int st;
        pid_t w = waitpid(c, &st, 0);
        printf("reaped %d same %d exited %d code %d\\n", c, w == c, WIFEXITED(st), WEXITSTATUS(st));
        printf("again %d\\n", waitpid(-1, &st, WNOHANG));
        return 0;
      }`);
    const r = runsc(['do', prog]);
    expect(r.stdout).toBe('init 1 parent 0\nchild 2 parent 1\nreaped 2 same 1 exited 1 code 42\nagain -1\n');
  });

  it('a child killed by a signal is reported as such to wait', () => {
    const r = runsc(['do', BUSYBOX, 'sh', '-c', 'busybox sh -c "kill -9 \\$\\$"; echo $?']);
    expect(r.stdout).toBe('137\n');
  });

  it.each([
    ['sleep 2', [BUSYBOX, 'sleep', '2']],
    ['read from an empty pipe for 2 s', [BUSYBOX, 'sh', '-c', 'busybox sleep 2 | busybox cat']],
  ])('a blocked app costs the sentry no CPU (no busy waiting): %s', (_name, cmd) => {
    // CPU time of the whole sandbox (sentry and stubs) over a 2 s wait, as the host kernel counts it.
    const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S', process.execPath, RUNSC, 'do', ...cmd], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const [elapsed, user, sys] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
    expect(elapsed).toBeGreaterThanOrEqual(2);
    // Start-up takes a fraction of a second of CPU; busy waiting would take the whole 2 s.
    expect(user + sys).toBeLessThan(1);
  });
});

describe('runsc do: setpgid on a child (differential against Linux)', () => {
  it('works before the child calls execve and is EACCES after; the parent may still move itself into its group', () => {
    const prog = compileC(`
      #include <errno.h>
      #include <fcntl.h>
      #include <signal.h>
      #include <stdio.h>
      #include <string.h>
      #include <sys/wait.h>
      #include <unistd.h>
      int main(int argc, char **argv) {
        if (argc > 1) { char c; read(0, &c, 1); return 0; }  // the exec'd child: wait for the parent
        // The parent is a child itself, so that it is no session leader (pid 1 in the sandbox is one).
        pid_t top = fork();
        if (top > 0) { waitpid(top, NULL, 0); return 0; }
        int hold[2], execd[2];
        pipe(hold);
        pipe2(execd, O_CLOEXEC);
        pid_t pid = fork();
        if (pid == 0) {
          dup2(hold[0], 0);
          close(execd[0]);
          char c;
          read(hold[0], &c, 1);  // the parent's first setpgid comes before execve
          execl("/proc/self/exe", argv[0], "child", (char *)NULL);
          _exit(127);
        }
        close(execd[1]);
        int before = setpgid(pid, pid);
        write(hold[1], "x", 1);
        char c;
        read(execd[0], &c, 1);  // EOF: the child's execve closed its end
        int e1 = setpgid(pid, pid) == 0 ? 0 : errno;
        int e2 = setpgid(pid, getpid()) == 0 ? 0 : errno;
        int self = setpgid(0, pid);
        write(hold[1], "x", 1);
        waitpid(pid, NULL, 0);
        printf("before exec %d; after exec %s, %s; parent joins the child's group %d\\n", before, strerror(e1), strerror(e2), self);
        return 0;
      }`);
    const expected = native([prog]).stdout;
    expect(expected).toBe("before exec 0; after exec Permission denied, Permission denied; parent joins the child's group 0\n");
    expect(runsc(['do', prog], { timeout: 60_000 }).stdout).toBe(expected);
  });
});

describe('runsc do: the root filesystem', () => {
  it('writes land in an in-memory overlay; the host is untouched', () => {
    const path = `/etc/tvisor-overlay-test-${process.pid}`;
    const r = runsc(['do', BUSYBOX, 'sh', '-c', `echo written > ${path}; cat ${path}; rm /etc/hostname; ls /etc/hostname`]);
    expect(r.stdout).toBe('written\n');
    expect(r.stderr).toMatch(/No such file or directory/);
    expect(existsSync(path)).toBe(false);
    expect(existsSync('/etc/hostname')).toBe(true);
  });

  it('/dev holds the sandbox devices', () => {
    const r = runsc([
      'do',
      BUSYBOX,
      'sh',
      '-c',
      'echo dev:; ls /dev; echo x > /dev/null; echo $?; head -c 5 /dev/zero | wc -c; head -c 16 /dev/urandom | wc -c',
    ]);
    expect(r.stdout).toBe('dev:\nfd\nfull\nkmsg\nnet\nnull\nptmx\npts\nrandom\nshm\nstderr\nstdin\nstdout\ntty\nurandom\nzero\n0\n5\n16\n');
  });
});

describe("runsc do: /tmp (gVisor's rule: a fresh tmpfs only when the root's /tmp is empty)", () => {
  /** A root holding a static busybox and a /tmp with `tmpFiles` in it. */
  function makeRoot(tmpFiles: string[]): string {
    const root = mkdtempSync(join(HOST_SCRATCH, 'tvisor-root-'));
    for (const d of ['bin', 'tmp', 'dev', 'proc']) mkdirSync(join(root, d));
    copyFileSync(BUSYBOX, join(root, 'bin/busybox'));
    chmodSync(join(root, 'bin/busybox'), 0o755);
    for (const f of tmpFiles) {
      mkdirSync(dirname(join(root, 'tmp', f)), { recursive: true });
      copyFileSync(BUSYBOX, join(root, 'tmp', f));
      chmodSync(join(root, 'tmp', f), 0o755);
    }
    return root;
  }

  it('an empty /tmp in the root gets a fresh tmpfs: writes land there, not on the host', () => {
    const root = makeRoot([]);
    const r = runsc(['do', '-root', root, '/bin/busybox', 'sh', '-c', 'echo hi > /tmp/new; cat /tmp/new; /bin/busybox stat -f -c %T /tmp']);
    expect(r.stdout).toBe('hi\ntmpfs\n');
    expect(readdirSync(join(root, 'tmp'))).toEqual([]);
  });

  it("a /tmp with files is the root's, behind the overlay: a program there runs from its own directory, writes stay in memory", () => {
    const root = makeRoot(['work/busybox']);
    const r = runsc(['do', '-root', root, '-cwd', '/tmp/work', './busybox', 'sh', '-c', 'pwd; ls /tmp; echo x > /tmp/written; cat /tmp/written']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('/tmp/work\nwork\nx\n');
    expect(r.status).toBe(0);
    expect(readdirSync(join(root, 'tmp'))).toEqual(['work']);
  });

  it("from a directory under the host's /tmp, `runsc do ./t` runs the program there", () => {
    const dir = mkdtempSync('/tmp/tvisor-w-');
    copyFileSync('/bin/true', join(dir, 't'));
    chmodSync(join(dir, 't'), 0o755);
    const r = spawnSync(process.execPath, [RUNSC, 'do', './t'], { cwd: dir, encoding: 'utf8', env: testEnv(), timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    rmSync(dir, { recursive: true });
  });
});

describe('runsc do: pipes', () => {
  it('open(2) of a FIFO waits for the other end (ENXIO for a nonblocking writer; a signal ends the wait with EINTR)', () => {
    const prog = compileC(`#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
static void on_alarm(int s) { (void)s; }
int main(void) {
  const char *path = "/tmp/fifo-open-test";
  unlink(path);
  mkfifo(path, 0600);
  setvbuf(stdout, NULL, _IONBF, 0);
  int fd = open(path, O_WRONLY | O_NONBLOCK);
  printf("nonblocking writer, no reader: %d %s\\n", fd, fd < 0 ? strerror(errno) : "");
  fd = open(path, O_RDONLY | O_NONBLOCK);
  printf("nonblocking reader: %s\\n", fd >= 0 ? "opened" : strerror(errno));
  close(fd);
  pid_t p = fork();
  if (p == 0) {
    struct timespec d = { 0, 100000000 };
    nanosleep(&d, 0);
    printf("child opening for read\\n");
    int r = open(path, O_RDONLY);
    char buf[32] = {0};
    read(r, buf, sizeof buf - 1);
    printf("child read: %s\\n", buf);
    _exit(0);
  }
  int w = open(path, O_WRONLY);
  printf("parent opened for write\\n");
  write(w, "hello", 5);
  close(w);
  waitpid(p, NULL, 0);
  struct sigaction sa = { .sa_handler = on_alarm };
  sigaction(SIGALRM, &sa, 0);
  alarm(1);
  fd = open(path, O_RDONLY);
  printf("reader with no writer, interrupted: %d %s\\n", fd, fd < 0 ? strerror(errno) : "");
  unlink(path);
  return 0;
}
`);
    const r = runsc(['do', prog]);
    expect(r.stdout).toBe(native([prog]).stdout);
    expect(r.stdout).toContain('child opening for read\nparent opened for write\n');
  });

  it('pipelines carry data between processes and block without spinning', () => {
    const script = 'busybox seq 1 20000 | busybox tail -1; echo hello | busybox tr a-z A-Z; busybox yes | busybox head -2';
    const r = runsc(['do', BUSYBOX, 'sh', '-c', script]);
    expect(r.stdout).toBe(native([BUSYBOX, 'sh', '-c', script]).stdout);
    expect(r.status).toBe(0);
  });

  it('a writer to a pipe without readers dies of SIGPIPE', () => {
    const prog = compileC(`
      #include <stdio.h>
      #include <unistd.h>
      int main(void) {
        int p[2];
        if (pipe(p)) return 1;
        close(p[0]);
        write(p[1], "x", 1);
        return 3;
      }`);
    expect(native([prog]).signal).toBe('SIGPIPE');
    expect(runsc(['do', prog]).status).toBe(128 + 13);
  });

  it('bash pipelines and command substitution match native bash', () => {
    const script = 'x=$(echo sub); echo $x; for i in 3 1 2; do echo $i; done | sort | tr "\\n" " "; echo';
    const r = runsc(['do', '/bin/bash', '-c', script]);
    expect(r.stdout).toBe(native(['/bin/bash', '-c', script]).stdout);
  });
});

describe('runsc do: bad executables', () => {
  it('a signal with SA_RESTART during vfork is delivered after it, and vfork is not repeated', () => {
    const prog = compileC(`
      #define _GNU_SOURCE
      #include <signal.h>
      #include <stdio.h>
      #include <time.h>
      #include <unistd.h>
      #include <sys/syscall.h>
      #include <sys/wait.h>
      static volatile int handled;
      static void on_usr1(int s) { (void)s; handled++; }
      int main(void) {
        struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
        sigaction(SIGUSR1, &sa, 0);
        pid_t parent = getpid();
        pid_t p = vfork();
        if (p == 0) {
          struct timespec d = { 0, 100000000 };
          syscall(SYS_kill, parent, SIGUSR1);
          syscall(SYS_nanosleep, &d, 0);
          _exit(7);
        }
        int children = 0, status;
        while (wait(&status) > 0) children++;
        printf("children=%d handled=%d exit=%d\\n", children, handled, WEXITSTATUS(status));
        return 0;
      }`);
    const r = runsc(['do', prog]);
    expect(r.stdout).toBe(native([prog]).stdout);
    expect(r.stdout).toBe('children=1 handled=1 exit=7\n');
  });

  it('execve starts the new image with fresh FP state (MXCSR), also when the host process is reused', () => {
    const prog = compileC(`
      #include <stdio.h>
      #include <unistd.h>
      #include <xmmintrin.h>
      int main(int argc, char **argv) {
        if (argc > 1) { printf("after exec: mxcsr=%#x\\n", _mm_getcsr()); return 0; }
        _mm_setcsr(_mm_getcsr() | 0x6000); /* round toward zero */
        printf("before exec: mxcsr=%#x\\n", _mm_getcsr());
        fflush(stdout);
        char *args[] = { argv[0], "check", 0 };
        execv("/proc/self/exe", args);
        return 1;
      }`);
    const r = runsc(['do', prog]);
    expect(r.stdout).toBe(native([prog]).stdout);
    expect(r.stdout).toContain('after exec: mxcsr=0x1f80');
  });

  it('execve of malformed ELFs fails with ENOEXEC and the sentry goes on', () => {
    const prog = compileC(`
      #include <errno.h>
      #include <fcntl.h>
      #include <stdio.h>
      #include <string.h>
      #include <unistd.h>
      static void try_exec(const char *name, const unsigned char *bytes, size_t n) {
        char path[64];
        snprintf(path, sizeof path, "/tmp/%s", name);
        int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0755);
        write(fd, bytes, n);
        close(fd);
        char *argv[] = { path, NULL };
        execv(path, argv);
        printf("%s: %s\\n", name, strerror(errno));
      }
      int main(void) {
        unsigned char hdr[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
        try_exec("truncated", hdr, 20);
        hdr[16] = 2; hdr[18] = 62; hdr[20] = 1; hdr[54] = 56; hdr[56] = 200;
        try_exec("phdrs-past-eof", hdr, sizeof hdr);
        try_exec("empty", hdr, 0);
        return 0;
      }`);
    const expected = native([prog]).stdout;
    expect(expected).toBe('truncated: Exec format error\nphdrs-past-eof: Exec format error\nempty: Exec format error\n');
    expect(runsc(['do', prog]).stdout).toBe(expected);
  });

  it('argv beyond the argument space fails with E2BIG', () => {
    const script = 'x=$(head -c 200000 /dev/zero | tr "\\\\0" a); /bin/true "$x"; echo $?';
    const r = runsc(['do', '/bin/bash', '-c', script]);
    expect(r.stdout).toBe(native(['/bin/bash', '-c', script]).stdout);
  });
});
