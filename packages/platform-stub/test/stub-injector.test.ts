import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BPF, Errno, MAP, PROT, SECCOMP_RET, SYS, SysError, WAIT } from '@tvisor/abi';
import { MemoryFile } from '@tvisor/mm';
import {
  HostThreadClock,
  kill,
  STUB_BASE,
  STUB_BATCH_OFFSET,
  STUB_CONTROL_END,
  STUB_GADGET_OFFSET,
  STUB_MEMFD,
  STUB_NAME,
  STUB_START_CODE,
  STUB_TABLE_CAPACITY,
  StubInjector,
  wait,
} from '../src/index.js';
import * as libc from '../src/native/libc.js';

describe('stub start', () => {
  it('matches stub-start.S assembled by gcc, labels included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stub-start-'));
    const src = new URL('../src/stub/stub-start.S', import.meta.url).pathname;
    execFileSync('gcc', ['-c', src, '-o', join(dir, 'stub.o')]);
    execFileSync('objcopy', ['-O', 'binary', '-j', '.text', join(dir, 'stub.o'), join(dir, 'stub.bin')]);
    expect(new Uint8Array(readFileSync(join(dir, 'stub.bin')))).toEqual(STUB_START_CODE);
    const syms = execFileSync('nm', [join(dir, 'stub.o')], { encoding: 'utf8' });
    expect(syms).toMatch(new RegExp(`0*${STUB_GADGET_OFFSET.toString(16)} t gadget\\n`));
    expect(syms).toMatch(new RegExp(`0*${STUB_BATCH_OFFSET.toString(16)} t batch\\n`));
  });

  it('uses the posix_spawn and memfd flags the C headers define', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spawn-'));
    writeFileSync(
      join(dir, 'c.c'),
      '#define _GNU_SOURCE\n#include <spawn.h>\n#include <sys/mman.h>\n#include <stdio.h>\n' +
        'int main(){printf("%d %d %d %d\\n", POSIX_SPAWN_SETPGROUP, POSIX_SPAWN_SETSIGDEF, POSIX_SPAWN_SETSIGMASK, MFD_CLOEXEC);}',
    );
    execFileSync('gcc', [join(dir, 'c.c'), '-o', join(dir, 'c')]);
    expect(execFileSync(join(dir, 'c'), { encoding: 'utf8' }).trim()).toBe(
      [libc.POSIX_SPAWN_SETPGROUP, libc.POSIX_SPAWN_SETSIGDEF, libc.POSIX_SPAWN_SETSIGMASK, libc.MFD_CLOEXEC].join(' '),
    );
  });
});

/** A seccomp filter that allows every syscall (the platforms pass their own). */
function allowAll(): Uint8Array {
  const out = new Uint8Array(8);
  const v = new DataView(out.buffer);
  v.setUint16(0, BPF.RET | BPF.K, true);
  v.setUint32(4, SECCOMP_RET.ALLOW, true);
  return out;
}

/** [start, end) of each host mapping of `pid`. */
function mappings(pid: number): Array<[number, number]> {
  return readFileSync(`/proc/${pid}/maps`, 'utf8')
    .trim()
    .split('\n')
    .map(
      (l) =>
        l
          .split(' ')[0]
          .split('-')
          .map((h) => parseInt(h, 16)) as [number, number],
    );
}

function statusField(pid: number, name: string): string {
  return (
    /^(\S+):\s*(.*)$/m.exec(
      readFileSync(`/proc/${pid}/status`, 'utf8')
        .split('\n')
        .find((l) => l.startsWith(`${name}:`)) ?? '',
    )?.[2] ?? ''
  );
}

