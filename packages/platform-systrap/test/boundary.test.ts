/**
 * The boundary under the systrap design: the application controls its whole
 * address space, including the stub's code, its message slot and its signal
 * frames. Each probe is machine code run as the application; each must end
 * contained: the stub killed by the host (a forbidden syscall) or by the
 * sentry (a forged slot), or the sentry still in control of the thread.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARCH, Errno, MAP, PROT, Signal, SYS } from '@tvisor/abi';
import { MemoryFile } from '@tvisor/mm';
import { REG, type PlatformAddressSpace, type PlatformContext } from '@tvisor/platform';
import { SystrapPlatform } from '../src/index.js';
import { STUB_CODE_START, STUB_GADGET } from '@tvisor/platform-stub';
import { STUB_HANDLER, threadArea } from '../src/stub/stub-image.js';
import { STUB_MEMFD } from '../src/stub/stub-process.js';
import { STUB_THREAD_CLONE_FLAGS, STUB_WINDOW_FD } from '../src/stub/stub-seccomp.js';

const CODE_ADDR = 0x400000;
const DATA_ADDR = 0x800000;
const hex = (n: number) => `0x${n.toString(16)}`;

/** Assembles Intel-syntax x86-64 with gcc (as the stub's own test does). */
function assemble(source: string): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'systrap-probe-'));
  writeFileSync(join(dir, 'p.S'), `.intel_syntax noprefix\n${source}\n`);
  execFileSync('gcc', ['-c', join(dir, 'p.S'), '-o', join(dir, 'p.o')]);
  execFileSync('objcopy', ['-O', 'binary', '-j', '.text', join(dir, 'p.o'), join(dir, 'p.bin')]);
  return new Uint8Array(readFileSync(join(dir, 'p.bin')));
}

