// The credentials model against a small reference written from the man
// pages (setresuid(2), setreuid(2), setuid(2), setfsuid(2), capget(2) and
// capabilities(7) "Effect of user ID changes on capabilities"), over random
// sequences of calls.
import { CAP, Errno, SysError } from '@tvisor/abi';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ALL_CAPABILITIES,
  FS_CAPABILITIES,
  UNCHANGED_ID,
  credentialsAfterExec,
  mayKill,
  newCredentials,
  setCapabilities,
  setFsId,
  setKeepCaps,
  setReId,
  setResId,
  setId,
  type Credentials,
} from './credentials.js';

/** The reference: uids and the sets that the uid rules touch. */
interface Ref {
  r: number;
  e: number;
  s: number;
  fs: number;
  P: bigint;
  E: bigint;
  A: bigint;
  I: bigint;
  keep: boolean;
}

type Op =
  | { kind: 'setresuid'; r: number; e: number; s: number }
  | { kind: 'setreuid'; r: number; e: number }
  | { kind: 'setuid'; id: number }
  | { kind: 'setfsuid'; id: number }
  | { kind: 'keepcaps'; on: number }
  | { kind: 'capset'; dropE: bigint; dropP: bigint };

const bit = (c: number) => 1n << BigInt(c);
const canSetuid = (m: Ref) => (m.E & bit(CAP.SETUID)) !== 0n;

/** capabilities(7) rules 1-3, applied after a change of real/effective/saved uid. */
function uidRules(old: Ref, m: Ref): void {
  const anyZeroBefore = old.r === 0 || old.e === 0 || old.s === 0;
  const allNonzeroAfter = m.r !== 0 && m.e !== 0 && m.s !== 0;
  if (anyZeroBefore && allNonzeroAfter) {
    if (!old.keep) {
      m.P = 0n;
      m.E = 0n;
    }
    m.A = 0n;
  }
  if (old.e === 0 && m.e !== 0) m.E = 0n;
  if (old.e !== 0 && m.e === 0) m.E = m.P;
  // credentials(7): the filesystem uid follows the effective uid.
  m.fs = m.e;
}

/** Applies `op` to the reference; returns the errno (0 for success). */
function refApply(m: Ref, op: Op): number {
  const old = { ...m };
  const own = [m.r, m.e, m.s];
  switch (op.kind) {
    case 'setresuid': {
      const given = [op.r, op.e, op.s].filter((v) => v !== UNCHANGED_ID);
      if (!canSetuid(m) && !given.every((v) => own.includes(v))) return Errno.EPERM;
      if (op.r !== UNCHANGED_ID) m.r = op.r;
      if (op.e !== UNCHANGED_ID) m.e = op.e;
      if (op.s !== UNCHANGED_ID) m.s = op.s;
      uidRules(old, m);
      return 0;
    }
    case 'setreuid': {
      if (!canSetuid(m)) {
        if (op.r !== UNCHANGED_ID && op.r !== old.r && op.r !== old.e) return Errno.EPERM;
        if (op.e !== UNCHANGED_ID && !own.includes(op.e)) return Errno.EPERM;
      }
      if (op.r !== UNCHANGED_ID) m.r = op.r;
      if (op.e !== UNCHANGED_ID) m.e = op.e;
      if (op.r !== UNCHANGED_ID || (op.e !== UNCHANGED_ID && op.e !== old.r)) m.s = m.e;
      uidRules(old, m);
      return 0;
    }
    case 'setuid': {
      if (op.id === UNCHANGED_ID) return Errno.EINVAL;
      if (canSetuid(m)) {
        m.r = m.e = m.s = op.id;
      } else {
        if (op.id !== m.r && op.id !== m.s) return Errno.EPERM;
        m.e = op.id;
      }
      uidRules(old, m);
      return 0;
    }
    case 'setfsuid': {
      // Failure is silent: the fsuid stays.
      if (op.id === UNCHANGED_ID || !(canSetuid(m) || [...own, m.fs].includes(op.id))) return 0;
      m.fs = op.id;
      if (old.fs === 0 && m.fs !== 0) m.E &= ~FS_CAPABILITIES;
      if (old.fs !== 0 && m.fs === 0) m.E |= m.P & FS_CAPABILITIES;
      return 0;
    }
    case 'keepcaps':
      m.keep = op.on === 1;
      return 0;
    case 'capset': {
      // capget(2): permitted may only shrink, effective must stay within permitted.
      const E = m.E & ~op.dropE;
      const P = m.P & ~op.dropP;
      if (E & ~P) return Errno.EPERM;
      m.E = E;
      m.P = P;
      m.A &= P & m.I;
      return 0;
    }
  }
}

function implApply(c: Credentials, op: Op): { creds: Credentials; errno: number } {
  try {
    switch (op.kind) {
      case 'setresuid':
        return { creds: setResId(c, 'uid', op.r, op.e, op.s), errno: 0 };
      case 'setreuid':
        return { creds: setReId(c, 'uid', op.r, op.e), errno: 0 };
      case 'setuid':
        return { creds: setId(c, 'uid', op.id), errno: 0 };
      case 'setfsuid':
        return { creds: setFsId(c, 'uid', op.id).creds, errno: 0 };
      case 'keepcaps':
        return { creds: setKeepCaps(c, op.on), errno: 0 };
      case 'capset':
        return { creds: setCapabilities(c, c.effective & ~op.dropE, c.permitted & ~op.dropP, c.inheritable), errno: 0 };
    }
  } catch (e) {
    if (e instanceof SysError) return { creds: c, errno: e.errno };
    throw e;
  }
}

