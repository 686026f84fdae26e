import { describe, expect, it } from 'vitest';
import { canUnshareNetwork, compileC, inFreshNetns, runsc } from './helpers.js';

// TCP socket options and state rules, with Linux as the oracle: the same
// program runs in a fresh network namespace (lo up) and under runsc do, and
// must print the same lines. Every wait in the program is on an event (poll,
// EOF), none on time.

const PROGRAM = String.raw`#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <poll.h>
#include <unistd.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/ioctl.h>

static int geti(int fd, int level, int name) {
  int v = -12345; socklen_t l = sizeof v;
  if (getsockopt(fd, level, name, &v, &l) < 0) return -errno * 1000;
  return v;
}
static int seti(int fd, int level, int name, int v) {
  return setsockopt(fd, level, name, &v, sizeof v) < 0 ? errno : 0;
}
static struct sockaddr_in lo(int port) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}
static int listener(struct sockaddr_in *a, int backlog) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  *a = lo(0);
  socklen_t n = sizeof *a;
  bind(l, (struct sockaddr *)a, n);
  listen(l, backlog);
  getsockname(l, (struct sockaddr *)a, &n);
  return l;
}
static int conn(struct sockaddr_in *a) {
  int c = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(c, (struct sockaddr *)a, sizeof *a) < 0) perror("connect");
  return c;
}

int main(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  printf("defaults syncnt=%d linger2=%d defer=%d clamp=%d inq=%d\n", geti(s, SOL_TCP, TCP_SYNCNT), geti(s, SOL_TCP, TCP_LINGER2),
         geti(s, SOL_TCP, TCP_DEFER_ACCEPT), geti(s, SOL_TCP, TCP_WINDOW_CLAMP), geti(s, SOL_TCP, TCP_INQ));
  int e0 = seti(s, SOL_TCP, TCP_SYNCNT, 0), e1 = seti(s, SOL_TCP, TCP_SYNCNT, 128);
  printf("syncnt 0:%d 128:%d -> %d\n", e0, e1, geti(s, SOL_TCP, TCP_SYNCNT));
  e0 = seti(s, SOL_TCP, TCP_SYNCNT, 20);
  printf("syncnt 20:%d -> %d\n", e0, geti(s, SOL_TCP, TCP_SYNCNT));
  int lv[] = {-5, 0, 59, 121};
  for (int i = 0; i < 4; i++) { seti(s, SOL_TCP, TCP_LINGER2, lv[i]); printf("linger2 %d -> %d\n", lv[i], geti(s, SOL_TCP, TCP_LINGER2)); }
  int dv[] = {-1, 1, 3, 5, 100};
  for (int i = 0; i < 5; i++) { seti(s, SOL_TCP, TCP_DEFER_ACCEPT, dv[i]); printf("defer %d -> %d\n", dv[i], geti(s, SOL_TCP, TCP_DEFER_ACCEPT)); }
  int cv[] = {0, 100, 5000};
  for (int i = 0; i < 3; i++) { int e = seti(s, SOL_TCP, TCP_WINDOW_CLAMP, cv[i]); printf("clamp %d: %d -> %d\n", cv[i], e, geti(s, SOL_TCP, TCP_WINDOW_CLAMP)); }
  e0 = seti(s, SOL_TCP, TCP_INQ, 2);
  e1 = seti(s, SOL_TCP, TCP_INQ, 1);
  printf("inq 2:%d 1:%d -> %d\n", e0, e1, geti(s, SOL_TCP, TCP_INQ));
  char cc[32]; memset(cc, 'x', sizeof cc); socklen_t ccl = sizeof cc;
  getsockopt(s, SOL_TCP, TCP_CONGESTION, cc, &ccl);
  printf("congestion optlen=%d tail=%d\n", (int)ccl, cc[15]);
  close(s);

  struct sockaddr_in a;
  int l = listener(&a, 8);
  int c = conn(&a);
  int acc = accept(l, NULL, NULL);
  printf("clamp 0 on a connection: %d\n", seti(c, SOL_TCP, TCP_WINDOW_CLAMP, 0));
  char buf[1024];
  for (int i = 0; i < 4; i++) { memset(buf, 'a' + i, 256); write(c, buf, 256); }
  int one = 1;
  setsockopt(acc, SOL_TCP, TCP_INQ, &one, sizeof one);
  int q = 0;
  while (ioctl(acc, FIONREAD, &q) == 0 && q < 1024) { struct pollfd p = {acc, POLLIN, 0}; poll(&p, 1, 100); }
  memset(buf, 0, sizeof buf);
  ssize_t n = recv(acc, buf, 100, MSG_TRUNC);
  printf("MSG_TRUNC took %zd, copied %s\n", n, buf[0] ? "data" : "nothing");
  for (int k = 0; k < 3; k++) {
    char ctl[CMSG_SPACE(sizeof(int))];
    struct iovec iov = {buf, 300};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
    n = recvmsg(acc, &m, 0);
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    int inq = -1;
    if (h) memcpy(&inq, CMSG_DATA(h), sizeof inq);
    printf("recvmsg %zd first=%c cmsg level=%d type=%d len=%d inq=%d\n", n, buf[0], h ? h->cmsg_level : -1, h ? h->cmsg_type : -1, h ? (int)h->cmsg_len : -1, inq);
  }
  /* TIME_WAIT: acc closes first, c answers; once acc has read c's FIN it is in TIME_WAIT. */
  shutdown(acc, SHUT_WR);
  while (recv(c, buf, sizeof buf, 0) > 0) {}
  shutdown(c, SHUT_RDWR);
  while (recv(acc, buf, sizeof buf, 0) > 0) {}
  printf("shutdown in TIME_WAIT: %s\n", shutdown(acc, SHUT_WR) < 0 ? strerror(errno) : "ok");
  close(c); close(acc); close(l);

  /* A refused non-blocking connect whose error was collected: ECONNABORTED, then a fresh attempt. */
  struct sockaddr_in dead;
  int d = listener(&dead, 1);
  close(d);
  int r = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  connect(r, (struct sockaddr *)&dead, sizeof dead);
  struct pollfd p = {r, POLLOUT, 0};
  poll(&p, 1, 10000);
  printf("SO_ERROR %s\n", strerror(geti(r, SOL_SOCKET, SO_ERROR)));
  printf("connect again: %s\n", connect(r, (struct sockaddr *)&dead, sizeof dead) < 0 ? strerror(errno) : "ok");
  close(r);

  /* Shutting down a connecting socket (its SYN dropped: the accept queue is full). */
  int full = listener(&a, 0);
  int first = conn(&a);
  for (int how = SHUT_RD; how <= SHUT_RDWR; how++) {
    int x = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int e = connect(x, (struct sockaddr *)&a, sizeof a) < 0 ? errno : 0;
    shutdown(x, how);
    struct pollfd px = {x, 0, 0};
    poll(&px, 1, 0);
    printf("connecting how=%d connect=%s revents=%#x SO_ERROR=%s\n", how, strerror(e), px.revents, strerror(geti(x, SOL_SOCKET, SO_ERROR)));
    close(x);
  }
  close(first); close(full);
  /* TCP_QUICKACK reads back what was set; TCP_CORK holds a partial segment at most 200 ms. */
  l = listener(&a, 8);
  c = conn(&a);
  acc = accept(l, NULL, NULL);
  seti(c, SOL_TCP, TCP_QUICKACK, 0);
  printf("quickack 0 -> %d\n", geti(c, SOL_TCP, TCP_QUICKACK));
  seti(c, SOL_TCP, TCP_QUICKACK, 1);
  printf("quickack 1 -> %d\n", geti(c, SOL_TCP, TCP_QUICKACK));
  seti(c, SOL_TCP, TCP_CORK, 1);
  send(c, buf, 512, 0);
  printf("corked 512 arrive: %zd\n", recv(acc, buf, sizeof buf, 0));
  close(c); close(acc); close(l);

  /* SO_REUSEADDR: a new listener may take the port of a passively closed connection in TIME_WAIT. */
  int reuse = 1;
  l = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
  a = lo(0);
  socklen_t alen = sizeof a;
  bind(l, (struct sockaddr *)&a, alen);
  listen(l, 8);
  getsockname(l, (struct sockaddr *)&a, &alen);
  c = conn(&a);
  acc = accept(l, NULL, NULL);
  shutdown(acc, SHUT_WR);
  while (recv(c, buf, sizeof buf, 0) > 0) {}
  shutdown(c, SHUT_WR);
  while (recv(acc, buf, sizeof buf, 0) > 0) {}
  close(acc); close(c); close(l);
  int plain = socket(AF_INET, SOCK_STREAM, 0);
  printf("plain bind over TIME_WAIT: %s\n", bind(plain, (struct sockaddr *)&a, alen) < 0 ? strerror(errno) : "ok");
  int l2 = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(l2, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
  int be = bind(l2, (struct sockaddr *)&a, alen) < 0 ? errno : 0;
  int le = listen(l2, 8) < 0 ? errno : 0;
  printf("SO_REUSEADDR listener over TIME_WAIT: bind=%s listen=%s\n", strerror(be), strerror(le));
  int l3 = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(l3, SOL_SOCKET, SO_REUSEADDR, &reuse, sizeof reuse);
  printf("SO_REUSEADDR bind over a listener: %s\n", bind(l3, (struct sockaddr *)&a, alen) < 0 ? strerror(errno) : "ok");
  close(plain); close(l2); close(l3);
  /* socketpair on inet: socket(2)'s errors first, then EOPNOTSUPP. */
  int sv[2];
  printf("socketpair(AF_INET, 0): %s\n", socketpair(AF_INET, 0, 0, sv) < 0 ? strerror(errno) : "ok");
  printf("socketpair(AF_INET6, SOCK_STREAM): %s\n", socketpair(AF_INET6, SOCK_STREAM, 0, sv) < 0 ? strerror(errno) : "ok");
  /* A v6 socket bound to ::1 has no route to a v4-mapped peer. */
  int v6 = socket(AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in6 b6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
  bind(v6, (struct sockaddr *)&b6, sizeof b6);
  struct sockaddr_in6 m6 = {.sin6_family = AF_INET6, .sin6_port = htons(1)};
  inet_pton(AF_INET6, "::ffff:127.0.0.1", &m6.sin6_addr);
  printf("v6 on ::1 to v4-mapped: %s\n", connect(v6, (struct sockaddr *)&m6, sizeof m6) < 0 ? strerror(errno) : "ok");
  close(v6);
  /* TCP_CONGESTION switches a connection. */
  l = listener(&a, 8);
  c = conn(&a);
  acc = accept(l, NULL, NULL);
  printf("set reno: %d\n", setsockopt(c, SOL_TCP, TCP_CONGESTION, "reno", 4));
  memset(cc, 'x', sizeof cc);
  ccl = 16;
  getsockopt(c, SOL_TCP, TCP_CONGESTION, cc, &ccl);
  printf("now %s (optlen %d)\n", cc, (int)ccl);
  printf("set invalid: %s\n", setsockopt(c, SOL_TCP, TCP_CONGESTION, "invalid_ca_cc", 13) < 0 ? strerror(errno) : "ok");
  close(c); close(acc); close(l);
  return 0;
}
`;

describe.skipIf(!canUnshareNetwork)('TCP as Linux gives it', () => {
  it('TCP_SYNCNT/LINGER2/DEFER_ACCEPT/WINDOW_CLAMP/INQ/CONGESTION/QUICKACK, the TCP_CORK ceiling, MSG_TRUNC, TIME_WAIT rules, refused and reset connects', () => {
    const prog = compileC(PROGRAM);
    const want = inFreshNetns([prog]);
    expect(want.status, want.stderr).toBe(0);
    expect(want.stdout).toContain('recvmsg 300 first=a cmsg level=6 type=36 len=20 inq=624');
    const got = runsc(['do', prog]);
    expect(got.stderr).toBe('');
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(0);
  }, 120_000);
});