describe('StubInjector', () => {
  let memory: MemoryFile;
  const started: StubInjector[] = [];
  const start = () => {
    const stub = new StubInjector({ memory, code: STUB_START_CODE, processGroup: 0, ptraceOptions: 0 });
    started.push(stub);
    return stub;
  };
  beforeAll(() => {
    memory = MemoryFile.create();
  });
  afterAll(() => {
    for (const s of started) {
      if (!s.alive) continue;
      kill(s.pid, 9);
      wait(s.pid, WAIT.ALL);
    }
    memory.close();
  });

  it('takes a stub over: injected syscalls run in it, and it keeps no host fd but the memory file and no host mapping but its own', () => {
    const stub = start();
    expect(stub.injectOne(SYS.getpid)).toBe(stub.pid);
    stub.flush();
    expect(readdirSync(`/proc/${stub.pid}/fd`)).toEqual([String(STUB_MEMFD)]);
    for (const [begin, end] of mappings(stub.pid)) {
      if (begin >= 2 ** 47) continue; // [vsyscall]
      expect(begin).toBeGreaterThanOrEqual(STUB_BASE);
      expect(end).toBeLessThanOrEqual(STUB_CONTROL_END);
    }
  });

  it('runs more queued syscalls than one table holds, in order, and shares the memory file with the sentry', () => {
    const stub = start();
    stub.flush();
    const n = STUB_TABLE_CAPACITY * 2 + 5;
    const page = memory.allocate(4096);
    // n one-page mappings of the same memory-file page, a page apart.
    for (let i = 0; i < n; i++) stub.queue(SYS.mmap, 0x1000_0000 + i * 0x2000, 0x1000, PROT.READ, MAP.SHARED | MAP.FIXED, STUB_MEMFD, page);
    expect(stub.flush()).toBe(0x1000_0000 + (n - 1) * 0x2000);
    const ours = mappings(stub.pid).filter(([b]) => b >= 0x1000_0000 && b < 0x2000_0000);
    expect(ours).toHaveLength(n);
    expect(ours[n - 1]).toEqual([0x1000_0000 + (n - 1) * 0x2000, 0x1000_0000 + (n - 1) * 0x2000 + 0x1000]);
  });

  it('throws a failed injected syscall as its errno', () => {
    const stub = start();
    stub.queue(SYS.munmap, 0x1000_0001, 0x1000);
    expect(() => stub.flush()).toThrow(expect.objectContaining({ errno: Errno.EINVAL }));
    expect(() => stub.check(stub.injectOne(SYS.close, 77), 'close')).toThrow(SysError);
    expect(stub.alive).toBe(true);
  });

  it('confine names the stub and installs the filter, through bytes staged in the results page', () => {
    const stub = start();
    expect(stub.setUp(() => stub.confine(allowAll(), 0))).toBe(0);
    expect(readFileSync(`/proc/${stub.pid}/comm`, 'utf8').trim()).toBe(STUB_NAME);
    expect(statusField(stub.pid, 'NoNewPrivs')).toBe('1');
    expect(statusField(stub.pid, 'Seccomp')).toBe('2');
  });

  it('a stub that dies in its set-up fails with EAGAIN (as fork would), one that dies later with EIO', () => {
    const early = start();
    expect(() => early.setUp(() => early.injectOne(SYS.exit_group, 0))).toThrow(expect.objectContaining({ errno: Errno.EAGAIN }));
    expect(early.alive).toBe(false);
    const late = start();
    late.flush();
    expect(() => late.injectOne(SYS.exit_group, 0)).toThrow(expect.objectContaining({ errno: Errno.EIO }));
    expect(late.alive).toBe(false);
  });

  it('a set-up step that throws kills and reaps the stub', () => {
    const stub = start();
    expect(() =>
      stub.setUp(() => {
        throw new SysError(Errno.ENOMEM, 'step failed');
      }),
    ).toThrow('step failed');
    expect(stub.alive).toBe(false);
    expect(existsSync(`/proc/${stub.pid}`)).toBe(false);
  });

  it("HostThreadClock reads a thread's CPU time, and keeps the last reading once the thread is gone", () => {
    const stub = start();
    stub.flush();
    const clock = new HostThreadClock(stub.pid);
    const ran = clock.read();
    // The exec and the set-up ran on the stub's thread.
    expect(ran).toBeGreaterThan(0n);
    kill(stub.pid, 9);
    wait(stub.pid, WAIT.ALL);
    stub.alive = false;
    expect(existsSync(`/proc/${stub.pid}`)).toBe(false);
    expect(clock.read()).toBe(ran);
  });
});
