import { describe, expect, it } from 'vitest';
import { compileC, native, runsc, runscWithLateStdin } from './helpers.js';

describe('runsc do: file transfer syscalls', () => {
  it('a read of the host stdin that must wait parks only its task: other tasks and timers go on', async () => {
    // stdin gets its line only after the background job, started while
    // `read` waits, has printed: a sentry stalled in the host read would
    // never print 'tick', and the test would time out.
    const script = '(sleep 0.3; echo tick) & read x; echo "got $x"; wait';
    const r = await runscWithLateStdin(['do', '/bin/bash', '-c', script], 'input\n', 'tick\n');
    expect(r.stdout).toBe('tick\ngot input\n');
    expect(r.status).toBe(0);
  });

  it('select(2) on the host stdin wakes when data arrives', async () => {
    // stdin gets its line once the program says it is about to select.
    const script =
      'import select, sys\nprint("selecting", flush=True)\nr, _, _ = select.select([sys.stdin], [], [], 5)\nprint("readable", bool(r), sys.stdin.readline().strip())';
    const r = await runscWithLateStdin(['do', '/usr/bin/python3', '-c', script], 'late\n', 'selecting\n');
    expect(r.stdout).toBe('selecting\nreadable True late\n');
  });

  it('sendfile, splice, copy_file_range, preadv/pwritev and close_range match Linux', () => {
    const prog = compileC(`
      #define _GNU_SOURCE
      #include <fcntl.h>
      #include <stdio.h>
      #include <string.h>
      #include <sys/sendfile.h>
      #include <sys/uio.h>
      #include <unistd.h>
      int main(void) {
        const char *path = "/tmp/io-test-src";
        int src = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
        write(src, "hello, transfer world\\n", 22);
        off_t off = 7;
        int p[2];
        pipe(p);
        ssize_t n1 = sendfile(p[1], src, &off, 8);
        char buf[64] = {0};
        ssize_t r1 = read(p[0], buf, sizeof buf);
        printf("sendfile %zd off %ld read %zd [%.*s]\\n", n1, (long)off, r1, (int)r1, buf);
        int dst = open("/tmp/io-test-dst", O_CREAT | O_RDWR | O_TRUNC, 0644);
        loff_t in = 0;
        ssize_t n2 = copy_file_range(src, &in, dst, NULL, 5, 0);
        lseek(src, 0, SEEK_SET);
        ssize_t n3 = splice(src, NULL, p[1], NULL, 22, 0);
        ssize_t n4 = splice(p[0], NULL, dst, NULL, 22, 0);
        struct iovec iov[2] = { { buf, 5 }, { buf + 5, 6 } };
        memset(buf, 0, sizeof buf);
        ssize_t n5 = preadv(dst, iov, 2, 5);
        printf("copy %zd splice %zd %zd preadv %zd [%s]\\n", n2, n3, n4, n5, buf);
        close_range(3, ~0U, 0);
        printf("closed %d\\n", fcntl(src, F_GETFD) == -1);
        return 0;
      }`);
    const expected = native([prog]).stdout;
    expect(expected).toMatch(/^sendfile 8 off 15 read 8 \[transfer\]/);
    expect(runsc(['do', prog]).stdout).toBe(expected);
  });
});

describe('runsc do: the kernel log', () => {
  it('dmesg (syslog and /dev/kmsg) shows a boot log with timestamps', () => {
    const r = runsc(['do', '/bin/busybox', 'dmesg']);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^\[ +0\.000000\] tVisor: /);
    expect(lines.some((l) => /Linux version 6\.1\.0-tvisor/.test(l))).toBe(true);
    expect(lines[2]).toMatch(/\] Command line: runsc do \/bin\/busybox dmesg$/);
    for (const l of lines) expect(l).toMatch(/^\[ *\d+\.\d{6}\] \S/);
    const kmsg = runsc(['do', '/usr/bin/dmesg']);
    expect(kmsg.stdout.trim().split('\n').length).toBe(lines.length);
  });

  it('a record written to /dev/kmsg appears in the log', () => {
    const r = runsc(['do', '/bin/busybox', 'sh', '-c', 'echo x > /dev/kmsg; busybox dmesg | tail -1']);
    expect(r.stdout).toMatch(/\] x\n$/);
  });
});

describe('runsc do: POSIX timers and extended attributes', () => {
  it('timer_create with an interval delivers SIGALRM with its value; overruns and deletion work', () => {
    const prog = compileC(`
      #include <signal.h>
      #include <stdio.h>
      #include <time.h>
      #include <unistd.h>
      static volatile sig_atomic_t fired, value;
      static void on_alarm(int s, siginfo_t *si, void *uc) { (void)s; (void)uc; fired++; value = si->si_value.sival_int; }
      int main(void) {
        struct sigaction sa = { 0 };
        sa.sa_sigaction = on_alarm;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGALRM, &sa, NULL);
        struct sigevent ev = { 0 };
        ev.sigev_notify = SIGEV_SIGNAL;
        ev.sigev_signo = SIGALRM;
        ev.sigev_value.sival_int = 77;
        timer_t id;
        if (timer_create(CLOCK_MONOTONIC, &ev, &id)) return 1;
        struct itimerspec its = { { 0, 20000000 }, { 0, 20000000 } };
        timer_settime(id, 0, &its, NULL);
        while (fired < 3) pause();
        struct itimerspec cur;
        timer_gettime(id, &cur);
        printf("fired>=3 value %d interval %ld\\n", value, cur.it_interval.tv_nsec);
        int first = timer_delete(id);
        int second = timer_delete(id);
        printf("delete %d again %d\\n", first, second);
        return 0;
      }`);
    const expected = native([prog]).stdout;
    expect(expected).toBe('fired>=3 value 77 interval 20000000\ndelete 0 again -1\n');
    expect(runsc(['do', prog]).stdout).toBe(expected);
  });

  it('user xattrs on a tmpfs file: set, get, list, remove, and ENODATA', () => {
    const prog = compileC(`
      #include <errno.h>
      #include <fcntl.h>
      #include <stdio.h>
      #include <string.h>
      #include <sys/xattr.h>
      #include <unistd.h>
      int main(void) {
        const char *p = "/tmp/xattr-file";
        close(open(p, O_CREAT | O_WRONLY, 0644));
        printf("set %d\\n", setxattr(p, "user.color", "blue", 4, XATTR_CREATE));
        printf("create again %d %s\\n", setxattr(p, "user.color", "red", 3, XATTR_CREATE), strerror(errno));
        char buf[64] = {0};
        ssize_t n = getxattr(p, "user.color", buf, sizeof buf);
        printf("get %zd %.*s size %zd\\n", n, (int)n, buf, getxattr(p, "user.color", NULL, 0));
        n = listxattr(p, buf, sizeof buf);
        printf("list %zd %s\\n", n, buf);
        printf("remove %d then get %zd %s\\n", removexattr(p, "user.color"), getxattr(p, "user.color", buf, sizeof buf), strerror(errno));
        return 0;
      }`);
    const expected = native([prog]).stdout;
    expect(expected).toMatch(/^set 0\n/);
    expect(runsc(['do', prog]).stdout).toBe(expected);
  });
});
