import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

/**
 * inotify end to end: one C program does file operations in a watched
 * directory under /tmp and prints every event it reads; its output natively
 * and under `runsc do` must be the same. Cookies are printed as the order
 * in which they first appeared, so a MOVED_FROM/MOVED_TO pair shows the
 * same number.
 */
const EVENTS = `
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>

static int ifd;
static unsigned cookies[256];
static int ncookies;
static char buf[1 << 16] __attribute__((aligned(8)));

static int cookie_id(unsigned c) {
  if (!c) return 0;
  for (int i = 0; i < ncookies; i++) if (cookies[i] == c) return i + 1;
  cookies[ncookies] = c;
  return ++ncookies;
}

static void print_events(const char *p, long n) {
  for (const char *end = p + n; p < end;) {
    const struct inotify_event *e = (const void *)p;
    printf("  wd=%d mask=%x cookie=%d len=%u name=%s\\n", e->wd, e->mask, cookie_id(e->cookie), e->len, e->len ? e->name : "");
    p += sizeof *e + e->len;
  }
}

static void drain(const char *what) {
  printf("== %s\\n", what);
  for (;;) {
    long n = read(ifd, buf, sizeof buf);
    if (n < 0) {
      if (errno != EAGAIN) printf("  read: %s\\n", strerror(errno));
      return;
    }
    print_events(buf, n);
  }
}

int main(void) {
  char dir[] = "/tmp/inotify-XXXXXX";
  if (!mkdtemp(dir) || chdir(dir)) return 1;
  ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  int wd = inotify_add_watch(ifd, ".", IN_ALL_EVENTS);
  struct pollfd pfd = {ifd, POLLIN, 0};
  printf("watch %d, poll before: %d\\n", wd, poll(&pfd, 1, 0));

  int fd = open("f", O_CREAT | O_WRONLY, 0644);
  int ready = poll(&pfd, 1, 0);
  printf("poll after create: %d revents=%x\\n", ready, pfd.revents);
  int avail = 0;
  ioctl(ifd, FIONREAD, &avail);
  printf("FIONREAD %d\\n", avail);
  long small = read(ifd, buf, 8);
  printf("read 8 bytes: %ld %s\\n", small, strerror(errno));
  drain("create");
  printf("watch f: %d\\n", inotify_add_watch(ifd, "f", IN_ALL_EVENTS));

  // One write whose buffer spans two pages, and one writev: one event per watch each.
  char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  memset(page, 'x', 8192);
  write(fd, page + 4000, 200);
  drain("write across a page boundary");
  struct iovec iov[3] = {{page, 10}, {page + 100, 10}, {page + 4090, 20}};
  writev(fd, iov, 3);
  drain("writev");
  write(fd, page, 0);
  drain("empty write");
  close(fd);
  drain("close");

  fd = open("f", O_RDONLY);
  read(fd, buf, 100);
  read(fd, buf, 1000);
  read(fd, buf, 1000); // EOF
  close(fd);
  drain("read");

  int in = open("f", O_RDONLY), out = open("g", O_CREAT | O_WRONLY, 0644);
  drain("open two");
  printf("sendfile %ld\\n", sendfile(out, in, NULL, 100000));
  drain("sendfile");
  close(in);
  close(out);
  drain("close two");

  chmod("f", 0600);
  drain("chmod");
  truncate("f", 0);
  drain("truncate");
  fd = open("f", O_WRONLY | O_TRUNC);
  close(fd);
  drain("open O_TRUNC");
  link("f", "h");
  drain("link");
  rename("f", "i");
  drain("rename");
  rename("g", "i");
  drain("rename over the watched file (it keeps a link)");

  mkdir("d", 0755);
  printf("watch d: %d\\n", inotify_add_watch(ifd, "d", IN_ALL_EVENTS | IN_ONLYDIR));
  drain("mkdir");
  rename("h", "d/h");
  drain("move into the subdirectory");
  DIR *dd = opendir("d");
  while (readdir(dd)) {}
  closedir(dd);
  drain("readdir");
  unlink("d/h");
  drain("unlink the last link");
  rmdir("d");
  drain("rmdir");

  symlink("i", "l");
  mknod("p", S_IFIFO | 0644, 0);
  drain("symlink, mkfifo");
  printf("oneshot watch: %d\\n", inotify_add_watch(ifd, "i", IN_ATTRIB | IN_ONESHOT));
  chmod("i", 0644);
  chmod("i", 0600);
  drain("oneshot");

  fd = open("y", O_CREAT | O_RDWR, 0644);
  printf("watch y: %d\\n", inotify_add_watch(ifd, "y", IN_ALL_EVENTS));
  unlink("y");
  drain("unlink while open");
  write(fd, "a", 1);
  close(fd);
  drain("write and close the unlinked file");

  // A blocking read is woken by another process creating a file.
  int bfd = inotify_init1(0);
  inotify_add_watch(bfd, ".", IN_CREATE);
  if (fork() == 0) {
    usleep(100000);
    close(open("late", O_CREAT | O_WRONLY, 0644));
    _exit(0);
  }
  long n = read(bfd, buf, sizeof buf);
  printf("== blocking read woken by a child: %ld\\n", n);
  print_events(buf, n);
  wait(NULL);
  drain("the child's file");

  int ep = epoll_create1(0);
  struct epoll_event ev = {EPOLLIN, {.u64 = 7}};
  epoll_ctl(ep, EPOLL_CTL_ADD, ifd, &ev);
  printf("epoll empty: %d\\n", epoll_wait(ep, &ev, 1, 0));
  unlink("late");
  ev.data.u64 = 0;
  ready = epoll_wait(ep, &ev, 1, 0);
  printf("epoll after unlink: %d data=%llu\\n", ready, (unsigned long long)ev.data.u64);
  drain("unlink late");

  // Alternating events do not merge: more than max_queued_events (16384) overflow.
  close(open("o1", O_CREAT | O_WRONLY, 0644));
  close(open("o2", O_CREAT | O_WRONLY, 0644));
  drain("two more files");
  for (int i = 0; i < 17000; i++) chmod(i & 1 ? "o1" : "o2", i & 2 ? 0644 : 0600);
  long events = 0;
  struct inotify_event last = {0};
  for (;;) {
    long r = read(ifd, buf, sizeof buf);
    if (r <= 0) break;
    for (char *p = buf; p < buf + r;) {
      struct inotify_event *e = (void *)p;
      events++;
      last = *e;
      p += sizeof *e + e->len;
    }
  }
  printf("== overflow: %ld events, the last wd=%d mask=%x\\n", events, last.wd, last.mask);

  inotify_rm_watch(ifd, wd);
  drain("rm_watch");
  unlink("i"); unlink("l"); unlink("p"); unlink("o1"); unlink("o2");
  chdir("/");
  rmdir(dir);
  return 0;
}
`;

describe('runsc do: inotify events', () => {
  it('file operations in a watched directory produce the events Linux produces, readable, pollable and overflowing alike', () => {
    const prog = compileC(EVENTS);
    const want = native([prog]);
    expect(want.status).toBe(0);
    const got = runsc(['do', prog]);
    expect(got.stderr).toBe('');
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(0);
    // Not vacuous: the stream has the rename pair, deletion, and the overflow.
    expect(got.stdout).toMatch(/mask=40 cookie=1 len=16 name=f\n {2}wd=1 mask=80 cookie=1 len=16 name=i/);
    expect(got.stdout).toContain('mask=400 cookie=0 len=0 name=');
    expect(got.stdout).toContain('== overflow: 16385 events, the last wd=-1 mask=4000');
    expect(got.stdout).toContain('read 8 bytes: -1 Invalid argument');
    expect(got.stdout).toContain('epoll after unlink: 1 data=7');
  });
});
