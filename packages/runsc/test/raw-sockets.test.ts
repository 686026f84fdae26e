import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

/**
 * Raw IP sockets on loopback (raw(7)), the same program natively and in the
 * sandbox. Loopback is shared with the rest of the host natively, so every
 * read picks out this program's own packets by content (ICMP identifier,
 * UDP ports, an unassigned protocol number) and skips the rest.
 */
const RAW = String.raw`
#include <arpa/inet.h>
#include <errno.h>
#include <linux/icmp.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define IDENT 0x7e57
#define PROTO 253

static unsigned short csum(const unsigned char *p, int n) {
  unsigned long s = 0;
  for (int i = 0; i + 1 < n; i += 2) s += p[i] << 8 | p[i + 1];
  if (n & 1) s += p[n - 1] << 8;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return ~s & 0xffff;
}

// Reads packets until one satisfies match(), or prints "timeout".
static int next(int s, unsigned char *buf, int size, int (*match)(const unsigned char *, int)) {
  struct pollfd p = {s, POLLIN, 0};
  while (poll(&p, 1, 10000) == 1) {
    int n = recv(s, buf, size, 0);
    if (n > 0 && match(buf, n)) return n;
  }
  puts("timeout");
  return -1;
}

static int ours4(const unsigned char *b, int n) { return n >= 28 && b[9] == IPPROTO_ICMP && (b[24] << 8 | b[25]) == IDENT; }
static int ours6(const unsigned char *b, int n) { return n >= 8 && (b[4] << 8 | b[5]) == IDENT; }
static int proto(const unsigned char *b, int n) { return n >= 20 && b[9] == PROTO; }

static void icmp4(int filter_requests) {
  int s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  if (s < 0) { perror("raw icmp"); return; }
  if (filter_requests) {
    struct icmp_filter f = {1 << 8};
    if (setsockopt(s, SOL_RAW, ICMP_FILTER, &f, sizeof f)) perror("ICMP_FILTER");
  }
  unsigned char req[12] = {8, 0, 0, 0, IDENT >> 8, IDENT & 0xff, 0, 3, 'r', 'a', 'w', '!'};
  unsigned short c = csum(req, sizeof req);
  req[2] = c >> 8, req[3] = c & 0xff;
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (sendto(s, req, sizeof req, 0, (struct sockaddr *)&to, sizeof to) != sizeof req) perror("sendto");
  unsigned char b[256];
  for (int i = 0; i < 2 - filter_requests; i++) {
    int n = next(s, b, sizeof b, ours4);
    if (n < 0) break;
    int hl = (b[0] & 15) * 4;
    printf("icmp4 filter=%d: %d bytes, ihl %d, header sum %s, type %d, seq %d, data %.4s\n", filter_requests, n, hl, csum(b, hl) ? "bad" : "ok", b[hl],
           b[hl + 6] << 8 | b[hl + 7], (char *)b + hl + 8);
  }
  close(s);
}

static void icmp6(void) {
  int s = socket(AF_INET6, SOCK_RAW, IPPROTO_ICMPV6);
  if (s < 0) { perror("raw icmp6"); return; }
  unsigned char req[12] = {128, 0, 0, 0, IDENT >> 8, IDENT & 0xff, 0, 5, 's', 'i', 'x', '!'};
  struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
  if (sendto(s, req, sizeof req, 0, (struct sockaddr *)&to, sizeof to) != sizeof req) perror("sendto6");
  unsigned char b[256];
  for (int i = 0; i < 2; i++) {
    int n = next(s, b, sizeof b, ours6);
    if (n < 0) break;
    printf("icmp6: %d bytes, type %d, checksum %s, seq %d\n", n, b[0], b[2] | b[3] ? "set" : "zero", b[6] << 8 | b[7]);
  }
  int v = 0;
  printf("icmp6 IPV6_CHECKSUM set: %s\n", setsockopt(s, IPPROTO_IPV6, IPV6_CHECKSUM, &v, sizeof v) ? strerror(errno) : "ok");
  close(s);
}

// A UDP datagram a raw socket writes reaches the UDP socket on its port.
static void udp(void) {
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  bind(u, (struct sockaddr *)&a, sizeof a);
  socklen_t len = sizeof a;
  getsockname(u, (struct sockaddr *)&a, &len);
  int r = socket(AF_INET, SOCK_RAW, IPPROTO_UDP);
  unsigned char d[11] = {0x30, 0x39, a.sin_port & 0xff, a.sin_port >> 8, 0, 11, 0, 0, 'u', 'd', 'p'};
  if (sendto(r, d, sizeof d, 0, (struct sockaddr *)&a, sizeof a) != sizeof d) perror("raw udp sendto");
  char buf[16];
  struct sockaddr_in from;
  len = sizeof from;
  struct pollfd p = {u, POLLIN, 0};
  if (poll(&p, 1, 10000) != 1) { puts("udp: nothing"); return; }
  int n = recvfrom(u, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
  printf("udp: %.*s from port %d\n", n, buf, ntohs(from.sin_port));
  struct sockaddr_in name;
  len = sizeof name;
  getsockname(r, (struct sockaddr *)&name, &len);
  printf("raw name port %d\n", ntohs(name.sin_port));
  close(u);
  close(r);
}

// IP_HDRINCL: the kernel fills in the total length, the checksum and a zero source.
static void hdrincl(void) {
  int rx = socket(AF_INET, SOCK_RAW, PROTO);
  int tx = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
  int on = 0;
  socklen_t len = sizeof on;
  getsockopt(tx, IPPROTO_IP, IP_HDRINCL, &on, &len);
  printf("IPPROTO_RAW hdrincl %d\n", on);
  unsigned char p[24] = {0x45, 0, 0, 0, 0, 0, 0, 0, 9, PROTO, 0, 0, 0, 0, 0, 0, 127, 0, 0, 1, 'h', 'd', 'r', '!'};
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (sendto(tx, p, sizeof p, 0, (struct sockaddr *)&to, sizeof to) != sizeof p) perror("hdrincl sendto");
  unsigned char b[64];
  int n = next(rx, b, sizeof b, proto);
  if (n > 0) printf("hdrincl: %d bytes, length %d, ttl %d, src %d.%d.%d.%d, sum %s, %.4s\n", n, b[2] << 8 | b[3], b[8], b[12], b[13], b[14], b[15], csum(b, 20) ? "bad" : "ok", (char *)b + 20);
  printf("short header: %s\n", sendto(tx, p, 10, 0, (struct sockaddr *)&to, sizeof to) < 0 ? strerror(errno) : "sent");
  // Longer than any IPv4 packet: refused before the (too short) buffer is read.
  printf("giant: %s\n", sendto(tx, p, 1 << 21, 0, (struct sockaddr *)&to, sizeof to) < 0 ? strerror(errno) : "sent");
  close(rx);
  close(tx);
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IONBF, 0);
  if (argc > 1 && !strcmp(argv[1], "v6")) {
    icmp6();
    return 0;
  }
  icmp4(0);
  icmp4(1);
  udp();
  hdrincl();
  printf("protocol 0: %s\n", socket(AF_INET, SOCK_RAW, 0) < 0 ? strerror(errno) : "made");
  pid_t pid = fork();
  if (pid == 0) {
    // Without CAP_NET_RAW (an ordinary user), raw sockets are refused.
    if (setuid(65534)) perror("setuid");
    printf("as nobody: %s\n", socket(AF_INET, SOCK_RAW, IPPROTO_UDP) < 0 ? strerror(errno) : "made");
    _exit(0);
  }
  waitpid(pid, NULL, 0);
  return 0;
}
`;

describe('runsc do: raw IP sockets', () => {
  it('see their own and the echo packets on loopback, filter, send with IP_HDRINCL and need CAP_NET_RAW, as on Linux', () => {
    const prog = compileC(RAW);
    const want = native([prog]);
    expect(want.status).toBe(0);
    expect(want.stdout).toContain('icmp4 filter=0');
    const got = runsc(['do', prog], { timeout: 120_000 });
    expect(got.stderr).toBe('');
    expect(got.stdout).toBe(want.stdout);
  }, 180_000);

  // Not differential: hosts without IPv6 on lo (this one's) cannot run it natively.
  it('IPv6 ICMP: the request and the reply, checksummed by the stack; IPV6_CHECKSUM is fixed on ICMPv6', () => {
    const got = runsc(['do', compileC(RAW), 'v6'], { timeout: 120_000 });
    expect(got.stderr).toBe('');
    expect(got.stdout).toBe(
      'icmp6: 12 bytes, type 128, checksum set, seq 5\nicmp6: 12 bytes, type 129, checksum set, seq 5\nicmp6 IPV6_CHECKSUM set: Invalid argument\n',
    );
  }, 180_000);
});
