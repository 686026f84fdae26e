import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROT, SYS, Signal } from '@tvisor/abi';
import { MemoryFile } from '@tvisor/mm';
import { PtracePlatform } from '../src/index.js';
import { STUB_BATCH_OFFSET, STUB_GADGET_OFFSET } from '@tvisor/platform-stub';
import { STUB_CODE } from '../src/stub/stub-image.js';

const CODE_ADDR = 0x400000;

/** x86-64 machine code: getpid(); exit(rax); with a marker syscall number in between. */
const PROGRAM = Uint8Array.from([
  0xb8,
  0x27,
  0x00,
  0x00,
  0x00, // mov eax, 39 (getpid)
  0x0f,
  0x05, // syscall
  0x89,
  0xc7, // mov edi, eax
  0xb8,
  0x3c,
  0x00,
  0x00,
  0x00, // mov eax, 60 (exit)
  0x0f,
  0x05, // syscall
  0xc6,
  0x04,
  0x25,
  0x00,
  0x00,
  0x00,
  0x00,
  0x01, // mov byte [0], 1 -> SIGSEGV
]);

describe('stub image', () => {
  it('matches stub.S assembled by gcc', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stub-'));
    const src = new URL('../src/stub/stub.S', import.meta.url).pathname;
    execFileSync('gcc', ['-c', src, '-o', join(dir, 'stub.o')]);
    execFileSync('objcopy', ['-O', 'binary', '-j', '.text', join(dir, 'stub.o'), join(dir, 'stub.bin')]);
    expect(new Uint8Array(readFileSync(join(dir, 'stub.bin')))).toEqual(STUB_CODE);
    const syms = execFileSync('nm', [join(dir, 'stub.o')], { encoding: 'utf8' });
    expect(syms).toMatch(new RegExp(`0*${STUB_GADGET_OFFSET.toString(16)} t gadget`));
    expect(syms).toMatch(new RegExp(`0*${STUB_BATCH_OFFSET.toString(16)} t batch`));
  });
});

