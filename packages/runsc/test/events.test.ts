import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

/**
 * Polling and event files (poll/select, epoll, eventfd, timerfd, signalfd):
 * each C program runs natively and under `runsc do`, and stdout must be the
 * same. Programs print only what Linux makes deterministic (time-dependent
 * values are printed as comparisons).
 */

/** Compiles `source`, runs it both ways, and expects identical stdout and a clean exit. */
function sameAsLinux(source: string): string {
  const prog = compileC(source);
  const want = native([prog]);
  expect(want.status).toBe(0);
  const got = runsc(['do', prog]);
  expect(got.stdout).toBe(want.stdout);
  expect(got.status).toBe(0);
  return got.stdout;
}

const POLL_SELECT = `
#define _GNU_SOURCE
#include <poll.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/select.h>
#include <time.h>
int main(void) {
  int p[2]; pipe(p);
  struct pollfd f[3] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}, {99, POLLIN, 0}};
  int n = poll(f, 3, 0);
  printf("empty: n=%d r=%x w=%x bad=%x\\n", n, f[0].revents, f[1].revents, f[2].revents);
  write(p[1], "x", 1);
  n = poll(f, 2, 0);
  printf("data: n=%d r=%x w=%x\\n", n, f[0].revents, f[1].revents);
  char c; read(p[0], &c, 1);
  struct timespec a, b; clock_gettime(CLOCK_MONOTONIC, &a);
  n = poll(f, 1, 100);
  clock_gettime(CLOCK_MONOTONIC, &b);
  long ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
  printf("timeout: n=%d r=%x waited>=90ms:%d\\n", n, f[0].revents, ms >= 90);
  close(p[1]);
  n = poll(f, 1, -1);
  printf("hup: n=%d r=%x\\n", n, f[0].revents);
  int q[2]; pipe(q);
  if (fork() == 0) { usleep(50000); write(q[1], "y", 1); _exit(0); }
  struct pollfd g = {q[0], POLLIN, 0};
  n = poll(&g, 1, 5000);
  printf("wakeup: n=%d r=%x\\n", n, g.revents);
  // A timeout far beyond a host timer's range must not end the wait early.
  char cc; read(q[0], &cc, 1);
  fflush(stdout);
  if (fork() == 0) { usleep(50000); write(q[1], "w", 1); _exit(0); }
  struct timespec huge = {1000000000, 0};
  g.revents = 0;
  n = ppoll(&g, 1, &huge, NULL);
  printf("huge timeout: n=%d r=%x\\n", n, g.revents);
  fd_set rs, ws; FD_ZERO(&rs); FD_ZERO(&ws);
  FD_SET(q[0], &rs); FD_SET(q[1], &ws); FD_SET(p[0], &rs);
  struct timeval tv = {1, 0};
  n = select(q[1] + 1, &rs, &ws, NULL, &tv);
  printf("select: n=%d q0=%d q1w=%d p0=%d left<=1s:%d\\n", n, FD_ISSET(q[0], &rs), FD_ISSET(q[1], &ws), FD_ISSET(p[0], &rs), tv.tv_sec <= 1);
  read(q[0], &c, 1);
  FD_ZERO(&rs); FD_SET(q[0], &rs);
  tv.tv_sec = 0; tv.tv_usec = 50000;
  n = select(q[0] + 1, &rs, NULL, NULL, &tv);
  printf("select timeout: n=%d set=%d tv=%ld.%06ld\\n", n, FD_ISSET(q[0], &rs), (long)tv.tv_sec, (long)tv.tv_usec);
  FD_ZERO(&rs); FD_SET(77, &rs);
  tv.tv_sec = 0; tv.tv_usec = 0;
  n = select(78, &rs, NULL, NULL, &tv);
  perror("select bad fd");
  return 0;
}
`;

