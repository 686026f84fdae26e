import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

describe('runsc do: MAP_SHARED file mappings', () => {
  it('memfd, /tmp and /dev/shm files mapped shared: mappings, read/write and other processes see the same bytes; named semaphores work', () => {
    const prog = compileC(
      `#define _GNU_SOURCE
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static void shared_file(const char *what, int fd) {
  ftruncate(fd, 8192);
  char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) { perror("mmap"); return; }
  pid_t p = fork();
  if (p == 0) { strcpy(m + 4096, "from child"); _exit(0); }
  waitpid(p, NULL, 0);
  char buf[16] = {0};
  pread(fd, buf, 10, 4096);
  printf("%s: read(2) sees the child's mapping write: %s\\n", what, buf);
  pwrite(fd, "FROM", 4, 4096);
  printf("%s: the mapping sees write(2): %.10s\\n", what, m + 4096);
  printf("%s: msync: %d\\n", what, msync(m, 8192, MS_SYNC));
  munmap(m, 8192);
  close(fd);
}

int main(void) {
  shared_file("memfd", memfd_create("t", 0));
  shared_file("/tmp file", open("/tmp/ms-test", O_RDWR | O_CREAT | O_TRUNC, 0600));
  unlink("/tmp/ms-test");
  shared_file("/dev/shm file", shm_open("/ms-test", O_RDWR | O_CREAT, 0600));
  shm_unlink("/ms-test");
  /* A named semaphore (a shared mapping of a /dev/shm file) across fork. */
  sem_t *s = sem_open("/ms-sem", O_CREAT | O_EXCL, 0600, 0);
  if (s == SEM_FAILED) { perror("sem_open"); return 1; }
  pid_t p = fork();
  if (p == 0) { sem_post(s); _exit(0); }
  sem_wait(s);
  waitpid(p, NULL, 0);
  printf("semaphore posted by the child, taken by the parent\\n");
  sem_unlink("/ms-sem");
  return 0;
}
`,
      ['-pthread'],
    );
    const expected = native([prog]);
    expect(expected.stdout).toContain('semaphore posted by the child');
    const r = runsc(['do', prog]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(expected.stdout);
  });

  it('python3 multiprocessing (a Pool, which needs POSIX semaphores) gives the native result', () => {
    const script = 'import multiprocessing as m\nwith m.Pool(2) as p: print(sum(p.map(abs, range(-50, 50))))';
    const r = runsc(['do', '/usr/bin/python3', '-c', script]);
    expect(r.stdout).toBe(native(['/usr/bin/python3', '-c', script]).stdout);
    expect(r.stdout).toBe('2500\n');
  });
});
