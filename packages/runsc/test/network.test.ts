import { describe, expect, it } from 'vitest';
import { canUnshareNetwork, compileC, runsc, sameAsLinuxInNetns } from './helpers.js';

// The oracle is Linux in a network namespace of the test's own making
// (`unshare -n`, lo brought up): the state a sandbox starts with. The same
// command runs there and under `runsc do`; outputs must match.

describe.skipIf(!canUnshareNetwork)('the sandbox network as Linux shows it', () => {
  it('ip addr, ip link and the IPv4 routes print what Linux prints for a namespace with lo up', () => {
    expect(sameAsLinuxInNetns(['ip', '-o', 'addr'])).toContain('1: lo    inet 127.0.0.1/8 scope host lo');
    sameAsLinuxInNetns(['ip', '-o', 'link']);
    expect(sameAsLinuxInNetns(['ip', '-4', 'route', 'show', 'table', 'all'])).toContain(
      'local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1',
    );
    sameAsLinuxInNetns(['python3', '-c', 'import socket; print(socket.if_nameindex())']);
  });

  it('getifaddrs and the SIOCGIF ioctls describe lo as Linux does', () => {
    const prog = compileC(String.raw`#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_packet.h>
static void addr(const char *what, struct sockaddr *sa) {
  char buf[64] = "-";
  if (sa && sa->sa_family == AF_INET) inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, buf, sizeof buf);
  if (sa && sa->sa_family == AF_INET6) inet_ntop(AF_INET6, &((struct sockaddr_in6 *)sa)->sin6_addr, buf, sizeof buf);
  printf(" %s=%s", what, buf);
}
int main(void) {
  struct ifaddrs *all;
  if (getifaddrs(&all) < 0) { perror("getifaddrs"); return 1; }
  for (struct ifaddrs *i = all; i; i = i->ifa_next) {
    printf("%s family=%d flags=%#x", i->ifa_name, i->ifa_addr ? i->ifa_addr->sa_family : -1, i->ifa_flags);
    addr("addr", i->ifa_addr);
    addr("mask", i->ifa_netmask);
    printf("\n");
  }
  freeifaddrs(all);
  int fds[2] = {socket(AF_INET, SOCK_DGRAM, 0), socket(AF_UNIX, SOCK_STREAM, 0)};
  for (int k = 0; k < 2; k++) {
    int fd = fds[k];
    struct ifreq r;
    int rc;
    memset(&r, 0, sizeof r);
    strcpy(r.ifr_name, "lo");
#define ASK(label, req) (errno = 0, rc = ioctl(fd, req, &r), printf("%s %d %s", label, rc, rc ? strerror(errno) : "ok"))
    ASK("flags", SIOCGIFFLAGS); printf(" %#x\n", r.ifr_flags & 0xffff);
    ASK("index", SIOCGIFINDEX); printf(" %d\n", r.ifr_ifindex);
    ASK("mtu", SIOCGIFMTU); printf(" %d\n", r.ifr_mtu);
    memset(&r.ifr_addr, 0, sizeof r.ifr_addr);
    ASK("addr", SIOCGIFADDR); addr("a", rc ? NULL : &r.ifr_addr); printf("\n");
    ASK("mask", SIOCGIFNETMASK); addr("m", rc ? NULL : &r.ifr_netmask); printf("\n");
    ASK("hw", SIOCGIFHWADDR); printf(" %d\n", r.ifr_hwaddr.sa_family);
    ASK("txqlen", SIOCGIFTXQLEN); printf(" %d\n", r.ifr_qlen);
    ASK("metric", SIOCGIFMETRIC); printf(" %d\n", r.ifr_metric);
    memset(&r.ifr_addr, 0, sizeof r.ifr_addr);
    ASK("brd", SIOCGIFBRDADDR); addr("b", rc ? NULL : &r.ifr_broadaddr); printf("\n");
    memset(&r.ifr_addr, 0, sizeof r.ifr_addr);
    ASK("dst", SIOCGIFDSTADDR); addr("d", rc ? NULL : &r.ifr_dstaddr); printf("\n");
    r.ifr_ifindex = 1;
    ASK("name", SIOCGIFNAME); printf(" %s\n", r.ifr_name);
    strcpy(r.ifr_name, "nosuch0");
    ASK("missing", SIOCGIFFLAGS); printf("\n");
    struct ifreq reqs[4];
    struct ifconf conf = {.ifc_len = 0, .ifc_buf = NULL};
    rc = ioctl(fd, SIOCGIFCONF, &conf);
    printf("conf size %d %d\n", rc, conf.ifc_len);
    conf.ifc_len = sizeof reqs;
    conf.ifc_req = reqs;
    rc = ioctl(fd, SIOCGIFCONF, &conf);
    printf("conf %d %d", rc, conf.ifc_len);
    for (int j = 0; j < conf.ifc_len / (int)sizeof(struct ifreq); j++) { printf(" %s", reqs[j].ifr_name); addr("a", &reqs[j].ifr_addr); }
    printf("\n");
  }
  return 0;
}
`);
    const out = sameAsLinuxInNetns([prog]);
    expect(out).toContain('lo family=2 flags=0x10049 addr=127.0.0.1 mask=255.0.0.0');
    expect(out).toContain('conf 0 40 lo a=127.0.0.1');
  });

  it('/proc/net lists the sandbox own listening TCP and bound UDP sockets in the kernel format', () => {
    const prog = compileC(String.raw`#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
/* Prints the lines of a /proc/net file that mention needle: columns 2 to keep (sl is a hash slot for
   UDP, and the inode differs between the host and the sandbox). */
static void show(const char *file, const char *needle, int keep) {
  FILE *f = fopen(file, "r");
  char line[512];
  if (!f) { perror(file); return; }
  fgets(line, sizeof line, f);
  line[strcspn(line, "\n")] = 0;
  printf("%s header [%s]\n", file, line);
  while (fgets(line, sizeof line, f)) {
    if (!strstr(line, needle)) continue;
    char *p = line; int col = 0;
    while (*p && col < keep) { while (*p == ' ') p++; while (*p && *p != ' ') p++; col++; }
    *p = 0;
    char *from = strchr(line, ':') + 2;
    printf("%s [%s]\n", file, from);
  }
  fclose(f);
}
int main(void) {
  int t = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(t, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(0x7a69), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (bind(t, (void *)&a, sizeof a) || listen(t, 5)) { perror("tcp"); return 1; }
  int t6 = socket(AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(0x7a6a), .sin6_addr = IN6ADDR_LOOPBACK_INIT};
  if (bind(t6, (void *)&a6, sizeof a6) || listen(t6, 5)) { perror("tcp6"); return 1; }
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  a.sin_port = htons(0x7a6b);
  if (bind(u, (void *)&a, sizeof a)) { perror("udp"); return 1; }
  int x = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un un = {.sun_family = AF_UNIX};
  strcpy(un.sun_path + 1, "tvisor-proc-net-test");
  if (bind(x, (void *)&un, sizeof(sa_family_t) + 1 + strlen(un.sun_path + 1)) || listen(x, 5)) { perror("unix"); return 1; }
  show("/proc/net/tcp", ":7A69", 9);
  show("/proc/net/tcp6", ":7A6A", 9);
  show("/proc/net/udp", ":7A6B", 9);
  /* Num (a pointer) and Inode differ: keep RefCount..St, then the path. */
  FILE *f = fopen("/proc/net/unix", "r");
  char line[512], num[32], ref[16], proto[16], flags[16], type[8], st[8], path[128];
  unsigned long ino;
  while (f && fgets(line, sizeof line, f)) {
    if (sscanf(line, "%31s %15s %15s %15s %7s %7s %lu %127s", num, ref, proto, flags, type, st, &ino, path) == 8 && strstr(path, "tvisor-proc-net-test"))
      printf("unix %s %s %s %s %s\n", proto, flags, type, st, path);
  }
  return 0;
}
`);
    const out = sameAsLinuxInNetns([prog]);
    expect(out).toContain('/proc/net/tcp [0100007F:7A69 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0]');
    expect(out).toContain('/proc/net/udp [0100007F:7A6B 00000000:0000 07');
    expect(out).toContain('unix 00000000 00010000 0001 01 @tvisor-proc-net-test');
  });

  it('ip link set lo down cuts loopback traffic until it is brought up again', () => {
    const prog = compileC(String.raw`#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
static void attempt(const char *label) {
  int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(0x7a70), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  bind(l, (void *)&a, sizeof a);
  listen(l, 1);
  int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  errno = 0;
  int r = connect(c, (void *)&a, sizeof a);
  printf("%s: connect %d %s\n", label, r, r ? strerror(errno) : "ok");
  close(c);
  close(l);
}
int main(void) {
  attempt("up");
  if (system("ip link set lo down")) return 1;
  attempt("down");
  if (system("ip -o link show lo | grep -o 'state [A-Z]*'")) return 1;
  if (system("ip link set lo up")) return 1;
  attempt("up again");
  return 0;
}
`);
    const out = sameAsLinuxInNetns([prog]);
    // Linux keeps local routes while lo is down: the SYN goes nowhere.
    expect(out).toContain('down: connect -1 Operation now in progress');
  });

  it('--network takes sandbox, host and none; anything else fails with one line and status 2', () => {
    for (const mode of ['sandbox', 'host', 'none']) {
      expect(runsc([`--network=${mode}`, 'do', 'true']).status).toBe(0);
      expect(runsc(['do', `-network=${mode}`, 'true']).status).toBe(0);
    }
    for (const args of [
      ['--network=bogus', 'do', 'true'],
      ['do', '-network=bogus', 'true'],
    ]) {
      const r = runsc(args);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe('runsc: invalid value "bogus" for flag -network: invalid network type "bogus"\n');
    }
  });
});