const EPOLL = `
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
static int wait0(int ep, const char *what) {
  struct epoll_event ev[8];
  int n = epoll_wait(ep, ev, 8, 0);
  printf("%s: n=%d", what, n);
  for (int i = 0; i < n; i++) printf(" [%llu %x]", (unsigned long long)ev[i].data.u64, ev[i].events);
  printf("\\n");
  return n;
}
static void show(const char *what, int rc) { printf("%s: %d %s\\n", what, rc, rc < 0 ? strerror(errno) : "ok"); }
int main(void) {
  int p[2]; pipe(p);
  int lt = epoll_create1(EPOLL_CLOEXEC), et = epoll_create(1);
  printf("cloexec=%d\\n", fcntl(lt, F_GETFD));
  struct epoll_event e = {.events = EPOLLIN, .data.u64 = 0x1122334455667788ULL};
  epoll_ctl(lt, EPOLL_CTL_ADD, p[0], &e);
  e.events = EPOLLIN | EPOLLET; e.data.u64 = 7;
  epoll_ctl(et, EPOLL_CTL_ADD, p[0], &e);
  wait0(lt, "lt empty"); wait0(et, "et empty");
  write(p[1], "ab", 2);
  wait0(lt, "lt data"); wait0(lt, "lt again");
  wait0(et, "et data"); wait0(et, "et again");
  write(p[1], "c", 1);
  wait0(et, "et more");
  char buf[8]; read(p[0], buf, 8);
  wait0(lt, "lt drained");
  // oneshot
  int os = epoll_create1(0);
  e.events = EPOLLIN | EPOLLONESHOT; e.data.u64 = 9;
  epoll_ctl(os, EPOLL_CTL_ADD, p[0], &e);
  write(p[1], "d", 1);
  wait0(os, "oneshot first"); wait0(os, "oneshot second");
  e.events = EPOLLIN | EPOLLONESHOT; e.data.u64 = 10;
  printf("mod=%d\\n", epoll_ctl(os, EPOLL_CTL_MOD, p[0], &e));
  wait0(os, "oneshot rearmed");
  // errors
  e.events = EPOLLIN;
  show("add twice", epoll_ctl(lt, EPOLL_CTL_ADD, p[0], &e));
  show("mod missing", epoll_ctl(lt, EPOLL_CTL_MOD, p[1], &e));
  show("del missing", epoll_ctl(lt, EPOLL_CTL_DEL, p[1], &e));
  show("self", epoll_ctl(lt, EPOLL_CTL_ADD, lt, &e));
  show("bad fd", epoll_ctl(lt, EPOLL_CTL_ADD, 99, &e));
  show("not epoll", epoll_ctl(p[0], EPOLL_CTL_ADD, p[1], &e));
  show("bad op", epoll_ctl(lt, 42, p[1], &e));
  int reg = open("/etc/hostname", O_RDONLY);
  show("regular file", epoll_ctl(lt, EPOLL_CTL_ADD, reg, &e));
  e.events = EPOLLIN | EPOLLEXCLUSIVE;
  printf("exclusive add: %d\\n", epoll_ctl(et, EPOLL_CTL_ADD, p[1], &e));
  show("exclusive mod", epoll_ctl(et, EPOLL_CTL_MOD, p[1], &e));
  e.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
  show("exclusive oneshot", epoll_ctl(os, EPOLL_CTL_ADD, p[1], &e));
  // epoll of epoll and loops
  int outer = epoll_create1(0);
  e.events = EPOLLIN; e.data.u64 = 100;
  printf("nest: %d\\n", epoll_ctl(outer, EPOLL_CTL_ADD, lt, &e));
  show("loop", epoll_ctl(lt, EPOLL_CTL_ADD, outer, &e));
  wait0(outer, "outer empty");
  write(p[1], "e", 1);
  wait0(outer, "outer ready");
  show("wait bad max", epoll_wait(lt, NULL, 0, 0));
  show("wait not epoll", epoll_wait(p[0], (struct epoll_event[1]){}, 1, 0));
  // eventfd in epoll: writable and readable
  int efd = eventfd(0, EFD_NONBLOCK);
  int ep2 = epoll_create1(0);
  e.events = EPOLLIN | EPOLLOUT; e.data.u64 = 5;
  epoll_ctl(ep2, EPOLL_CTL_ADD, efd, &e);
  wait0(ep2, "eventfd empty");
  eventfd_write(efd, 3);
  wait0(ep2, "eventfd 3");
  // close removes the item
  close(p[0]);
  wait0(lt, "after close");
  // blocking wait woken by a child
  int q[2]; pipe(q);
  int ep3 = epoll_create1(0);
  e.events = EPOLLIN; e.data.u64 = 33;
  epoll_ctl(ep3, EPOLL_CTL_ADD, q[0], &e);
  if (fork() == 0) { usleep(30000); write(q[1], "z", 1); _exit(0); }
  struct epoll_event got;
  int n = epoll_wait(ep3, &got, 1, 5000);
  printf("blocking: n=%d data=%llu ev=%x\\n", n, (unsigned long long)got.data.u64, got.events);
  n = epoll_wait(epoll_create1(0), &got, 1, 50);
  printf("timeout: n=%d\\n", n);
  return 0;
}
`;

