import { Errno, IPC, SEMF, SysError, type Sembuf } from '@tvisor/abi';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newCredentials, type Credentials } from '../credentials.js';
import { IpcRegistry } from './registry.js';
import { SEM_VALUE_MAX, SemSet } from './sem-set.js';

const ROOT: Credentials = newCredentials(0, 0);
// Not the owner, but in the owner's group (0): the group bits apply.
const USER: Credentials = newCredentials(1000, 1000, [0]);

const sopArb = fc.record({ num: fc.integer({ min: 0, max: 2 }), op: fc.integer({ min: -3, max: 3 }), flg: fc.constantFrom(0, SEMF.UNDO) });

/** The values after applying `sops` all at once, or undefined if one of them would wait. */
function modelApply(values: number[], sops: readonly Sembuf[]): number[] | undefined {
  const next = [...values];
  for (const s of sops) {
    if (s.op === 0 && next[s.num] !== 0) return undefined;
    if (next[s.num] + s.op < 0) return undefined;
    next[s.num] += s.op;
  }
  return next;
}

describe('SemSet: semop as all-or-nothing operations, with parked callers', () => {
  it('applies each list atomically, parks what must wait, and wakes waiters in order once they can go; undo adds back what was done', () => {
    fc.assert(
      fc.property(fc.array(fc.array(sopArb, { minLength: 1, maxLength: 3 }), { maxLength: 40 }), (calls) => {
        const set = new SemSet(0, ROOT, 0o600, 3);
        let model = [0, 0, 0];
        let parked: Array<{ sops: Sembuf[]; done: boolean }> = [];
        const undo = [0, 0, 0];
        const modelUndo = [0, 0, 0];
        for (const sops of calls) {
          const call = { sops, done: false };
          const now = modelApply(model, sops);
          const blocking = set.tryApply(sops, 1, undo);
          expect(blocking === undefined).toBe(now !== undefined);
          if (now) {
            model = now;
            for (const s of sops) if (s.flg & SEMF.UNDO) modelUndo[s.num] -= s.op;
            set.retryPending();
          } else {
            set.enqueue(sops, 1, undefined, blocking!, () => (call.done = true));
            parked.push(call);
          }
          // The model wakes parked lists oldest first, again from the start after each success.
          for (let progress = true; progress;) {
            progress = false;
            for (const p of parked) {
              const after = modelApply(model, p.sops);
              if (after) {
                model = after;
                p.done = true;
                parked = parked.filter((x) => x !== p);
                progress = true;
                break;
              }
            }
          }
          expect(set.values).toEqual(model);
          for (const p of parked) expect(p.done).toBe(false);
          expect(set.values.every((v) => v >= 0 && v <= SEM_VALUE_MAX)).toBe(true);
        }
        // The undo entry holds minus the sum of what the SEM_UNDO operations did.
        expect(undo).toEqual(modelUndo);
      }),
    );
  });

  it('counts waiters by the operation that blocks them (GETNCNT / GETZCNT); removal fails them with EIDRM', () => {
    const set = new SemSet(0, ROOT, 0o600, 2);
    const results: number[] = [];
    const dec = { num: 0, op: -1, flg: 0 };
    const zero = { num: 1, op: 0, flg: 0 };
    set.setValue(1, 1, 1);
    set.enqueue([dec], 1, undefined, set.tryApply([dec], 1, undefined)!, (r) => results.push(r));
    set.enqueue([zero], 1, undefined, set.tryApply([zero], 1, undefined)!, (r) => results.push(r));
    expect(set.waitingCount(0, false)).toBe(1);
    expect(set.waitingCount(1, true)).toBe(1);
    set.setValue(1, 0, 1);
    set.retryPending();
    expect(results).toEqual([0]);
    set.removed();
    expect(results).toEqual([0, -Errno.EIDRM]);
  });

  it('ERANGE past SEMVMX, and SEM_UNDO keeps the adjustment', () => {
    const set = new SemSet(0, ROOT, 0o600, 1);
    const undo = [0];
    expect(set.tryApply([{ num: 0, op: 5, flg: SEMF.UNDO }], 3, undo)).toBeUndefined();
    expect(undo).toEqual([-5]);
    expect(set.pids).toEqual([3]);
    expect(() => set.tryApply([{ num: 0, op: SEM_VALUE_MAX, flg: 0 }], 3, undo)).toThrow(SysError);
    expect(set.values).toEqual([5]);
  });
});

describe('IpcRegistry: ipcget rules', () => {
  it('IPC_PRIVATE always creates; a key is found, EEXIST with IPC_CREAT|IPC_EXCL, ENOENT without IPC_CREAT, EACCES by mode; ids carry a sequence', () => {
    const reg = new IpcRegistry<SemSet>(4);
    const make = () => new SemSet(5, ROOT, 0o640, 1);
    const errnoOf = (fn: () => unknown) => {
      try {
        fn();
        return 0;
      } catch (e) {
        return (e as SysError).errno;
      }
    };
    expect(errnoOf(() => reg.get(5, 0, ROOT, make, () => {}))).toBe(Errno.ENOENT);
    const id = reg.get(5, IPC.CREAT | 0o640, ROOT, make, () => {});
    expect(reg.get(5, 0, ROOT, make, () => {})).toBe(id);
    expect(errnoOf(() => reg.get(5, IPC.CREAT | IPC.EXCL, ROOT, make, () => {}))).toBe(Errno.EEXIST);
    expect(errnoOf(() => reg.get(5, 0o400, USER, make, () => {}))).toBe(0);
    expect(errnoOf(() => reg.get(5, 0o200, USER, make, () => {}))).toBe(Errno.EACCES);
    const p1 = reg.get(IPC.PRIVATE, 0, ROOT, make, () => {});
    expect(p1).not.toBe(id);
    reg.remove(reg.lookup(id));
    expect(errnoOf(() => reg.lookup(id))).toBe(Errno.EINVAL);
    const again = reg.get(5, IPC.CREAT, ROOT, make, () => {});
    // The slot is reused with a new sequence number, so the old id stays invalid.
    expect(again % 32768).toBe(id % 32768);
    expect(again).not.toBe(id);
    reg.get(IPC.PRIVATE, 0, ROOT, make, () => {});
    reg.get(IPC.PRIVATE, 0, ROOT, make, () => {});
    expect(errnoOf(() => reg.get(IPC.PRIVATE, 0, ROOT, make, () => {}))).toBe(Errno.ENOSPC);
  });
});
