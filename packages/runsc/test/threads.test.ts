import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

describe('runsc do: threads', () => {
  it('the main thread may pthread_exit while another goes on (the process and its pid stay)', () => {
    const prog = compileC(
      `#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <unistd.h>
static void *worker(void *a) {
  usleep(200000);
  int k = kill(getpid(), 0);
  printf("worker: kill(getpid(),0)=%d %s\\n", k, k ? strerror(errno) : "");
  FILE *f = fopen("/proc/self/stat", "r");
  printf("worker: /proc/self/stat %s\\n", f ? "readable" : strerror(errno));
  return 0;
}
int main(void) { pthread_t t; pthread_create(&t, 0, worker, 0); printf("main exits\\n"); fflush(stdout); pthread_exit(0); }
`,
      ['-pthread'],
    );
    const r = runsc(['do', prog]);
    expect(r.stdout).toBe(native([prog]).stdout);
    expect(r.stdout).toContain('worker: kill(getpid(),0)=0');
    expect(r.status).toBe(0);
  });

  it('pthreads with a mutex-protected counter and pthread_join', () => {
    const prog = compileC(
      `
      #include <pthread.h>
      #include <stdio.h>
      #include <sys/syscall.h>
      #include <unistd.h>
      static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
      static long counter;
      static void *work(void *arg) {
        for (int i = 0; i < 20000; i++) { pthread_mutex_lock(&m); counter++; pthread_mutex_unlock(&m); }
        return (void *)(long)(syscall(SYS_gettid) != getpid());
      }
      int main(void) {
        pthread_t t[4];
        for (int i = 0; i < 4; i++) pthread_create(&t[i], NULL, work, NULL);
        long others = 0;
        for (int i = 0; i < 4; i++) { void *r; pthread_join(t[i], &r); others += (long)r; }
        printf("counter %ld, threads with their own tid %ld\\n", counter, others);
        return 0;
      }`,
      ['-static', '-pthread'],
    );
    const r = runsc(['do', prog]);
    expect(r.stdout).toBe(native([prog]).stdout);
    expect(r.stdout).toBe('counter 80000, threads with their own tid 4\n');
  });

  it('a thread that exits leaves the process running; exit_group ends all', () => {
    const prog = compileC(
      `
      #include <pthread.h>
      #include <stdio.h>
      #include <unistd.h>
      static void *quick(void *a) { return a; }
      static void *forever(void *a) { for (;;) pause(); return a; }
      int main(void) {
        pthread_t a, b;
        pthread_create(&a, NULL, quick, NULL);
        pthread_join(a, NULL);
        pthread_create(&b, NULL, forever, NULL);
        printf("main still here\\n");
        return 3;
      }`,
      ['-static', '-pthread'],
    );
    const r = runsc(['do', prog]);
    expect(r.stdout).toBe('main still here\n');
    expect(r.status).toBe(3);
  });

  it('priority-inheritance and robust mutexes behave as on Linux', () => {
    const prog = compileC(
      `
      #include <errno.h>
      #include <pthread.h>
      #include <stdio.h>
      static pthread_mutex_t pi, robust;
      static long counter;
      static void *work(void *a) {
        for (int i = 0; i < 5000; i++) { pthread_mutex_lock(&pi); counter++; pthread_mutex_unlock(&pi); }
        return a;
      }
      static void *die_holding(void *a) { pthread_mutex_lock(&robust); return a; }
      int main(void) {
        pthread_mutexattr_t at;
        pthread_mutexattr_init(&at);
        pthread_mutexattr_setprotocol(&at, PTHREAD_PRIO_INHERIT);
        pthread_mutex_init(&pi, &at);
        pthread_t t[3];
        for (int i = 0; i < 3; i++) pthread_create(&t[i], NULL, work, NULL);
        for (int i = 0; i < 3; i++) pthread_join(t[i], NULL);
        pthread_mutexattr_t rat;
        pthread_mutexattr_init(&rat);
        pthread_mutexattr_setrobust(&rat, PTHREAD_MUTEX_ROBUST);
        pthread_mutex_init(&robust, &rat);
        pthread_t d;
        pthread_create(&d, NULL, die_holding, NULL);
        pthread_join(d, NULL);
        int rc = pthread_mutex_lock(&robust);
        printf("pi counter %ld, robust lock after owner death: %s\\n", counter, rc == EOWNERDEAD ? "EOWNERDEAD" : "other");
        return 0;
      }`,
      ['-static', '-pthread'],
    );
    const r = runsc(['do', prog]);
    expect(r.stdout).toBe(native([prog]).stdout);
    expect(r.stdout).toBe('pi counter 15000, robust lock after owner death: EOWNERDEAD\n');
  });

  it('python3 threads with a lock, json and hashlib', () => {
    const code = [
      'import threading, json, hashlib',
      'lock = threading.Lock(); n = [0]',
      'def w():',
      '    for _ in range(5000):',
      '        with lock: n[0] += 1',
      'ts = [threading.Thread(target=w) for _ in range(4)]',
      '[t.start() for t in ts]; [t.join() for t in ts]',
      'print(n[0], json.dumps({"a": [1, 2]}), hashlib.sha256(b"tvisor").hexdigest())',
    ].join('\n');
    const r = runsc(['do', '/usr/bin/python3', '-c', code]);
    expect(r.stdout).toBe(native(['/usr/bin/python3', '-c', code]).stdout);
  });

  it('node: a crypto hash, a setTimeout and a worker_threads worker', () => {
    const code =
      'const { Worker } = require("worker_threads");' +
      'const h = require("crypto").createHash("sha256").update("tvisor").digest("hex");' +
      'setTimeout(() => {' +
      '  const w = new Worker("require(\\"worker_threads\\").parentPort.postMessage(6 * 7)", { eval: true });' +
      '  w.on("message", (m) => { console.log(h, m); w.terminate(); });' +
      '}, 10);';
    // A clean environment: the test runner's NODE_OPTIONS must not reach the node under test.
    const env = { PATH: '/usr/bin:/bin' };
    const r = runsc(['do', '/usr/bin/node', '-e', code], { env: { ...env, PATH: process.env.PATH ?? env.PATH } });
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^[0-9a-f]{64} 42\n$/);
  });

  it('python3 asyncio with a timer, and subprocess.run', () => {
    const code = [
      'import asyncio, subprocess',
      'async def main():',
      '    await asyncio.sleep(0.05)',
      '    return "timer fired"',
      'print(asyncio.run(main()))',
      'print(subprocess.run(["echo", "from a child"], capture_output=True, text=True).stdout.strip())',
    ].join('\n');
    const r = runsc(['do', '/usr/bin/python3', '-c', code]);
    expect(r.stdout).toBe('timer fired\nfrom a child\n');
  });

  it('a shared futex on MAP_SHARED memory wakes a waiter in another process', () => {
    const prog = compileC(`
      #include <linux/futex.h>
      #include <stdatomic.h>
      #include <stdio.h>
      #include <sys/mman.h>
      #include <sys/syscall.h>
      #include <sys/wait.h>
      #include <unistd.h>
      static long futex(atomic_int *w, int op, int v) { return syscall(SYS_futex, w, op, v, NULL, NULL, 0); }
      int main(void) {
        atomic_int *word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        *word = 0;
        pid_t child = fork();
        if (child == 0) {
          usleep(100000);
          atomic_store(word, 1);
          long woken = futex(word, FUTEX_WAKE, 1);
          _exit(woken == 1 ? 0 : 1);
        }
        while (atomic_load(word) == 0) futex(word, FUTEX_WAIT, 0);
        int st;
        waitpid(child, &st, 0);
        printf("woken by the child, which woke %s\\n", WEXITSTATUS(st) == 0 ? "one waiter" : "nobody");
        return 0;
      }`);
    const expected = native([prog]).stdout;
    expect(expected).toBe('woken by the child, which woke one waiter\n');
    expect(runsc(['do', prog]).stdout).toBe(expected);
  });
});
