import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

// An IPv6 socket given IPv4 (AF_INET) addresses, differentially: the same
// program natively and under `runsc do`. (Binding ::1 is left to netstack's
// tests: hosts without IPv6, like this one, refuse it natively.)

const PROGRAM = String.raw`#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#define TRY(label, expr) do { errno = 0; long r_ = (long)(expr); printf("%s: %ld %s\n", label, r_, r_ < 0 ? strerror(errno) : "ok"); } while (0)
int main(void) {
  struct sockaddr_in v4 = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  int rx = socket(AF_INET, SOCK_DGRAM, 0); socklen_t l = sizeof v4;
  bind(rx, (struct sockaddr *)&v4, sizeof v4); getsockname(rx, (struct sockaddr *)&v4, &l);
  int s = socket(AF_INET6, SOCK_DGRAM, 0);
  TRY("v6 udp bind sockaddr_in", bind(s, (struct sockaddr *)&v4, sizeof v4));
  TRY("v6 udp sendto sockaddr_in", sendto(s, "hello", 5, 0, (struct sockaddr *)&v4, sizeof v4));
  struct sockaddr_in6 me; socklen_t ml = sizeof me; getsockname(s, (struct sockaddr *)&me, &ml);
  char txt[64]; inet_ntop(AF_INET6, &me.sin6_addr, txt, sizeof txt);
  printf("sockname %s len %u port set %d\n", txt, ml, me.sin6_port != 0);
  char buf[8]; struct sockaddr_in from; socklen_t fl = sizeof from;
  TRY("v4 recvfrom", recvfrom(rx, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl));
  printf("from port matches %d\n", from.sin_port == me.sin6_port);
  int only = socket(AF_INET6, SOCK_DGRAM, 0), one = 1;
  setsockopt(only, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  TRY("v6only sendto sockaddr_in", sendto(only, "x", 1, 0, (struct sockaddr *)&v4, sizeof v4));
  return 0;
}
`;

describe('dual-stack sockets and AF_INET addresses', () => {
  it('bind is EINVAL, sendto goes the IPv4 way and autobinds as ::, IPV6_V6ONLY makes it ENETUNREACH (as Linux)', () => {
    const prog = compileC(PROGRAM);
    const want = native([prog]);
    expect(want.status, want.stderr).toBe(0);
    expect(want.stdout).toContain('v6 udp sendto sockaddr_in: 5 ok');
    const got = runsc(['do', prog], { timeout: 60_000 });
    expect(got.stderr).toBe('');
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(0);
  }, 90_000);
});
