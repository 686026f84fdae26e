import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_DIR } from './run.js';

/**
 * A case expected to fail today, and why. `flaky` marks a case whose outcome
 * varies from run to run (a race, a time limit), which the test skips rather
 * than expecting it to fail.
 */
export interface KnownFailure {
  reason: string;
  flaky?: boolean;
}

export type KnownFailures = ReadonlyMap<string, KnownFailure>;

export const KNOWN_FAILURES_FILE = join(PACKAGE_DIR, 'known-failures.json');

export function loadKnownFailures(path = KNOWN_FAILURES_FILE): KnownFailures {
  return parseKnownFailures(JSON.parse(readFileSync(path, 'utf8')));
}

/** Checks the file's shape: `{ "<case>": { "reason": "<one line>", "flaky"?: true } }`. */
export function parseKnownFailures(json: unknown): KnownFailures {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error('known failures: expected an object keyed by case name');
  }
  const entries = new Map<string, KnownFailure>();
  for (const [name, value] of Object.entries(json)) {
    if (typeof value !== 'object' || value === null) throw new Error(`known failures: ${name}: expected { "reason": ... }`);
    const { reason, flaky, ...rest } = value as Record<string, unknown>;
    if (typeof reason !== 'string' || reason.trim() === '' || reason.includes('\n')) {
      throw new Error(`known failures: ${name}: the reason must be one non-empty line`);
    }
    if (flaky !== undefined && typeof flaky !== 'boolean') throw new Error(`known failures: ${name}: "flaky" must be a boolean`);
    const unknownKeys = Object.keys(rest);
    if (unknownKeys.length > 0) throw new Error(`known failures: ${name}: unknown key ${unknownKeys.join(', ')}`);
    entries.set(name, flaky ? { reason, flaky } : { reason });
  }
  return entries;
}

/** What a result means against the list: the runner's exit status and the test both follow this. */
export type Expectation = 'pass' | 'known failure' | 'flaky';

export function expectationOf(name: string, known: KnownFailures): Expectation {
  const entry = known.get(name);
  if (!entry) return 'pass';
  return entry.flaky ? 'flaky' : 'known failure';
}

/**
 * Whether a result agrees with the list: an unlisted case must pass, a listed
 * deterministic failure must fail (a pass means the entry is stale), a flaky
 * one may do either.
 */
export function meetsExpectation(pass: boolean, expectation: Expectation): boolean {
  if (expectation === 'flaky') return true;
  return pass === (expectation === 'pass');
}

/** The file's text: one entry a line, so that a diff of the list reads as a list of cases. */
export function formatKnownFailures(known: KnownFailures): string {
  const lines = [...known].map(([name, entry]) => `  ${JSON.stringify(name)}: ${JSON.stringify(entry)}`);
  return lines.length === 0 ? '{}\n' : `{\n${lines.join(',\n')}\n}\n`;
}

/**
 * Drops the entries of deterministic known failures that passed, keeping
 * everything else (flaky entries, cases not run), and returns the names
 * dropped.
 */
export function pruneKnownFailures(known: KnownFailures, passed: ReadonlySet<string>): { kept: KnownFailures; dropped: string[] } {
  const kept = new Map<string, KnownFailure>();
  const dropped: string[] = [];
  for (const [name, entry] of known) {
    if (!entry.flaky && passed.has(name)) dropped.push(name);
    else kept.set(name, entry);
  }
  return { kept, dropped };
}

export function saveKnownFailures(known: KnownFailures, path = KNOWN_FAILURES_FILE): void {
  writeFileSync(path, formatKnownFailures(known));
}
