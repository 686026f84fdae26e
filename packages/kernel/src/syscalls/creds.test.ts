// The credentials family served in-process on the fake platform: what root
// may do and an unprivileged process may not.
import { CAP, Errno, LINUX_CAPABILITY, PR, SECURE, SYS } from '@tvisor/abi';
import { MemoryFile } from '@tvisor/mm';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { KernelHarness } from '../testing/kernel-harness.js';
import { ALL_CAPABILITIES, newCredentials } from '../credentials.js';

const memoryFile = MemoryFile.create('creds-syscalls-test');
afterAll(() => memoryFile.close());

const USER = newCredentials(1000, 1000, [1000]);

let h: KernelHarness;
beforeEach(() => {
  h = new KernelHarness(memoryFile);
});

function resuid(t: ReturnType<KernelHarness['newProcess']>, nr: number): number[] {
  const p = h.alloc(t, 12);
  expect(h.syscall(t, nr, p, p + 4, p + 8)).toBe(0);
  const v = h.view(t, p, 12);
  return [v.getUint32(0, true), v.getUint32(4, true), v.getUint32(8, true)];
}

describe('uids and gids', () => {
  it('root sets any real, effective and saved ids; getresuid reports them', () => {
    const t = h.newProcess();
    expect(h.syscall(t, SYS.setresuid, 1, 2, 3)).toBe(0);
    expect(resuid(t, SYS.getresuid)).toEqual([1, 2, 3]);
    expect(h.syscall(t, SYS.getuid)).toBe(1);
    expect(h.syscall(t, SYS.geteuid)).toBe(2);
    // No longer root: it may only pick among its own ids.
    expect(h.syscall(t, SYS.setuid, 0)).toBe(-Errno.EPERM);
    expect(h.syscall(t, SYS.setresuid, -1, 3, -1)).toBe(0);
    expect(h.syscall(t, SYS.geteuid)).toBe(3);
  });

  it('an unprivileged process cannot become root or set groups', () => {
    const t = h.newProcess(undefined, USER);
    expect(h.syscall(t, SYS.setuid, 0)).toBe(-Errno.EPERM);
    expect(h.syscall(t, SYS.setgid, 0)).toBe(-Errno.EPERM);
    expect(h.syscall(t, SYS.setresgid, -1, 0, -1)).toBe(-Errno.EPERM);
    expect(h.syscall(t, SYS.setgroups, 0, 0)).toBe(-Errno.EPERM);
    expect(resuid(t, SYS.getresgid)).toEqual([1000, 1000, 1000]);
  });

  it('setgroups then getgroups round-trips; getgroups with a short buffer is EINVAL', () => {
    const t = h.newProcess();
    const list = new Uint8Array(12);
    const v = new DataView(list.buffer);
    [10, 20, 30].forEach((g, i) => v.setUint32(i * 4, g, true));
    expect(h.syscall(t, SYS.setgroups, 3, h.alloc(t, 12, list))).toBe(0);
    expect(h.syscall(t, SYS.getgroups, 0, 0)).toBe(3);
    const out = h.alloc(t, 12);
    expect(h.syscall(t, SYS.getgroups, 3, out)).toBe(3);
    expect([0, 4, 8].map((o) => h.view(t, out, 12).getUint32(o, true))).toEqual([10, 20, 30]);
    expect(h.syscall(t, SYS.getgroups, 1, out)).toBe(-Errno.EINVAL);
  });
});

