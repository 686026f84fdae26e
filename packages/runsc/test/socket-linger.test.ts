import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

// SO_LINGER as Linux keeps it, differentially: the same program natively and
// under `runsc do`, outputs compared.

const PROGRAM = String.raw`#include <stdio.h>
#include <unistd.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
static void show(int fd, const char *what) {
  struct linger g = { -1, -1 }; socklen_t n = sizeof g;
  getsockopt(fd, SOL_SOCKET, SO_LINGER, &g, &n);
  printf("%s: onoff %d linger %d len %u\n", what, g.l_onoff, g.l_linger, n);
}
static void set(int fd, int on, int secs) { struct linger l = { on, secs }; if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l)) perror("setsockopt"); }
int main(void) {
  int domains[] = { AF_INET, AF_INET, AF_UNIX }, types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_STREAM };
  for (int i = 0; i < 3; i++) {
    int fd = socket(domains[i], types[i], 0);
    printf("domain %d type %d\n", domains[i], types[i]);
    show(fd, "default");
    set(fd, 1, 5); show(fd, "on 5");
    set(fd, 0, 9); show(fd, "off 9 keeps 5");
    set(fd, 1, 0); show(fd, "on 0");
    close(fd);
  }
  // A negative time is "no limit" on Linux (its reported value depends on the kernel's HZ): not 0, and close sends FIN, not RST.
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t al = sizeof a;
  bind(l, (struct sockaddr *)&a, sizeof a); listen(l, 1); getsockname(l, (struct sockaddr *)&a, &al);
  int c = socket(AF_INET, SOCK_STREAM, 0);
  connect(c, (struct sockaddr *)&a, sizeof a);
  int s = accept(l, 0, 0);
  set(c, 1, -3);
  struct linger g; socklen_t n = sizeof g;
  getsockopt(c, SOL_SOCKET, SO_LINGER, &g, &n);
  printf("on -3: onoff %d linger is zero %d\n", g.l_onoff, g.l_linger == 0);
  close(c);
  char buf[4];
  errno = 0;
  long r = read(s, buf, sizeof buf);
  printf("peer read after close: %ld %s\n", r, r < 0 ? strerror(errno) : "eof");
  return 0;
}
`;

describe('SO_LINGER', () => {
  it('l_onoff 0 keeps the old time; a negative time is not an abortive close (as Linux)', () => {
    const prog = compileC(PROGRAM);
    const want = native([prog]);
    expect(want.status, want.stderr).toBe(0);
    expect(want.stdout).toContain('off 9 keeps 5: onoff 0 linger 5');
    const got = runsc(['do', prog], { timeout: 60_000 });
    expect(got.stderr).toBe('');
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(0);
  }, 90_000);
});
