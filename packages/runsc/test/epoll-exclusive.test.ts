import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

/**
 * EPOLLEXCLUSIVE (epoll_ctl(2)): processes each wait in epoll_wait on their
 * own epoll instance, all watching one eventfd (or pipe) edge-triggered.
 * Every wakeup is reported to the parent, which counts them after each write. Linux
 * promises that an event wakes "one or more" of the exclusive instances and
 * every non-exclusive one; the sandbox wakes exactly one exclusive instance.
 * Lines starting with "count" carry the exact numbers and are checked per
 * side; the rest of the output must be the same natively and in the sandbox.
 */
const EXCLUSIVE = `
#define _GNU_SOURCE
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/wait.h>

#define N 4
static int report[2];

// Waits on its own epoll instance, edge-triggered (so a sibling's read cannot
// take an event from under it); each wakeup is reported.
static void waiter(int idx, int fd, unsigned flags, int ready) {
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLET | flags, .data.u32 = idx};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev)) { perror("epoll_ctl"); _exit(1); }
  write(ready, "r", 1);
  for (;;) {
    struct epoll_event got;
    if (epoll_wait(ep, &got, 1, -1) != 1) continue;
    char c = 'a' + idx;
    write(report[1], &c, 1);
  }
}

// Wakeups reported within the wait: at least \`want\` (up to 5 s), then whatever else comes within 300 ms.
static int collect(int want) {
  int got = 0;
  struct pollfd p = {report[0], POLLIN, 0};
  while (poll(&p, 1, got < want ? 5000 : 300) == 1) {
    char buf[64];
    long n = read(report[0], buf, sizeof buf);
    if (n <= 0) break;
    got += n;
  }
  return got;
}

static void phase(const char *name, int is_pipe, const unsigned *flags, int want) {
  int fds[2];
  int fd;
  if (is_pipe) { pipe2(fds, O_NONBLOCK); fd = fds[0]; } else fd = eventfd(0, EFD_NONBLOCK);
  int ready[2];
  pipe(ready);
  pid_t kids[N];
  for (int i = 0; i < N; i++) {
    // One at a time, so the instances add the file in a known order.
    if ((kids[i] = fork()) == 0) waiter(i, fd, flags[i], ready[1]);
    char c;
    read(ready[0], &c, 1);
  }
  usleep(200000); // every waiter is now in epoll_wait
  for (int k = 1; k <= 3; k++) {
    if (is_pipe) write(fds[1], "x", 1); else { uint64_t one = 1; write(fd, &one, 8); }
    int woke = collect(want);
    printf("%s write %d: at least %d woken: %s\\n", name, k, want, woke >= want ? "yes" : "no");
    printf("count %s write %d: %d\\n", name, k, woke);
  }
  for (int i = 0; i < N; i++) { kill(kids[i], SIGKILL); waitpid(kids[i], NULL, 0); }
  close(fd);
  if (is_pipe) close(fds[1]);
  close(ready[0]);
  close(ready[1]);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  pipe2(report, O_NONBLOCK);
  const unsigned excl[N] = {EPOLLEXCLUSIVE, EPOLLEXCLUSIVE, EPOLLEXCLUSIVE, EPOLLEXCLUSIVE};
  const unsigned none[N] = {0, 0, 0, 0};
  const unsigned mixed[N] = {EPOLLEXCLUSIVE, 0, EPOLLEXCLUSIVE, EPOLLEXCLUSIVE};
  phase("eventfd exclusive", 0, excl, 1);
  phase("pipe exclusive", 1, excl, 1);
  phase("eventfd plain", 0, none, N);
  phase("eventfd mixed", 0, mixed, 2);
  return 0;
}
`;

function counts(out: string): Record<string, number> {
  return Object.fromEntries([...out.matchAll(/^count (.*): (\d+)$/gm)].map((m) => [m[1], Number(m[2])]));
}

describe('runsc do: EPOLLEXCLUSIVE', () => {
  it('one write wakes one of the exclusive waiters (Linux: one or more) and every non-exclusive one', () => {
    const prog = compileC(EXCLUSIVE);
    const want = native([prog]);
    expect(want.status).toBe(0);
    const got = runsc(['do', prog]);
    expect(got.stderr).toBe('');
    expect(got.status).toBe(0);
    const shared = (s: string) =>
      s
        .split('\n')
        .filter((l) => !l.startsWith('count'))
        .join('\n');
    expect(shared(got.stdout)).toBe(shared(want.stdout));
    expect(got.stdout).not.toContain(': no');

    const native_ = counts(want.stdout);
    const sandbox = counts(got.stdout);
    expect(Object.keys(sandbox)).toHaveLength(12);
    for (const [what, n] of Object.entries(native_)) {
      // What Linux guarantees, natively.
      if (what.startsWith('eventfd plain')) expect(n, what).toBe(4);
      else expect(n, what).toBeGreaterThanOrEqual(what.startsWith('eventfd mixed') ? 2 : 1);
    }
    for (const [what, n] of Object.entries(sandbox)) {
      // The sandbox is exact: one exclusive waiter per event.
      const exact = what.startsWith('eventfd plain') ? 4 : what.startsWith('eventfd mixed') ? 2 : 1;
      expect(n, what).toBe(exact);
    }
  });
});