const EVENTFD = `
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
static void show(const char *what, long rc) { printf("%s: %ld %s\\n", what, rc, rc < 0 ? strerror(errno) : "ok"); }
int main(void) {
  int fd = eventfd(5, EFD_NONBLOCK | EFD_CLOEXEC);
  printf("flags: fd=%d cloexec=%d nonblock=%d\\n", fd >= 0, fcntl(fd, F_GETFD), (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
  uint64_t v = 0;
  show("read", read(fd, &v, 8)); printf("value %llu\\n", (unsigned long long)v);
  show("read empty", read(fd, &v, 8));
  v = 3; show("write 3", write(fd, &v, 8));
  v = 4; show("write 4", write(fd, &v, 8));
  show("read", read(fd, &v, 8)); printf("value %llu\\n", (unsigned long long)v);
  show("short read", read(fd, &v, 4));
  show("short write", write(fd, &v, 4));
  v = UINT64_MAX; show("write max+1", write(fd, &v, 8));
  v = UINT64_MAX - 1; show("write max", write(fd, &v, 8));
  struct pollfd p = {fd, POLLIN | POLLOUT, 0};
  poll(&p, 1, 0); printf("full revents %x\\n", p.revents);
  v = 1; show("write overflow", write(fd, &v, 8));
  show("read", read(fd, &v, 8)); printf("value %llx\\n", (unsigned long long)v);
  poll(&p, 1, 0); printf("empty revents %x\\n", p.revents);
  int s = eventfd(2, EFD_SEMAPHORE);
  for (int i = 0; i < 2; i++) { show("sem read", read(s, &v, 8)); printf("value %llu\\n", (unsigned long long)v); }
  fcntl(s, F_SETFL, O_NONBLOCK);
  show("sem empty", read(s, &v, 8));
  show("bad flags", eventfd(0, 0x10));
  // blocking read woken by a child's write
  int b = eventfd(0, 0);
  if (fork() == 0) { usleep(30000); uint64_t one = 42; write(b, &one, 8); _exit(0); }
  show("blocking read", read(b, &v, 8)); printf("value %llu\\n", (unsigned long long)v);
  // blocking write on overflow, unblocked by a child's read
  v = UINT64_MAX - 1; write(b, &v, 8);
  if (fork() == 0) { usleep(30000); uint64_t x; read(b, &x, 8); _exit(0); }
  v = 7; show("blocking write", write(b, &v, 8));
  show("read", read(b, &v, 8)); printf("value %llu\\n", (unsigned long long)v);
  return 0;
}
`;

