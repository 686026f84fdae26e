/**
 * One stub thread's message slot, as the sentry sees it: the first page of
 * the thread's area in the memory file, followed by the thread's alternate
 * signal stack, where the host kernel builds the frame (siginfo, ucontext,
 * XSAVE image) of the signal that stopped the thread.
 *
 * Everything here lives in memory the application can write (the stub maps
 * the area into the application's address space), so every value read from
 * it is untrusted: pointers must lie inside the area's stack with room for
 * what they point to, the signal must be one the stub handles, sizes must be
 * the host's. A slot that fails a check is reported as forged and the
 * platform ends the stub.
 */
import { FP_XSTATE, FpxSwBytes, Fpstate, RtSigframe, Sigcontext, SiginfoSys, Stack, SYS_SECCOMP, Ucontext, type StructCodec } from '@tvisor/abi';
import { REG } from '@tvisor/platform';
import { THREAD_AREA_SIZE, THREAD_STACK_OFFSET } from './stub/stub-image.js';

/** Byte offsets in the slot page (stub.S's header comment lists the same). */
export const SLOT = {
  STATE: 0,
  SLEEPING: 4,
  SIGINFO: 8,
  UCONTEXT: 16,
  SET_FS: 24,
  FS_BASE: 32,
  BATCH_COUNT: 40,
  CLONE_STACK: 48,
  CLONE_RESULT: 56,
  NEW_THREAD_STACK: 64,
  EMPTY_SIGSET: 88,
  SPIN: 96,
  BATCH_FAILED: 100,
  BATCH_TABLE: 128,
  BATCH_ENTRY: 64,
  BATCH_CAPACITY: 62,
} as const;

/** Slot states: who holds the thread and what it is to do. */
export const SLOT_STATE = {
  /** The thread runs application code (or is on its way out of the handler). */
  RUNNING: 0,
  /** The thread is stopped in its handler with a message for the sentry. */
  MESSAGE: 1,
  /** The sentry's answer: load the (rewritten) frame and run on. */
  RESUME: 2,
  /** The sentry's answer: run the batch table, then post a message again. */
  BATCH: 3,
  /** The sentry's answer: exit this host thread. */
  EXIT: 4,
  /** The sentry's answer: clone a new stub thread, then post a message again. */
  CLONE: 5,
  /** The sentry's answer: run the batch table, then resume as RESUME does (or, if an entry failed, set BATCH_FAILED and post a message). */
  BATCH_RESUME: 6,
} as const;

function offsetOf<T>(codec: StructCodec<T>, name: string): number {
  const f = codec.fields.find((x) => x.name === name);
  if (!f) throw new Error(`${codec.cType} has no field ${name}`);
  return f.offset;
}

const UC_MCONTEXT = offsetOf(Ucontext, 'uc_mcontext');
const UC_SIGMASK = offsetOf(Ucontext, 'uc_sigmask');
const UC_STACK = offsetOf(Ucontext, 'uc_stack');
const UCONTEXT_IN_FRAME = offsetOf(RtSigframe, 'uc');
const SC_FPSTATE = offsetOf(Sigcontext, 'fpstate');
const SC_CS = offsetOf(Sigcontext, 'cs');
const SC_SS = offsetOf(Sigcontext, 'ss');
const SI_CODE = offsetOf(SiginfoSys, 'si_code');
const SI_ADDR = offsetOf(SiginfoSys, 'si_call_addr');
const SI_SYSCALL = offsetOf(SiginfoSys, 'si_syscall');
const FP_SW = offsetOf(Fpstate, 'sw_reserved');
const SW_MAGIC1 = FP_SW + offsetOf(FpxSwBytes, 'magic1');
const SW_EXTENDED = FP_SW + offsetOf(FpxSwBytes, 'extended_size');
const SW_XSTATE_SIZE = FP_SW + offsetOf(FpxSwBytes, 'xstate_size');
const SW_END = FP_SW + FpxSwBytes.size;

