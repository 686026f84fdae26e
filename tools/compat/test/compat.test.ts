import { describe, expect, it } from 'vitest';
import { allCases } from '../cases/index.js';
import type { CompatCase } from '../src/case.js';
import { loadKnownFailures } from '../src/known-failures.js';
import { DEFAULT_TIMEOUT_MS, runCase, type RunOptions } from '../src/run.js';

/**
 * Every case as one test, against runsc as built in packages/runsc/dist. A
 * case listed in known-failures.json runs as `it.fails`: it must still fail,
 * so a case that starts passing turns this red until its entry is removed.
 * A case listed as flaky is skipped with its reason.
 */
const known = loadKnownFailures();

/** COMPAT_RUNSC="CMD ARGS" runs the cases under another sandbox command, as the CLI's --runsc does. */
const runOptions: RunOptions = process.env.COMPAT_RUNSC ? { runsc: process.env.COMPAT_RUNSC.split(' ').filter((w) => w !== '') } : {};

/** Both runs, plus slack for creating and removing the work directory. */
const timeoutFor = (testCase: CompatCase) => 2 * (testCase.timeoutMs ?? DEFAULT_TIMEOUT_MS) + 5_000;

async function expectSandboxMatchesNative(testCase: CompatCase): Promise<void> {
  const result = await runCase(testCase, runOptions);
  expect(result.pass, `${testCase.name}: ${result.mismatches.join('; ')}\n${result.diff}`).toBe(true);
}

describe('known-failures.json', () => {
  it('names only cases that exist', () => {
    const names = new Set(allCases.map((c) => c.name));
    expect([...known.keys()].filter((name) => !names.has(name))).toEqual([]);
  });
});

describe('compat: runsc do next to native', () => {
  for (const testCase of allCases) {
    const entry = known.get(testCase.name);
    const run = () => expectSandboxMatchesNative(testCase);
    if (entry === undefined) it(testCase.name, run, timeoutFor(testCase));
    else if (entry.flaky) it.skip(`${testCase.name} (flaky: ${entry.reason})`, run);
    else it.fails(`${testCase.name} (known failure: ${entry.reason})`, run, timeoutFor(testCase));
  }
});
