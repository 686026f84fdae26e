import { FP_XSTATE, SYS } from '@tvisor/abi';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  EFLAGS,
  FCW_INIT,
  FIX_EFLAGS,
  FP_XSTATE_MAGIC2_SIZE,
  FX_SW_BYTES_OFFSET,
  FXSAVE_SIZE,
  MINSIGSTKSZ,
  MXCSR_INIT,
  MXCSR_MASK_OFFSET,
  MXCSR_OFFSET,
  USER_CS,
  USER_DS,
  XSAVE_HEADER_SIZE,
} from './constants.js';
import { hostXsaveComponents, xsaveLayout } from './fpu.js';
import { Oracles } from './testing/native.js';

let oracles: Oracles;
let host: Map<string, number>;
let xfeatures: [bit: number, offset: number, size: number][];
beforeAll(() => {
  oracles = new Oracles();
  const out = execFileSync(oracles.compile('constants-probe'), { encoding: 'utf8' }).trim().split('\n');
  host = new Map();
  xfeatures = [];
  for (const line of out) {
    const f = line.split(' ');
    if (f[0] === 'XFEATURE') xfeatures.push([Number(f[1]), Number(f[2]), Number(f[3])]);
    else host.set(f[0], Number(f[1]));
  }
});
afterAll(() => oracles.dispose());

describe('signal constants match the host headers and CPU', () => {
  it('RFLAGS bits, and FIX_EFLAGS is the set rt_sigreturn restores', () => {
    for (const [name, value] of Object.entries(EFLAGS)) expect([name, value]).toEqual([name, host.get(`EFLAGS.${name}`)]);
    // Everything user code can change except IF/IOPL/NT/ID/VM (checked by the differential sigreturn tests too).
    expect(FIX_EFLAGS).toBe(0x50dd5);
  });

  it('FP area offsets and sizes (uapi struct _fpstate_64, struct _header)', () => {
    expect({ FXSAVE_SIZE, FX_SW_BYTES_OFFSET, MXCSR_OFFSET, MXCSR_MASK_OFFSET, XSAVE_HEADER_SIZE, FP_XSTATE_MAGIC2_SIZE, MINSIGSTKSZ }).toEqual({
      FXSAVE_SIZE: host.get('FXSAVE_SIZE'),
      FX_SW_BYTES_OFFSET: host.get('FX_SW_BYTES_OFFSET'),
      MXCSR_OFFSET: host.get('MXCSR_OFFSET'),
      MXCSR_MASK_OFFSET: host.get('MXCSR_MASK_OFFSET'),
      XSAVE_HEADER_SIZE: host.get('XSAVE_HEADER_SIZE'),
      FP_XSTATE_MAGIC2_SIZE: host.get('FP_XSTATE_MAGIC2_SIZE'),
      MINSIGSTKSZ: host.get('MINSIGSTKSZ'),
    });
    expect(host.get('SIGCONTEXT_SIZE')).toBe(256);
    expect(FP_XSTATE.MAGIC1).toBe(0x46505853);
  });

  it('a fresh thread has FCW 0x37f and MXCSR 0x1f80; user selectors are __USER_CS/__USER_DS', () => {
    expect(host.get('FCW_INIT')).toBe(FCW_INIT);
    expect(host.get('MXCSR_INIT')).toBe(MXCSR_INIT);
    expect(host.get('USER_CS')).toBe(USER_CS);
    expect(host.get('USER_DS')).toBe(USER_DS);
  });

  it('XSAVE standard-format offsets equal CPUID leaf 0xD (read by a C probe) for every component the host enables', () => {
    expect(xfeatures.length).toBeGreaterThan(0);
    const xcr0 = BigInt(host.get('XCR0') ?? 0);
    const components = hostXsaveComponents(xcr0);
    expect([...components.keys()].sort()).toEqual(xfeatures.map(([bit]) => 1n << BigInt(bit)).sort());
    for (const [bit, offset, size] of xfeatures) {
      expect([bit, components.get(1n << BigInt(bit))]).toEqual([bit, [offset, size]]);
    }
    // CPUID.(EAX=0xD,ECX=0).EBX: the standard-format size for what XCR0 enables.
    expect(xsaveLayout(xcr0, { components }).ptraceSize).toBe(host.get('XSAVE_SIZE_XCR0'));
  });

  it('the restart_syscall number a restart block resumes through', () => {
    expect(SYS.restart_syscall).toBe(host.get('NR_restart_syscall'));
  });
});
