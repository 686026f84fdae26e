import { AUXV, Errno, SysError } from '@tvisor/abi';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ARG_STRLEN } from './elf-constants.js';
import { buildInitialStack, type InitialStackOptions } from './initial-stack.js';
import { cStringAt, decodeStack } from './testing/decode-stack.js';
import { buildProbes, type Kind } from './testing/fixtures.js';
import type { Scratch } from './testing/native.js';
import { runProbe } from './testing/run-probe.js';

const utf8 = (b: Uint8Array) => new TextDecoder().decode(b);

let scratch: Scratch;
let binaries: Record<Kind, string>;
beforeAll(() => ({ scratch, binaries } = buildProbes()));
afterAll(() => scratch.dispose());

function errnoOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof SysError) return err.errno;
    throw err;
  }
  return undefined;
}

const base: InitialStackOptions = {
  stackTop: 0x7ffffffff000,
  argv: ['prog', 'a'],
  envp: ['X=1'],
  auxv: [
    [AUXV.PAGESZ, 4096],
    [AUXV.ENTRY, 0x401000],
  ],
  execfn: '/bin/prog',
  platform: 'x86_64',
  random: Uint8Array.from({ length: 16 }, (_, i) => i + 1),
};

describe.each(['static', 'dynamic'] as const)('buildInitialStack against Linux (%s probe, ASLR off)', (kind) => {
  it('reproduces the native initial stack byte for byte', () => {
    const args = ['first', 'two words', '', 'ünïcödé', 'x'.repeat(300)];
    const env = { A: '1', EMPTY: '', LONG: 'y'.repeat(77), UTF8_É: 'ç' };
    const native = runProbe(binaries[kind], args, env);
    const decoded = decodeStack(native.dump, native.sp);
    expect(decoded.argc).toBe(args.length + 1);
    expect(decoded.argv.map(utf8)).toEqual([binaries[kind], ...args]);
    expect(decoded.envp.map(utf8)).toEqual(Object.entries(env).map(([k, v]) => `${k}=${v}`));

    // Feed the builder what the kernel had: the same strings, the native auxv
    // (its three builder-owned entries keep their position), random bytes, top.
    const value = (type: number) => decoded.auxv.find(([t]) => t === type)?.[1] ?? NaN;
    const random = native.dump.slice(value(AUXV.RANDOM) - native.sp, value(AUXV.RANDOM) - native.sp + 16);
    const execfn = cStringAt(native.dump, native.sp, value(AUXV.EXECFN));
    expect(utf8(execfn)).toBe(binaries[kind]);
    const built = buildInitialStack({
      stackTop: native.top,
      argv: decoded.argv,
      envp: decoded.envp,
      auxv: decoded.auxv.map(([t, v]) => [t, t === AUXV.RANDOM || t === AUXV.EXECFN || t === AUXV.PLATFORM ? 0 : v]),
      execfn,
      platform: 'x86_64',
      random,
    });
    expect(built.sp.toString(16)).toBe(native.sp.toString(16));
    expect(Buffer.from(built.bytes).toString('hex')).toBe(Buffer.from(native.dump).toString('hex'));
    expect(built.auxv).toEqual(decoded.auxv);
    // The address relations Linux guarantees.
    expect(built.argStart).toBe(decoded.argvAddrs[0]);
    expect(built.envStart).toBe(decoded.envpAddrs[0]);
    expect(built.argEnd).toBe(built.envStart);
    expect(built.envEnd).toBe(value(AUXV.EXECFN));
    expect(value(AUXV.RANDOM) + 16).toBe(value(AUXV.PLATFORM));
  });
});

/** The soft RLIMIT_STACK children inherit, from /proc/self/limits. */
function stackRlimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max stack size'));
  const soft = line?.split(/\s{2,}/)[1];
  return soft === undefined || soft === 'unlimited' ? Infinity : Number(soft);
}

describe('argument budget against Linux', () => {
  it('agrees with execve on the exact E2BIG boundary', () => {
    const rlimit = stackRlimit();
    const binary = binaries.static;
    const limit = Math.max(Math.min(6 << 20, Math.floor(rlimit / 4)), 128 << 10);
    const envc = Math.ceil(limit / 100_000);
    // Strings: argv[0] and execfn (both the path), then envc env strings filling the rest.
    const fill = (total: number) => {
      const env: Record<string, string> = {};
      let remaining = total - 2 * (binary.length + 1);
      for (let i = 0; i < envc; i++) {
        const key = `K${String(i).padStart(4, '0')}`;
        const len = i === envc - 1 ? remaining : Math.min(100_000, remaining - (envc - 1 - i) * 10);
        env[key] = 'v'.repeat(len - key.length - 2);
        remaining -= len;
      }
      return env;
    };
    for (const extra of [0, 1]) {
      const env = fill(limit - (1 + envc) * 8 + extra);
      const native = spawnSync(binary, [], { env, stdio: 'ignore' });
      const nativeErrno = (native.error as NodeJS.ErrnoException | undefined)?.code === 'E2BIG' ? Errno.E2BIG : undefined;
      if (nativeErrno === undefined) expect(native.status).toBe(0);
      const ours = errnoOf(() =>
        buildInitialStack({
          ...base,
          argv: [binary],
          envp: Object.entries(env).map(([k, v]) => `${k}=${v}`),
          execfn: binary,
          stackRlimit: rlimit,
        }),
      );
      expect(ours).toBe(nativeErrno);
      expect(ours).toBe(extra === 0 ? undefined : Errno.E2BIG);
    }
  });

  it('agrees with execve on MAX_ARG_STRLEN', () => {
    for (const length of [MAX_ARG_STRLEN - 1, MAX_ARG_STRLEN]) {
      const arg = 'z'.repeat(length);
      const native = spawnSync(binaries.static, [arg], { env: {}, stdio: 'ignore' });
      const nativeErrno = (native.error as NodeJS.ErrnoException | undefined)?.code === 'E2BIG' ? Errno.E2BIG : undefined;
      const ours = errnoOf(() => buildInitialStack({ ...base, argv: [binaries.static, arg], envp: [] }));
      expect(ours).toBe(nativeErrno);
    }
  });
});