const TIMERFD = `
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/timerfd.h>
static void show(const char *what, long rc) { printf("%s: %ld %s\\n", what, rc, rc < 0 ? strerror(errno) : "ok"); }
int main(void) {
  int fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  uint64_t n = 0;
  show("read disarmed", read(fd, &n, 8));
  struct itimerspec its = {{0, 50000000}, {0, 100000000}}, old;
  struct timespec t0, t1; clock_gettime(CLOCK_MONOTONIC, &t0);
  show("settime", timerfd_settime(fd, 0, &its, NULL));
  struct itimerspec cur; timerfd_gettime(fd, &cur);
  printf("gettime: interval=%ld.%09ld value<=0.1:%d value>0:%d\\n", (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec,
         cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec <= 100000000, cur.it_value.tv_nsec > 0);
  usleep(330000);
  show("read", read(fd, &n, 8)); clock_gettime(CLOCK_MONOTONIC, &t1);
  // Expirations at 100, 150, 200... ms: the count must match the time that passed (give or take one at the edges).
  long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
  long expect = ms < 100 ? 0 : 1 + (ms - 100) / 50;
  printf("expirations >= 5: %d, match elapsed time: %d\\n", n >= 5, (long)n >= expect - 1 && (long)n <= expect + 1);
  fprintf(stderr, "expirations %llu after %ld ms\\n", (unsigned long long)n, ms);
  show("read again", read(fd, &n, 8));
  show("short read", read(fd, &n, 4));
  struct itimerspec off = {{0, 0}, {0, 0}};
  show("disarm", timerfd_settime(fd, 0, &off, &old));
  printf("old interval=%ld.%09ld\\n", (long)old.it_interval.tv_sec, old.it_interval.tv_nsec);
  timerfd_gettime(fd, &cur);
  printf("disarmed value=%ld.%09ld\\n", (long)cur.it_value.tv_sec, cur.it_value.tv_nsec);
  // blocking read of an absolute one-shot timer
  int b = timerfd_create(CLOCK_REALTIME, 0);
  struct timespec now; clock_gettime(CLOCK_REALTIME, &now);
  now.tv_nsec += 50000000; if (now.tv_nsec >= 1000000000) { now.tv_sec++; now.tv_nsec -= 1000000000; }
  struct itimerspec abs = {{0, 0}, now};
  show("abstime", timerfd_settime(b, TFD_TIMER_ABSTIME, &abs, NULL));
  show("blocking read", read(b, &n, 8)); printf("expirations %llu\\n", (unsigned long long)n);
  show("bad clock", timerfd_create(99, 0));
  show("bad flags", timerfd_create(CLOCK_MONOTONIC, 0x10));
  struct itimerspec bad = {{0, 0}, {0, 1000000000}};
  show("bad nsec", timerfd_settime(fd, 0, &bad, NULL));
  show("not timerfd", timerfd_settime(0, 0, &its, NULL));
  show("bad fd", timerfd_gettime(99, &cur));
  return 0;
}
`;

const SIGNALFD = `
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
static void show(const char *what, long rc) { printf("%s: %ld %s\\n", what, rc, rc < 0 ? strerror(errno) : "ok"); }
int main(void) {
  sigset_t m; sigemptyset(&m); sigaddset(&m, SIGUSR1);
  sigprocmask(SIG_BLOCK, &m, NULL);
  int fd = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
  struct signalfd_siginfo si;
  show("read empty", read(fd, &si, sizeof si));
  struct pollfd p = {fd, POLLIN, 0};
  printf("poll before: %d\\n", poll(&p, 1, 0));
  kill(getpid(), SIGUSR1);
  int pr = poll(&p, 1, 0); printf("poll after: %d revents=%x\\n", pr, p.revents);
  show("read", read(fd, &si, sizeof si));
  printf("signo=%u code=%d pid_ok=%d uid=%u\\n", si.ssi_signo, si.ssi_code, si.ssi_pid == (uint32_t)getpid(), si.ssi_uid);
  sigset_t pend; sigpending(&pend); printf("still pending: %d\\n", sigismember(&pend, SIGUSR1));

  show("short read", read(fd, &si, 16));
  kill(getpid(), SIGUSR1);
  show("short read, one pending", read(fd, &si, 16));
  show("read it", read(fd, &si, sizeof si));
  // sigqueue with a value
  union sigval val = {.sival_int = 1234};
  sigqueue(getpid(), SIGUSR1, val);
  read(fd, &si, sizeof si);
  printf("queued: signo=%u code=%d int=%d\\n", si.ssi_signo, si.ssi_code, si.ssi_int);
  // change the mask of the existing signalfd
  sigaddset(&m, SIGUSR2); sigprocmask(SIG_BLOCK, &m, NULL);
  show("remask", signalfd(fd, &m, 0));
  kill(getpid(), SIGUSR2);
  read(fd, &si, sizeof si);
  printf("usr2: signo=%u\\n", si.ssi_signo);
  show("not signalfd", signalfd(0, &m, 0));
  show("bad flags", signalfd(-1, &m, 0x10));
  // blocking read woken by a child's kill
  int b = signalfd(-1, &m, 0);
  pid_t parent = getpid();
  pid_t c = fork();
  if (c == 0) { usleep(30000); kill(parent, SIGUSR2); _exit(0); }
  show("blocking read", read(b, &si, sizeof si));
  printf("from child: signo=%u pid_ok=%d\\n", si.ssi_signo, si.ssi_pid == (uint32_t)c);
  waitpid(c, NULL, 0);
  // A child reading an inherited signalfd reads its own signals, not its parent's.
  kill(getpid(), SIGUSR1);
  fflush(stdout);
  c = fork();
  if (c == 0) {
    struct signalfd_siginfo ci;
    int r = read(fd, &ci, sizeof ci);
    kill(getpid(), SIGUSR2);
    r = read(fd, &ci, sizeof ci);
    printf("child: r=%d signo=%u own=%d\\n", r, ci.ssi_signo, ci.ssi_pid == (uint32_t)getpid());
    fflush(stdout);
    _exit(0);
  }
  waitpid(c, NULL, 0);
  show("parent still has its SIGUSR1", read(fd, &si, sizeof si));
  printf("parent: signo=%u\\n", si.ssi_signo);
  // SIGCHLD through signalfd
  sigset_t cm; sigemptyset(&cm); sigaddset(&cm, SIGCHLD); sigprocmask(SIG_BLOCK, &cm, NULL);
  int cf = signalfd(-1, &cm, 0);
  c = fork();
  if (c == 0) _exit(3);
  read(cf, &si, sizeof si);
  printf("chld: signo=%u code=%d status=%d pid_ok=%d\\n", si.ssi_signo, si.ssi_code, si.ssi_status, si.ssi_pid == (uint32_t)c);
  return 0;
}
`;