const idArb = fc.constantFrom(0, 1000, 1001, UNCHANGED_ID);
const capsArb = fc.constantFrom(0n, bit(CAP.SETUID), bit(CAP.DAC_OVERRIDE), bit(CAP.CHOWN) | bit(CAP.NET_BIND_SERVICE), ALL_CAPABILITIES);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('setresuid' as const), r: idArb, e: idArb, s: idArb }),
  fc.record({ kind: fc.constant('setreuid' as const), r: idArb, e: idArb }),
  fc.record({ kind: fc.constant('setuid' as const), id: idArb }),
  fc.record({ kind: fc.constant('setfsuid' as const), id: idArb }),
  fc.record({ kind: fc.constant('keepcaps' as const), on: fc.constantFrom(0, 1) }),
  fc.record({ kind: fc.constant('capset' as const), dropE: capsArb, dropP: capsArb }),
);

function view(c: Credentials): Omit<Ref, 'keep' | 'I'> {
  return { r: c.uid, e: c.euid, s: c.suid, fs: c.fsuid, P: c.permitted, E: c.effective, A: c.ambient };
}

describe('credentials: uid changes and capabilities', () => {
  it('agree with the man pages for any sequence of setresuid/setreuid/setuid/setfsuid/keep-caps/capset from root', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 12 }), fc.constantFrom(0n, bit(CAP.NET_BIND_SERVICE)), (ops, ambient) => {
        let c: Credentials = { ...newCredentials(0, 0), inheritable: ambient, ambient };
        const m: Ref = { r: 0, e: 0, s: 0, fs: 0, P: ALL_CAPABILITIES, E: ALL_CAPABILITIES, A: ambient, I: ambient, keep: false };
        for (const op of ops) {
          const want = refApply(m, op);
          const got = implApply(c, op);
          expect(
            got.errno,
            JSON.stringify(op, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString(16) : v)),
          ).toBe(want);
          c = got.creds;
          expect(view(c)).toEqual({ r: m.r, e: m.e, s: m.s, fs: m.fs, P: m.P, E: m.E, A: m.A });
        }
      }),
    );
  });

  it('setfsuid returns the previous fsuid, changed or not', () => {
    const root = newCredentials(0, 0);
    const { creds, previous } = setFsId(root, 'uid', 1000);
    expect(previous).toBe(0);
    expect(creds.fsuid).toBe(1000);
    const user = newCredentials(1000, 1000);
    const denied = setFsId(user, 'uid', 0);
    expect(denied.previous).toBe(1000);
    expect(denied.creds.fsuid).toBe(1000);
  });
});

describe('credentials: execve', () => {
  it('root gets bounding | inheritable, all effective; a non-root uid keeps only the ambient set', () => {
    const bounding = ALL_CAPABILITIES & ~bit(CAP.NET_RAW);
    const root = { ...newCredentials(0, 0), bounding, permitted: 0n, effective: 0n };
    const r = credentialsAfterExec(root);
    expect(r.permitted).toBe(bounding);
    expect(r.effective).toBe(bounding);
    const amb = bit(CAP.NET_BIND_SERVICE);
    const user = { ...newCredentials(1000, 1000), permitted: amb | bit(CAP.CHOWN), effective: amb, inheritable: amb, ambient: amb, securebits: 1 << 4 };
    const u = credentialsAfterExec(user);
    expect(u.permitted).toBe(amb);
    expect(u.effective).toBe(amb);
    expect(u.securebits).toBe(0);
  });

  it('a set-user-ID-root file gives a non-root caller euid 0 and full permitted and effective sets; the ambient set goes', () => {
    const user = { ...newCredentials(1000, 1000), inheritable: bit(CAP.NET_BIND_SERVICE), ambient: bit(CAP.NET_BIND_SERVICE) };
    const c = credentialsAfterExec(user, { uid: 0 });
    expect([c.uid, c.euid, c.suid, c.fsuid]).toEqual([1000, 0, 0, 0]);
    expect(c.effective).toBe(ALL_CAPABILITIES);
    expect(c.ambient).toBe(0n);
  });
});

describe('credentials: kill permission', () => {
  it('CAP_KILL, or a real or effective uid equal to the target real or saved uid', () => {
    const target = { ...newCredentials(1000, 1000), suid: 1002 };
    expect(mayKill(newCredentials(0, 0), target)).toBe(true);
    expect(mayKill(newCredentials(1001, 1001), target)).toBe(false);
    expect(mayKill({ ...newCredentials(1001, 1001), euid: 1002 }, target)).toBe(true);
    expect(mayKill({ ...newCredentials(1000, 1000), uid: 1003, euid: 1003 }, { ...target, uid: 1004, suid: 1005 })).toBe(false);
  });
});