describe('capabilities', () => {
  function capget(t: ReturnType<KernelHarness['newProcess']>): { effective: bigint; permitted: bigint; inheritable: bigint } {
    const hdr = new Uint8Array(8);
    new DataView(hdr.buffer).setUint32(0, LINUX_CAPABILITY.VERSION_3, true);
    const data = h.alloc(t, 24);
    expect(h.syscall(t, SYS.capget, h.alloc(t, 8, hdr), data)).toBe(0);
    const v = h.view(t, data, 24);
    const word = (o: number) => BigInt(v.getUint32(o, true)) | (BigInt(v.getUint32(o + 12, true)) << 32n);
    return { effective: word(0), permitted: word(4), inheritable: word(8) };
  }

  function capset(t: ReturnType<KernelHarness['newProcess']>, effective: bigint, permitted: bigint): number | undefined {
    const hdr = new Uint8Array(8);
    new DataView(hdr.buffer).setUint32(0, LINUX_CAPABILITY.VERSION_3, true);
    const data = new Uint8Array(24);
    const v = new DataView(data.buffer);
    for (let i = 0; i < 2; i++) {
      v.setUint32(i * 12, Number((effective >> BigInt(32 * i)) & 0xffffffffn), true);
      v.setUint32(i * 12 + 4, Number((permitted >> BigInt(32 * i)) & 0xffffffffn), true);
    }
    return h.syscall(t, SYS.capset, h.alloc(t, 8, hdr), h.alloc(t, 24, data));
  }

  const bit = (c: number) => 1n << BigInt(c);

  it('root holds every capability; setuid to a user drops them; an unprivileged process holds none', () => {
    const t = h.newProcess();
    expect(capget(t).effective).toBe(ALL_CAPABILITIES);
    expect(h.syscall(t, SYS.setuid, 1000)).toBe(0);
    expect(capget(t)).toEqual({ effective: 0n, permitted: 0n, inheritable: 0n });
    expect(capget(h.newProcess(undefined, USER)).permitted).toBe(0n);
  });

  it('capset drops CAP_SETUID from the effective set: setuid(0) from root is then EPERM; raising it again works while permitted', () => {
    const t = h.newProcess();
    expect(h.syscall(t, SYS.setresuid, -1, 1000, -1)).toBe(0);
    expect(h.syscall(t, SYS.setresuid, -1, 0, -1)).toBe(0);
    expect(capset(t, ALL_CAPABILITIES & ~bit(CAP.SETUID), ALL_CAPABILITIES)).toBe(0);
    expect(h.syscall(t, SYS.setuid, 1234)).toBe(-Errno.EPERM);
    expect(capset(t, ALL_CAPABILITIES, ALL_CAPABILITIES & ~bit(CAP.SETUID))).toBe(-Errno.EPERM);
    expect(capset(t, ALL_CAPABILITIES, ALL_CAPABILITIES)).toBe(0);
    expect(h.syscall(t, SYS.setuid, 1234)).toBe(0);
  });

  it('prctl: the bounding set drops with CAP_SETPCAP, keep-caps reads back, securebits lock', () => {
    const t = h.newProcess();
    expect(h.syscall(t, SYS.prctl, PR.CAPBSET_READ, CAP.NET_RAW)).toBe(1);
    expect(h.syscall(t, SYS.prctl, PR.CAPBSET_DROP, CAP.NET_RAW)).toBe(0);
    expect(h.syscall(t, SYS.prctl, PR.CAPBSET_READ, CAP.NET_RAW)).toBe(0);
    expect(h.syscall(t, SYS.prctl, PR.CAPBSET_READ, CAP.LAST_CAP + 1)).toBe(-Errno.EINVAL);
    expect(h.syscall(t, SYS.prctl, PR.SET_KEEPCAPS, 1)).toBe(0);
    expect(h.syscall(t, SYS.prctl, PR.GET_KEEPCAPS)).toBe(1);
    expect(h.syscall(t, SYS.prctl, PR.SET_SECUREBITS, 1 << SECURE.KEEP_CAPS_LOCKED)).toBe(0);
    expect(h.syscall(t, SYS.prctl, PR.SET_KEEPCAPS, 1)).toBe(-Errno.EPERM);
    const user = h.newProcess(undefined, USER);
    expect(h.syscall(user, SYS.prctl, PR.CAPBSET_DROP, CAP.NET_RAW)).toBe(-Errno.EPERM);
  });

  it('/proc-visible fs ids: setfsuid returns the old id and drops CAP_DAC_OVERRIDE from the effective set', () => {
    const t = h.newProcess();
    expect(h.syscall(t, SYS.setfsuid, 1000)).toBe(0);
    expect(h.syscall(t, SYS.setfsuid, -1)).toBe(1000);
    expect(capget(t).effective & bit(CAP.DAC_OVERRIDE)).toBe(0n);
    expect(capget(t).effective & bit(CAP.SETUID)).toBe(bit(CAP.SETUID));
  });
});
