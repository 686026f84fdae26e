import { Errno, SysError } from '@tvisor/abi';
import { BINPRM_BUF_SIZE } from './elf-constants.js';

/** A `#!` line: the interpreter to run and its single optional argument. */
export interface Shebang {
  /** Interpreter path, decoded as UTF-8. */
  interpreter: string;
  /** The optional argument (everything after the interpreter, inner blanks kept). */
  arg?: string;
  /** The exact bytes of the interpreter path (paths need not be UTF-8). */
  interpreterBytes: Uint8Array;
  argBytes?: Uint8Array;
}

const SPACE = 0x20;
const TAB = 0x09;
const NEWLINE = 0x0a;
const NUL = 0;

const isBlank = (b: number) => b === SPACE || b === TAB;
const isTerminator = (b: number) => b === SPACE || b === TAB || b === NUL;

/** First index in [from, to) whose byte satisfies `test`, or -1. */
function findFrom(buf: Uint8Array, from: number, to: number, test: (b: number) => boolean): number {
  for (let i = from; i < to; i++) if (test(buf[i])) return i;
  return -1;
}

/**
 * Parses the start of a file as a `#!` script header the way Linux's execve
 * does. Only the first BINPRM_BUF_SIZE (256) bytes count, and a file shorter
 * than that reads as if padded with NULs. Returns null when the file does not
 * start with `#!`.
 *
 * - The line ends at the first newline; a NUL before it hides the newline.
 * - Without a visible newline, the line is cut to 255 bytes, and the
 *   interpreter path must be followed by a blank or NUL inside them (else it
 *   may be truncated: ENOEXEC).
 * - Blanks (space, tab) before the interpreter and at the end of the line are
 *   dropped; a blank line is ENOEXEC.
 * - The interpreter ends at the first blank or NUL (an empty one is EACCES,
 *   as Linux reports it); what follows, after
 *   leading blanks, is one argument up to the line end or a NUL, inner
 *   blanks included.
 */
export function parseShebang(firstBytes: Uint8Array): Shebang | null {
  const buf = new Uint8Array(BINPRM_BUF_SIZE);
  buf.set(firstBytes.subarray(0, BINPRM_BUF_SIZE));
  if (buf[0] !== 0x23 /* # */ || buf[1] !== 0x21 /* ! */) return null;

  const last = BINPRM_BUF_SIZE - 1;
  let end = findFrom(buf, 0, BINPRM_BUF_SIZE, (b) => b === NEWLINE || b === NUL);
  if (end < 0 || buf[end] !== NEWLINE) {
    const name = findFrom(buf, 2, BINPRM_BUF_SIZE, (b) => !isBlank(b));
    if (name < 0) throw new SysError(Errno.ENOEXEC, 'shebang line is all blanks');
    if (findFrom(buf, name, BINPRM_BUF_SIZE, isTerminator) < 0) throw new SysError(Errno.ENOEXEC, 'shebang interpreter path truncated');
    end = last;
  }
  while (isBlank(buf[end - 1])) end--;

  const name = findFrom(buf, 2, end, (b) => !isBlank(b));
  if (name < 0) throw new SysError(Errno.ENOEXEC, 'shebang names no interpreter');
  const separator = findFrom(buf, name, end, isTerminator);
  const interpreterBytes = buf.slice(name, separator < 0 ? end : separator);
  // A NUL right where the path should start leaves it empty; Linux then fails
  // the exec with EACCES (observed), not ENOEXEC.
  if (interpreterBytes.length === 0) throw new SysError(Errno.EACCES, 'empty shebang interpreter');
  const result: Shebang = { interpreter: decode(interpreterBytes), interpreterBytes };
  if (separator >= 0 && buf[separator] !== NUL) {
    const argStart = findFrom(buf, separator, end, (b) => !isBlank(b));
    if (argStart >= 0) {
      const nul = findFrom(buf, argStart, end, (b) => b === NUL);
      result.argBytes = buf.slice(argStart, nul < 0 ? end : nul);
      result.arg = decode(result.argBytes);
    }
  }
  return result;
}

function decode(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}
