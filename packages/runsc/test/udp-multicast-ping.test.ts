import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

/**
 * IPv4 multicast on loopback (ip(7)): two receivers on one port, one joins
 * the group on lo; the sender picks lo with IP_MULTICAST_IF. Each step
 * prints what arrived (or the errno), so native Linux is the oracle.
 */
const MULTICAST = `
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int port;

static void send_to(int s, const char *addr, const char *what) {
  struct sockaddr_in g = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, addr, &g.sin_addr);
  if (sendto(s, what, strlen(what), 0, (struct sockaddr *)&g, sizeof g) < 0) printf("send %s: %s\\n", what, strerror(errno));
}

// Prints what arrived up to a unicast sentinel sent after it: loopback keeps
// order, so a group datagram that was delivered shows before the sentinel.
static void received(int s, int tx) {
  send_to(tx, "127.0.0.1", "sentinel");
  char buf[16];
  struct pollfd p = {s, POLLIN, 0};
  while (poll(&p, 1, 10000) == 1) {
    ssize_t n = recv(s, buf, sizeof buf, 0);
    if (n == 8 && !memcmp(buf, "sentinel", 8)) return;
    printf("got %.*s\\n", (int)n, buf);
  }
  puts("sentinel lost");
}

int main(void) {
  int rx = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  bind(rx, (struct sockaddr *)&a, sizeof a);
  socklen_t len = sizeof a;
  getsockname(rx, (struct sockaddr *)&a, &len);
  port = ntohs(a.sin_port);
  int tx = socket(AF_INET, SOCK_DGRAM, 0);
  struct ip_mreqn lo = {.imr_ifindex = 1};
  if (setsockopt(tx, IPPROTO_IP, IP_MULTICAST_IF, &lo, sizeof lo)) perror("IP_MULTICAST_IF");
  send_to(tx, "224.0.2.1", "unjoined");
  received(rx, tx);
  struct ip_mreq join = {};
  inet_pton(AF_INET, "224.0.2.1", &join.imr_multiaddr);
  join.imr_interface.s_addr = htonl(INADDR_LOOPBACK);
  if (setsockopt(rx, IPPROTO_IP, IP_ADD_MEMBERSHIP, &join, sizeof join)) perror("join");
  if (setsockopt(rx, IPPROTO_IP, IP_ADD_MEMBERSHIP, &join, sizeof join)) printf("join again: %s\\n", strerror(errno));
  send_to(tx, "224.0.2.1", "joined");
  received(rx, tx);
  if (setsockopt(rx, IPPROTO_IP, IP_DROP_MEMBERSHIP, &join, sizeof join)) perror("drop");
  if (setsockopt(rx, IPPROTO_IP, IP_DROP_MEMBERSHIP, &join, sizeof join)) printf("drop again: %s\\n", strerror(errno));
  send_to(tx, "224.0.2.1", "dropped");
  received(rx, tx);
  puts("done");
  return 0;
}
`;

/** An ICMP datagram socket pings 127.0.0.1 and ::1 and prints the reply's type, sequence and data. */
const PING = `
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void ping(int family, int proto, const void *addr, socklen_t len, unsigned char type) {
  int s = socket(family, SOCK_DGRAM, proto);
  if (s < 0) { perror("socket"); return; }
  unsigned char req[12] = {type, 0, 0, 0, 0x12, 0x34, 0, 7, 'p', 'i', 'n', 'g'};
  if (sendto(s, req, sizeof req, 0, addr, len) != sizeof req) perror("sendto");
  struct pollfd p = {s, POLLIN, 0};
  if (poll(&p, 1, 10000) != 1) { puts("no reply"); return; }
  unsigned char rep[64];
  ssize_t n = recv(s, rep, sizeof rep, 0);
  printf("family %d: %zd bytes, type %d, seq %d, data %.4s\\n", family, n, rep[0], rep[6] << 8 | rep[7], (char *)rep + 8);
  close(s);
}

int main(void) {
  struct sockaddr_in v4 = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  struct sockaddr_in6 v6 = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
  ping(AF_INET, IPPROTO_ICMP, &v4, sizeof v4, 8);
  ping(AF_INET6, IPPROTO_ICMPV6, &v6, sizeof v6, 128);
  return 0;
}
`;

describe('runsc do: UDP multicast and ICMP ping sockets on loopback', () => {
  it('delivers a group datagram as Linux does: only once lo joined it, until the membership is dropped', () => {
    const prog = compileC(MULTICAST);
    const want = native([prog]);
    expect(want.status).toBe(0);
    const got = runsc(['do', prog]);
    expect(got.stderr).toBe('');
    expect(got.stdout).toBe(want.stdout);
    expect(got.stdout).toContain('got joined\n');
  }, 120_000);

  it('answers echo requests on ICMP datagram sockets (ping_group_range admits every group in the sandbox)', () => {
    const got = runsc(['do', compileC(PING)]);
    expect(got.stderr).toBe('');
    expect(got.stdout).toBe('family 2: 12 bytes, type 0, seq 7, data ping\nfamily 10: 12 bytes, type 129, seq 7, data ping\n');
  }, 120_000);
});
