import { CapData, CapHeader, decodeStruct, encodeStruct, Errno, LINUX_CAPABILITY, SysError } from '@tvisor/abi';
import type { Task } from '../task.js';
import type { SyscallTable } from '../syscall-table.js';
import {
  ALL_CAPABILITIES,
  maySetGroups,
  setCapabilities,
  setFsId,
  setGroups,
  setId,
  setReId,
  setResId,
  UNCHANGED_ID,
  type Credentials,
} from '../credentials.js';
import { INVALID_ID, userNamespaceOf } from '../user-namespace.js';

const NGROUPS_MAX = 65536;

/**
 * Replaces the caller's credentials with `next` in place: the process's
 * FsContext holds the same object, so path lookups see the change at once.
 */
function commit(t: Task, next: Credentials): number {
  Object.assign(t.creds, next);
  return 0;
}

/** The kernel id for `id` of the caller's user namespace (make_kuid); -1 stays "unchanged", an unmapped id is EINVAL. */
function kernelId(t: Task, kind: 'uid' | 'gid', id: number): number {
  if (id === UNCHANGED_ID) return id;
  const kid = userNamespaceOf(t.creds).toKernel(kind, id);
  if (kid === INVALID_ID) throw new SysError(Errno.EINVAL);
  return kid;
}

/** How the caller's user namespace shows kernel id `kid` (65534 when unmapped). */
function shownId(t: Task, kind: 'uid' | 'gid', kid: number): number {
  return userNamespaceOf(t.creds).show(kind, kid);
}

function writeIds(t: Task, addrs: number[], ids: number[]): void {
  addrs.forEach((addr, i) => {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, ids[i], true);
    t.mm.copyOut(addr, b);
  });
}

/** The capability data words each header version carries (v1 one, v2 and v3 two); undefined for an unknown version. */
function capWords(version: number): number | undefined {
  if (version === LINUX_CAPABILITY.VERSION_1) return LINUX_CAPABILITY.U32S_1;
  if (version === LINUX_CAPABILITY.VERSION_2 || version === LINUX_CAPABILITY.VERSION_3) return LINUX_CAPABILITY.U32S_3;
  return undefined;
}

/**
 * Reads and validates a capget/capset header: an unknown version is answered
 * by writing the preferred one back (how libcap probes) and EINVAL.
 */
function readCapHeader(t: Task, addr: number): { words: number | undefined; pid: number } {
  const hdr = decodeStruct(CapHeader, t.mm.copyIn(addr, CapHeader.size));
  const words = capWords(hdr.version);
  if (words === undefined) {
    t.mm.copyOut(addr, encodeStruct(CapHeader, { version: LINUX_CAPABILITY.VERSION_3, pid: hdr.pid }));
  }
  return { words, pid: hdr.pid };
}

function word(set: bigint, i: number): number {
  return Number((set >> BigInt(32 * i)) & 0xffff_ffffn);
}

/** The credentials capget(2)'s pid names: the caller's for 0, a thread's otherwise (ESRCH when none). */
function credsOfPid(t: Task, pid: number): Credentials {
  if (pid === 0) return t.creds;
  const task = t.kernel.tasks.get(pid);
  if (!task) throw new SysError(Errno.ESRCH);
  return task.creds;
}

/**
 * Credentials (credentials(7), capabilities(7)): the rules live in
 * ../credentials.ts; these handlers decode arguments and store the result.
 */
