import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

// Linux is the oracle: each program runs natively and under `runsc do`, and
// the two outputs must be identical. Programs print results, never pids or
// ports (those differ between the host and the sandbox), and use socket
// paths under /tmp, which is writable in both.

const PRELUDE =
  '#define _GNU_SOURCE\n#include <stdio.h>\n#include <string.h>\n#include <unistd.h>\n#include <errno.h>\n#include <sys/socket.h>\n#include <sys/un.h>\n#define TRY(label, expr) do { errno = 0; long r_ = (long)(expr); int e_ = errno; printf("%s: %ld %s\\n", label, r_, r_ < 0 ? strerror(e_) : "ok"); } while (0)\n';

/** Whether the host has IPv6 on lo (net.ipv6.conf.lo.disable_ipv6 is 0). */
function hostHasIpv6Loopback(): boolean {
  try {
    return readFileSync('/proc/sys/net/ipv6/conf/lo/disable_ipv6', 'utf8').trim() === '0';
  } catch {
    return false;
  }
}

function sameAsLinux(body: string): void {
  const prog = compileC(PRELUDE + body);
  const want = native([prog]);
  expect(want.status, want.stderr).toBe(0);
  const got = runsc(['do', prog]);
  expect(got.stderr).toBe('');
  expect(got.stdout).toBe(want.stdout);
  expect(got.status).toBe(0);
}