/**
 * The general registers a frame carries: for each, its first 32-bit word in
 * the register file (REG index * 2) and in the sigcontext. Both hold the
 * 64-bit value as two little-endian words, so a copy is two word moves: no
 * number conversion, no bigint, no allocation on the syscall path.
 */
const FRAME_REG_NAMES = [
  'r8',
  'r9',
  'r10',
  'r11',
  'r12',
  'r13',
  'r14',
  'r15',
  'rdi',
  'rsi',
  'rbp',
  'rbx',
  'rdx',
  'rax',
  'rcx',
  'rsp',
  'rip',
  'eflags',
] as const;
const FRAME_REG_WORDS = Int32Array.from(FRAME_REG_NAMES, (name) => REG[name] * 2);
const FRAME_SC_WORDS = Int32Array.from(FRAME_REG_NAMES, (name) => offsetOf(Sigcontext, name) / 4);
const SS_SP = offsetOf(Stack, 'ss_sp');
const SS_FLAGS = offsetOf(Stack, 'ss_flags');
const SS_SIZE = offsetOf(Stack, 'ss_size');

/** What stopped a thread, read from its frame. */
export interface SlotMessage {
  signal: number;
  code: number;
  /** si_addr for faults, the syscall number for SIGSYS (SYS_SECCOMP). */
  addr: number;
  syscall: number;
}

export class ForgedSlotError extends Error {}

export class MessageSlot {
  private readonly words: Int32Array;
  private readonly u32: Uint32Array;
  /** What read() last found (one object, rewritten by each read). */
  private readonly message: SlotMessage = { signal: 0, code: 0, addr: 0, syscall: -1 };
  private readonly view: DataView;
  /** Where the last frame's ucontext is, as an offset in the area (validated). */
  private ucontext = -1;
  /** The XSAVE image in the last frame: offset in the area and size. */
  private fpOffset = -1;
  private fpSize = 0;

  /**
   * @param index the slot's number in the platform's control region
   * @param area the sentry's view of the thread area (THREAD_AREA_SIZE bytes)
   * @param stateAddress the sentry's address of the state word (futex wake)
   * @param fileOffset the area's offset in the memory file
   * @param stubAddress where the area is mapped in the stub
   */
  constructor(
    readonly index: number,
    area: Uint8Array,
    readonly stateAddress: bigint,
    readonly fileOffset: number,
    public stubAddress: number,
  ) {
    this.words = new Int32Array(area.buffer, area.byteOffset, THREAD_AREA_SIZE / 4);
    this.u32 = new Uint32Array(area.buffer, area.byteOffset, THREAD_AREA_SIZE / 4);
    this.view = new DataView(area.buffer, area.byteOffset, THREAD_AREA_SIZE);
  }

  /** How many times the handler checks its state word (a pause apart) before it sleeps on it. */
  set spin(count: number) {
    this.words[SLOT.SPIN / 4] = count;
  }

  get state(): number {
    return Atomics.load(this.words, SLOT.STATE / 4);
  }

  /** Publishes an order; true if the thread sleeps in futex and must be woken. */
  order(state: number): boolean {
    // exchange is a full barrier: the state is visible before the sleeping flag is read.
    Atomics.exchange(this.words, SLOT.STATE / 4, state);
    return Atomics.load(this.words, SLOT.SLEEPING / 4) !== 0;
  }

  /** Clears the slot for a new thread. */
  reset(stubAddress: number): void {
    this.stubAddress = stubAddress;
    new Uint8Array(this.view.buffer, this.view.byteOffset, 0x1000).fill(0);
    this.ucontext = -1;
    this.fpOffset = -1;
  }

  /** An address in the stub, as an offset in the area's stack, if [addr, addr+size) lies inside the stack. */
  private stackOffset(addr: number, size: number): number {
    const off = addr - this.stubAddress;
    if (!Number.isSafeInteger(off) || off < THREAD_STACK_OFFSET || off + size > THREAD_AREA_SIZE) {
      throw new ForgedSlotError(`slot ${this.index}: frame address 0x${addr.toString(16)} outside the thread's stack`);
    }
    return off;
  }

