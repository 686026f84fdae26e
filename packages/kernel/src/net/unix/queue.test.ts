import type { FileDescription } from '@tvisor/vfs';
import { describe, expect, it } from 'vitest';
import { UnixReceiveQueue } from './queue.js';

/** A stand-in descriptor that counts its references. */
interface CountedFile {
  refs: number;
  incRef(): void;
  decRef(): void;
}

function fakeFile(): CountedFile {
  const f: CountedFile = {
    refs: 1,
    incRef() {
      f.refs++;
    },
    decRef() {
      f.refs--;
    },
  };
  return f;
}

const bytes = (s: string) => new TextEncoder().encode(s);

describe('UnixReceiveQueue stream reads of zero bytes', () => {
  it('take the head message’s descriptors and leave its data; a peek duplicates them', () => {
    const q = new UnixReceiveQueue();
    const f = fakeFile();
    q.push({ data: bytes('a'), from: null, rights: [f as unknown as FileDescription], creds: null });
    const peeked = q.readStream(0, true, false)!;
    expect(peeked.data.length).toBe(0);
    expect(peeked.rights).toEqual([f]);
    expect(f.refs).toBe(2);
    const taken = q.readStream(0, false, false)!;
    expect(taken.rights).toEqual([f]);
    expect(q.bytes).toBe(1);
    // The descriptors went with the zero-length read: the data reads alone.
    const rest = q.readStream(10, false, false)!;
    expect(new TextDecoder().decode(rest.data)).toBe('a');
    expect(rest.rights).toBeNull();
    expect(q.readStream(0, false, false)).toBeNull();
  });
});
