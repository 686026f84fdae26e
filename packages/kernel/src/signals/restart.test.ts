import { Errno, SA, SYS } from '@tvisor/abi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyscallRestartKind, SyscallRestartState } from './restart.js';
import { registersAfterSyscallRestart, syscallRestartForHandler, syscallRestartWithoutHandler } from './restart.js';
import { GREG, GREG_COUNT } from './registers.js';
import { hexBig, Oracles, runLines } from './testing/native.js';

const RIP = 0x401234n;
const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const interrupted = (code: number, nr: number = SYS.read): SyscallRestartState => ({ rax: u64(-BigInt(code)), origRax: BigInt(nr), rip: RIP });

describe('restart rules of signal(7)', () => {
  // [code, handler without SA_RESTART, handler with SA_RESTART, no handler]
  const TABLE: [name: string, code: number, noRestart: SyscallRestartKind, withRestart: SyscallRestartKind, noHandler: SyscallRestartKind][] = [
    ['ERESTARTSYS', Errno.ERESTARTSYS, 'eintr', 'restart', 'restart'],
    ['ERESTARTNOINTR', Errno.ERESTARTNOINTR, 'restart', 'restart', 'restart'],
    ['ERESTARTNOHAND', Errno.ERESTARTNOHAND, 'eintr', 'eintr', 'restart'],
    ['ERESTART_RESTARTBLOCK', Errno.ERESTART_RESTARTBLOCK, 'eintr', 'eintr', 'restart_syscall'],
  ];

  it.each(TABLE)('%s', (_name, code, noRestart, withRestart, noHandler) => {
    expect(syscallRestartForHandler(interrupted(code), SA.SIGINFO).kind).toBe(noRestart);
    expect(syscallRestartForHandler(interrupted(code), SA.SIGINFO | SA.RESTART).kind).toBe(withRestart);
    expect(syscallRestartWithoutHandler(interrupted(code)).kind).toBe(noHandler);
  });

  it('EINTR replaces rax and keeps rip', () => {
    expect(syscallRestartForHandler(interrupted(Errno.ERESTARTSYS), 0)).toEqual({ kind: 'eintr', rax: u64(-BigInt(Errno.EINTR)), rip: RIP });
  });

  it('a restart backs rip over the 2-byte syscall instruction and reloads the syscall number', () => {
    expect(syscallRestartForHandler(interrupted(Errno.ERESTARTSYS, SYS.wait4), SA.RESTART)).toEqual({ kind: 'restart', rax: BigInt(SYS.wait4), rip: RIP - 2n });
  });

  it('a restart block resumes through restart_syscall', () => {
    expect(syscallRestartWithoutHandler(interrupted(Errno.ERESTART_RESTARTBLOCK, SYS.nanosleep))).toEqual({
      kind: 'restart_syscall',
      rax: BigInt(SYS.restart_syscall),
      rip: RIP - 2n,
    });
  });

  it('nothing changes outside a syscall (orig_rax -1) or for ordinary results', () => {
    const notSyscall = { rax: u64(-BigInt(Errno.ERESTARTSYS)), origRax: u64(-1n), rip: RIP };
    expect(syscallRestartForHandler(notSyscall, SA.RESTART)).toEqual({ kind: 'none', rax: notSyscall.rax, rip: RIP });
    expect(syscallRestartWithoutHandler(notSyscall).kind).toBe('none');
    for (const rax of [0n, 5n, u64(-BigInt(Errno.EAGAIN)), u64(-BigInt(Errno.EINTR)), u64(-511n), u64(-517n)]) {
      expect(syscallRestartForHandler({ rax, origRax: 0n, rip: RIP }, SA.RESTART).kind).toBe('none');
      expect(syscallRestartWithoutHandler({ rax, origRax: 0n, rip: RIP }).kind).toBe('none');
    }
  });
});

describe('registersAfterSyscallRestart', () => {
  it('rewrites only rax and rip of a copy', () => {
    const regs = Array.from({ length: GREG_COUNT }, (_, i) => BigInt(i));
    regs[GREG.rax] = u64(-BigInt(Errno.ERESTARTSYS));
    regs[GREG.orig_rax] = BigInt(SYS.read);
    regs[GREG.rip] = RIP;
    const before = regs.slice();
    const { regs: out, decision } = registersAfterSyscallRestart(regs, SA.RESTART);
    expect(decision.kind).toBe('restart');
    expect(regs).toEqual(before);
    const want = before.slice();
    want[GREG.rax] = BigInt(SYS.read);
    want[GREG.rip] = RIP - 2n;
    expect(Array.from(out)).toEqual(want);
    expect(registersAfterSyscallRestart(regs, null).decision.kind).toBe('restart');
    expect(registersAfterSyscallRestart(regs, 0).regs[GREG.rax]).toBe(u64(-BigInt(Errno.EINTR)));
  });
});

describe('Linux restarts interrupted syscalls the way we decide', () => {
  let oracles: Oracles;
  let probe: string;
  beforeAll(() => {
    oracles = new Oracles();
    probe = oracles.compile('restart-probe');
  });
  afterAll(() => oracles.dispose());

  const CASES: [call: string, mode: 'handler' | 'restart' | 'suppress', code: number][] = [
    ['read', 'handler', Errno.ERESTARTSYS],
    ['read', 'restart', Errno.ERESTARTSYS],
    ['read', 'suppress', Errno.ERESTARTSYS],
    ['nanosleep', 'handler', Errno.ERESTART_RESTARTBLOCK],
    ['nanosleep', 'restart', Errno.ERESTART_RESTARTBLOCK],
    ['nanosleep', 'suppress', Errno.ERESTART_RESTARTBLOCK],
    ['pause', 'handler', Errno.ERESTARTNOHAND],
    ['pause', 'restart', Errno.ERESTARTNOHAND],
  ];

  it.each(CASES)('%s interrupted by SIGALRM, %s', (call, mode, code) => {
    const lines = runLines(probe, [call, mode]);
    const get = (tag: string): string[] => {
      const line = lines.find((l) => l[0] === tag);
      if (line === undefined) throw new Error(`no ${tag} line in ${JSON.stringify(lines)}`);
      return line;
    };
    const d = get('deliver');
    const state: SyscallRestartState = { rax: hexBig(d[1]), origRax: hexBig(d[2]), rip: hexBig(d[3]) };
    expect(state.rax).toBe(u64(-BigInt(code)));
    const decision =
      mode === 'suppress'
        ? syscallRestartWithoutHandler(state)
        : syscallRestartForHandler(state, SA.SIGINFO | SA.RESTORER | (mode === 'restart' ? SA.RESTART : 0));
    if (mode === 'suppress') {
      // The next syscall entry is the re-executed `syscall` instruction: rip is past it again.
      const e = get('entry');
      expect({ nr: hexBig(e[1]), rip: hexBig(e[2]) }).toEqual({ nr: decision.rax, rip: decision.rip + 2n });
    } else {
      const f = get('frame');
      expect({ rax: hexBig(f[1]), rip: hexBig(f[2]) }).toEqual({ rax: decision.rax, rip: decision.rip });
    }
    const result = get('result');
    if (decision.kind === 'eintr') expect(result.slice(1)).toEqual(['-1', String(Errno.EINTR)]);
    else expect(result.slice(1)).toEqual([call === 'read' ? '1' : '0', '0']);
    expect(get('exit')[1]).toBe('0');
  });
});