  private u64(off: number): number {
    return this.view.getUint32(off, true) + this.view.getUint32(off + 4, true) * 0x1_0000_0000;
  }

  /**
   * Reads the message: validates the frame pointers and the XSAVE area, and
   * copies the frame's registers into `regs`, the 32-bit words of a register
   * file laid out as `Registers` (orig_rax: the syscall number for a syscall
   * stop, -1 otherwise). Throws ForgedSlotError. The returned object is
   * reused by the next read.
   */
  read(regs: Uint32Array): Readonly<SlotMessage> {
    const si = this.stackOffset(this.u64(SLOT.SIGINFO), SiginfoSys.size);
    const uc = this.stackOffset(this.u64(SLOT.UCONTEXT), Ucontext.size);
    if (si !== uc - UCONTEXT_IN_FRAME + offsetOf(RtSigframe, 'info')) throw new ForgedSlotError(`slot ${this.index}: siginfo is not the frame's`);
    // The host aligns the frame; a forged one may not be, and the registers are copied as whole words.
    if (uc % 8 !== 0) throw new ForgedSlotError(`slot ${this.index}: ucontext not 8-byte aligned`);
    const v = this.view;
    const mc = uc + UC_MCONTEXT;
    const fp = this.stackOffset(this.u64(mc + SC_FPSTATE), SW_END);
    if (v.getUint32(fp + SW_MAGIC1, true) !== FP_XSTATE.MAGIC1) throw new ForgedSlotError(`slot ${this.index}: no XSAVE image in the frame`);
    // Each size is read once: the application may rewrite the frame while the sentry reads it.
    const size = v.getUint32(fp + SW_XSTATE_SIZE, true);
    const extended = v.getUint32(fp + SW_EXTENDED, true);
    if (size < Fpstate.size || extended < size) throw new ForgedSlotError(`slot ${this.index}: bad XSAVE size ${size}`);
    this.stackOffset(this.stubAddress + fp, extended);
    const u32 = this.u32;
    const base = mc / 4;
    for (let i = 0; i < FRAME_REG_WORDS.length; i++) {
      const r = FRAME_REG_WORDS[i];
      const w = base + FRAME_SC_WORDS[i];
      regs[r] = u32[w];
      regs[r + 1] = u32[w + 1];
    }
    regs[REG.cs * 2] = v.getUint16(mc + SC_CS, true);
    regs[REG.cs * 2 + 1] = 0;
    regs[REG.ss * 2] = v.getUint16(mc + SC_SS, true);
    regs[REG.ss * 2 + 1] = 0;
    const m = this.message;
    m.signal = v.getInt32(si, true);
    m.code = v.getInt32(si + SI_CODE, true);
    m.syscall = m.code === SYS_SECCOMP ? v.getInt32(si + SI_SYSCALL, true) : -1;
    m.addr = this.u64(si + SI_ADDR);
    regs[REG.orig_rax * 2] = m.syscall >>> 0;
    regs[REG.orig_rax * 2 + 1] = m.syscall < 0 ? 0xffff_ffff : 0;
    this.ucontext = uc;
    this.fpOffset = fp;
    this.fpSize = size;
    return m;
  }

  /**
   * Writes `regs` (a register file's 32-bit words, as read() takes) into the
   * frame rt_sigreturn will load, with the signal mask and alternate stack
   * (`altSp`, `altSize`) forced back to the stub's own (the frame is in
   * application-writable memory; rt_sigreturn restores both from it).
   */
  write(regs: Uint32Array, altSp: number, altSize: number): void {
    const uc = this.ucontext;
    if (uc < 0) return;
    const u32 = this.u32;
    const base = (uc + UC_MCONTEXT) / 4;
    for (let i = 0; i < FRAME_REG_WORDS.length; i++) {
      const r = FRAME_REG_WORDS[i];
      const w = base + FRAME_SC_WORDS[i];
      u32[w] = regs[r];
      u32[w + 1] = regs[r + 1];
    }
    const mask = (uc + UC_SIGMASK) / 4;
    u32[mask] = 0;
    u32[mask + 1] = 0;
    const st = (uc + UC_STACK) / 4;
    u32[st + SS_SP / 4] = altSp % 0x1_0000_0000;
    u32[st + SS_SP / 4 + 1] = Math.floor(altSp / 0x1_0000_0000);
    u32[st + SS_FLAGS / 4] = 0;
    u32[st + SS_SIZE / 4] = altSize;
    u32[st + SS_SIZE / 4 + 1] = 0;
  }

