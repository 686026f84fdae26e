import { Errno, MSGF, SysError } from '@tvisor/abi';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { newCredentials, type Credentials } from '../credentials.js';
import { msgSearch, MsgQueue } from './msg-queue.js';

const ROOT: Credentials = newCredentials(0, 0);

function errnoOf(fn: () => unknown): number {
  try {
    fn();
    return 0;
  } catch (e) {
    if (e instanceof SysError) return e.errno;
    throw e;
  }
}

type Op = { kind: 'send'; type: number; size: number } | { kind: 'recv'; msgtyp: number; except: boolean; bufsz: number; noerror: boolean };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('send' as const), type: fc.integer({ min: 1, max: 5 }), size: fc.integer({ min: 0, max: 40 }) }),
  fc.record({
    kind: fc.constant('recv' as const),
    msgtyp: fc.integer({ min: -6, max: 6 }),
    except: fc.boolean(),
    bufsz: fc.integer({ min: 0, max: 40 }),
    noerror: fc.boolean(),
  }),
);

/** msgrcv(2)'s choice, written from the man page: the model the queue must agree with. */
function modelPick(queue: Array<{ type: number }>, msgtyp: number, except: boolean): number {
  if (msgtyp === 0) return queue.length > 0 ? 0 : -1;
  if (msgtyp > 0) return queue.findIndex((m) => (except ? m.type !== msgtyp : m.type === msgtyp));
  const eligible = queue.map((m, i) => ({ ...m, i })).filter((m) => m.type <= -msgtyp);
  if (eligible.length === 0) return -1;
  const lowest = Math.min(...eligible.map((m) => m.type));
  return eligible.find((m) => m.type === lowest)!.i;
}

describe('MsgQueue against a model of msgsnd/msgrcv', () => {
  it('picks, truncates and bounds messages as msgop(2) says, keeping bytes and counts exact', () => {
    fc.assert(
      fc.property(fc.integer({ min: 10, max: 120 }), fc.array(opArb, { maxLength: 80 }), (qbytes, ops) => {
        const q = new MsgQueue(0, ROOT, 0o600, qbytes);
        const model: Array<{ type: number; text: Uint8Array }> = [];
        let seq = 0;
        for (const op of ops) {
          if (op.kind === 'send') {
            const text = new Uint8Array(op.size).fill(seq++ & 0xff);
            const bytes = model.reduce((n, m) => n + m.text.length, 0);
            const fits = bytes + op.size <= qbytes && model.length + 1 <= qbytes;
            expect(errnoOf(() => q.send({ type: op.type, text }, 7))).toBe(fits ? 0 : Errno.EAGAIN);
            if (fits) model.push({ type: op.type, text });
          } else {
            const flags = (op.except ? MSGF.EXCEPT : 0) | (op.noerror ? MSGF.NOERROR : 0);
            const i = modelPick(model, op.msgtyp, op.except);
            let got: { type: number; text: Uint8Array } | undefined;
            const err = errnoOf(() => (got = q.receive(msgSearch(op.msgtyp, flags), op.bufsz, flags, 9)));
            if (i < 0) {
              expect(err).toBe(Errno.EAGAIN);
            } else if (model[i].text.length > op.bufsz && !op.noerror) {
              expect(err).toBe(Errno.E2BIG);
            } else {
              expect(err).toBe(0);
              const want = model.splice(i, 1)[0];
              expect(got!.type).toBe(want.type);
              expect([...got!.text]).toEqual([...want.text.subarray(0, op.bufsz)]);
            }
          }
          expect(q.messages.length).toBe(model.length);
          expect(q.bytes).toBe(model.reduce((n, m) => n + m.text.length, 0));
        }
      }),
    );
  });

  it('MSG_COPY reads by position without taking; a removed queue says EIDRM', () => {
    const q = new MsgQueue(0, ROOT, 0o600, 100);
    q.send({ type: 4, text: new Uint8Array([1, 2]) }, 1);
    q.send({ type: 2, text: new Uint8Array([3]) }, 1);
    expect(q.receive(msgSearch(1, MSGF.COPY), 10, MSGF.COPY, 1).type).toBe(2);
    expect(q.messages.length).toBe(2);
    expect(errnoOf(() => q.receive(msgSearch(2, MSGF.COPY), 10, MSGF.COPY, 1))).toBe(Errno.EAGAIN);
    expect(errnoOf(() => q.receive(msgSearch(0, MSGF.COPY | MSGF.NOERROR), 1, MSGF.COPY | MSGF.NOERROR, 1))).toBe(Errno.EINVAL);
    q.deleted = true;
    expect(errnoOf(() => q.send({ type: 1, text: new Uint8Array() }, 1))).toBe(Errno.EIDRM);
  });
});
