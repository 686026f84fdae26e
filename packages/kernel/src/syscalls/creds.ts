import { Errno, SysError } from '@tvisor/abi';
import type { Credentials, Task } from '../task.js';
import type { SyscallTable } from '../syscall-table.js';

/** The "don't change" id of setreuid/setresuid: -1 as an unsigned int. */
const UNCHANGED = 0xffff_ffff;
const NGROUPS_MAX = 65536;

/** Root in the sandbox (euid 0) may set any id; others only to one of their real/effective/saved ids. */
function mayBecome(c: Credentials, id: number, ids: number[]): boolean {
  return c.euid === 0 || ids.includes(id);
}

function setres(t: Task, kind: 'uid' | 'gid', r: number, e: number, s: number): number {
  const c = t.group.creds;
  const cur = kind === 'uid' ? [c.uid, c.euid, c.suid] : [c.gid, c.egid, c.sgid];
  for (const v of [r, e, s]) {
    if (v !== UNCHANGED && !mayBecome(c, v, cur)) throw new SysError(Errno.EPERM);
  }
  const [nr, ne, ns] = [r, e, s].map((v, i) => (v === UNCHANGED ? cur[i] : v));
  if (kind === 'uid') Object.assign(c, { uid: nr, euid: ne, suid: ns });
  else Object.assign(c, { gid: nr, egid: ne, sgid: ns });
  return 0;
}

function writeIds(t: Task, addrs: number[], ids: number[]): void {
  addrs.forEach((addr, i) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, ids[i], true);
    t.mm.copyOut(addr, b);
  });
}

const LINUX_CAPABILITY_VERSION_3 = 0x20080522;
const LINUX_CAPABILITY_VERSION_1 = 0x19980330;
/** All 41 capabilities (CAP_LAST_CAP 40), the bounding set of a root sandbox process. */
const ALL_CAPS = (1n << 41n) - 1n;

/**
 * Credentials, modelled as Linux's root-in-a-user-namespace: processes start
 * as uid 0 and may drop to any id; unprivileged ones follow setuid(2)'s rules.
 */
