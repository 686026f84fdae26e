/**
 * The two C programs the header-conformance test builds. glibc's headers and
 * the kernel's uapi headers define clashing types (struct termios, struct
 * sigaction, struct stat...), so each table is checked in exactly one of them.
 */
export type Program = 'libc' | 'uapi';

export const PRELUDES: Record<Program, string> = {
  libc: `#define _GNU_SOURCE
#include <stdio.h>
#include <stddef.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <time.h>
#include <sched.h>
#include <poll.h>
#include <dirent.h>
#include <elf.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/uio.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/signalfd.h>
#include <sys/inotify.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/user.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <sys/sysinfo.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <sys/statvfs.h>
#include <sys/mount.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <net/if.h>
#include <utime.h>
#include <unistd.h>
#include <pthread.h>
#include <sys/xattr.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if.h>
#include <net/if_arp.h>
#include <net/route.h>
#include <linux/sockios.h>
#include <linux/icmp.h>
#include <netinet/icmp6.h>
`,
  uapi: `#include <stddef.h>
int printf(const char *, ...);
#include <linux/types.h>
#include <asm/unistd.h>
#include <linux/fcntl.h>
#include <linux/openat2.h>
#include <linux/stat.h>
#include <linux/signal.h>
#include <asm/siginfo.h>
#include <asm/sigcontext.h>
#include <asm/ucontext.h>
#include <linux/ptrace.h>
#include <linux/elf.h>
#include <linux/auxvec.h>
#include <asm/prctl.h>
#include <linux/wait.h>
#include <linux/mman.h>
#include <linux/membarrier.h>
#include <asm/termbits.h>
#include <asm/ioctls.h>
#include <asm/sockios.h>
#include <asm/termios.h>
#include <linux/uio.h>
#include <linux/futex.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <linux/rseq.h>
#include <linux/sched.h>
#include <linux/sched/types.h>
#include <linux/mqueue.h>
#include <linux/prctl.h>
#include <linux/resource.h>
#include <linux/ioprio.h>
#include <linux/time.h>
#include <linux/eventpoll.h>
#include <linux/poll.h>
#include <linux/close_range.h>
#include <linux/memfd.h>
#include <linux/seccomp.h>
#include <linux/filter.h>
#include <linux/audit.h>
#include <linux/falloc.h>
#include <linux/aio_abi.h>
#include <linux/io_uring.h>
#include <linux/mempolicy.h>
#include <linux/limits.h>
#include <linux/mount.h>
#include <linux/magic.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/ethtool.h>
#include <linux/virtio_net.h>
#include <linux/if_tun.h>
#include <asm-generic/ioctl.h>

/* The kernel's x86-64 signal frame (arch/x86/include/asm/sigframe.h); not a uapi type. */
struct rt_sigframe {
  char *pretcode;
  struct ucontext uc;
  siginfo_t info;
};
`,
};