describe('sockets under runsc do match Linux', () => {
  it('a socketpair stream echoes between parent and forked child; shutdown gives EOF', () => {
    sameAsLinux(String.raw`#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
int main(void) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0) { perror("socketpair"); return 1; }
  pid_t pid = fork();
  if (pid == 0) {
    close(sv[0]);
    char buf[64];
    ssize_t n;
    while ((n = read(sv[1], buf, sizeof buf)) > 0) {
      for (ssize_t i = 0; i < n; i++) if (buf[i] >= 'a' && buf[i] <= 'z') buf[i] -= 32;
      write(sv[1], buf, n);
    }
    _exit(0);
  }
  close(sv[1]);
  const char *msgs[] = {"hello", "world", "sockets"};
  for (int i = 0; i < 3; i++) {
    char buf[64];
    write(sv[0], msgs[i], strlen(msgs[i]));
    ssize_t n = read(sv[0], buf, sizeof buf);
    printf("%zd %.*s\n", n, (int)n, buf);
  }
  shutdown(sv[0], SHUT_WR);
  char b; printf("eof %zd\n", read(sv[0], &b, 1));
  int st; waitpid(pid, &st, 0);
  printf("child %d\n", WEXITSTATUS(st));
  return 0;
}
`);
  });

  it('a path-bound server and a forked client: bind errors, accept, getsockname/getpeername lengths, ECONNREFUSED/ENOENT after close', () => {
    sameAsLinux(String.raw`#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
static void show(const char *what, struct sockaddr_un *a, socklen_t len) {
  printf("%s len=%u family=%d path=%s\n", what, (unsigned)len, a->sun_family, len > 2 ? a->sun_path : "(unnamed)");
}
int main(void) {
  const char *path = "/tmp/tvisor-test.sock";
  unlink(path);
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un addr = {0};
  addr.sun_family = AF_UNIX;
  strcpy(addr.sun_path, path);
  struct sockaddr_un got; socklen_t len = sizeof got;
  getsockname(s, (struct sockaddr *)&got, &len);
  show("unbound", &got, len);
  TRY("listen unbound", listen(s, 5));
  if (bind(s, (struct sockaddr *)&addr, sizeof addr) < 0) { perror("bind"); return 1; }
  struct stat st; stat(path, &st);
  printf("is socket: %d\n", S_ISSOCK(st.st_mode));
  int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
  TRY("bind again", bind(s2, (struct sockaddr *)&addr, sizeof addr));
  TRY("bind twice", bind(s, (struct sockaddr *)&addr, sizeof addr));
  close(s2);
  len = sizeof got;
  getsockname(s, (struct sockaddr *)&got, &len);
  show("bound", &got, len);
  listen(s, 5);
  int acc; socklen_t alen = sizeof acc;
  getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &acc, &alen);
  printf("acceptconn=%d\n", acc);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&addr, sizeof addr) < 0) { perror("connect"); _exit(1); }
    struct sockaddr_un p; socklen_t pl = sizeof p;
    getpeername(c, (struct sockaddr *)&p, &pl);
    show("client peer", &p, pl);
    pl = sizeof p;
    getsockname(c, (struct sockaddr *)&p, &pl);
    show("client name", &p, pl);
    write(c, "ping", 4);
    char buf[16]; ssize_t n = read(c, buf, sizeof buf);
    printf("client got %.*s\n", (int)n, buf);
    fflush(stdout);
    _exit(0);
  }
  struct sockaddr_un peer; socklen_t plen = sizeof peer;
  int a = accept(s, (struct sockaddr *)&peer, &plen);
  show("accepted from", &peer, plen);
  len = sizeof got;
  getsockname(a, (struct sockaddr *)&got, &len);
  show("accepted name", &got, len);
  char buf[16]; ssize_t n = read(a, buf, sizeof buf);
  printf("server got %.*s\n", (int)n, buf);
  fflush(stdout);
  write(a, "pong", 4);
  int status; waitpid(pid, &status, 0);
  n = read(a, buf, sizeof buf);
  printf("after client exit: %zd\n", n);
  close(a); close(s);
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  TRY("connect closed", connect(c, (struct sockaddr *)&addr, sizeof addr));
  unlink(path);
  TRY("connect missing", connect(c, (struct sockaddr *)&addr, sizeof addr));
  return 0;
}
`);
  });

  it('datagrams keep boundaries, MSG_TRUNC in and out, FIONREAD/TIOCOUTQ, recvfrom senders, ECONNREFUSED once the peer is gone, seqpacket', () => {
    sameAsLinux(String.raw`#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/ioctl.h>
int main(void) {
  int sv[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  send(sv[0], "one", 3, 0);
  send(sv[0], "twotwo", 6, 0);
  send(sv[0], "", 0, 0);
  send(sv[0], "threethree", 10, 0);
  send(sv[0], "four", 4, 0);
  char buf[64];
  int avail = -1;
  ioctl(sv[1], FIONREAD, &avail);
  printf("FIONREAD dgram %d\n", avail);
  printf("recv %zd\n", recv(sv[1], buf, sizeof buf, 0));
  printf("peek %zd\n", recv(sv[1], buf, 3, MSG_PEEK));
  struct iovec iov = { buf, 3 };
  struct msghdr m = {0}; m.msg_iov = &iov; m.msg_iovlen = 1;
  ssize_t n = recvmsg(sv[1], &m, 0);
  printf("recvmsg %zd trunc=%d %.3s\n", n, !!(m.msg_flags & MSG_TRUNC), buf);
  printf("empty %zd\n", recv(sv[1], buf, sizeof buf, 0));
  printf("MSG_TRUNC %zd\n", recv(sv[1], buf, 2, MSG_TRUNC));
  int type; socklen_t tl = sizeof type;
  getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &type, &tl);
  printf("type=%d\n", type);
  printf("four %zd\n", read(sv[1], buf, sizeof buf));
  TRY("nothing", recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
  // Named datagram sockets: recvfrom reports the sender.
  int a = socket(AF_UNIX, SOCK_DGRAM, 0), b = socket(AF_UNIX, SOCK_DGRAM, 0), c = socket(AF_UNIX, SOCK_DGRAM, 0);
  struct sockaddr_un aa = { AF_UNIX }, ba = { AF_UNIX };
  strcpy(aa.sun_path, "/tmp/tvisor-dgram-a"); strcpy(ba.sun_path, "/tmp/tvisor-dgram-b");
  unlink(aa.sun_path); unlink(ba.sun_path);
  bind(a, (struct sockaddr *)&aa, sizeof aa);
  bind(b, (struct sockaddr *)&ba, sizeof ba);
  sendto(b, "from b", 6, 0, (struct sockaddr *)&aa, sizeof aa);
  sendto(c, "from c", 6, 0, (struct sockaddr *)&aa, sizeof aa);
  struct sockaddr_un from; socklen_t fl = sizeof from;
  n = recvfrom(a, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
  printf("%.*s fromlen=%u path=%s\n", (int)n, buf, (unsigned)fl, from.sun_path);
  fl = sizeof from;
  n = recvfrom(a, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
  printf("%.*s fromlen=%u\n", (int)n, buf, (unsigned)fl);
  TRY("send unconnected", send(c, "x", 1, 0));
  connect(c, (struct sockaddr *)&aa, sizeof aa);
  printf("send connected: %zd\n", send(c, "x", 1, 0));
  TRY("b to c (connected elsewhere)", sendto(b, "y", 1, 0, (struct sockaddr *)&aa, sizeof aa));
  close(a);
  TRY("send to closed", send(c, "x", 1, 0));
  TRY("send again", send(c, "x", 1, 0));
  unlink(aa.sun_path); unlink(ba.sun_path);
  int st[2]; socketpair(AF_UNIX, SOCK_STREAM, 0, st);
  write(st[0], "12345", 5); write(st[0], "678", 3);
  int inq = -1, outq = -1;
  ioctl(st[1], FIONREAD, &inq); ioctl(st[0], TIOCOUTQ, &outq);
  printf("FIONREAD stream %d\n", inq);
  printf("TIOCOUTQ stream nonzero %d\n", outq > 0);
  // seqpacket keeps boundaries on a connection
  int sp[2];
  socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp);
  write(sp[0], "abc", 3); write(sp[0], "defgh", 5);
  printf("seq %zd\n", read(sp[1], buf, 2));
  printf("seq %zd\n", read(sp[1], buf, sizeof buf));
  close(sp[0]);
  printf("seq eof %zd\n", read(sp[1], buf, sizeof buf));
  return 0;
}
`);
  });

  it('SCM_RIGHTS passes a pipe fd from a child, SCM_CREDENTIALS with SO_PASSCRED, SO_PEERCRED, MSG_CTRUNC', () => {
    sameAsLinux(String.raw`#include <sys/wait.h>
#include <fcntl.h>
int main(void) {
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  int on = 1;
  setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    int p[2];
    pipe(p);
    write(p[1], "through the pipe", 16);
    close(p[1]);
    char data[] = "x";
    struct iovec iov = { data, 1 };
    union { char buf[CMSG_SPACE(sizeof(int))]; struct cmsghdr align; } u;
    struct msghdr m = {0};
    m.msg_iov = &iov; m.msg_iovlen = 1; m.msg_control = u.buf; m.msg_controllen = sizeof u.buf;
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET; c->cmsg_type = SCM_RIGHTS; c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &p[0], sizeof(int));
    if (sendmsg(sv[1], &m, 0) != 1) _exit(1);
    close(p[0]);
    _exit(0);
  }
  char data[8];
  struct iovec iov = { data, sizeof data };
  union { char buf[256]; struct cmsghdr align; } u;
  struct msghdr m = {0};
  m.msg_iov = &iov; m.msg_iovlen = 1; m.msg_control = u.buf; m.msg_controllen = sizeof u.buf;
  ssize_t n = recvmsg(sv[0], &m, MSG_CMSG_CLOEXEC);
  printf("recvmsg %zd flags=%d controllen=%zu\n", n, m.msg_flags, (size_t)m.msg_controllen);
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
    printf("cmsg level=%d type=%d len=%zu\n", c->cmsg_level, c->cmsg_type, (size_t)c->cmsg_len);
    if (c->cmsg_type == SCM_CREDENTIALS) {
      struct ucred cr; memcpy(&cr, CMSG_DATA(c), sizeof cr);
      printf("creds from child: %d uid=%d gid=%d\n", cr.pid == pid, cr.uid, cr.gid);
    }
    if (c->cmsg_type == SCM_RIGHTS) {
      int fd; memcpy(&fd, CMSG_DATA(c), sizeof fd);
      printf("cloexec=%d\n", fcntl(fd, F_GETFD));
      char buf[64]; ssize_t k = read(fd, buf, sizeof buf);
      printf("pipe says: %.*s\n", (int)k, buf);
    }
  }
  struct ucred cr; socklen_t cl = sizeof cr;
  getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cr, &cl);
  printf("peercred len=%u pid is me=%d uid=%d gid=%d\n", (unsigned)cl, cr.pid == getpid(), cr.uid, cr.gid);
  int st; waitpid(pid, &st, 0);
  printf("child exit %d\n", WEXITSTATUS(st));
  // Too little control room: MSG_CTRUNC, the fd is not installed.
  int p[2]; pipe(p);
  char one = 'y';
  struct iovec iov2 = { &one, 1 };
  union { char buf[CMSG_SPACE(2 * sizeof(int))]; struct cmsghdr align; } u2;
  struct msghdr m2 = {0};
  m2.msg_iov = &iov2; m2.msg_iovlen = 1; m2.msg_control = u2.buf; m2.msg_controllen = sizeof u2.buf;
  struct cmsghdr *c = CMSG_FIRSTHDR(&m2);
  c->cmsg_level = SOL_SOCKET; c->cmsg_type = SCM_RIGHTS; c->cmsg_len = CMSG_LEN(2 * sizeof(int));
  memcpy(CMSG_DATA(c), p, 2 * sizeof(int));
  TRY("sendmsg two fds", sendmsg(sv[1], &m2, 0));
  union { char buf[CMSG_LEN(sizeof(int))]; struct cmsghdr align; } u3;
  struct msghdr m3 = {0};
  m3.msg_iov = &iov; m3.msg_iovlen = 1; m3.msg_control = u3.buf; m3.msg_controllen = sizeof u3.buf;
  int off = 0; setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &off, sizeof off);
  n = recvmsg(sv[0], &m3, 0);
  printf("short control: %zd ctrunc=%d controllen=%zu\n", n, !!(m3.msg_flags & MSG_CTRUNC), (size_t)m3.msg_controllen);
  c = CMSG_FIRSTHDR(&m3);
  if (c) printf("got %zu bytes of fds\n", (size_t)(c->cmsg_len - CMSG_LEN(0)));
  TRY("bad fd", ({ int bad = 99; memcpy(CMSG_DATA(CMSG_FIRSTHDR(&m2)), &bad, sizeof bad); sendmsg(sv[1], &m2, 0); }));
  return 0;
}
`);
  });

  it('abstract names, autobind, ECONNREFUSED, ECONNRESET/EPIPE, socket(2) argument errors', () => {
    sameAsLinux(String.raw`#include <stddef.h>
#include <signal.h>
int main(void) {
  int s = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a = { AF_UNIX };
  const char name[] = "\0tvisor-abstract";
  memcpy(a.sun_path, name, sizeof name - 1);
  socklen_t alen = offsetof(struct sockaddr_un, sun_path) + sizeof name - 1;
  TRY("bind abstract", bind(s, (struct sockaddr *)&a, alen));
  int s2 = socket(AF_UNIX, SOCK_STREAM, 0);
  TRY("bind same", bind(s2, (struct sockaddr *)&a, alen));
  struct sockaddr_un got; socklen_t gl = sizeof got;
  getsockname(s, (struct sockaddr *)&got, &gl);
  printf("name len=%u first=%d rest=%.*s\n", (unsigned)gl, got.sun_path[0], (int)(gl - 3), got.sun_path + 1);
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  TRY("connect before listen", connect(c, (struct sockaddr *)&a, alen));
  listen(s, 1);
  TRY("connect", connect(c, (struct sockaddr *)&a, alen));
  TRY("connect again", connect(c, (struct sockaddr *)&a, alen));
  int dg = socket(AF_UNIX, SOCK_DGRAM, 0);
  TRY("connect wrong type", connect(dg, (struct sockaddr *)&a, alen));
  // Autobind: sun_family alone.
  struct sockaddr_un au = { AF_UNIX };
  TRY("autobind", bind(s2, (struct sockaddr *)&au, sizeof(sa_family_t)));
  gl = sizeof got;
  getsockname(s2, (struct sockaddr *)&got, &gl);
  int hex = 1;
  for (unsigned i = 1; i < gl - 2; i++) hex &= (got.sun_path[i] >= '0' && got.sun_path[i] <= '9') || (got.sun_path[i] >= 'a' && got.sun_path[i] <= 'f');
  printf("autobind len=%u nul=%d hex=%d\n", (unsigned)gl, got.sun_path[0] == 0, hex);
  struct sockaddr_un none = { AF_UNIX };
  const char missing[] = "\0tvisor-nobody";
  memcpy(none.sun_path, missing, sizeof missing - 1);
  int c2 = socket(AF_UNIX, SOCK_STREAM, 0);
  TRY("connect nobody", connect(c2, (struct sockaddr *)&none, offsetof(struct sockaddr_un, sun_path) + sizeof missing - 1));
  TRY("write unconnected", write(c2, "x", 1));
  char b;
  TRY("read unconnected", read(c2, &b, 1));
  TRY("getpeername unconnected", ({ struct sockaddr_un p; socklen_t pl = sizeof p; getpeername(c2, (struct sockaddr *)&p, &pl); }));
  // Backlog: with backlog 1 a non-blocking connect fails with EAGAIN once the queue is full.
  int accepted = accept(s, NULL, NULL);
  TRY("accepted", accepted >= 0 ? 0 : -1);
  // Peer closes with unread data: ECONNRESET once, then EOF; writes get EPIPE.
  write(accepted, "unread", 6);
  write(c, "data", 4);
  close(accepted);
  char rb[32];
  TRY("read queued data", read(c, rb, sizeof rb));
  TRY("read after reset", read(c, rb, sizeof rb));
  TRY("read again", read(c, rb, sizeof rb));
  signal(SIGPIPE, SIG_IGN);
  TRY("write after close", write(c, "x", 1));
  TRY("send nosignal", send(c, "x", 1, MSG_NOSIGNAL));
  close(c);
  // Data then EOF when the peer closed cleanly.
  int sv[2]; socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  write(sv[0], "bye", 3); close(sv[0]);
  char buf[8];
  TRY("read data", read(sv[1], buf, sizeof buf));
  TRY("read eof", read(sv[1], buf, sizeof buf));
  TRY("listen dgram", listen(dg, 1));
  TRY("shutdown bad", shutdown(sv[1], 7));
  TRY("socket inet pair", ({ int p[2]; socketpair(AF_INET, SOCK_STREAM, 0, p); }));
  TRY("socket bad family", socket(12345, SOCK_STREAM, 0));
  TRY("socket bad type", socket(AF_UNIX, 9, 0));
  TRY("socket bad proto", socket(AF_UNIX, SOCK_STREAM, 7));
  TRY("not a socket", ({ int p[2]; pipe(p); shutdown(p[0], SHUT_RD); }));
  return 0;
}
`);
  });

  it('poll readiness (IN/OUT/HUP/RDHUP), full buffers, MSG_WAITALL across processes, SO_RCVTIMEO, backlog, accept4 flags, SIGPIPE, non-blocking TCP connect', () => {
    sameAsLinux(String.raw`#include <poll.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <arpa/inet.h>
static void showpoll(const char *what, int fd) {
  struct pollfd p = { fd, POLLIN | POLLOUT | POLLRDHUP, 0 };
  int r = poll(&p, 1, 0);
  printf("%s: %d%s%s%s%s%s\n", what, r, p.revents & POLLIN ? " IN" : "", p.revents & POLLOUT ? " OUT" : "",
         p.revents & POLLHUP ? " HUP" : "", p.revents & POLLRDHUP ? " RDHUP" : "", p.revents & POLLERR ? " ERR" : "");
}
int main(void) {
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  showpoll("fresh pair", sv[0]);
  write(sv[1], "x", 1);
  showpoll("data queued", sv[0]);
  shutdown(sv[1], SHUT_WR);
  showpoll("peer shut wr", sv[0]);
  showpoll("shut wr side", sv[1]);
  close(sv[1]);
  showpoll("peer closed", sv[0]);
  int u = socket(AF_UNIX, SOCK_STREAM, 0);
  showpoll("unconnected stream", u);
  int d = socket(AF_UNIX, SOCK_DGRAM, 0);
  showpoll("unconnected dgram", d);
  // Fill a non-blocking stream: EAGAIN, POLLOUT clears, and comes back after the reader drains.
  socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
  static char chunk[4096];
  size_t total = 0; ssize_t n;
  while ((n = write(sv[0], chunk, sizeof chunk)) > 0) total += n;
  printf("filled: %s more than 64k=%d\n", strerror(errno), total > 65536);
  showpoll("full", sv[0]);
  static char sink[1 << 20];
  n = read(sv[1], sink, sizeof sink);
  printf("drained all=%d\n", (size_t)n == total);
  showpoll("drained", sv[0]);
  // A blocking writer in a child moves 2 MB through a blocking pair; MSG_WAITALL collects it.
  int bp[2]; socketpair(AF_UNIX, SOCK_STREAM, 0, bp);
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    static char big[2 << 20];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (char)(i % 251);
    ssize_t w = write(bp[1], big, sizeof big);
    _exit(w == (ssize_t)sizeof big ? 0 : 1);
  }
  static char got[2 << 20];
  n = recv(bp[0], got, sizeof got, MSG_WAITALL);
  int ok = 1; for (size_t i = 0; i < sizeof got; i++) ok &= got[i] == (char)(i % 251);
  int st; waitpid(pid, &st, 0);
  printf("waitall %zd intact=%d writer=%d\n", n, ok, WEXITSTATUS(st));
  // SO_RCVTIMEO ends a blocking read with EAGAIN.
  struct timeval tv = { 0, 50000 };
  setsockopt(bp[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  TRY("timed recv", recv(bp[0], got, 10, 0));
  struct timeval back; socklen_t bl = sizeof back;
  getsockopt(bp[0], SOL_SOCKET, SO_RCVTIMEO, &back, &bl);
  printf("rcvtimeo at least 50ms: %d\n", back.tv_sec * 1000000 + back.tv_usec >= 50000);
  // Listen backlog: a non-blocking connect beyond it fails with EAGAIN.
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un la = { AF_UNIX }; strcpy(la.sun_path, "/tmp/tvisor-backlog"); unlink(la.sun_path);
  bind(l, (struct sockaddr *)&la, sizeof la);
  listen(l, 1);
  showpoll("listener", l);
  for (int i = 0; i < 3; i++) {
    int c = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    char label[32]; snprintf(label, sizeof label, "connect %d", i);
    TRY(label, connect(c, (struct sockaddr *)&la, sizeof la));
  }
  showpoll("listener with queue", l);
  int a4 = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  printf("accept4 nonblock=%d cloexec=%d\n", !!(fcntl(a4, F_GETFL) & O_NONBLOCK), fcntl(a4, F_GETFD));
  unlink(la.sun_path);
  // SIGPIPE kills a writer to a closed stream by default.
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    int p2[2]; socketpair(AF_UNIX, SOCK_STREAM, 0, p2);
    close(p2[1]);
    write(p2[0], "x", 1);
    _exit(0);
  }
  waitpid(pid, &st, 0);
  printf("writer killed by signal %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
  // Non-blocking TCP connect: EINPROGRESS or done, then writable and SO_ERROR 0.
  int ts = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in ta = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  bind(ts, (struct sockaddr *)&ta, sizeof ta);
  socklen_t tl = sizeof ta; getsockname(ts, (struct sockaddr *)&ta, &tl);
  listen(ts, 4);
  int tc = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int r = connect(tc, (struct sockaddr *)&ta, sizeof ta);
  printf("nonblocking connect: %s\n", r == 0 || errno == EINPROGRESS ? "ok" : strerror(errno));
  struct pollfd pf = { tc, POLLOUT, 0 };
  poll(&pf, 1, 1000);
  int err = -1; socklen_t el = sizeof err;
  getsockopt(tc, SOL_SOCKET, SO_ERROR, &err, &el);
  printf("writable=%d so_error=%d\n", !!(pf.revents & POLLOUT), err);
  int ta2 = accept(ts, NULL, NULL);
  send(tc, "tcp!", 4, 0);
  char tb[8];
  printf("tcp recv %zd\n", recv(ta2, tb, sizeof tb, 0));
  close(tc);
  pf.fd = ta2; pf.events = POLLIN | POLLRDHUP; poll(&pf, 1, 1000);
  printf("tcp peer closed: IN=%d RDHUP=%d read=%zd\n", !!(pf.revents & POLLIN), !!(pf.revents & POLLRDHUP), read(ta2, tb, sizeof tb));
  return 0;
}
`);
  });

  it('TCP over 127.0.0.1 between two processes (300 kB echo), ECONNREFUSED', () => {
    sameAsLinux(String.raw`#include <sys/wait.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
int main(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  int on = 1;
  TRY("reuseaddr", setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on));
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  TRY("bind", bind(s, (struct sockaddr *)&a, sizeof a));
  socklen_t al = sizeof a;
  getsockname(s, (struct sockaddr *)&a, &al);
  printf("bound len=%u addr=%s port>0=%d\n", (unsigned)al, inet_ntoa(a.sin_addr), ntohs(a.sin_port) > 0);
  TRY("listen", listen(s, 8));
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&a, sizeof a) < 0) { perror("connect"); _exit(1); }
    int nd = 1; setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &nd, sizeof nd);
    static char big[300000];
    for (size_t i = 0; i < sizeof big; i++) big[i] = (char)(i * 7);
    size_t off = 0;
    while (off < sizeof big) { ssize_t n = write(c, big + off, sizeof big - off); if (n <= 0) _exit(2); off += n; }
    shutdown(c, SHUT_WR);
    char buf[64]; ssize_t n = read(c, buf, sizeof buf);
    printf("client got reply: %.*s\n", (int)n, buf);
    fflush(stdout);
    close(c);
    _exit(0);
  }
  struct sockaddr_in peer; socklen_t pl = sizeof peer;
  int c = accept(s, (struct sockaddr *)&peer, &pl);
  printf("accepted len=%u from %s\n", (unsigned)pl, inet_ntoa(peer.sin_addr));
  size_t total = 0; unsigned long sum = 0; int ok = 1;
  char buf[8192];
  for (;;) {
    ssize_t n = read(c, buf, sizeof buf);
    if (n < 0) { perror("read"); return 1; }
    if (n == 0) break;
    for (ssize_t i = 0; i < n; i++) { ok &= buf[i] == (char)((total + i) * 7); sum += (unsigned char)buf[i]; }
    total += n;
  }
  printf("server read %zu bytes intact=%d\n", total, ok);
  char reply[64]; int k = snprintf(reply, sizeof reply, "got %zu", total);
  write(c, reply, k);
  int st; waitpid(pid, &st, 0);
  printf("child exit %d\n", WEXITSTATUS(st));
  int type, proto; socklen_t tl = sizeof type;
  getsockopt(c, SOL_SOCKET, SO_TYPE, &type, &tl); tl = sizeof proto;
  getsockopt(c, SOL_SOCKET, SO_PROTOCOL, &proto, &tl);
  printf("type=%d protocol=%d\n", type, proto);
  close(c); close(s);
  int r = socket(AF_INET, SOCK_STREAM, 0);
  TRY("connect refused", connect(r, (struct sockaddr *)&a, sizeof a));
  return 0;
}
`);
  });

  // The native run is the oracle, so this needs the host's ::1 (some hosts boot with IPv6 disabled).
  if (!hostHasIpv6Loopback()) console.log('sockets: UDP over ::1 skipped: the host has IPv6 disabled on lo (net.ipv6.conf.lo.disable_ipv6)');
  it.skipIf(!hostHasIpv6Loopback())('UDP over ::1', () => {
    sameAsLinux(String.raw`#include <netinet/in.h>
#include <arpa/inet.h>
int main(void) {
  char buf[64];
  // UDP over loopback, IPv6.
  int u1 = socket(AF_INET6, SOCK_DGRAM, 0), u2 = socket(AF_INET6, SOCK_DGRAM, 0);
  struct sockaddr_in6 b6 = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
  TRY("bind6", bind(u1, (struct sockaddr *)&b6, sizeof b6));
  socklen_t bl = sizeof b6; getsockname(u1, (struct sockaddr *)&b6, &bl);
  TRY("sendto6", sendto(u2, "datagram", 8, 0, (struct sockaddr *)&b6, sizeof b6));
  struct sockaddr_in6 from; socklen_t fl = sizeof from;
  ssize_t n = recvfrom(u1, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
  char txt[64]; inet_ntop(AF_INET6, &from.sin6_addr, txt, sizeof txt);
  printf("udp6 %.*s from %s len=%u\n", (int)n, buf, txt, (unsigned)fl);
  return 0;
}
`);
  });

  it('a signal ends blocking send/recv with the bytes moved so far, or EINTR without SA_RESTART', () => {
    sameAsLinux(String.raw`#include <signal.h>
#include <sys/wait.h>
static void on_alarm(int s) { (void)s; }
int main(void) {
  struct sigaction sa = {0}; sa.sa_handler = on_alarm; sigaction(SIGALRM, &sa, NULL);  /* no SA_RESTART */
  int sv[2]; socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  static char big[1 << 20];
  ualarm(200000, 0);
  ssize_t n = send(sv[0], big, sizeof big, 0);
  printf("send interrupted after part: %d (less than all: %d)\n", n > 0, n < (ssize_t)sizeof big);
  char buf[16];
  write(sv[1], "abc", 3);
  ualarm(200000, 0);
  n = recv(sv[0], buf, sizeof buf, MSG_WAITALL);
  printf("waitall interrupted: %zd\n", n);
  ualarm(200000, 0);
  TRY("recv interrupted", recv(sv[0], buf, sizeof buf, 0));
  return 0;
}
`);
  });

  it('EPIPE with and without SIGPIPE per type, shutdown, a blocking connect waiting on the backlog, a full datagram receiver', () => {
    sameAsLinux(String.raw`#include <signal.h>
#include <sys/wait.h>
#include <poll.h>
static volatile int pipes;
static void on_pipe(int s) { (void)s; pipes++; }
int main(void) {
  signal(SIGPIPE, on_pipe);
  int sp[2]; socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp);
  close(sp[1]);
  TRY("seqpacket send to closed", send(sp[0], "x", 1, 0));
  printf("SIGPIPEs after seqpacket: %d\n", pipes);
  int dp[2]; socketpair(AF_UNIX, SOCK_DGRAM, 0, dp);
  close(dp[1]);
  TRY("dgram pair write to closed", write(dp[0], "x", 1));
  printf("SIGPIPEs after dgram: %d\n", pipes);
  int ss[2]; socketpair(AF_UNIX, SOCK_STREAM, 0, ss);
  TRY("shutdown rd", shutdown(ss[0], SHUT_RD));
  char b[8];
  TRY("recv after shut rd", recv(ss[0], b, sizeof b, MSG_DONTWAIT));
  TRY("peer write after shut rd", write(ss[1], "x", 1));
  printf("SIGPIPEs after stream: %d\n", pipes);
  TRY("shutdown wr", shutdown(ss[1], SHUT_WR));
  TRY("write after own shut wr", write(ss[1], "x", 1));
  int err = -1; socklen_t el = sizeof err;
  getsockopt(ss[0], SOL_SOCKET, SO_ERROR, &err, &el);
  printf("so_error %d\n", err);
  // A blocking connect waits while the backlog is full, until the server accepts.
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un la = { AF_UNIX }; strcpy(la.sun_path, "/tmp/tvisor-edge"); unlink(la.sun_path);
  bind(l, (struct sockaddr *)&la, sizeof la);
  listen(l, 0);
  int c1 = socket(AF_UNIX, SOCK_STREAM, 0);
  TRY("first connect", connect(c1, (struct sockaddr *)&la, sizeof la));
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) {
    int c2 = socket(AF_UNIX, SOCK_STREAM, 0);
    int r = connect(c2, (struct sockaddr *)&la, sizeof la);
    _exit(r == 0 ? 0 : 1);
  }
  usleep(100000);
  int st;
  printf("child still waiting: %d\n", waitpid(pid, &st, WNOHANG) == 0);
  int a = accept(l, NULL, NULL);
  waitpid(pid, &st, 0);
  printf("child connected after accept: %d (%d)\n", WEXITSTATUS(st) == 0, a >= 0);
  // A datagram sender blocks on a full receiver until it reads.
  int r = socket(AF_UNIX, SOCK_DGRAM, 0);
  struct sockaddr_un ra = { AF_UNIX }; strcpy(ra.sun_path, "/tmp/tvisor-edge-d"); unlink(ra.sun_path);
  bind(r, (struct sockaddr *)&ra, sizeof ra);
  int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  int sent = 0;
  while (sendto(s, "d", 1, 0, (struct sockaddr *)&ra, sizeof ra) == 1) sent++;
  printf("queued %d then %s\n", sent, strerror(errno));
  struct pollfd pf = { s, POLLOUT, 0 };
  printf("poll unconnected sender: %d\n", poll(&pf, 1, 0));
  connect(s, (struct sockaddr *)&ra, sizeof ra);
  printf("poll connected sender: %d\n", poll(&pf, 1, 0));
  recv(r, b, sizeof b, 0);
  printf("poll after a read: %d\n", poll(&pf, 1, 0));
  unlink(la.sun_path); unlink(ra.sun_path);
  return 0;
}
`);
  });

  it('sendmmsg and recvmmsg (MSG_WAITFORONE) move several datagrams per call', () => {
    sameAsLinux(String.raw`#include <sys/wait.h>
int main(void) {
  int sv[2]; socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  struct mmsghdr out[3]; struct iovec oiov[3]; char *words[] = {"alpha", "be", "gamma!"};
  memset(out, 0, sizeof out);
  for (int i = 0; i < 3; i++) { oiov[i].iov_base = words[i]; oiov[i].iov_len = strlen(words[i]); out[i].msg_hdr.msg_iov = &oiov[i]; out[i].msg_hdr.msg_iovlen = 1; }
  int n = sendmmsg(sv[0], out, 3, 0);
  printf("sendmmsg %d lens %u %u %u\n", n, out[0].msg_len, out[1].msg_len, out[2].msg_len);
  struct mmsghdr in[4]; struct iovec iiov[4]; char bufs[4][4];
  memset(in, 0, sizeof in);
  for (int i = 0; i < 4; i++) { iiov[i].iov_base = bufs[i]; iiov[i].iov_len = sizeof bufs[i]; in[i].msg_hdr.msg_iov = &iiov[i]; in[i].msg_hdr.msg_iovlen = 1; }
  n = recvmmsg(sv[1], in, 4, MSG_WAITFORONE, NULL);
  printf("recvmmsg %d\n", n);
  for (int i = 0; i < n; i++) printf("  %u trunc=%d %.*s\n", in[i].msg_len, !!(in[i].msg_hdr.msg_flags & MSG_TRUNC), (int)(in[i].msg_len < 4 ? in[i].msg_len : 4), bufs[i]);
  TRY("recvmmsg empty", recvmmsg(sv[1], in, 4, MSG_DONTWAIT, NULL));
  fflush(stdout);
  pid_t pid = fork();
  if (pid == 0) { usleep(50000); sendmmsg(sv[0], out, 2, 0); _exit(0); }
  n = recvmmsg(sv[1], in, 4, MSG_WAITFORONE, NULL);
  printf("blocking recvmmsg got at least one: %d first=%.4s\n", n >= 1, bufs[0]);
  waitpid(pid, NULL, 0);
  return 0;
}
`);
  });

  it('SO_PASSCRED autobinds a connecting client and is inherited by accept; SO_PEERCRED with and without a peer', () => {
    sameAsLinux(String.raw`#include <stddef.h>
int main(void) {
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a = { AF_UNIX };
  const char name[] = "\0tvisor-passcred";
  memcpy(a.sun_path, name, sizeof name - 1);
  socklen_t alen = offsetof(struct sockaddr_un, sun_path) + sizeof name - 1;
  bind(l, (struct sockaddr *)&a, alen);
  int on = 1;
  setsockopt(l, SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
  listen(l, 4);
  int c = socket(AF_UNIX, SOCK_STREAM, 0);
  setsockopt(c, SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
  connect(c, (struct sockaddr *)&a, alen);
  struct sockaddr_un got; socklen_t gl = sizeof got;
  getsockname(c, (struct sockaddr *)&got, &gl);
  printf("client autobound: len=%u abstract=%d\n", (unsigned)gl, gl > 2 && got.sun_path[0] == 0);
  struct sockaddr_un peer; socklen_t pl = sizeof peer;
  int s = accept(l, (struct sockaddr *)&peer, &pl);
  printf("accept sees the name: %d\n", pl == gl && memcmp(&peer, &got, gl) == 0);
  int v = 0; socklen_t vl = sizeof v;
  getsockopt(s, SOL_SOCKET, SO_PASSCRED, &v, &vl);
  printf("accepted inherits SO_PASSCRED: %d\n", v);
  struct ucred cr; socklen_t cl = sizeof cr;
  getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &cl);
  printf("client peercred is the listener (me): %d\n", cr.pid == getpid());
  int d = socket(AF_UNIX, SOCK_DGRAM, 0);
  cl = sizeof cr;
  getsockopt(d, SOL_SOCKET, SO_PEERCRED, &cr, &cl);
  printf("unconnected peercred: pid=%d uid=%d gid=%d\n", cr.pid, (int)cr.uid, (int)cr.gid);
  return 0;
}
`);
  });

  it('node: a net server and client over 127.0.0.1 in one process', () => {
    const script = [
      "const net = require('net');",
      "const srv = net.createServer((c) => c.on('data', (d) => { c.end(d.toString().toUpperCase()); }));",
      "srv.listen(0, '127.0.0.1', () => {",
      "  const c = net.connect(srv.address().port, '127.0.0.1', () => c.write('node over netstack'));",
      "  c.on('data', (d) => { console.log(d.toString()); c.end(); srv.close(); });",
      '});',
    ].join('\n');
    const want = native([process.execPath, '-e', script]);
    expect(want.status, want.stderr).toBe(0);
    const got = runsc(['do', process.execPath, '-e', script]);
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(0);
  });

  it('python3: socket.socketpair() and asyncio over it', () => {
    const script = [
      'import socket, asyncio',
      'a, b = socket.socketpair()',
      'a.sendall(b"hello from python")',
      'print(b.recv(100).decode())',
      'print(a.family == socket.AF_UNIX, a.type == socket.SOCK_STREAM)',
      'async def main():',
      '    r, w = await asyncio.open_connection(sock=b)',
      '    a.sendall(b"line\\n")',
      '    print((await r.readline()).decode().strip())',
      '    w.close()',
      'asyncio.run(main())',
    ].join('\n');
    const want = native(['python3', '-c', script]);
    expect(want.status, want.stderr).toBe(0);
    const got = runsc(['do', '/usr/bin/python3', '-c', script]);
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(0);
  });
});