  /** The XSAVE image of the last frame (the host's standard format, as PTRACE_GETREGSET gives it). */
  getFpState(): Uint8Array {
    if (this.fpOffset < 0) throw new ForgedSlotError(`slot ${this.index}: no frame`);
    return new Uint8Array(this.view.buffer, this.view.byteOffset + this.fpOffset, this.fpSize).slice();
  }

  /**
   * Replaces the frame's XSAVE image; the software-reserved bytes stay the
   * frame's (they describe the frame to rt_sigreturn, not the state).
   */
  setFpState(state: Uint8Array): void {
    if (this.fpOffset < 0) throw new ForgedSlotError(`slot ${this.index}: no frame`);
    const n = Math.min(state.length, this.fpSize);
    const dst = new Uint8Array(this.view.buffer, this.view.byteOffset + this.fpOffset, this.fpSize);
    const sw = dst.slice(FP_SW, SW_END);
    dst.set(state.subarray(0, n));
    dst.set(sw, FP_SW);
  }

  /** Asks the handler to set the fs base (its low and high 32 bits) before it returns (the host has no FSGSBASE here: arch_prctl does it). */
  setFsBase(lo: number, hi: number): void {
    this.u32[SLOT.FS_BASE / 4] = lo;
    this.u32[SLOT.FS_BASE / 4 + 1] = hi;
    this.view.setBigUint64(SLOT.SET_FS, 1n, true);
  }

  /** Fills the batch table with host syscalls for the handler to run. */
  setBatch(ops: ReadonlyArray<readonly number[]>): void {
    const v = this.view;
    ops.forEach((op, i) => {
      const base = SLOT.BATCH_TABLE + i * SLOT.BATCH_ENTRY;
      for (let a = 0; a < 7; a++) v.setBigInt64(base + a * 8, BigInt(op[a] ?? 0), true);
      v.setBigInt64(base + 56, 0n, true);
    });
    v.setBigUint64(SLOT.BATCH_COUNT, BigInt(ops.length), true);
  }

  /** Whether the handler found an entry of a BATCH_RESUME table failed (cleared by reading; the application can set it, and only ends itself). */
  takeBatchFailed(): boolean {
    const failed = this.words[SLOT.BATCH_FAILED / 4] !== 0;
    this.words[SLOT.BATCH_FAILED / 4] = 0;
    return failed;
  }

  /** The result of batch entry i. */
  batchResult(i: number): number {
    return Number(this.view.getBigInt64(SLOT.BATCH_TABLE + i * SLOT.BATCH_ENTRY + 56, true));
  }

  /** Sets up a clone: the new thread's stack top (in its own area) and, in its slot, the alternate stack it installs. */
  setClone(childStackTop: number): void {
    this.view.setBigUint64(SLOT.CLONE_STACK, BigInt(childStackTop), true);
    this.view.setBigInt64(SLOT.CLONE_RESULT, 0n, true);
  }

  get cloneResult(): number {
    return Number(this.view.getBigInt64(SLOT.CLONE_RESULT, true));
  }

  /** Writes the stack_t a new thread passes to sigaltstack (in its own slot). */
  setNewThreadStack(sp: number, size: number): void {
    Stack.encode(this.view, SLOT.NEW_THREAD_STACK, { ss_sp: sp, ss_flags: 0, ss_size: size });
  }
}