const INOTIFY = `
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
static void show(const char *what, long rc) { printf("%s: %ld %s\\n", what, rc, rc < 0 ? strerror(errno) : "ok"); }
int main(void) {
  int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  printf("cloexec=%d nonblock=%d\\n", fcntl(fd, F_GETFD), (fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
  mkdir("/tmp/inodir", 0755);
  close(open("/tmp/inodir/f", O_CREAT | O_WRONLY, 0644));
  show("watch dir", inotify_add_watch(fd, "/tmp/inodir", IN_CREATE | IN_DELETE));
  show("watch file", inotify_add_watch(fd, "/tmp/inodir/f", IN_MODIFY));
  show("same file again", inotify_add_watch(fd, "/tmp/inodir/f", IN_ATTRIB));
  show("same dir, other path", inotify_add_watch(fd, "/tmp/inodir/.", IN_CREATE | IN_MASK_ADD));
  show("mask_create on existing", inotify_add_watch(fd, "/tmp/inodir/f", IN_MODIFY | IN_MASK_CREATE));
  show("mask_add with mask_create", inotify_add_watch(fd, "/tmp/inodir/f", IN_MODIFY | IN_MASK_ADD | IN_MASK_CREATE));
  show("missing path", inotify_add_watch(fd, "/tmp/inodir/nope", IN_MODIFY));
  show("onlydir on a file", inotify_add_watch(fd, "/tmp/inodir/f", IN_MODIFY | IN_ONLYDIR));
  show("empty mask", inotify_add_watch(fd, "/tmp/inodir/f", 0));
  show("bad fd", inotify_add_watch(99, "/tmp/inodir/f", IN_MODIFY));
  show("not inotify", inotify_add_watch(0, "/tmp/inodir/f", IN_MODIFY));
  char buf[256];
  show("read empty", read(fd, buf, sizeof buf));
  struct pollfd p = {fd, POLLIN, 0};
  int n = poll(&p, 1, 0); printf("poll before rm: %d\\n", n);
  show("rm_watch", inotify_rm_watch(fd, 2));
  show("rm_watch again", inotify_rm_watch(fd, 2));
  n = poll(&p, 1, 0); printf("poll after rm: %d revents=%x\\n", n, p.revents);
  int avail = 0; ioctl(fd, FIONREAD, &avail); printf("FIONREAD %d\\n", avail);
  show("read too small", read(fd, buf, 8));
  long r = read(fd, buf, sizeof buf);
  struct inotify_event *ev = (struct inotify_event *)buf;
  printf("read %ld: wd=%d mask=%x cookie=%u len=%u\\n", r, ev->wd, ev->mask, ev->cookie, ev->len);
  show("new watch gets a new wd", inotify_add_watch(fd, "/tmp/inodir/f", IN_MODIFY));
  show("bad flags", inotify_init1(0x1));
  unlink("/tmp/inodir/f");
  rmdir("/tmp/inodir");
  return 0;
}
`;

