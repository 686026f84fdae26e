import { readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { release } from 'node:os';
import { describe, expect, it } from 'vitest';
import { compileC, native, RUNSC, runsc, runscAsync } from './helpers.js';

const BUSYBOX = '/bin/busybox';

describe('runsc do: busybox under the sentry', () => {
  it('echo prints hello and exits 0', () => {
    const r = runsc(['do', BUSYBOX, 'echo', 'hello']);
    expect(r.stdout).toBe('hello\n');
    expect(r.status).toBe(0);
  });

  it('ls / lists the host root', () => {
    const r = runsc(['do', BUSYBOX, 'ls', '-1a', '/']);
    expect(r.status).toBe(0);
    const listed = r.stdout.trim().split('\n').sort();
    expect(listed).toEqual(['.', '..', ...readdirSync('/')].sort());
  });

  it('cat /etc/os-release prints the host file', () => {
    const r = runsc(['do', BUSYBOX, 'cat', '/etc/os-release']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(readFileSync('/etc/os-release', 'utf8'));
  });

  it("uname -r prints the sandbox's release, not the host's", () => {
    const r = runsc(['do', BUSYBOX, 'uname', '-r']);
    expect(r.stdout.trim()).toBe('6.1.0-tvisor');
    expect(r.stdout.trim()).not.toBe(release());
  });

  it('passes the exit status through', () => {
    expect(runsc(['do', BUSYBOX, 'sh', '-c', 'exit 3']).status).toBe(3);
    expect(runsc(['do', BUSYBOX, 'false']).status).toBe(1);
  });

  it('finds the command on PATH', () => {
    const r = runsc(['do', 'busybox', 'echo', 'found']);
    expect(r.stdout).toBe('found\n');
  });

  it('runs glibc-dynamic programs: the sentry loads ld.so and libc', () => {
    const r = runsc(['do', '/bin/true']);
    expect(r.status).toBe(0);
    expect(runsc(['do', '/bin/false']).status).toBe(1);
  });
});

describe('runsc do: syscalls the table lacks', () => {
  it('returns ENOSYS and the program goes on; --strace shows it', () => {
    const prog = compileC(`
      #include <errno.h>
      #include <stdio.h>
      #include <unistd.h>
      #include <sys/syscall.h>
      int main(void) {
        long r = syscall(SYS_vserver, 0, 0);
        printf("%ld %d\\n", r, errno);
        return 7;
      }`);
    const r = runsc(['--strace', 'do', prog]);
    expect(r.stdout).toBe('-1 38\n');
    expect(r.status).toBe(7);
    expect(r.stderr).toMatch(/vserver\(.*\) = -1 ENOSYS \(Function not implemented\)/);
    expect(r.stderr).toMatch(/write\(1, "-1 38\\n", 6\) = 6/);
  });
});

describe('runsc do: death by signal', () => {
  it('exits 128+N when signal N kills the program', () => {
    const prog = compileC('int main(void) { *(volatile int *)0 = 1; return 0; }');
    expect(native([prog]).signal).toBe('SIGSEGV');
    expect(runsc(['do', prog]).status).toBe(128 + 11);
  });
});

describe('runsc do: the sandbox boundary', () => {
  it('SIGKILL of the sentry kills the app', async () => {
    const child = runscAsync(['do', BUSYBOX, 'sh', '-c', 'while :; do :; done']);
    let stubs: number[];
    try {
      // A stub is a child of runsc once it has exec'd its memfd image (a fork not yet exec'd is node).
      stubs = await waitFor(
        () => childrenOf(child.pid!).filter((pid) => /^\/memfd:tvisor-stub/.test(exeOf(pid))),
        (pids) => pids.length > 0,
      );
      expect(stubs.length).toBeGreaterThan(0);
    } finally {
      // Even when an expectation failed: a runsc left behind would spin on a CI core.
      child.kill('SIGKILL');
    }
    await new Promise((r) => child.once('exit', r));
    const alive = await waitFor(
      () => stubs.filter(isAlive),
      (pids) => pids.length === 0,
    );
    expect(alive).toEqual([]);
  });
});

describe('runsc CLI', () => {
  it('runs through a V8 code cache next to the bundle, and a corrupt cache is replaced, not trusted', () => {
    const cache = new URL('../dist/index.cjs.v8cache', new URL(`file://${RUNSC}`)).pathname;
    writeFileSync(cache, 'not a code cache');
    const first = runsc(['do', '/bin/busybox', 'echo', 'hi']);
    expect(first.stdout).toBe('hi\n');
    expect(first.status).toBe(0);
    // V8 rejected the bytes; the run wrote a real cache in their place.
    expect(statSync(cache).size).toBeGreaterThan(100_000);
    const second = runsc(['do', '/bin/busybox', 'echo', 'again']);
    expect(second.stdout).toBe('again\n');
  });

  it('usage errors print one line and exit 2', () => {
    for (const args of [['do'], ['bogus'], ['--no-such-flag', 'do', 'true']]) {
      const r = runsc(args);
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/at .*\.js/);
    }
  });

  it('a missing command exits 127 with a message', () => {
    const r = runsc(['do', '/no/such/program']);
    expect(r.status).toBe(127);
    expect(r.stderr).toMatch(/No such file or directory/);
  });

  it('help syscalls prints the dispatch table', () => {
    const r = runsc(['help', 'syscalls']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ +39 +getpid +Full/m);
    expect(r.stdout).toMatch(/^ *236 +vserver +ENOSYS/m);
    expect(r.stdout).toMatch(/^ *56 +clone +Partial +\S/m);
  });
});

/** Polls `probe` until `done` holds (at most ~10 s) and returns the last value. */
async function waitFor<T>(probe: () => T, done: (v: T) => boolean): Promise<T> {
  let v = probe();
  for (let i = 0; i < 200 && !done(v); i++) {
    await new Promise((r) => setTimeout(r, 50));
    v = probe();
  }
  return v;
}

/** /proc/PID/exe's target, or '' once the process is gone. */
function exeOf(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return '';
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // The process went away while we looked.
    }
  }
  return out;
}

function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
