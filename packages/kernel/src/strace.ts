import { AT, errnoName, strerror, syscallName } from '@tvisor/abi';
import { decodeArg, formatClone } from './strace-decode.js';
import type { ArgKind, SyscallEntry } from './syscall-table.js';
import type { Task } from './task.js';

const MAX_SHOWN = 32;

/** `name(arg, ...)` for a syscall at entry, decoding arguments by their kinds. */
export function formatSyscallEntry(task: Task, nr: number, entry: SyscallEntry | undefined): string {
  const name = entry?.name ?? syscallName(nr) ?? `syscall_${nr}`;
  const kinds: readonly ArgKind[] = entry?.args ?? [];
  const regs = task.regs;
  if (name === 'clone') return formatClone(regs);
  const parts: string[] = [];
  for (let i = 0; i < kinds.length; i++) {
    const symbolic = decodeArg(name, i, regs);
    if (symbolic === null) continue;
    parts.push(symbolic ?? formatArg(task, kinds[i], i));
  }
  if (!entry?.handler && kinds.length === 0) {
    for (let i = 0; i < 6; i++) parts.push('0x' + regs.arg(i).toString(16));
  }
  return `${name}(${parts.join(', ')})`;
}

/** ` = result` in strace's style, errors as `-1 ENAME (text)`. */
export function formatResult(result: number): string {
  if (result < 0 && result > -4096) return `= -1 ${errnoName(-result)} (${strerror(-result)})`;
  return `= ${result >= 0x10000 ? '0x' + result.toString(16) : result}`;
}

function formatArg(task: Task, kind: ArgKind, i: number): string {
  const regs = task.regs;
  switch (kind) {
    case 'int':
    case 'fd':
      return String(regs.argInt(i));
    case 'dirfd':
      return regs.argInt(i) === AT.FDCWD ? 'AT_FDCWD' : String(regs.argInt(i));
    case 'uint':
      return String(regs.arg(i));
    case 'oct':
      return '0' + regs.argUint(i).toString(8);
    case 'hex':
    case 'ptr': {
      const v = regs.arg(i);
      return v === 0 && kind === 'ptr' ? 'NULL' : '0x' + v.toString(16);
    }
    case 'str':
      return quoteString(task, regs.arg(i), 4096, true);
    default: {
      const [what, lenArg] = kind.split(':');
      if (what === 'buf') return quoteString(task, regs.arg(i), Math.min(regs.arg(Number(lenArg)), MAX_SHOWN), false);
      return '0x' + regs.arg(i).toString(16);
    }
  }
}

function quoteString(task: Task, addr: number, max: number, cstring: boolean): string {
  if (addr === 0) return 'NULL';
  try {
    let bytes: Uint8Array;
    let truncated = false;
    if (cstring) {
      const s = task.mm.readCString(addr, max);
      bytes = new TextEncoder().encode(s);
      if (bytes.length > MAX_SHOWN * 2) {
        bytes = bytes.subarray(0, MAX_SHOWN * 2);
        truncated = true;
      }
    } else {
      bytes = task.mm.copyIn(addr, max);
      truncated = max === MAX_SHOWN;
    }
    return '"' + escapeBytes(bytes) + '"' + (truncated ? '...' : '');
  } catch {
    return '0x' + addr.toString(16);
  }
}

function escapeBytes(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    if (b === 0x0a) out += '\\n';
    else if (b === 0x09) out += '\\t';
    else if (b === 0x22) out += '\\"';
    else if (b === 0x5c) out += '\\\\';
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += '\\x' + b.toString(16).padStart(2, '0');
  }
  return out;
}
