import { describe, expect, it } from 'vitest';
import { expectationOf, formatKnownFailures, loadKnownFailures, meetsExpectation, parseKnownFailures, pruneKnownFailures } from '../src/known-failures.js';

describe('parseKnownFailures', () => {
  it('reads reasons and the flaky mark', () => {
    const known = parseKnownFailures({ 'bash/pipeline': { reason: 'pipe(2) is ENOSYS' }, 'jobs/timeout': { reason: 'races', flaky: true } });
    expect(known.get('bash/pipeline')).toEqual({ reason: 'pipe(2) is ENOSYS' });
    expect(known.get('jobs/timeout')).toEqual({ reason: 'races', flaky: true });
  });

  it('rejects entries without a one-line reason', () => {
    expect(() => parseKnownFailures({ a: { reason: '' } })).toThrow(/one non-empty line/);
    expect(() => parseKnownFailures({ a: { reason: 'two\nlines' } })).toThrow(/one non-empty line/);
    expect(() => parseKnownFailures({ a: 'just a string' })).toThrow(/expected/);
    expect(() => parseKnownFailures([])).toThrow(/object keyed by case name/);
  });

  it('rejects unknown keys, so a typo cannot silently change an entry', () => {
    expect(() => parseKnownFailures({ a: { reason: 'x', flakey: true } })).toThrow(/unknown key flakey/);
  });

  it('accepts the checked-in file', () => {
    expect(() => loadKnownFailures()).not.toThrow();
  });
});

describe('expectations', () => {
  const known = parseKnownFailures({ listed: { reason: 'r' }, wobbly: { reason: 'r', flaky: true } });

  it('classifies names', () => {
    expect(expectationOf('other', known)).toBe('pass');
    expect(expectationOf('listed', known)).toBe('known failure');
    expect(expectationOf('wobbly', known)).toBe('flaky');
  });

  it('holds unlisted cases to passing and listed ones to failing', () => {
    expect(meetsExpectation(true, 'pass')).toBe(true);
    expect(meetsExpectation(false, 'pass')).toBe(false);
    expect(meetsExpectation(false, 'known failure')).toBe(true);
    expect(meetsExpectation(true, 'known failure')).toBe(false);
    expect(meetsExpectation(true, 'flaky')).toBe(true);
    expect(meetsExpectation(false, 'flaky')).toBe(true);
  });
});

describe('pruneKnownFailures', () => {
  const known = parseKnownFailures({ fixed: { reason: 'r' }, still: { reason: 'r' }, wobbly: { reason: 'r', flaky: true } });

  it('drops deterministic entries whose cases passed and keeps the rest', () => {
    const { kept, dropped } = pruneKnownFailures(known, new Set(['fixed', 'wobbly', 'unlisted']));
    expect(dropped).toEqual(['fixed']);
    expect([...kept.keys()]).toEqual(['still', 'wobbly']);
  });
});

describe('formatKnownFailures', () => {
  it('round-trips through parsing', () => {
    const known = parseKnownFailures({ a: { reason: 'x "quoted"' }, b: { reason: 'y', flaky: true } });
    expect(parseKnownFailures(JSON.parse(formatKnownFailures(known)))).toEqual(known);
    expect(formatKnownFailures(new Map())).toBe('{}\n');
  });
});
