import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

// Blocking socket calls that Linux returns from: each program runs natively
// and under `runsc do`, and the outputs must be identical. Every wait in
// these programs is bounded by a socket timeout or a timer signal, so a
// regression shows as a diff (or the test's own timeout), not as a hang of
// the whole suite.

const PRELUDE = String.raw`#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <signal.h>
#include <time.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#define TRY(label, expr) do { errno = 0; long r_ = (long)(expr); int e_ = errno; printf("%s: %ld %s\n", label, r_, r_ < 0 ? strerror(e_) : "ok"); } while (0)
static long ms_since(struct timespec *a) { struct timespec b; clock_gettime(CLOCK_MONOTONIC, &b); return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000; }
static void set_timeo(int fd, int opt, long sec, long usec) { struct timeval tv = { sec, usec }; if (setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof tv)) perror("setsockopt"); }
`;

function sameAsLinux(body: string): string {
  const prog = compileC(PRELUDE + body);
  const want = native([prog]);
  expect(want.status, want.stderr).toBe(0);
  const got = runsc(['do', prog]);
  expect(got.stderr).toBe('');
  expect(got.stdout).toBe(want.stdout);
  expect(got.status).toBe(0);
  return got.stdout;
}

describe('blocking socket calls return where Linux returns', () => {
  it('a negative SO_RCVTIMEO never waits (read, readv, recv, recvmsg, accept) and reads back as zero', () => {
    const out = sameAsLinux(String.raw`
int main(void) {
  int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
  for (int i = 0; i < 3; i++) {
    int sv[2]; socketpair(AF_UNIX, types[i], 0, sv);
    set_timeo(sv[0], SO_RCVTIMEO, -1, 0);
    struct timeval tv = { 7, 7 }; socklen_t len = sizeof tv;
    getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, &len);
    printf("type %d reads back %ld.%06ld\n", types[i], (long)tv.tv_sec, (long)tv.tv_usec);
    char buf[8];
    struct iovec iov = { buf, sizeof buf };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    TRY("read", read(sv[0], buf, sizeof buf));
    TRY("readv", readv(sv[0], &iov, 1));
    TRY("recv", recv(sv[0], buf, sizeof buf, 0));
    TRY("recvmsg", recvmsg(sv[0], &m, 0));
  }
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  bind(l, (struct sockaddr *)&a, sizeof a);
  listen(l, 1);
  set_timeo(l, SO_RCVTIMEO, -5, 0);
  TRY("accept", accept(l, NULL, NULL));
  return 0;
}
`);
    expect(out).toContain('read: -1 Resource temporarily unavailable');
  });

  it('MSG_WAITALL on a non-blocking stream (or with MSG_DONTWAIT) returns what is queued, EAGAIN only when nothing is', () => {
    const out = sameAsLinux(String.raw`#include <fcntl.h>
int main(void) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t al = sizeof a;
  bind(l, (struct sockaddr *)&a, sizeof a);
  getsockname(l, (struct sockaddr *)&a, &al);
  listen(l, 1);
  int pairs[2][2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, pairs[0]);
  pairs[1][0] = socket(AF_INET, SOCK_STREAM, 0);
  connect(pairs[1][0], (struct sockaddr *)&a, sizeof a);
  pairs[1][1] = accept(l, NULL, NULL);
  const char *names[] = { "unix", "tcp" };
  for (int i = 0; i < 2; i++) {
    int *sv = pairs[i];
    char buf[200];
    set_timeo(sv[1], SO_RCVTIMEO, 1, 0);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    printf("%s ", names[i]); TRY("O_NONBLOCK WAITALL, nothing queued", recv(sv[1], buf, sizeof buf, MSG_WAITALL));
    write(sv[0], buf, 100);
    // TCP over loopback: wait until the bytes are readable without consuming them.
    poll(&(struct pollfd){ .fd = sv[1], .events = POLLIN }, 1, -1);
    printf("%s ", names[i]); TRY("O_NONBLOCK WAITALL, 100 of 200 queued", recv(sv[1], buf, sizeof buf, MSG_WAITALL));
    fcntl(sv[1], F_SETFL, 0);
    write(sv[0], buf, 60);
    poll(&(struct pollfd){ .fd = sv[1], .events = POLLIN }, 1, -1);
    printf("%s ", names[i]); TRY("MSG_DONTWAIT|WAITALL, 60 of 200 queued", recv(sv[1], buf, sizeof buf, MSG_WAITALL | MSG_DONTWAIT));
  }
  return 0;
}
`);
    expect(out).toContain('unix O_NONBLOCK WAITALL, 100 of 200 queued: 100 ok');
    expect(out).toContain('tcp MSG_DONTWAIT|WAITALL, 60 of 200 queued: 60 ok');
  });

  it('SO_RCVTIMEO and SO_SNDTIMEO end read(2)/write(2)/recv/send/accept with EAGAIN after the timeout, on unix and TCP sockets', () => {
    sameAsLinux(String.raw`#include <fcntl.h>
int main(void) {
  int sv[2]; socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  set_timeo(sv[0], SO_RCVTIMEO, 0, 100000);
  char buf[8]; struct timespec t0;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  TRY("unix read", read(sv[0], buf, sizeof buf));
  printf("waited at least 100 ms: %d\n", ms_since(&t0) >= 99);
  struct iovec iov = { buf, sizeof buf };
  TRY("unix readv", readv(sv[0], &iov, 1));
  /* Fill the send side without waiting, then a blocking write times out. */
  fcntl(sv[1], F_SETFL, O_NONBLOCK);
  static char chunk[4096];
  while (write(sv[1], chunk, sizeof chunk) > 0) {}
  fcntl(sv[1], F_SETFL, 0);
  set_timeo(sv[1], SO_SNDTIMEO, 0, 100000);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  TRY("unix write on a full buffer", write(sv[1], chunk, sizeof chunk));
  printf("waited at least 100 ms: %d\n", ms_since(&t0) >= 99);
  TRY("unix writev on a full buffer", writev(sv[1], &(struct iovec){ chunk, 10 }, 1));

  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t al = sizeof a;
  bind(l, (struct sockaddr *)&a, sizeof a);
  getsockname(l, (struct sockaddr *)&a, &al);
  listen(l, 1);
  set_timeo(l, SO_RCVTIMEO, 0, 100000);
  TRY("tcp accept", accept(l, NULL, NULL));
  int c = socket(AF_INET, SOCK_STREAM, 0);
  TRY("tcp connect", connect(c, (struct sockaddr *)&a, sizeof a));
  int s = accept(l, NULL, NULL);
  set_timeo(s, SO_RCVTIMEO, 0, 100000);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  TRY("tcp read", read(s, buf, sizeof buf));
  printf("waited at least 100 ms: %d\n", ms_since(&t0) >= 99);
  write(c, "hey", 3);
  TRY("tcp read after data", read(s, buf, sizeof buf));
  return 0;
}
`);
  });

  it('a signal ends a read(2) with SO_RCVTIMEO with EINTR even under SA_RESTART, and restarts one without a timeout', () => {
    sameAsLinux(String.raw`
static volatile int alarms;
static int wake_fd = -1;
/* The handler's write is what the restarted read then finds. */
static void on_alarm(int s) { (void)s; alarms++; if (wake_fd >= 0) write(wake_fd, "z", 1); }
int main(void) {
  struct sigaction sa = { 0 }; sa.sa_handler = on_alarm; sa.sa_flags = SA_RESTART; sigaction(SIGALRM, &sa, NULL);
  int sv[2]; socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  set_timeo(sv[0], SO_RCVTIMEO, 5, 0);
  char buf[8];
  ualarm(100000, 0);
  TRY("read with a timeout", read(sv[0], buf, sizeof buf));
  printf("alarms %d\n", alarms);
  set_timeo(sv[0], SO_RCVTIMEO, 0, 0);
  wake_fd = sv[1];
  ualarm(100000, 0);
  TRY("read restarted", read(sv[0], buf, sizeof buf));
  printf("alarms %d\n", alarms);
  return 0;
}
`);
  });

  it('datagram edge cases: a zero-length write is a datagram, read(2) of 0 bytes consumes nothing, MSG_ERRQUEUE never blocks, recvmmsg rejects a bad timeout', () => {
    sameAsLinux(String.raw`
int main(void) {
  int sv[2]; socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  char buf[8];
  TRY("zero-length write", write(sv[1], buf, 0));
  TRY("read it", read(sv[0], buf, sizeof buf));
  write(sv[1], "abc", 3);
  TRY("read 0 bytes", read(sv[0], buf, 0));
  int inq = -1; ioctl(sv[0], FIONREAD, &inq);
  printf("still queued: %d\n", inq);
  TRY("read it", read(sv[0], buf, sizeof buf));

  int u = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  bind(u, (struct sockaddr *)&a, sizeof a);
  char cbuf[128];
  struct iovec iov = { buf, sizeof buf };
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf };
  TRY("udp MSG_ERRQUEUE", recvmsg(u, &m, MSG_ERRQUEUE));
  int t = socket(AF_INET, SOCK_STREAM, 0);
  TRY("tcp MSG_ERRQUEUE", recvmsg(t, &m, MSG_ERRQUEUE));

  struct mmsghdr mm = { .msg_hdr = { .msg_iov = &iov, .msg_iovlen = 1 } };
  struct timespec bad = { -1, -1 };
  TRY("recvmmsg negative timeout", recvmmsg(sv[0], &mm, 1, 0, &bad));
  struct timespec badns = { 0, 1000000000 };
  TRY("recvmmsg nsec out of range", recvmmsg(sv[0], &mm, 1, 0, &badns));
  write(sv[1], "q", 1);
  struct timespec zero = { 0, 0 };
  TRY("recvmmsg zero timeout with a datagram queued", recvmmsg(sv[0], &mm, 1, 0, &zero));
  return 0;
}
`);
  });

  it('recvmmsg with a timeout and nothing queued returns EAGAIN when it expires (gVisor; Linux blocks, a known bug)', () => {
    const prog = compileC(
      PRELUDE +
        String.raw`
int main(void) {
  int sv[2]; socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  char buf[8]; struct iovec iov = { buf, sizeof buf };
  struct mmsghdr mm = { .msg_hdr = { .msg_iov = &iov, .msg_iovlen = 1 } };
  struct timespec zero = { 0, 0 }, short_wait = { 0, 50000000 };
  TRY("zero timeout", recvmmsg(sv[0], &mm, 1, 0, &zero));
  struct timespec t0; clock_gettime(CLOCK_MONOTONIC, &t0);
  TRY("50 ms timeout", recvmmsg(sv[0], &mm, 1, 0, &short_wait));
  printf("waited at least 50 ms: %d\n", ms_since(&t0) >= 49);
  return 0;
}
`,
    );
    const got = runsc(['do', prog]);
    expect(got.stderr).toBe('');
    expect(got.stdout).toBe(
      'zero timeout: -1 Resource temporarily unavailable\n50 ms timeout: -1 Resource temporarily unavailable\nwaited at least 50 ms: 1\n',
    );
  });
});
