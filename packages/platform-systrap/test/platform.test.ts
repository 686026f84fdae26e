import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROT, SYS, Signal } from '@tvisor/abi';
import { MemoryFile } from '@tvisor/mm';
import { SystrapPlatform } from '../src/index.js';
import { STUB_BATCH_OFFSET, STUB_GADGET_OFFSET } from '@tvisor/platform-stub';
import { STUB_CODE, STUB_HANDLER_OFFSET, STUB_THREAD_START_OFFSET } from '../src/stub/stub-image.js';
import { STUB_THREAD_CLONE_FLAGS } from '../src/stub/stub-seccomp.js';

const CODE_ADDR = 0x400000;

/** getpid(); exit(rax) (both served by the sentry); then a write to address 0 (SIGSEGV). */
const PROGRAM = Uint8Array.from([
  ...[0xb8, 0x27, 0x00, 0x00, 0x00], // mov eax, 39 (getpid)
  ...[0x0f, 0x05], // syscall
  ...[0x89, 0xc7], // mov edi, eax
  ...[0xb8, 0x3c, 0x00, 0x00, 0x00], // mov eax, 60 (exit)
  ...[0x0f, 0x05], // syscall
  ...[0xc6, 0x04, 0x25, 0x00, 0x00, 0x00, 0x00, 0x01], // mov byte [0], 1 -> SIGSEGV
]);

describe('stub image', () => {
  it('matches stub.S assembled by gcc, labels and constants included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'systrap-stub-'));
    const src = new URL('../src/stub/stub.S', import.meta.url).pathname;
    execFileSync('gcc', ['-c', src, '-o', join(dir, 'stub.o')]);
    execFileSync('objcopy', ['-O', 'binary', '-j', '.text', join(dir, 'stub.o'), join(dir, 'stub.bin')]);
    expect(new Uint8Array(readFileSync(join(dir, 'stub.bin')))).toEqual(STUB_CODE);
    const syms = execFileSync('nm', [join(dir, 'stub.o')], { encoding: 'utf8' });
    for (const [label, offset] of [
      ['gadget', STUB_GADGET_OFFSET],
      ['batch', STUB_BATCH_OFFSET],
      ['thread_start', STUB_THREAD_START_OFFSET],
      ['handler', STUB_HANDLER_OFFSET],
    ] as const) {
      expect(syms).toMatch(new RegExp(`0*${offset.toString(16)} t ${label}\\n`));
    }
    // do_clone's flags are the ones the seccomp filter lets through.
    expect(readFileSync(src, 'utf8')).toContain(`mov edi, 0x${STUB_THREAD_CLONE_FLAGS.toString(16)} `);
  });
});

