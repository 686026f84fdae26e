import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

// A process's parent is the thread that forked it: prctl(PR_SET_PDEATHSIG)
// fires when that thread exits (its process going on), and PTRACE_TRACEME
// names that thread as the tracer, so only it may detach.
const source = String.raw`
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child;
static int ready[2];

static void *forker(void *arg) {
  int traced = arg != NULL;
  child = fork();
  if (child == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (traced) {
      ptrace(PTRACE_TRACEME, 0, 0, 0);
      raise(SIGSTOP);
    }
    char c = 'r';
    write(ready[1], &c, 1);
    for (;;) pause();
  }
  int status;
  if (traced) {
    waitpid(child, &status, 0);
    printf("stopped %d sig %d\n", WIFSTOPPED(status), WSTOPSIG(status));
    printf("detach from the forking thread %ld\n", ptrace(PTRACE_DETACH, child, 0, 0));
  }
  char c;
  read(ready[0], &c, 1);
  return NULL;  // the forking thread exits; the process goes on
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  for (int traced = 0; traced < 2; traced++) {
    pipe(ready);
    pthread_t t;
    pthread_create(&t, NULL, forker, traced ? (void *)1 : NULL);
    pthread_join(t, NULL);
    int status;
    waitpid(child, &status, 0);
    printf("child killed %d by %d\n", WIFSIGNALED(status), WTERMSIG(status));
  }
  return 0;
}
`;

describe('the parent-death signal and the forking thread', () => {
  it('PR_SET_PDEATHSIG fires when the forking thread exits; PTRACE_TRACEME names that thread (same as Linux)', () => {
    const prog = compileC(source, ['-static', '-pthread']);
    const want = native([prog]);
    expect(want.stdout).toBe('child killed 1 by 9\nstopped 1 sig 19\ndetach from the forking thread 0\nchild killed 1 by 9\n');
    const got = runsc(['do', prog], { timeout: 120_000 });
    expect(got.stderr).toBe('');
    expect(got.stdout).toBe(want.stdout);
  }, 180_000);
});
