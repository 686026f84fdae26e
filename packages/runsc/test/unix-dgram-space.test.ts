import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

// A datagram socketpair's POLLOUT is about its send buffer, as Linux's
// unix_dgram_poll: the same program natively and under `runsc do`.

const PROGRAM = String.raw`#include <stdio.h>
#include <poll.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
static int pollout(int fd) { struct pollfd p = { fd, POLLOUT, 0 }; int r = poll(&p, 1, 0); return r == 1 ? p.revents : -r; }
int main(void) {
  int sv[2];
  socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  char buf[4096] = { 0 };
  printf("empty: %d\n", pollout(sv[0]));
  int sent = 0;
  while (send(sv[0], buf, sizeof buf, MSG_DONTWAIT) > 0) sent++;
  printf("full after some sends: %d, %s\n", sent > 1, strerror(errno));
  printf("full: %d\n", pollout(sv[0]));
  shutdown(sv[0], SHUT_WR);
  printf("full, shut down: %d\n", pollout(sv[0]));
  int got = 0;
  while (recv(sv[1], buf, sizeof buf, MSG_DONTWAIT) > 0) got++;
  printf("drained all: %d\n", got == sent);
  printf("drained, shut down: %d\n", pollout(sv[0]));
  printf("send after shutdown: %zd %s\n", send(sv[0], buf, 1, MSG_DONTWAIT | MSG_NOSIGNAL), strerror(errno));
  return 0;
}
`;

describe('unix SOCK_DGRAM send space', () => {
  it('POLLOUT goes when the send buffer fills and comes back when the peer drains it, shut down or not (as Linux)', () => {
    const prog = compileC(PROGRAM);
    const want = native([prog]);
    expect(want.status, want.stderr).toBe(0);
    expect(want.stdout).toContain('full: 0\n');
    const got = runsc(['do', prog], { timeout: 60_000 });
    expect(got.stderr).toBe('');
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(0);
  }, 90_000);
});
