import { describe, expect, it } from 'vitest';
import { compareWithFloors, formatFloors, formatOutcome, gatePassed, parseFloors, passedCount, raiseFloors, type SuiteResult } from '../src/suite-gate.js';

function result(binary: string, statuses: string[]): SuiteResult {
  return { binary, tests: Object.fromEntries(statuses.map((s, i) => [`Case.N${i}`, s])) };
}

describe('parseFloors', () => {
  it('reads binary and count, skipping comments and blank lines', () => {
    expect(parseFloors('# floors\n\nread_test\t8\nstat_test  33 # trailing\n')).toEqual([
      { binary: 'read_test', floor: 8 },
      { binary: 'stat_test', floor: 33 },
    ]);
  });
  it('names the line that is malformed or repeated', () => {
    expect(() => parseFloors('read_test\t8\nstat_test eight\n')).toThrow(/line 2/);
    expect(() => parseFloors('read_test 8\nread_test 9\n')).toThrow(/read_test is listed twice/);
  });
  it('round-trips through formatFloors', () => {
    const floors = [
      { binary: 'b_test', floor: 2 },
      { binary: 'a_test', floor: 1 },
    ];
    const text = formatFloors(floors, '# header');
    expect(text).toBe('# header\na_test\t1\nb_test\t2\n');
    expect(parseFloors(text)).toEqual([floors[1], floors[0]]);
  });
});

describe('compareWithFloors', () => {
  const results = new Map([
    ['read_test', result('read_test', ['OK', 'OK', 'FAILED'])],
    ['pipe_test', result('pipe_test', ['OK', 'TIMEOUT', 'CRASH', 'SKIPPED'])],
    ['stat_test', result('stat_test', ['OK', 'OK', 'OK'])],
  ]);

  it('counts only OK verdicts as passed', () => {
    expect(passedCount(results.get('pipe_test')!)).toBe(1);
  });

  it('reports a binary below its floor and one with no result as failures', () => {
    const outcome = compareWithFloors(
      [
        { binary: 'read_test', floor: 3 },
        { binary: 'pipe_test', floor: 1 },
        { binary: 'stat_test', floor: 2 },
        { binary: 'gone_test', floor: 5 },
      ],
      results,
    );
    expect(outcome.regressions).toEqual([{ binary: 'read_test', floor: 3, passed: 2 }]);
    expect(outcome.raised).toEqual([{ binary: 'stat_test', floor: 2, passed: 3 }]);
    expect(outcome.missing).toEqual(['gone_test']);
    expect(outcome.totalPassed).toBe(6);
    expect(outcome.totalFloor).toBe(11);
    expect(gatePassed(outcome)).toBe(false);
    expect(formatOutcome(outcome)).toMatch(/REGRESSION read_test: 2 passed, floor 3[\s\S]*MISSING gone_test[\s\S]*FAIL$/);
  });

  it('passes when every binary meets its floor', () => {
    const outcome = compareWithFloors([{ binary: 'stat_test', floor: 3 }], results);
    expect(gatePassed(outcome)).toBe(true);
    expect(formatOutcome(outcome)).toMatch(/PASS$/);
  });
});

describe('raiseFloors', () => {
  it('raises to what passed and never lowers', () => {
    const results = new Map([
      ['read_test', result('read_test', ['OK'])],
      ['stat_test', result('stat_test', ['OK', 'OK', 'OK'])],
    ]);
    expect(
      raiseFloors(
        [
          { binary: 'read_test', floor: 4 },
          { binary: 'stat_test', floor: 1 },
          { binary: 'gone_test', floor: 7 },
        ],
        results,
      ),
    ).toEqual([
      { binary: 'read_test', floor: 4 },
      { binary: 'stat_test', floor: 3 },
      { binary: 'gone_test', floor: 7 },
    ]);
  });
});
