import { describe, it } from 'vitest';
import { canUnshareNetwork, compileC, sameAsLinuxInNetns } from './helpers.js';

// Address and option-size checks of AF_INET/AF_INET6 sockets, with Linux as the
// oracle: the program runs in a fresh network namespace (lo up, so ::1 exists
// even where the host disables IPv6) and under runsc do, and must print the
// same lines. Nothing in it waits.

const PROGRAM = String.raw`#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <signal.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

static struct sockaddr_in6 in6(const char *s, int port) {
  struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
  inet_pton(AF_INET6, s, &a.sin6_addr);
  return a;
}
static const char *err(long r) { return r < 0 ? strerror(errno) : "ok"; }

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  // A short address of another family is EINVAL before the family is looked at; a long one is EAFNOSUPPORT.
  int fams[] = {AF_INET, AF_INET6}, types[] = {SOCK_DGRAM, SOCK_STREAM}, lens[] = {3, 4, 16, 28};
  for (int f = 0; f < 2; f++)
    for (int k = 0; k < 2; k++)
      for (int i = 0; i < 4; i++) {
        unsigned char unix_addr[32] = {AF_UNIX, 0, '/'}, in_addr_only[32] = {127, 0, 0, 1};
        int s = socket(fams[f], types[k], 0);
        long b = bind(s, (void *)unix_addr, lens[i]);
        const char *be = err(b);
        long c = connect(s, (void *)unix_addr, lens[i]);
        const char *ce = err(c);
        long t = sendto(s, "x", 1, 0, (void *)in_addr_only, lens[i]);
        printf("family %d type %d len %d: bind %s, connect %s, sendto %s\n", fams[f], types[k], lens[i], be, ce, err(t));
      }
  // An IPv6 socket sends within the IP version of its local address.
  struct sockaddr_in6 lo6 = in6("::1", 0), mapped = in6("::ffff:127.0.0.1", 0), to_mapped = in6("::ffff:127.0.0.1", 9), to6 = in6("::1", 9);
  int s = socket(AF_INET6, SOCK_DGRAM, 0);
  printf("bind ::1 %s\n", err(bind(s, (void *)&lo6, sizeof lo6)));
  printf("::1 to v4-mapped: %s\n", err(sendto(s, "x", 1, 0, (void *)&to_mapped, sizeof to_mapped)));
  s = socket(AF_INET6, SOCK_DGRAM, 0);
  printf("bind v4-mapped %s\n", err(bind(s, (void *)&mapped, sizeof mapped)));
  printf("v4-mapped to ::1: %s\n", err(sendto(s, "x", 1, 0, (void *)&to6, sizeof to6)));
  // Integer IP options: nothing sets 0, fewer than 4 bytes set and read one byte.
  for (int k = 0; k < 2; k++) {
    s = socket(AF_INET, types[k], 0);
    for (int i = 0; i <= 4; i++) {
      int set = 0xc0;
      long r = setsockopt(s, SOL_IP, IP_TOS, &set, i);
      unsigned got = 0xffffffff;
      socklen_t len = i;
      getsockopt(s, SOL_IP, IP_TOS, &got, &len);
      printf("type %d IP_TOS size %d: set %s, read %u bytes %#x\n", types[k], i, err(r), len, got);
    }
    int ttl = 0;
    socklen_t len = 1;
    getsockopt(s, SOL_IP, IP_TTL, &ttl, &len);
    printf("IP_TTL into 1 byte: %u bytes %d; MULTICAST_TTL size 0: %s\n", len, ttl, err(setsockopt(s, SOL_IP, IP_MULTICAST_TTL, &ttl, 0)));
  }
  return 0;
}
`;

describe('inet socket addresses and option sizes match Linux', () => {
  it.skipIf(!canUnshareNetwork)(
    'short addresses of another family are EINVAL, TCP ignores sendto addresses, v6 sockets keep to their local IP version, int IP options take 0 to 3 bytes',
    () => {
      sameAsLinuxInNetns([compileC(PROGRAM)]);
    },
    120_000,
  );
});
