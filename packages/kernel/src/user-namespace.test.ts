// user_namespaces(7)'s rules for uid_map/gid_map/setgroups writes, id
// translation and capabilities over namespaces, from the man page.
import { CAP, Errno, SysError } from '@tvisor/abi';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasCapability, hasOwnCapability, newCredentials } from './credentials.js';
import { credentialsInNewUserNamespace, hasCapabilityIn, INITIAL_USER_NAMESPACE, INVALID_ID, OVERFLOW_ID, userNamespaceOf } from './user-namespace.js';

const enc = (s: string) => new TextEncoder().encode(s);
const errnoOf = (fn: () => unknown): number | undefined => {
  try {
    fn();
    return undefined;
  } catch (e) {
    if (e instanceof SysError) return e.errno;
    throw e;
  }
};

describe('user namespaces', () => {
  const root = newCredentials(0, 0);

  it('a new namespace gives every capability inside and none over the initial one', () => {
    const inner = credentialsInNewUserNamespace(newCredentials(1000, 1000));
    expect(hasOwnCapability(inner, CAP.SETUID)).toBe(true);
    expect(hasCapability(inner, CAP.SYS_ADMIN)).toBe(false);
    expect(hasCapabilityIn(inner, CAP.SYS_ADMIN, INITIAL_USER_NAMESPACE)).toBe(false);
    // Its creator owns it: full capabilities there from outside, even as a non-root user.
    expect(hasCapabilityIn(newCredentials(1000, 1000), CAP.SYS_ADMIN, userNamespaceOf(inner))).toBe(true);
    expect(hasCapabilityIn(newCredentials(1001, 1001), CAP.SYS_ADMIN, userNamespaceOf(inner))).toBe(false);
  });

  it('an unprivileged owner may map only its own id, once, and gids only after setgroups is denied', () => {
    const inner = credentialsInNewUserNamespace(newCredentials(1000, 1000));
    const ns = userNamespaceOf(inner);
    expect(ns.show('uid', 1000)).toBe(OVERFLOW_ID);
    expect(errnoOf(() => ns.writeMap('uid', inner, enc('0 1001 1'), 0))).toBe(Errno.EPERM);
    expect(errnoOf(() => ns.writeMap('uid', inner, enc('0 1000 1'), 5))).toBe(Errno.EINVAL);
    expect(ns.writeMap('uid', inner, enc('0 1000 1\n\0junk'), 0)).toBe(14);
    expect(errnoOf(() => ns.writeMap('uid', inner, enc('0 1000 1'), 0))).toBe(Errno.EPERM);
    expect(ns.show('uid', 1000)).toBe(0);
    expect(ns.toKernel('uid', 0)).toBe(1000);
    expect(ns.toKernel('uid', 1)).toBe(INVALID_ID);
    expect(errnoOf(() => ns.writeMap('gid', inner, enc('0 1000 1'), 0))).toBe(Errno.EPERM);
    expect(errnoOf(() => ns.writeSetgroups(inner, enc('maybe'), 0))).toBe(Errno.EINVAL);
    expect(ns.writeSetgroups(inner, enc('deny\n'), 0)).toBe(5);
    expect(errnoOf(() => ns.writeSetgroups(inner, enc('allow'), 0))).toBe(Errno.EPERM);
    expect(ns.writeMap('gid', inner, enc('0 1000 1'), 0)).toBe(8);
    expect(ns.maySetgroups()).toBe(false);
  });

  it('root of the parent may map any ranges; malformed or overlapping lines are EINVAL', () => {
    const bad = ['', '0 0', '0 0 0', '1 2 3 4', 'a b c', '0 0 2\n1 5 1', '0 0 1\n5 0 1', '4294967295 0 1', '0 4294967295 1', '4294967290 0 10'];
    for (const text of bad) {
      const ns = userNamespaceOf(credentialsInNewUserNamespace(root));
      expect(
        errnoOf(() => ns.writeMap('uid', root, enc(text), 0)),
        text,
      ).toBe(Errno.EINVAL);
    }
    const ns = userNamespaceOf(credentialsInNewUserNamespace(root));
    expect(ns.writeMap('uid', root, enc('2 0 2\n4 6 2'), 0)).toBe(11);
    expect(ns.mapText('uid', INITIAL_USER_NAMESPACE)).toBe('         2          0          2\n         4          6          2\n');
  });

  it('translation round-trips every mapped id, through nested namespaces', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 1, max: 1000 }),
        fc.nat(999),
        (first, lower, count, k) => {
          const ns = userNamespaceOf(credentialsInNewUserNamespace(root));
          ns.writeMap('uid', root, enc(`${first} ${lower} ${count}`), 0);
          ns.writeMap('gid', root, enc('0 0 1'), 0);
          const id = first + (k % count);
          const kid = ns.toKernel('uid', id);
          expect(kid).toBe(lower + (k % count));
          expect(ns.fromKernel('uid', kid)).toBe(id);
          expect(ns.fromKernel('uid', lower + count)).toBe(INVALID_ID);
          // A namespace below it maps onto its ids: lower ids are the parent's, stored as kernel ids.
          const inner = credentialsInNewUserNamespace({ ...root, userns: ns, euid: kid, egid: 0 });
          const child = userNamespaceOf(inner);
          child.writeMap('uid', { ...root, userns: ns }, enc(`7 ${id} 1`), 0);
          expect(child.toKernel('uid', 7)).toBe(kid);
        },
      ),
    );
  });
});
