import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compose, epochSeconds, hostAfter, pidsAfter, sortLines } from '../src/normalise.js';

describe('pidsAfter', () => {
  it('replaces the numbers after the given labels only', () => {
    const normalise = pidsAfter('pid', 'ppid');
    expect(normalise('pid=4242 ppid=1 tid=77\nsubshell pid 99\n')).toBe('pid=<pid> ppid=<pid> tid=77\nsubshell pid <pid>\n');
  });

  it('does not match a label inside a longer word', () => {
    expect(pidsAfter('pid')('rapid=5 bashpid=6')).toBe('rapid=5 bashpid=6');
  });

  it('makes any two PIDs look the same (property)', () => {
    const normalise = pidsAfter('pid');
    fc.assert(fc.property(fc.nat(), fc.nat(), (a, b) => normalise(`pid=${a}\n`) === normalise(`pid=${b}\n`)));
  });
});

describe('epochSeconds', () => {
  it('replaces Unix times but not shorter or longer numbers', () => {
    expect(epochSeconds('now 1764160000 size 4096 id 123456789012\n')).toBe('now <epoch> size 4096 id 123456789012\n');
  });
});

describe('hostAfter', () => {
  it('replaces the word after the label', () => {
    expect(hostAfter('host')('host=build-7.example Linux\n')).toBe('host=<host> Linux\n');
  });
});

describe('sortLines', () => {
  it('sorts lines and keeps the trailing newline', () => {
    expect(sortLines('b\na\nc\n')).toBe('a\nb\nc\n');
    expect(sortLines('b\na')).toBe('a\nb');
    expect(sortLines('')).toBe('');
  });

  it('gives the same text for any order of the same lines (property)', () => {
    const lines = fc.array(fc.string({ unit: fc.constantFrom('a', 'b', 'c', '=', ' ') }), { minLength: 1, maxLength: 10 });
    fc.assert(
      fc.property(lines, (ls) => {
        const reversed = [...ls].reverse();
        return sortLines(ls.join('\n') + '\n') === sortLines(reversed.join('\n') + '\n');
      }),
    );
  });
});

describe('compose', () => {
  it('applies normalisers left to right', () => {
    const normalise = compose(pidsAfter('pid'), sortLines);
    expect(normalise('pid=9\nb\na\n')).toBe('a\nb\npid=<pid>\n');
  });

  it('is the identity with no steps', () => {
    expect(compose()('unchanged\n')).toBe('unchanged\n');
  });
});