describe('PtracePlatform', () => {
  let memory: MemoryFile;
  let platform: PtracePlatform;
  beforeAll(() => {
    memory = MemoryFile.create();
    platform = new PtracePlatform(memory);
  });
  afterAll(() => {
    platform.shutdown();
    memory.close();
  });

  it('runs code from the memory file and intercepts its syscalls', () => {
    const { addressSpace, context } = platform.newProcess();
    const off = memory.allocate(4096);
    memory.bytes(off, PROGRAM.length).set(PROGRAM);
    addressSpace.mapFile(CODE_ADDR, 4096, off, PROT.READ | PROT.EXEC);
    context.regs.ip = CODE_ADDR;
    platform.resume(context);

    const first = platform.wait();
    expect(first?.kind).toBe('syscall');
    expect(context.regs.syscallNumber).toBe(SYS.getpid);
    // The host never ran getpid: the sentry answers.
    context.regs.setReturn(4242);
    platform.resume(context);

    const second = platform.wait();
    expect(second?.kind).toBe('syscall');
    expect(context.regs.syscallNumber).toBe(SYS.exit);
    expect(context.regs.arg(0)).toBe(4242);
    // The host did not run exit either: the stub is still there, and goes on to fault.
    platform.resume(context);
    const third = platform.wait();
    expect(third).toMatchObject({ kind: 'fault', signal: Signal.SIGSEGV, addr: 0 });
    context.kill();
    expect(platform.wait()?.kind).toBe(undefined);
  });

  it('wait(sliceMs) gives up after the slice while the app computes without syscalls, and an interrupt still stops it', () => {
    // A host signal that came just before the blocking wait (or went to another of Node's threads)
    // does not end it: only the slice bounds it then, so runsc's event loop still gets its turn.
    const { addressSpace, context } = platform.newProcess();
    const off = memory.allocate(4096);
    memory.bytes(off, 2).set([0xeb, 0xfe]); // jmp $
    addressSpace.mapFile(CODE_ADDR, 4096, off, PROT.READ | PROT.EXEC);
    context.regs.ip = CODE_ADDR;
    platform.resume(context);
    const t0 = performance.now();
    expect(platform.wait(30)).toBe(undefined);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(29);
    expect(platform.runningCount).toBe(1);
    platform.interrupt(context);
    expect(platform.wait()?.kind).toBe('interrupt');
    expect(context.regs.ip).toBe(CODE_ADDR);
    context.kill();
    expect(platform.wait()).toBe(undefined);
  });

  it('never lets the host run an application syscall (the kernel counts none in /proc/PID/io)', () => {
    // write(1, 0x400000, 5) a hundred times, then exit: 100 writes the host must never perform.
    const loop = Uint8Array.from([
      0x41,
      0xbc,
      0x64,
      0x00,
      0x00,
      0x00, // mov r12d, 100
      0xb8,
      0x01,
      0x00,
      0x00,
      0x00, // mov eax, 1 (write)
      0xbf,
      0x01,
      0x00,
      0x00,
      0x00, // mov edi, 1
      0xbe,
      0x00,
      0x00,
      0x40,
      0x00, // mov esi, 0x400000
      0xba,
      0x05,
      0x00,
      0x00,
      0x00, // mov edx, 5
      0x0f,
      0x05, // syscall
      0x41,
      0xff,
      0xcc, // dec r12d
      0x75,
      0xe5, // jnz back to mov eax, 1
      0xb8,
      0x3c,
      0x00,
      0x00,
      0x00, // mov eax, 60 (exit)
      0x0f,
      0x05, // syscall
    ]);
    const { addressSpace, context } = platform.newProcess();
    const off = memory.allocate(4096);
    memory.bytes(off, loop.length).set(loop);
    addressSpace.mapFile(CODE_ADDR, 4096, off, PROT.READ | PROT.EXEC);
    context.regs.ip = CODE_ADDR;
    addressSpace.flush();
    // execve's own reads of the stub image are counted too: compare before and after.
    const before = readFileSync(`/proc/${addressSpace.hostPid}/io`, 'utf8');
    let writes = 0;
    for (;;) {
      platform.resume(context);
      const ev = platform.wait();
      expect(ev?.kind).toBe('syscall');
      if (context.regs.syscallNumber === SYS.exit) break;
      expect(context.regs.syscallNumber).toBe(SYS.write);
      writes++;
      context.regs.setReturn(context.regs.arg(2));
    }
    expect(writes).toBe(100);
    const after = readFileSync(`/proc/${addressSpace.hostPid}/io`, 'utf8');
    expect(after).toBe(before);
    expect(after).toMatch(/^syscw: 0$/m);
    expect(after).toMatch(/^wchar: 0$/m);
    context.kill();
    expect(platform.wait()?.kind).toBe(undefined);
  });

  it('leaves the stub no host mappings but its own and the ones mm asked for', () => {
    const { addressSpace } = platform.newProcess();
    const off = memory.allocate(8192);
    addressSpace.mapFile(0x10000000, 8192, off, PROT.READ | PROT.WRITE);
    addressSpace.flush();
    const maps = readFileSync(`/proc/${addressSpace.hostPid}/maps`, 'utf8').trim().split('\n');
    const starts = maps.map((l) => l.split('-')[0]);
    expect(starts).toContain('10000000');
    for (const line of maps) {
      expect(line).not.toMatch(/\[stack\]|\[vdso\]|\[vvar\]|\[heap\]/);
    }
    // Writes through the sentry's view are what the stub sees (shared pages).
    memory.bytes(off, 4)[0] = 7;
    addressSpace.release();
  });

  it('reads and writes the FP/vector state of a stopped context (XSAVE format)', () => {
    const { addressSpace, context } = platform.newProcess();
    const state = context.getFpState();
    // The XSAVE image: 512-byte legacy area, 64-byte header, then extended components.
    expect(state.length).toBeGreaterThanOrEqual(576);
    const xmm0 = 160;
    const changed = state.slice();
    changed.fill(0xab, xmm0, xmm0 + 16);
    // XSTATE_BV (header at 512): mark the SSE component as holding state, or XRSTOR loads its init value.
    changed[512] |= 0x2;
    context.setFpState(changed);
    expect(context.getFpState().subarray(xmm0, xmm0 + 16)).toEqual(new Uint8Array(16).fill(0xab));
    addressSpace.release();
  });

  it('runs the stub under a seccomp filter: any host syscall but the injected kinds kills it', () => {
    const { addressSpace } = platform.newProcess();
    const pid = addressSpace.hostPid;
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^Seccomp:\t2$/m);
    // An allowed kind of injection works...
    const off = memory.allocate(4096);
    addressSpace.mapFile(0x20000000, 4096, off, PROT.READ);
    addressSpace.flush();
    // ...and a forbidden one (getpid run for real on the host) is fatal to the stub.
    const stub = (addressSpace as unknown as { stub: { injectOne(nr: number): number } }).stub;
    expect(() => stub.injectOne(SYS.getpid)).toThrow(/died/);
    expect(existsSync(`/proc/${pid}`)).toBe(false);
  });

  /** The next stop of `context` (earlier tests' stubs, released without a kill, report 'gone' first). */
  function waitFor(context: unknown) {
    for (;;) {
      const ev = platform.wait();
      if (ev === undefined || ev.context === context) return ev;
    }
  }

  it('reuses a stub for execve: nothing changes before commit, everything old goes at commit', () => {
    const { addressSpace, context } = platform.newProcess();
    const oldCode = memory.allocate(4096);
    memory.bytes(oldCode, PROGRAM.length).set(PROGRAM);
    addressSpace.mapFile(CODE_ADDR, 4096, oldCode, PROT.READ | PROT.EXEC);
    addressSpace.mapFile(0x30000000, 4096, memory.allocate(4096), PROT.READ);
    addressSpace.flush();
    const pid = addressSpace.hostPid;
    const mapped = () =>
      readFileSync(`/proc/${pid}/maps`, 'utf8')
        .split('\n')
        .map((l) => l.split('-')[0]);

    // An execve that fails before its point of no return: the old image is untouched and still runs.
    const failed = platform.reuseProcess(context)!;
    failed.addressSpace.mapFile(0x50000000, 4096, memory.allocate(4096), PROT.READ);
    failed.addressSpace.flush();
    expect(mapped()).not.toContain('50000000');
    failed.context.kill();
    failed.addressSpace.release();
    expect(existsSync(`/proc/${pid}`)).toBe(true);
    context.regs.ip = CODE_ADDR;
    platform.resume(context);
    expect(waitFor(context)?.kind).toBe('syscall');
    expect(context.regs.syscallNumber).toBe(SYS.getpid);

    // One that commits: same host process, only the new mappings, and the old context is inert.
    const reused = platform.reuseProcess(context)!;
    const newCode = memory.allocate(4096);
    memory.bytes(newCode, PROGRAM.length).set(PROGRAM);
    reused.addressSpace.mapFile(0x60000000, 4096, newCode, PROT.READ | PROT.EXEC);
    reused.commit();
    expect(reused.addressSpace.hostPid).toBe(pid);
    const after = mapped();
    expect(after).toContain('60000000');
    expect(after).not.toContain(CODE_ADDR.toString(16));
    expect(after).not.toContain('30000000');
    addressSpace.release();
    context.kill();
    expect(existsSync(`/proc/${pid}`)).toBe(true);
    reused.context.regs.ip = 0x60000000;
    platform.resume(reused.context);
    expect(waitFor(reused.context)?.kind).toBe('syscall');
    expect(reused.context.regs.syscallNumber).toBe(SYS.getpid);
    reused.context.kill();
  });

  it('keeps a spare stub ready once a second process exists, made while the application runs', () => {
    const spawnAt = (as: { mapFile(a: number, l: number, o: number, p: number): void }) => {
      const off = memory.allocate(4096);
      memory.bytes(off, PROGRAM.length).set(PROGRAM);
      as.mapFile(CODE_ADDR, 4096, off, PROT.READ | PROT.EXEC);
    };
    const a = platform.newProcess();
    const b = platform.newProcess();
    spawnAt(a.addressSpace);
    a.context.regs.ip = CODE_ADDR;
    platform.resume(a.context);
    expect(waitFor(a.context)?.kind).toBe('syscall');
    const spare = platform.spareHostPid;
    expect(spare).toBeDefined();
    expect(readFileSync(`/proc/${spare}/status`, 'utf8')).toMatch(/^Seccomp:\t2$/m);
    const c = platform.newProcess();
    expect(c.addressSpace.hostPid).toBe(spare);
    expect(platform.spareHostPid).toBeUndefined();
    for (const p of [a, b, c]) p.context.kill();
  });

  it('holds no host fds in the stub but the memory file', () => {
    const { addressSpace } = platform.newProcess();
    const fds = execFileSync('ls', [`/proc/${addressSpace.hostPid}/fd`], { encoding: 'utf8' })
      .trim()
      .split('\n');
    expect(fds).toEqual(['3']);
    addressSpace.release();
  });
});