const SIGMASK_WAITS = `
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/select.h>
#include <sys/epoll.h>
static volatile sig_atomic_t got;
static void on_usr1(int s) { got = s; }
int main(void) {
  struct sigaction sa = {0}; sa.sa_handler = on_usr1; sigaction(SIGUSR1, &sa, NULL);
  sigset_t block, empty, cur; sigemptyset(&block); sigaddset(&block, SIGUSR1); sigemptyset(&empty);
  sigprocmask(SIG_BLOCK, &block, NULL);
  int p[2]; pipe(p);
  struct pollfd f = {p[0], POLLIN, 0};
  // A signal blocked outside, unblocked by ppoll's mask: interrupts it.
  kill(getpid(), SIGUSR1);
  struct timespec ts = {5, 0};
  int n = ppoll(&f, 1, &ts, &empty);
  printf("ppoll pending: n=%d errno=%s got=%d\\n", n, strerror(errno), got);
  sigprocmask(SIG_BLOCK, NULL, &cur); printf("mask restored: %d\\n", sigismember(&cur, SIGUSR1));
  got = 0;
  pid_t parent = getpid();
  if (fork() == 0) { usleep(50000); kill(parent, SIGUSR1); _exit(0); }
  n = ppoll(&f, 1, NULL, &empty);
  printf("ppoll woken: n=%d errno=%s got=%d\\n", n, strerror(errno), got);
  sigprocmask(SIG_BLOCK, NULL, &cur); printf("mask restored: %d\\n", sigismember(&cur, SIGUSR1));
  // ppoll with a timeout and a mask, nothing happens: times out, mask unchanged
  ts.tv_sec = 0; ts.tv_nsec = 30000000;
  n = ppoll(&f, 1, &ts, &empty);
  printf("ppoll timeout: n=%d ts=%ld.%09ld\\n", n, (long)ts.tv_sec, ts.tv_nsec);
  // pselect with the same
  got = 0;
  if (fork() == 0) { usleep(50000); kill(parent, SIGUSR1); _exit(0); }
  fd_set rs; FD_ZERO(&rs); FD_SET(p[0], &rs);
  n = pselect(p[0] + 1, &rs, NULL, NULL, NULL, &empty);
  printf("pselect woken: n=%d errno=%s got=%d\\n", n, strerror(errno), got);
  // epoll_pwait
  got = 0;
  int ep = epoll_create1(0);
  struct epoll_event e = {.events = EPOLLIN};
  epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &e);
  if (fork() == 0) { usleep(50000); kill(parent, SIGUSR1); _exit(0); }
  n = epoll_pwait(ep, &e, 1, -1, &empty);
  printf("epoll_pwait woken: n=%d errno=%s got=%d\\n", n, strerror(errno), got);
  sigprocmask(SIG_BLOCK, NULL, &cur); printf("mask restored: %d\\n", sigismember(&cur, SIGUSR1));
  // plain poll interrupted by an unblocked signal
  sigprocmask(SIG_UNBLOCK, &block, NULL);
  got = 0;
  if (fork() == 0) { usleep(50000); kill(parent, SIGUSR1); _exit(0); }
  n = poll(&f, 1, -1);
  printf("poll interrupted: n=%d errno=%s got=%d\\n", n, strerror(errno), got);
  // select writes back the time left when a signal ends the wait too.
  got = 0;
  if (fork() == 0) { usleep(50000); kill(parent, SIGUSR1); _exit(0); }
  struct timeval tv = {5, 0};
  FD_ZERO(&rs); FD_SET(p[0], &rs);
  n = select(p[0] + 1, &rs, NULL, NULL, &tv);
  printf("select interrupted: n=%d errno=%s got=%d time left 4.x s: %d\\n", n, strerror(errno), got, tv.tv_sec == 4 && tv.tv_usec > 0);
  return 0;
}
`;