describe('buildInitialStack layout', () => {
  it('decodes back to exactly its inputs', () => {
    const argv = ['prog', '', 'spaced arg', new Uint8Array([0xff, 0xfe, 0x80])];
    const envp = ['HOME=/root', 'Ω=ω'];
    const built = buildInitialStack({ ...base, argv, envp });
    expect(built.sp % 16).toBe(0);
    expect(built.sp + built.bytes.length).toBe(base.stackTop);
    const decoded = decodeStack(built.bytes, built.sp);
    expect(decoded.argc).toBe(4);
    expect(decoded.argv).toEqual([...argv.slice(0, 3).map((s) => new TextEncoder().encode(s as string)), argv[3]]);
    expect(decoded.envp.map(utf8)).toEqual(envp);
    expect(decoded.auxv.map(([t]) => t)).toEqual([AUXV.PAGESZ, AUXV.ENTRY, AUXV.RANDOM, AUXV.EXECFN, AUXV.PLATFORM]);
    const at = (type: number) => decoded.auxv.find(([t]) => t === type)![1];
    expect(built.bytes.slice(at(AUXV.RANDOM) - built.sp, at(AUXV.RANDOM) - built.sp + 16)).toEqual(base.random);
    expect(utf8(cStringAt(built.bytes, built.sp, at(AUXV.EXECFN)))).toBe('/bin/prog');
    expect(utf8(cStringAt(built.bytes, built.sp, at(AUXV.PLATFORM)))).toBe('x86_64');
    // execfn ends just below the 8 zero bytes at the top.
    expect(at(AUXV.EXECFN) + '/bin/prog'.length + 1).toBe(base.stackTop - 8);
    expect([...built.bytes.subarray(built.bytes.length - 8)]).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    // Strings ascend argv[0] < ... < envp[last] < execfn, packed back to back.
    expect(decoded.argvAddrs[0]).toBe(built.argStart);
    expect(decoded.envpAddrs[1] + utf8(decoded.envp[1]).length).toBeLessThan(at(AUXV.EXECFN));
  });

  it('keeps argc 16-byte aligned for every count parity', () => {
    for (let n = 0; n < 6; n++) {
      for (let m = 0; m < 3; m++) {
        const built = buildInitialStack({ ...base, argv: Array.from({ length: n }, (_, i) => `a${i}`), envp: Array(m).fill('E=') });
        expect(built.sp % 16).toBe(0);
        expect(decodeStack(built.bytes, built.sp).argc).toBe(n);
      }
    }
  });

  it('E2BIG for a string longer than MAX_ARG_STRLEN, accepting exactly the limit', () => {
    expect(errnoOf(() => buildInitialStack({ ...base, argv: ['x'.repeat(MAX_ARG_STRLEN - 1)] }))).toBeUndefined();
    expect(errnoOf(() => buildInitialStack({ ...base, argv: ['x'.repeat(MAX_ARG_STRLEN)] }))).toBe(Errno.E2BIG);
    expect(errnoOf(() => buildInitialStack({ ...base, envp: ['x'.repeat(MAX_ARG_STRLEN)] }))).toBe(Errno.E2BIG);
  });

  it('E2BIG when argv+envp exceed a quarter of the stack rlimit', () => {
    const chunk = 'e'.repeat(100_000);
    const envp = (n: number) => Array(n).fill(chunk);
    // 8 MiB rlimit: 2 MiB of arguments.
    expect(errnoOf(() => buildInitialStack({ ...base, envp: envp(20) }))).toBeUndefined();
    expect(errnoOf(() => buildInitialStack({ ...base, envp: envp(21) }))).toBe(Errno.E2BIG);
    // A smaller rlimit shrinks the budget, but never below 128 KiB.
    expect(errnoOf(() => buildInitialStack({ ...base, envp: envp(2), stackRlimit: 1 << 20 }))).toBeUndefined();
    expect(errnoOf(() => buildInitialStack({ ...base, envp: envp(3), stackRlimit: 1 << 20 }))).toBe(Errno.E2BIG);
    expect(errnoOf(() => buildInitialStack({ ...base, envp: envp(1), stackRlimit: 4096 }))).toBeUndefined();
    expect(errnoOf(() => buildInitialStack({ ...base, envp: envp(2), stackRlimit: 4096 }))).toBe(Errno.E2BIG);
  });
});
