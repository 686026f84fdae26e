import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

describe('runsc do: pipes as Linux has them', () => {
  it('F_GETPIPE_SZ/F_SETPIPE_SZ round, refuse and resize; packet mode; a blocking write waits until all is in', () => {
    const prog = compileC(
      `
      #define _GNU_SOURCE
      #include <errno.h>
      #include <fcntl.h>
      #include <pthread.h>
      #include <stdio.h>
      #include <string.h>
      #include <sys/ioctl.h>
      #include <unistd.h>
      static int p[2];
      static long got;
      static void *drain(void *arg) {
        (void)arg;
        char buf[5000];
        ssize_t n;
        while ((n = read(p[0], buf, sizeof buf)) > 0) got += n;
        return 0;
      }
      static const char *err(int r) { return r < 0 ? strerrorname_np(errno) : "ok"; }
      int main(void) {
        pipe(p);
        printf("default %d\\n", fcntl(p[0], F_GETPIPE_SZ));
        int r;
        r = fcntl(p[0], F_SETPIPE_SZ, 0);
        printf("set0 %d get %d\\n", r, fcntl(p[1], F_GETPIPE_SZ));
        printf("set5000 %d\\n", fcntl(p[1], F_SETPIPE_SZ, 5000));
        r = fcntl(p[0], F_SETPIPE_SZ, 0x7fffffffffffffffL);
        printf("huge %d %s\\n", r, err(r));
        r = fcntl(open("/", O_RDONLY), F_GETPIPE_SZ);
        printf("not a pipe %d %s\\n", r, err(r));
        char big[8192] = {0};
        printf("fill %zd\\n", write(p[1], big, sizeof big));
        int queued = -1, queuedW = -1;
        ioctl(p[0], FIONREAD, &queued);
        ioctl(p[1], FIONREAD, &queuedW);
        printf("FIONREAD %d %d\\n", queued, queuedW);
        r = fcntl(p[1], F_SETPIPE_SZ, 4096);
        printf("shrink full %d %s\\n", r, err(r));
        char small[100];
        while (read(p[0], small, sizeof small) == sizeof small && fcntl(p[1], F_SETPIPE_SZ, 4096) < 0) {}
        printf("shrunk %d\\n", fcntl(p[1], F_GETPIPE_SZ));
        close(p[0]);
        close(p[1]);

        // Packet mode: each write is one read; a short read drops the rest of its packet.
        pipe2(p, O_DIRECT | O_NONBLOCK);
        write(p[1], "first packet", 12);
        write(p[1], "second", 6);
        char buf[64];
        ssize_t a = read(p[0], buf, 5);
        ssize_t b = read(p[0], buf + 5, sizeof buf - 5);
        ssize_t c = read(p[0], buf + 20, 1);
        printf("packets %zd [%.5s] %zd [%.6s] then %zd %s\\n", a, buf, b, buf + 5, c, err(c));
        printf("getfl direct %d\\n", (fcntl(p[1], F_GETFL) & O_DIRECT) != 0);
        close(p[0]);
        close(p[1]);

        // A blocking write of four pipe-fulls returns only when the reader took it all.
        pipe(p);
        pthread_t t;
        pthread_create(&t, 0, drain, 0);
        static char data[4 * 65536];
        printf("big write %zd\\n", write(p[1], data, sizeof data));
        close(p[1]);
        pthread_join(t, 0);
        printf("drained %ld\\n", got);
        return 0;
      }`,
      ['-static', '-pthread'],
    );
    const expected = native([prog]).stdout;
    expect(expected).toContain(
      'set0 4096 get 4096\nset5000 8192\nhuge -1 EINVAL\nnot a pipe -1 EBADF\nfill 8192\nFIONREAD 8192 8192\nshrink full -1 EBUSY\nshrunk 4096\n',
    );
    expect(runsc(['do', prog]).stdout).toBe(expected);
  });

  it('splice and tee: SPLICE_F_NONBLOCK, tee copies without consuming, RLIMIT_FSIZE leaves the data in the pipe, offset overflow, vmsplice', () => {
    const prog = compileC(`
      #define _GNU_SOURCE
      #include <errno.h>
      #include <fcntl.h>
      #include <signal.h>
      #include <stdio.h>
      #include <string.h>
      #include <sys/resource.h>
      #include <sys/uio.h>
      #include <unistd.h>
      static const char *err(long r) { return r < 0 ? strerrorname_np(errno) : "ok"; }
      int main(void) {
        int a[2], b[2];
        pipe(a);
        pipe(b);
        long r = splice(a[0], 0, b[1], 0, 4096, SPLICE_F_NONBLOCK);
        printf("splice empty %ld %s\\n", r, err(r));
        r = tee(a[0], b[1], 4096, SPLICE_F_NONBLOCK);
        printf("tee empty %ld %s\\n", r, err(r));
        r = tee(a[0], a[1], 1, 0);
        printf("tee same pipe %ld %s\\n", r, err(r));
        write(a[1], "hello", 5);
        printf("tee %ld\\n", tee(a[0], b[1], 100, 0));
        char buf[16] = {0};
        printf("copy [%.*s]\\n", (int)read(b[0], buf, sizeof buf), buf);
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGXFSZ);
        sigprocmask(SIG_BLOCK, &set, 0);
        int f = open("/tmp/splice-fsize", O_CREAT | O_RDWR | O_TRUNC, 0600);
        ftruncate(f, 8192);
        lseek(f, 0, SEEK_END);
        struct rlimit rl = { 8192, 8192 };
        setrlimit(RLIMIT_FSIZE, &rl);
        r = splice(a[0], 0, f, 0, 5, 0);
        printf("splice past RLIMIT_FSIZE %ld %s\\n", r, err(r));
        sigpending(&set);
        printf("SIGXFSZ pending %d\\n", sigismember(&set, SIGXFSZ));
        loff_t off = 0x7ffffffffffffffeLL;
        r = splice(a[0], 0, f, &off, 5, 0);
        printf("splice offset overflow %ld %s\\n", r, err(r));
        memset(buf, 0, sizeof buf);
        printf("still queued [%.*s]\\n", (int)read(a[0], buf, sizeof buf), buf);
        struct iovec iov[2] = { { "vm", 2 }, { "splice", 6 } };
        printf("vmsplice %ld\\n", vmsplice(a[1], iov, 2, 0));
        memset(buf, 0, sizeof buf);
        printf("read [%.*s]\\n", (int)read(a[0], buf, sizeof buf), buf);
        return 0;
      }`);
    const expected = native([prog]).stdout;
    expect(expected).toContain('splice past RLIMIT_FSIZE -1 EFBIG\nSIGXFSZ pending 1\nsplice offset overflow -1 EINVAL\nstill queued [hello]\n');
    expect(runsc(['do', prog]).stdout).toBe(expected);
  });

  it('signal-driven I/O: F_SETOWN/F_GETOWN(_EX), F_SETSIG with si_fd and si_band, FIOASYNC, and the O_PATH refusals', () => {
    const prog = compileC(`
      #define _GNU_SOURCE
      #include <errno.h>
      #include <fcntl.h>
      #include <signal.h>
      #include <stdio.h>
      #include <string.h>
      #include <sys/ioctl.h>
      #include <unistd.h>
      static volatile int got, gotFd, gotCode;
      static volatile long gotBand;
      static void onSignal(int sig, siginfo_t *si, void *uc) {
        (void)uc;
        got = sig;
        gotFd = si->si_fd;
        gotBand = si->si_band;
        gotCode = si->si_code;
      }
      static const char *err(long r) { return r < 0 ? strerrorname_np(errno) : "ok"; }
      int main(void) {
        struct sigaction sa = { 0 };
        sa.sa_sigaction = onSignal;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGUSR1, &sa, 0);
        sigaction(SIGIO, &sa, 0);
        int p[2];
        pipe2(p, O_NONBLOCK);
        printf("owner none %d sig %d\\n", fcntl(p[0], F_GETOWN), fcntl(p[0], F_GETSIG));
        long r = fcntl(p[0], F_SETOWN, 0x7ffffff0);
        printf("no such owner %ld %s\\n", r, err(r));
        fcntl(p[0], F_SETOWN, getpid());
        struct f_owner_ex ex;
        fcntl(p[0], F_GETOWN_EX, &ex);
        printf("owner %d ex type %d is pid %d\\n", fcntl(p[0], F_GETOWN) == getpid(), ex.type, ex.pid == getpid());
        fcntl(p[0], F_SETSIG, SIGUSR1);
        r = fcntl(p[0], F_SETSIG, 65);
        printf("bad signal %ld %s\\n", r, err(r));
        int rd = dup(p[0]);
        int on = 1;
        ioctl(rd, FIOASYNC, &on);
        printf("FIOASYNC sets O_ASYNC %d\\n", (fcntl(p[0], F_GETFL) & O_ASYNC) != 0);
        write(p[1], "x", 1);
        printf("signal %s fd is dup %d band %lx code %d\\n", sigabbrev_np(got), gotFd == rd, gotBand, gotCode);
        got = 0;
        char c;
        read(p[0], &c, 1);
        printf("reading the end gives nothing: %d\\n", got);
        fcntl(p[0], F_SETSIG, 0);
        write(p[1], "y", 1);
        printf("default %s\\n", got ? sigabbrev_np(got) : "none");
        int path = open("/", O_PATH);
        r = fcntl(path, F_SETOWN, getpid());
        long r2 = ioctl(path, FIONBIO, &on);
        printf("O_PATH setown %ld %s, ioctl %ld %s\\n", r, err(r), r2, err(r2));
        return 0;
      }`);
    const expected = native([prog]).stdout;
    expect(expected).toContain('signal USR1 fd is dup 1 band 41 code 1\nreading the end gives nothing: 0\ndefault POLL\n');
    expect(runsc(['do', prog]).stdout).toBe(expected);
  });
});