describe('SystrapPlatform', () => {
  let memory: MemoryFile;
  let platform: SystrapPlatform;
  beforeAll(() => {
    memory = MemoryFile.create();
    platform = new SystrapPlatform(memory);
  });
  afterAll(() => {
    platform.shutdown();
    memory.close();
  });

  it('runs code from the memory file and hands its syscalls and faults to the sentry', () => {
    const { addressSpace, context } = platform.newProcess();
    const off = memory.allocate(4096);
    memory.bytes(off, PROGRAM.length).set(PROGRAM);
    addressSpace.mapFile(CODE_ADDR, 4096, off, PROT.READ | PROT.EXEC);
    context.regs.ip = CODE_ADDR;
    platform.resume(context);

    expect(platform.wait()?.kind).toBe('syscall');
    expect(context.regs.syscallNumber).toBe(SYS.getpid);
    context.regs.setReturn(4242);
    platform.resume(context);

    expect(platform.wait()?.kind).toBe('syscall');
    expect(context.regs.syscallNumber).toBe(SYS.exit);
    expect(context.regs.arg(0)).toBe(4242);
    platform.resume(context);
    expect(platform.wait()).toMatchObject({ kind: 'fault', signal: Signal.SIGSEGV, addr: 0 });
    context.kill();
    expect(platform.wait()?.kind).toBe(undefined);
  });

  it('changes the mappings of a stub whose threads all run (one is borrowed through its handler)', () => {
    // Spins until the word at DATA becomes nonzero, then makes a syscall.
    const DATA = 0x600000;
    const code = Uint8Array.from([
      ...[0x48, 0xc7, 0xc3, 0x00, 0x00, 0x60, 0x00], // mov rbx, 0x600000
      ...[0x83, 0x3b, 0x00], // cmp dword [rbx], 0
      ...[0x74, 0xfb], // je back to the cmp
      ...[0xb8, 0x27, 0x00, 0x00, 0x00], // mov eax, 39 (getpid)
      ...[0x0f, 0x05], // syscall
    ]);
    const { addressSpace, context } = platform.newProcess();
    const off = memory.allocate(4096);
    memory.bytes(off, code.length).set(code);
    addressSpace.mapFile(CODE_ADDR, 4096, off, PROT.READ | PROT.EXEC);
    addressSpace.mapFile(DATA, 4096, memory.allocate(4096), PROT.READ | PROT.WRITE);
    context.regs.ip = CODE_ADDR;
    platform.resume(context);
    // While it spins: map a page holding 1 over the word it watches.
    const one = memory.allocate(4096);
    memory.bytes(one, 4)[0] = 1;
    addressSpace.mapFile(DATA, 4096, one, PROT.READ);
    addressSpace.flush();
    // The borrowed thread's stray SIGURG stop is resumed by the platform; the next stop is the getpid.
    expect(platform.wait()?.kind).toBe('syscall');
    expect(context.regs.syscallNumber).toBe(SYS.getpid);
    context.kill();
  });
  /** The next stop of `context` (earlier tests' stubs, released without a kill, report 'gone' first). */
  function waitFor(context: unknown) {
    for (;;) {
      const ev = platform.wait();
      if (ev === undefined || ev.context === context) return ev;
    }
  }

  it("takes mapping changes made while the stub's only thread is stopped along with its resume, and ends the process if one fails", () => {
    const { addressSpace, context } = platform.newProcess();
    const pid = addressSpace.hostPid;
    const off = memory.allocate(4096);
    memory.bytes(off, PROGRAM.length).set(PROGRAM);
    addressSpace.mapFile(CODE_ADDR, 4096, off, PROT.READ | PROT.EXEC);
    addressSpace.flush();
    // Nothing runs in the stub, so nothing is applied yet: the resume carries the change.
    expect(readFileSync(`/proc/${pid}/maps`, 'utf8')).not.toContain(CODE_ADDR.toString(16));
    context.regs.ip = CODE_ADDR;
    platform.resume(context);
    expect(waitFor(context)?.kind).toBe('syscall');
    expect(context.regs.syscallNumber).toBe(SYS.getpid);
    expect(readFileSync(`/proc/${pid}/maps`, 'utf8')).toContain(CODE_ADDR.toString(16));
    // A change the host refuses (a non-canonical address): mm and the host would disagree, so the process ends.
    addressSpace.mapFile(0x8000_0000_0000, 4096, off, PROT.READ);
    platform.resume(context);
    expect(waitFor(context)).toMatchObject({ kind: 'gone', status: Signal.SIGKILL });
  });

  it('reuses a stub for execve: nothing changes before commit, everything old goes at commit, FP state reset', () => {
    const { addressSpace, context } = platform.newProcess();
    const initialFp = context.getFpState();
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
    // Dirty the FP state the new image must not inherit (the first byte of the XSAVE image: the x87 control word's low byte).
    const dirty = context.getFpState();
    dirty[0] ^= 0x0c;
    context.setFpState(dirty);

    // One that commits: same host process, only the new mappings, and the old context is inert.
    const reused = platform.reuseProcess(context)!;
    const newCode = memory.allocate(4096);
    memory.bytes(newCode, PROGRAM.length).set(PROGRAM);
    reused.addressSpace.mapFile(0x60000000, 4096, newCode, PROT.READ | PROT.EXEC);
    reused.commit();
    expect(reused.addressSpace.hostPid).toBe(pid);
    expect(reused.context.getFpState()[0]).toBe(initialFp[0]);
    addressSpace.release();
    context.kill();
    expect(existsSync(`/proc/${pid}`)).toBe(true);
    reused.context.regs.ip = 0x60000000;
    platform.resume(reused.context);
    expect(waitFor(reused.context)?.kind).toBe('syscall');
    expect(reused.context.regs.syscallNumber).toBe(SYS.getpid);
    const after = mapped();
    expect(after).toContain('60000000');
    expect(after).not.toContain(CODE_ADDR.toString(16));
    expect(after).not.toContain('30000000');
    reused.context.kill();
  });
});
