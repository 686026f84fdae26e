import { describe, it } from 'vitest';
import { canUnshareNetwork, compileC, sameAsLinuxInNetns } from './helpers.js';

// /dev/net/tun with Linux as the oracle: the same program runs in a fresh
// network namespace (lo up) and under runsc do, and must print the same
// lines. It makes a TUN and a TAP interface, configures them with iproute2's
// `ip` (netlink), and talks to the stack through them: a ping answered over
// the TUN (its request written as two iovecs, one packet), a UDP datagram
// sent out through it, ARP on the TAP, and the interfaces' lifetimes
// (removed with their last file unless persistent). Every read polls with a
// timeout, so nothing waits for ever.

const PROGRAM = String.raw`#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>

static const char *err(long r) { return r < 0 ? strerror(errno) : "ok"; }

static unsigned short csum(const void *p, int n) {
  const unsigned char *b = p;
  unsigned long s = 0;
  for (int i = 0; i + 1 < n; i += 2) s += (b[i] << 8) | b[i + 1];
  if (n & 1) s += b[n - 1] << 8;
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return htons(~s & 0xffff);
}

static int make(const char *name, int flags, char *got) {
  int fd = open("/dev/net/tun", O_RDWR);
  struct ifreq r = {.ifr_flags = flags};
  strncpy(r.ifr_name, name, IFNAMSIZ - 1);
  long rc = ioctl(fd, TUNSETIFF, &r);
  printf("TUNSETIFF %s flags %#x: %s, name %s\n", name, flags, err(rc), r.ifr_name);
  if (got) strcpy(got, r.ifr_name);
  return fd;
}

// Reads packets for up to 5 s until one whose byte at 'at' is 'want' (after 'skip' bytes of header).
static int wait_for(int fd, unsigned char *buf, int size, int at, int want) {
  for (;;) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    if (poll(&p, 1, 5000) != 1) return -1;
    int n = read(fd, buf, size);
    if (n > at && buf[at] == want) return n;
  }
}

static void sh(const char *cmd) { if (system(cmd) != 0) printf("failed: %s\n", cmd); }

int main(void) {
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  struct stat st;
  stat("/dev/net/tun", &st);
  printf("/dev/net/tun: chr %d, %u:%u\n", S_ISCHR(st.st_mode), major(st.st_rdev), minor(st.st_rdev));
  int fd = open("/dev/net/tun", O_RDWR);
  char b[64];
  struct ifreq r = {0};
  printf("unattached: read %s, write %s, TUNGETIFF %s\n", err(read(fd, b, sizeof b)), err(write(fd, b, sizeof b)), err(ioctl(fd, TUNGETIFF, &r)));
  close(fd);

  // A TUN without packet info: the kernel answers a ping written in two pieces.
  char name[IFNAMSIZ];
  int tun = make("", IFF_TUN | IFF_NO_PI, name);
  memset(&r, 0, sizeof r);
  ioctl(tun, TUNGETIFF, &r);
  printf("TUNGETIFF: %s %#x; index known %d\n", r.ifr_name, r.ifr_flags, if_nametoindex(name) > 0);
  struct ifreq q = {0};
  strcpy(q.ifr_name, name);
  ioctl(u, SIOCGIFFLAGS, &q);
  printf("flags %#x\n", q.ifr_flags);
  ioctl(u, SIOCGIFHWADDR, &q);
  printf("hardware type %d\n", q.ifr_hwaddr.sa_family);
  unsigned char pkt[128] = {0};
  struct iphdr *ip = (void *)pkt;
  ip->ihl = 5, ip->version = 4, ip->tot_len = htons(20 + 8 + 16), ip->ttl = 64, ip->protocol = IPPROTO_ICMP;
  ip->saddr = inet_addr("10.7.0.2"), ip->daddr = inet_addr("10.7.0.1");
  ip->check = csum(ip, 20);
  struct icmphdr *icmp = (void *)(pkt + 20);
  icmp->type = ICMP_ECHO, icmp->un.echo.id = htons(77), icmp->un.echo.sequence = htons(1);
  memcpy(pkt + 28, "sixteen bytes!!", 16);
  icmp->checksum = csum(icmp, 24);
  printf("write while down: %s\n", err(write(tun, pkt, 44)));
  char cmd[128];
  snprintf(cmd, sizeof cmd, "ip addr add 10.7.0.1/24 dev %s && ip link set %s up", name, name);
  sh(cmd);
  struct iovec iov[2] = {{pkt, 30}, {pkt + 30, 14}};
  printf("writev ping: %ld\n", (long)writev(tun, iov, 2));
  unsigned char in[2048];
  int n = wait_for(tun, in, sizeof in, 20, ICMP_ECHOREPLY);
  struct iphdr *rip = (void *)in;
  struct icmphdr *ricmp = (void *)(in + 20);
  printf("reply: %d bytes, from %s, id %d, payload %.15s\n", n, inet_ntoa(*(struct in_addr *)&rip->saddr), ntohs(ricmp->un.echo.id), in + 28);
  // A datagram sent to the TUN's subnet comes out of the file as one IPv4 packet.
  struct sockaddr_in to = {.sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = inet_addr("10.7.0.9")};
  sendto(u, "hello", 5, 0, (void *)&to, sizeof to);
  n = wait_for(tun, in, sizeof in, 9, IPPROTO_UDP);
  printf("udp out: %d bytes, to %s, port %d, %.5s\n", n, inet_ntoa(*(struct in_addr *)&rip->daddr), ntohs(*(unsigned short *)(in + 22)), in + 28);
  printf("short read: %ld\n", (long)(sendto(u, "hello", 5, 0, (void *)&to, sizeof to), wait_for(tun, in, 10, 9, IPPROTO_UDP)));

  // A TAP with packet info: the kernel asks for the peer's MAC with ARP before it answers.
  int tap = make("tvtap%d", IFF_TAP, name);
  snprintf(cmd, sizeof cmd, "ip addr add 10.8.0.1/24 dev %s && ip link set %s up", name, name);
  sh(cmd);
  struct ifreq hw = {0};
  strcpy(hw.ifr_name, name);
  printf("SIOCGIFHWADDR: %s, type %d\n", err(ioctl(u, SIOCGIFHWADDR, &hw)), hw.ifr_hwaddr.sa_family);
  unsigned char frame[256] = {0};
  frame[2] = 0x08;  // tun_pi: proto ETH_P_IP
  unsigned char mac_b[6] = {2, 0, 0, 0, 0, 0xb};
  memcpy(frame + 4, hw.ifr_hwaddr.sa_data, 6), memcpy(frame + 10, mac_b, 6), frame[16] = 0x08;
  ip->saddr = inet_addr("10.8.0.2"), ip->daddr = inet_addr("10.8.0.1"), ip->check = 0, ip->check = csum(ip, 20);
  memcpy(frame + 18, pkt, 44);
  printf("write ping: %ld\n", (long)write(tap, frame, 62));
  n = wait_for(tap, in, sizeof in, 3, 0x06);  // pi.proto low byte: ETH_P_ARP
  printf("arp: %d bytes, pi proto %#x, op %d, asks for %d.%d.%d.%d\n", n, (in[2] << 8) | in[3], in[4 + 21], in[4 + 38], in[4 + 39], in[4 + 40], in[4 + 41]);

  // Lifetimes: a persistent device survives its file and can be attached again.
  printf("persist: %s\n", err(ioctl(tap, TUNSETPERSIST, 1)));
  close(tap);
  printf("after close: persistent %d, tun %d\n", if_nametoindex(name) > 0, if_nametoindex("tun0") > 0);
  close(tun);
  printf("tun0 after its close: %d\n", if_nametoindex("tun0") > 0);
  tap = make(name, IFF_TAP, 0);
  int busy = make(name, IFF_TAP, 0);
  int wrong = make(name, IFF_TUN, 0);
  close(busy), close(wrong);
  printf("unpersist: %s\n", err(ioctl(tap, TUNSETPERSIST, 0)));
  close(tap);
  printf("after last close: %d\n", if_nametoindex(name) > 0);
  // ip link del takes the interface from under its file: the file is left unattached.
  int gone = make("tvdel0", IFF_TUN, 0);
  sh("ip link del tvdel0");
  struct pollfd pg = {.fd = gone, .events = POLLIN};
  poll(&pg, 1, 0);
  printf("after ip link del: index %d, read %s, poll %#x\n", if_nametoindex("tvdel0") > 0, err(read(gone, b, sizeof b)), pg.revents);
  close(gone);
  make("bad/name", IFF_TUN, 0);
  make("lo", IFF_TUN, 0);
  return 0;
}
`;

describe('/dev/net/tun matches Linux', () => {
  it.skipIf(!canUnshareNetwork)(
    'TUN and TAP interfaces: creation, ioctls, a ping answered, a datagram sent out, ARP, persistence',
    () => {
      sameAsLinuxInNetns([compileC(PROGRAM)]);
    },
    120_000,
  );
});