describe('systrap boundary', () => {
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

  /** A new process running `code` at CODE_ADDR, with a read-write data area at DATA_ADDR. */
  function start(code: Uint8Array): { addressSpace: PlatformAddressSpace; context: PlatformContext } {
    const p = platform.newProcess();
    const off = memory.allocate(4096);
    memory.bytes(off, code.length).set(code);
    p.addressSpace.mapFile(CODE_ADDR, 4096, off, PROT.READ | PROT.EXEC);
    p.addressSpace.mapFile(DATA_ADDR, 0x8000, memory.allocate(0x8000), PROT.READ | PROT.WRITE);
    p.context.regs.ip = CODE_ADDR;
    platform.resume(p.context);
    return p;
  }

  /** The host pid is gone (reaped): nothing of the stub runs on. */
  function expectReaped(pid: number): void {
    expect(() => readFileSync(`/proc/${pid}/stat`)).toThrow();
  }

  const forbidden: Array<[string, number, number]> = [
    ['getpid', SYS.getpid, 0],
    ['execve', SYS.execve, 0],
    ['openat', SYS.openat, 0],
    ['kill', SYS.kill, 0],
    ['ptrace', SYS.ptrace, 0],
    ['socket', SYS.socket, 0],
    ['exit_group', SYS.exit_group, 0],
    ['prctl', SYS.prctl, 0],
    ['seccomp', SYS.seccomp, 0],
    ['process_vm_readv', SYS.process_vm_readv, 0],
    ['clone (a fork: not the stub thread flags)', SYS.clone, 0],
    ['arch_prctl(ARCH_SET_GS)', SYS.arch_prctl, ARCH.SET_GS],
  ];
  for (const [name, nr, arg0] of forbidden) {
    it(`kills the stub when the application runs host ${name} from the stub's code`, () => {
      const { addressSpace, context } = start(assemble(`mov rax, ${nr}\nmov rdi, ${arg0}\nmovabs rcx, ${hex(STUB_GADGET)}\njmp rcx`));
      const ev = platform.wait();
      expect(ev).toMatchObject({ kind: 'gone', context });
      // Killed by seccomp (SECCOMP_RET_KILL_PROCESS: SIGSYS), not by the sentry.
      expect((ev as { status: number }).status & 0x7f).toBe(Signal.SIGSYS);
      expectReaped(addressSpace.hostPid);
    });
  }

  it("refuses an mmap of the memory file made from the stub's code: the filter holds it and the sentry answers EPERM", () => {
    // Another process's page, and the control region (every stub's message slots): both a single mmap away.
    const other = platform.newProcess();
    const secret = memory.allocate(4096);
    memory.bytes(secret, 6).set(new TextEncoder().encode('secret'));
    other.addressSpace.mapFile(DATA_ADDR, 4096, secret, PROT.READ | PROT.WRITE);
    other.addressSpace.flush();
    for (const offset of [secret, 0]) {
      const { context } = start(
        assemble(
          `mov eax, ${SYS.mmap}\nxor edi, edi\nmov esi, 4096\nmov edx, ${PROT.READ}\nmov r10d, ${MAP.SHARED}\nmov r8d, ${STUB_MEMFD}\nmovabs r9, ${hex(offset)}\nmovabs rcx, ${hex(STUB_GADGET)}\njmp rcx`,
        ),
      );
      // The gadget's int3 after the syscall: the thread is back in the sentry's hands, with mmap's result.
      expect(platform.wait()).toMatchObject({ kind: 'fault', context, signal: Signal.SIGTRAP });
      expect(context.regs.getSigned(REG.rax)).toBe(-Errno.EPERM);
      context.kill();
    }
    other.context.kill();
  });

  /** Runs one host syscall from the stub's code (its gadget) with the given registers; returns what the sentry then sees. */
  function fromStubCode(setup: string) {
    const p = start(assemble(`${setup}\nmovabs rcx, ${hex(STUB_GADGET)}\njmp rcx`));
    return { ...p, ev: platform.wait() };
  }

  it("gives the application no way to the window fd: mmap of it fails (no such fd), dup and clone with the stub's flags are refused", () => {
    // mmap(0, 4096, PROT_READ, MAP_SHARED, STUB_WINDOW_FD, 0): the filter lets it through, but the fd exists only inside a batch.
    const mapped = fromStubCode(
      `mov eax, ${SYS.mmap}\nxor edi, edi\nmov esi, 4096\nmov edx, ${PROT.READ}\nmov r10d, ${MAP.SHARED}\nmov r8d, ${STUB_WINDOW_FD}\nxor r9d, r9d`,
    );
    expect(mapped.ev).toMatchObject({ kind: 'fault', context: mapped.context, signal: Signal.SIGTRAP });
    expect(mapped.context.regs.getSigned(REG.rax)).toBe(-Errno.EBADF);
    mapped.context.kill();
    // dup(STUB_MEMFD): held, and only a batch's own dup gets an answer other than EPERM.
    const duped = fromStubCode(`mov eax, ${SYS.dup}\nmov edi, ${STUB_MEMFD}`);
    expect(duped.ev).toMatchObject({ kind: 'fault', context: duped.context, signal: Signal.SIGTRAP });
    expect(duped.context.regs.getSigned(REG.rax)).toBe(-Errno.EPERM);
    expect(readdirSync(`/proc/${duped.addressSpace.hostPid}/fd`)).toEqual([String(STUB_MEMFD)]);
    duped.context.kill();
    // clone with the stub's thread flags: held, refused, so every thread of a stub is one the sentry made.
    const cloned = fromStubCode(
      `mov eax, ${SYS.clone}\nmov edi, ${STUB_THREAD_CLONE_FLAGS}\nmovabs rsi, ${hex(DATA_ADDR + 0x4000)}\nxor edx, edx\nxor r10d, r10d\nxor r8d, r8d`,
    );
    expect(cloned.ev).toMatchObject({ kind: 'fault', context: cloned.context, signal: Signal.SIGTRAP });
    expect(cloned.context.regs.getSigned(REG.rax)).toBe(-Errno.EPERM);
    cloned.context.kill();
  });

  it("kills the stub that makes its own code page writable from the stub's code (mprotect reaches only application memory)", () => {
    for (const [addr, len] of [
      [STUB_CODE_START & ~0xfff, 4096],
      [DATA_ADDR, 0x8000_0000],
    ]) {
      const { addressSpace, context, ev } = fromStubCode(`mov eax, ${SYS.mprotect}\nmovabs rdi, ${hex(addr)}\nmov esi, ${hex(len)}\nmov edx, 7`);
      expect(ev).toMatchObject({ kind: 'gone', context });
      expect((ev as { status: number }).status & 0x7f).toBe(Signal.SIGSYS);
      expectReaped(addressSpace.hostPid);
    }
    // Its own data, below the stub's range: allowed (harmless to anything but itself).
    const ok = fromStubCode(`mov eax, ${SYS.mprotect}\nmovabs rdi, ${hex(DATA_ADDR)}\nmov esi, 4096\nmov edx, ${PROT.READ}`);
    expect(ok.ev).toMatchObject({ kind: 'fault', context: ok.context, signal: Signal.SIGTRAP });
    expect(ok.context.regs.getSigned(REG.rax)).toBe(0);
    ok.context.kill();
  });

  it('ends a stub whose message slot is forged (frame pointers outside its stack)', () => {
    const slot = threadArea(0);
    const { context } = start(
      assemble(`movabs rbx, ${hex(slot)}\nmovabs rax, 0xdeadbeef000\nmov [rbx+8], rax\nmov [rbx+16], rax\nmov dword ptr [rbx], 1\n1: jmp 1b`),
    );
    expect(platform.wait()).toMatchObject({ kind: 'gone', context, status: Signal.SIGKILL });
    expect(platform.runningCount).toBe(0);
  });

  it('keeps control of a thread that jumps into the handler with hostile registers', () => {
    // rsp in the application's own memory: the handler takes that for its slot, posts a message
    // nobody reads and sleeps on it. The sentry's interrupt still reaches the thread's real handler.
    const { context } = start(assemble(`movabs rsp, ${hex(DATA_ADDR + 0x7ff0)}\nmov rsi, 0x1111\nmov rdx, 0x2222\nmovabs rcx, ${hex(STUB_HANDLER)}\njmp rcx`));
    // The thread rings the doorbell from the wrong slot: the sentry sees no message until it interrupts.
    expect(platform.pollStop()).toBeUndefined();
    platform.interrupt(context);
    expect(platform.wait()).toMatchObject({ kind: 'interrupt', context });
    // The registers are the thread's real ones, in the stub's handler code.
    expect(context.regs.sp).toBeGreaterThan(DATA_ADDR);
    context.kill();
  });

  it('runs a well-behaved process after all that', () => {
    const { context } = start(assemble(`mov eax, ${SYS.getpid}\nsyscall\n1: jmp 1b`));
    expect(platform.wait()?.kind).toBe('syscall');
    expect(context.regs.syscallNumber).toBe(SYS.getpid);
    context.kill();
  });
});