describe('runsc do: poll, select and event files', () => {
  it('poll and select on pipes: readable, writable, POLLNVAL, POLLHUP, timeouts (0, short, beyond a host timer), a child waking the wait, EBADF', () => {
    const out = sameAsLinux(POLL_SELECT);
    expect(out).toContain('hup: n=1 r=10');
    expect(out).toContain('empty: n=2 r=0 w=4 bad=20');
  });

  it('epoll: level vs edge triggered, oneshot, epoll_ctl errors, epoll of epoll, eventfd items, blocking wait', () => {
    const out = sameAsLinux(EPOLL);
    expect(out).toContain('et again: n=0');
    expect(out).toContain('lt again: n=1 [1234605616436508552 1]');
  });

  it('eventfd: counter, semaphore mode, short buffers, the maximum, blocking read and write', () => {
    const out = sameAsLinux(EVENTFD);
    expect(out).toContain('value fffffffffffffffe');
  });

  it('timerfd: interval expirations counted after sleeping, gettime, disarm, absolute time, errors', () => {
    const out = sameAsLinux(TIMERFD);
    expect(out).toContain('expirations >= 5: 1, match elapsed time: 1');
  });

  it("signalfd: a blocked SIGUSR1 from kill, sigqueue values, a new mask, a child's kill, a child reading its own signals, SIGCHLD", () => {
    const out = sameAsLinux(SIGNALFD);
    expect(out).toContain('signo=10 code=0 pid_ok=1 uid=0');
  });

  it('inotify: watch descriptors per inode, mask updates, errnos, IN_IGNORED from inotify_rm_watch, FIONREAD', () => {
    const out = sameAsLinux(INOTIFY);
    expect(out).toContain('read 16: wd=2 mask=8000 cookie=0 len=0');
  });

  it('ppoll, pselect and epoll_pwait: the temporary mask lets a signal in, EINTR, and the old mask comes back; select writes back the time left on EINTR', () => {
    const out = sameAsLinux(SIGMASK_WAITS);
    expect(out).toContain('ppoll woken: n=-1 errno=Interrupted system call got=10');
  });

  it('python3: select.poll() on a pipe', () => {
    const script = [
      'import os, select',
      'r, w = os.pipe()',
      'p = select.poll()',
      'p.register(r, select.POLLIN)',
      'print(p.poll(0))',
      'os.write(w, b"x")',
      'print(p.poll(1000))',
      'os.close(w)',
      'os.read(r, 1)',
      'print(p.poll(1000))',
    ].join('\n');
    const r = runsc(['do', '/usr/bin/python3', '-c', script]);
    expect(r.stdout).toBe(native(['/usr/bin/python3', '-c', script]).stdout);
    expect(r.stdout).toBe('[]\n[(3, 1)]\n[(3, 16)]\n');
  });

  it("node: a timer on libuv's epoll loop", () => {
    const r = runsc(['do', process.execPath, '-e', 'setTimeout(()=>console.log("ok"),10)']);
    expect(r.stdout).toBe('ok\n');
    expect(r.status).toBe(0);
  });

  it('node: a child process and the threadpool (fs.readFile) wake the event loop', () => {
    const script = [
      'const { execFileSync } = require("child_process");',
      'const fs = require("fs");',
      'setTimeout(() => {',
      '  console.log(execFileSync("/bin/echo", ["child"]).toString().trim());',
      '  fs.readFile("/etc/hostname", (e) => console.log("readFile", e === null));',
      '}, 5);',
    ].join('\n');
    const r = runsc(['do', process.execPath, '-e', script]);
    expect(r.stdout).toBe(native([process.execPath, '-e', script]).stdout);
    expect(r.stdout).toBe('child\nreadFile true\n');
  });

  it('python3: asyncio subprocess and sleep, subprocess.run through pipes', () => {
    const script = [
      'import asyncio, subprocess',
      'async def main():',
      '    p = await asyncio.create_subprocess_exec("/bin/echo", "hi", stdout=asyncio.subprocess.PIPE)',
      '    out, _ = await p.communicate()',
      '    await asyncio.sleep(0.01)',
      '    print("asyncio", out.decode().strip(), p.returncode)',
      'asyncio.run(main())',
      'r = subprocess.run(["/bin/cat"], input=b"x" * 100000, capture_output=True)',
      'print("subprocess", len(r.stdout), r.returncode)',
    ].join('\n');
    const r = runsc(['do', '/usr/bin/python3', '-c', script]);
    expect(r.stdout).toBe(native(['/usr/bin/python3', '-c', script]).stdout);
    expect(r.stdout).toBe('asyncio hi 0\nsubprocess 100000 0\n');
  });
});
