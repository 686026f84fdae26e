import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { RunOutcome } from '../src/case.js';
import { compareOutcomes, DIFF_LINE_LIMIT, decodeOutput, lineDiff, nativeRunProblem } from '../src/compare.js';

function outcome(fields: Partial<RunOutcome> = {}): RunOutcome {
  return { stdout: '', stderr: '', status: 0, timedOut: false, durationMs: 5, ...fields };
}

describe('compareOutcomes', () => {
  it('passes when stdout and status agree, whatever stderr says', () => {
    const verdict = compareOutcomes({}, outcome({ stdout: 'a\n', stderr: 'x' }), outcome({ stdout: 'a\n', stderr: 'y' }));
    expect(verdict).toEqual({ pass: true, mismatches: [], diff: '' });
  });

  it('fails on a different exit status and says which', () => {
    const verdict = compareOutcomes({}, outcome({ status: 124 }), outcome({ status: 0 }));
    expect(verdict.pass).toBe(false);
    expect(verdict.mismatches).toEqual(['status: native 124, sandbox 0']);
  });

  it('fails on different stdout with a diff of the lines', () => {
    const verdict = compareOutcomes({}, outcome({ stdout: 'same\nnative\n' }), outcome({ stdout: 'same\nsandbox\n' }));
    expect(verdict.mismatches).toEqual(['stdout differs']);
    expect(verdict.diff).toContain('- native');
    expect(verdict.diff).toContain('+ sandbox');
    expect(verdict.diff).not.toContain('- same');
  });

  it('compares stderr only when the case asks for it', () => {
    const native = outcome({ stderr: 'ls: cannot access\n', status: 2 });
    const sandbox = outcome({ stderr: 'ls: something else\n', status: 2 });
    expect(compareOutcomes({}, native, sandbox).pass).toBe(true);
    const strict = compareOutcomes({ compareStderr: true }, native, sandbox);
    expect(strict.pass).toBe(false);
    expect(strict.mismatches).toEqual(['stderr differs']);
    expect(strict.diff).toContain('+ ls: something else');
  });

  it("shows the sandbox's stderr with a failure, as the likeliest explanation", () => {
    const verdict = compareOutcomes({}, outcome({ stdout: 'x\n' }), outcome({ status: 1, stderr: 'bash: pipe error: Function not implemented\n' }));
    expect(verdict.diff).toContain('sandbox stderr:\n  bash: pipe error: Function not implemented');
  });

  it('reports a sandbox timeout', () => {
    const verdict = compareOutcomes({}, outcome(), outcome({ timedOut: true, status: 137, durationMs: 15_000 }));
    expect(verdict.mismatches).toEqual(['sandbox timed out after 15000 ms', 'status: native 0, sandbox 137']);
  });

  it('never passes when the native run could not run the program', () => {
    const missing = outcome({ status: 127, stderr: 'bash: sqlite3: command not found\n' });
    const verdict = compareOutcomes({}, missing, { ...missing });
    expect(verdict.pass).toBe(false);
    expect(verdict.mismatches[0]).toMatch(/native run exited 127/);
    expect(verdict.diff).toContain('native stderr:\n  bash: sqlite3: command not found');
    expect(compareOutcomes({}, outcome({ timedOut: true }), outcome({ timedOut: true })).pass).toBe(false);
  });

  it('agrees with itself: identical outcomes always pass (property)', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), fc.integer({ min: 0, max: 125 }), fc.boolean(), (stdout, stderr, status, compareStderr) => {
        const o = outcome({ stdout, stderr, status });
        return compareOutcomes({ compareStderr }, o, { ...o }).pass;
      }),
    );
  });
});

describe('nativeRunProblem', () => {
  it('accepts any ordinary status, including failures the case is about', () => {
    for (const status of [0, 1, 2, 124, 137]) expect(nativeRunProblem(outcome({ status }))).toBeUndefined();
  });
});

describe('lineDiff', () => {
  it('marks removed and added lines and skips the common head', () => {
    expect(lineDiff('a\nb\nc\n', 'a\nB\nc\n')).toBe('  @@ after 1 equal line\n- b\n+ B');
  });

  it('shows a missing final newline as its own line', () => {
    expect(lineDiff('a\n', 'a')).toBe('  @@ after 1 equal line\n+ \\ no newline at end');
  });

  it('is empty for equal texts', () => {
    expect(lineDiff('x\ny\n', 'x\ny\n')).toBe('');
  });

  it('keeps lines common to both sides out of the diff', () => {
    const diff = lineDiff('1\n2\n3\n4\n5\n', '1\n3\nnew\n5\n');
    expect(diff.split('\n')).toEqual(['  @@ after 1 equal line', '- 2', '- 4', '+ new']);
  });

  it(`stops after ${DIFF_LINE_LIMIT} lines and counts the rest`, () => {
    const many = Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n') + '\n';
    const lines = lineDiff(many, '').split('\n');
    expect(lines).toHaveLength(DIFF_LINE_LIMIT + 1);
    expect(lines[DIFF_LINE_LIMIT]).toBe('  … 18 more diff lines');
  });

  it('accounts for every line: removed lines rebuild the old text, added the new (property)', () => {
    const lines = fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { maxLength: 20 });
    fc.assert(
      fc.property(lines, lines, (a, b) => {
        const diff = lineDiff(a.map((l) => l + '\n').join(''), b.map((l) => l + '\n').join(''), Infinity);
        const changed = diff.split('\n').filter((l) => l.startsWith('- ') || l.startsWith('+ '));
        const removed = changed.filter((l) => l.startsWith('- ')).length;
        const added = changed.filter((l) => l.startsWith('+ ')).length;
        // Every line is either kept (common to both) or removed / added.
        return a.length - removed === b.length - added;
      }),
    );
  });
});

describe('decodeOutput', () => {
  it('keeps UTF-8 text as it is', () => {
    expect(decodeOutput(new TextEncoder().encode('héllo ‘quoted’\n'))).toBe('héllo ‘quoted’\n');
  });

  it('turns invalid UTF-8 into a hex dump', () => {
    expect(decodeOutput(Uint8Array.of(0x1f, 0x8b, 0x08, 0xff))).toBe('<binary, 4 bytes>\n00000000  1f 8b 08 ff\n');
  });

  it('treats text with NUL bytes (a tar archive) as binary', () => {
    const dump = decodeOutput(new Uint8Array([...new TextEncoder().encode('name'), 0, ...new Array(14).fill(0x41)]));
    expect(dump.split('\n')).toEqual(['<binary, 19 bytes>', '00000000  6e 61 6d 65 00 41 41 41 41 41 41 41 41 41 41 41', '00000010  41 41 41', '']);
  });
});