export function registerCredentialSyscalls(table: SyscallTable): void {
  table.register({
    setuid: {
      args: ['int'],
      handler: (t, a) => commit(t, setId(t.creds, 'uid', kernelId(t, 'uid', a.argUint(0)))),
    },
    setgid: {
      args: ['int'],
      handler: (t, a) => commit(t, setId(t.creds, 'gid', kernelId(t, 'gid', a.argUint(0)))),
    },
    setreuid: {
      args: ['int', 'int'],
      handler: (t, a) => commit(t, setReId(t.creds, 'uid', kernelId(t, 'uid', a.argUint(0)), kernelId(t, 'uid', a.argUint(1)))),
    },
    setregid: {
      args: ['int', 'int'],
      handler: (t, a) => commit(t, setReId(t.creds, 'gid', kernelId(t, 'gid', a.argUint(0)), kernelId(t, 'gid', a.argUint(1)))),
    },
    setresuid: {
      args: ['int', 'int', 'int'],
      handler: (t, a) => commit(t, setResId(t.creds, 'uid', ...([0, 1, 2].map((i) => kernelId(t, 'uid', a.argUint(i))) as [number, number, number]))),
    },
    setresgid: {
      args: ['int', 'int', 'int'],
      handler: (t, a) => commit(t, setResId(t.creds, 'gid', ...([0, 1, 2].map((i) => kernelId(t, 'gid', a.argUint(i))) as [number, number, number]))),
    },
    getresuid: {
      args: ['ptr', 'ptr', 'ptr'],
      handler: (t, a) => {
        const c = t.creds;
        writeIds(
          t,
          [a.arg(0), a.arg(1), a.arg(2)],
          [c.uid, c.euid, c.suid].map((id) => shownId(t, 'uid', id)),
        );
        return 0;
      },
    },
    getresgid: {
      args: ['ptr', 'ptr', 'ptr'],
      handler: (t, a) => {
        const c = t.creds;
        writeIds(
          t,
          [a.arg(0), a.arg(1), a.arg(2)],
          [c.gid, c.egid, c.sgid].map((id) => shownId(t, 'gid', id)),
        );
        return 0;
      },
    },
    setfsuid: {
      args: ['int'],
      handler: (t, a) => {
        const ns = userNamespaceOf(t.creds);
        const { creds, previous } = setFsId(t.creds, 'uid', ns.toKernel('uid', a.argUint(0)));
        commit(t, creds);
        return ns.show('uid', previous);
      },
    },
    setfsgid: {
      args: ['int'],
      handler: (t, a) => {
        const ns = userNamespaceOf(t.creds);
        const { creds, previous } = setFsId(t.creds, 'gid', ns.toKernel('gid', a.argUint(0)));
        commit(t, creds);
        return ns.show('gid', previous);
      },
    },
    getgroups: {
      args: ['int', 'ptr'],
      handler: (t, a) => {
        const groups = t.creds.groups;
        const size = a.argInt(0);
        if (size < 0) throw new SysError(Errno.EINVAL);
        if (size === 0) return groups.length;
        if (size < groups.length) throw new SysError(Errno.EINVAL);
        const out = new Uint8Array(groups.length * 4);
        groups.forEach((g, i) => new DataView(out.buffer).setUint32(i * 4, shownId(t, 'gid', g), true));
        t.mm.copyOut(a.arg(1), out);
        return groups.length;
      },
    },
    setgroups: {
      args: ['int', 'ptr'],
      handler: (t, a) => {
        const n = a.argInt(0);
        if (n < 0 || n > NGROUPS_MAX) throw new SysError(Errno.EINVAL);
        // Permission before the ids are read: in a user namespace without a gid_map every id would be EINVAL.
        if (!maySetGroups(t.creds)) throw new SysError(Errno.EPERM);
        const raw = n > 0 ? t.mm.copyIn(a.arg(1), n * 4) : new Uint8Array(0);
        const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
        return commit(
          t,
          setGroups(
            t.creds,
            Array.from({ length: n }, (_, i) => kernelId(t, 'gid', v.getUint32(i * 4, true))),
          ),
        );
      },
    },
    capget: {
      args: ['ptr', 'ptr'],
      handler: (t, a) => {
        const { words, pid } = readCapHeader(t, a.arg(0));
        // A NULL data pointer is how libcap asks for the preferred version: no error even when it was wrong.
        if (a.arg(1) === 0) return 0;
        if (words === undefined || pid < 0) throw new SysError(Errno.EINVAL);
        const c = credsOfPid(t, pid);
        const out = new Uint8Array(CapData.size * words);
        const view = new DataView(out.buffer);
        for (let i = 0; i < words; i++) {
          CapData.encode(view, i * CapData.size, { effective: word(c.effective, i), permitted: word(c.permitted, i), inheritable: word(c.inheritable, i) });
        }
        t.mm.copyOut(a.arg(1), out);
        return 0;
      },
    },
    capset: {
      args: ['ptr', 'ptr'],
      handler: (t, a) => {
        const { words, pid } = readCapHeader(t, a.arg(0));
        if (words === undefined) throw new SysError(Errno.EINVAL);
        // Only the caller's own capabilities may be set.
        if (pid !== 0 && pid !== t.tid) throw new SysError(Errno.EPERM);
        const raw = t.mm.copyIn(a.arg(1), CapData.size * words);
        const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
        let [effective, permitted, inheritable] = [0n, 0n, 0n];
        for (let i = 0; i < words; i++) {
          const d = CapData.decode(view, i * CapData.size);
          const shift = BigInt(32 * i);
          effective |= BigInt(d.effective) << shift;
          permitted |= BigInt(d.permitted) << shift;
          inheritable |= BigInt(d.inheritable) << shift;
        }
        const c = t.creds;
        // Bits above CAP_LAST_CAP are ignored, as Linux masks them.
        const known = ALL_CAPABILITIES;
        return commit(t, setCapabilities(c, effective & known, permitted & known, inheritable & known));
      },
    },
  });
}