export function registerCredentialSyscalls(table: SyscallTable): void {
  table.register({
    setuid: {
      args: ['int'],
      handler: (t, a) => {
        const id = a.argUint(0);
        const c = t.group.creds;
        if (c.euid === 0) return setres(t, 'uid', id, id, id);
        if (id !== c.uid && id !== c.suid) throw new SysError(Errno.EPERM);
        c.euid = id;
        return 0;
      },
    },
    setgid: {
      args: ['int'],
      handler: (t, a) => {
        const id = a.argUint(0);
        const c = t.group.creds;
        if (c.euid === 0) return setres(t, 'gid', id, id, id);
        if (id !== c.gid && id !== c.sgid) throw new SysError(Errno.EPERM);
        c.egid = id;
        return 0;
      },
    },
    setreuid: {
      args: ['int', 'int'],
      handler: (t, a) => {
        const [r, e] = [a.argUint(0), a.argUint(1)];
        const c = t.group.creds;
        // The saved id follows the new effective id when the real id is set or the effective changes away from the real.
        const s = r !== UNCHANGED || (e !== UNCHANGED && e !== c.uid) ? (e === UNCHANGED ? c.euid : e) : UNCHANGED;
        return setres(t, 'uid', r, e, s);
      },
    },
    setregid: {
      args: ['int', 'int'],
      handler: (t, a) => {
        const [r, e] = [a.argUint(0), a.argUint(1)];
        const c = t.group.creds;
        const s = r !== UNCHANGED || (e !== UNCHANGED && e !== c.gid) ? (e === UNCHANGED ? c.egid : e) : UNCHANGED;
        return setres(t, 'gid', r, e, s);
      },
    },
    setresuid: { args: ['int', 'int', 'int'], handler: (t, a) => setres(t, 'uid', a.argUint(0), a.argUint(1), a.argUint(2)) },
    setresgid: { args: ['int', 'int', 'int'], handler: (t, a) => setres(t, 'gid', a.argUint(0), a.argUint(1), a.argUint(2)) },
    getresuid: {
      args: ['ptr', 'ptr', 'ptr'],
      handler: (t, a) => {
        const c = t.group.creds;
        writeIds(t, [a.arg(0), a.arg(1), a.arg(2)], [c.uid, c.euid, c.suid]);
        return 0;
      },
    },
    getresgid: {
      args: ['ptr', 'ptr', 'ptr'],
      handler: (t, a) => {
        const c = t.group.creds;
        writeIds(t, [a.arg(0), a.arg(1), a.arg(2)], [c.gid, c.egid, c.sgid]);
        return 0;
      },
    },
    setfsuid: { args: ['int'], support: 'partial', note: 'reports the effective uid; fsuid follows euid', handler: (t) => t.group.creds.euid },
    setfsgid: { args: ['int'], support: 'partial', note: 'reports the effective gid; fsgid follows egid', handler: (t) => t.group.creds.egid },
    getgroups: {
      args: ['int', 'ptr'],
      handler: (t, a) => {
        const groups = t.group.creds.groups;
        const size = a.argInt(0);
        if (size < 0) throw new SysError(Errno.EINVAL);
        if (size === 0) return groups.length;
        if (size < groups.length) throw new SysError(Errno.EINVAL);
        const out = new Uint8Array(groups.length * 4);
        groups.forEach((g, i) => new DataView(out.buffer).setUint32(i * 4, g, true));
        t.mm.copyOut(a.arg(1), out);
        return groups.length;
      },
    },
    setgroups: {
      args: ['int', 'ptr'],
      handler: (t, a) => {
        const n = a.argInt(0);
        if (n < 0 || n > NGROUPS_MAX) throw new SysError(Errno.EINVAL);
        if (t.group.creds.euid !== 0) throw new SysError(Errno.EPERM);
        const raw = n > 0 ? t.mm.copyIn(a.arg(1), n * 4) : new Uint8Array(0);
        const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
        t.group.creds.groups = Array.from({ length: n }, (_, i) => v.getUint32(i * 4, true));
        return 0;
      },
    },
    capget: {
      args: ['ptr', 'ptr'],
      support: 'partial',
      note: 'root holds every capability, others none; capset accepts only what is already held',
      handler: (t, a) => {
        const hdr = t.mm.copyIn(a.arg(0), 8);
        const hv = new DataView(hdr.buffer, hdr.byteOffset, 8);
        const version = hv.getUint32(0, true);
        if (version !== LINUX_CAPABILITY_VERSION_3 && version !== LINUX_CAPABILITY_VERSION_1 && version !== 0x20071026) {
          hv.setUint32(0, LINUX_CAPABILITY_VERSION_3, true);
          t.mm.copyOut(a.arg(0), hdr);
          if (a.arg(1) === 0) return 0;
          throw new SysError(Errno.EINVAL);
        }
        if (a.arg(1) === 0) return 0;
        const caps = t.group.creds.euid === 0 ? ALL_CAPS : 0n;
        const words = version === LINUX_CAPABILITY_VERSION_1 ? 1 : 2;
        const out = new Uint8Array(12 * words);
        const ov = new DataView(out.buffer);
        for (let i = 0; i < words; i++) {
          const w = Number((caps >> BigInt(32 * i)) & 0xffffffffn);
          ov.setUint32(i * 12, w, true);
          ov.setUint32(i * 12 + 4, w, true);
          ov.setUint32(i * 12 + 8, 0, true);
        }
        t.mm.copyOut(a.arg(1), out);
        return 0;
      },
    },
    capset: {
      args: ['ptr', 'ptr'],
      support: 'partial',
      note: 'accepts sets no larger than those held; nothing is dropped',
      handler: (t, a) => {
        const raw = t.mm.copyIn(a.arg(1), 24);
        const v = new DataView(raw.buffer, raw.byteOffset, 24);
        const held = t.group.creds.euid === 0 ? ALL_CAPS : 0n;
        const eff = BigInt(v.getUint32(0, true)) | (BigInt(v.getUint32(12, true)) << 32n);
        if (eff & ~held) throw new SysError(Errno.EPERM);
        return 0;
      },
    },
  });
}
