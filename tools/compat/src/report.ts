import type { CaseResult } from './case.js';
import type { Expectation } from './known-failures.js';

export interface ReportedResult {
  result: CaseResult;
  expectation: Expectation;
  /** The list's reason, for a listed case. */
  reason?: string;
}

/**
 * One table row for a case, plus indented detail lines for a failure: what
 * disagreed and a short diff. A listed case is marked so the reader can tell
 * a regression from a known gap, and a listed case that passes says so.
 */
export function formatRow({ result, expectation, reason }: ReportedResult, nameWidth: number): string {
  const verdict = result.pass ? 'PASS' : 'FAIL';
  const timing = `native ${formatMs(result.native.durationMs)}, sandbox ${formatMs(result.sandbox.durationMs)}`;
  let note = '';
  if (expectation !== 'pass' && !result.pass) note = `  known: ${reason}`;
  if (expectation === 'known failure' && result.pass) note = '  listed in known-failures.json but passes: remove it';
  if (expectation === 'pass' && !result.pass) note = '  UNEXPECTED';
  const lines = [`${verdict}  ${result.name.padEnd(nameWidth)}  ${timing}${note}`];
  if (!result.pass) {
    lines.push(`      ${result.mismatches.join('; ')}`);
    if (result.diff !== '') lines.push(...result.diff.split('\n').map((l) => `      ${l}`));
  }
  return lines.join('\n');
}

/** The last line of a report, alone on its line: `N passed, M failed`. */
export function formatSummary(results: readonly CaseResult[]): string {
  const passed = results.filter((r) => r.pass).length;
  return `${passed} passed, ${results.length - passed} failed`;
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
