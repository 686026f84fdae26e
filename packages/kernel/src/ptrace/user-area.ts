// The tracee's registers as ptrace(2) shows them: struct user (PEEKUSER,
// POKEUSER), user_regs_struct (GETREGS, SETREGS, NT_PRSTATUS) and the FXSAVE
// image (GETFPREGS, NT_PRFPREG), with the checks Linux's putreg makes.
import { Errno, SysError, USER_REGS } from '@tvisor/abi';
import { REG, type Registers } from '@tvisor/platform';

/** offsetof(struct user, u_debugreg) and sizeof(struct user) on x86-64. */
export const USER_DEBUGREG_OFFSET = 848;
export const USER_AREA_SIZE = 912;
/** sizeof(struct user_fpregs_struct): the legacy FXSAVE part of the XSAVE image. */
export const USER_FPREGS_SIZE = 512;

/** The eflags bits a tracer may change (Linux's FLAG_MASK: arithmetic flags, TF, DF, OF, RF, AC, NT). */
const EFLAGS_WRITABLE = 0x54dd5n;
/** The highest user address plus one page (Linux's TASK_SIZE_MAX): fs_base/gs_base must be below it. */
const TASK_SIZE_MAX = 0x7fff_ffff_f000n;

const SEGMENTS = new Set<number>([REG.cs, REG.ss, REG.ds, REG.es, REG.fs, REG.gs]);

/**
 * The value to store in register `reg` when a tracer writes `value`, or EIO
 * for one Linux refuses: a segment selector that is not a user one (RPL 3),
 * a null cs or ss, a base beyond user space; eflags keeps its system bits.
 */
export function checkedRegister(regs: Registers, reg: number, value: bigint): bigint {
  if (SEGMENTS.has(reg)) {
    const sel = value & 0xffffn;
    if (value > 0xffffn || (sel !== 0n && (sel & 3n) !== 3n)) throw new SysError(Errno.EIO);
    if ((reg === REG.cs || reg === REG.ss) && sel === 0n) throw new SysError(Errno.EIO);
    return sel;
  }
  if (reg === REG.fs_base || reg === REG.gs_base) {
    if (value >= TASK_SIZE_MAX) throw new SysError(Errno.EIO);
    return value;
  }
  if (reg === REG.eflags) return (value & EFLAGS_WRITABLE) | (regs.getBig(REG.eflags) & ~EFLAGS_WRITABLE);
  return value;
}

/** The tracee's user_regs_struct as bytes (GETREGS, NT_PRSTATUS). */
export function regsBytes(regs: Registers): Uint8Array {
  const words = regs.snapshot();
  return new Uint8Array(words.buffer, words.byteOffset, USER_REGS.SIZE);
}

/** SETREGS / NT_PRSTATUS: every register from `bytes` (a user_regs_struct), each checked; nothing changes if one is refused. */
export function setRegsFromBytes(regs: Registers, bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values: bigint[] = [];
  for (let i = 0; i < USER_REGS.SIZE / 8; i++) values.push(checkedRegister(regs, i, view.getBigUint64(i * 8, true)));
  values.forEach((v, i) => regs.setBig(i, v));
}

/** PEEKUSER: the word at `offset` in struct user (registers, debug registers; the rest reads 0 as on Linux). */
export function peekUser(regs: Registers, debugRegs: bigint[], offset: number): bigint {
  if (offset < 0 || offset % 8 !== 0 || offset >= USER_AREA_SIZE) throw new SysError(Errno.EIO);
  if (offset < USER_REGS.SIZE) return regs.getBig(offset / 8);
  if (offset >= USER_DEBUGREG_OFFSET) return debugRegs[(offset - USER_DEBUGREG_OFFSET) / 8];
  return 0n;
}

/** POKEUSER: a register (checked), or a debug register (kept; no hardware breakpoints exist here); other words are ignored. */
export function pokeUser(regs: Registers, debugRegs: bigint[], offset: number, value: bigint): void {
  if (offset < 0 || offset % 8 !== 0 || offset >= USER_AREA_SIZE) throw new SysError(Errno.EIO);
  if (offset < USER_REGS.SIZE) regs.setBig(offset / 8, checkedRegister(regs, offset / 8, value));
  else if (offset >= USER_DEBUGREG_OFFSET) {
    const n = (offset - USER_DEBUGREG_OFFSET) / 8;
    // DR4/DR5 are reserved, and enabling a breakpoint (DR7's enable bits) cannot be honoured.
    if (n === 4 || n === 5 || (n === 7 && (value & 0xffn) !== 0n)) throw new SysError(Errno.EIO);
    debugRegs[n] = value;
  }
}
