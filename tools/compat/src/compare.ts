import type { CompatCase, RunOutcome } from './case.js';

/**
 * Decodes a program's output for comparison: UTF-8 text as itself, anything
 * else (invalid UTF-8, or text with NUL bytes, like a tar archive) as a hex
 * dump, 16 bytes a line, so that a line diff of binary output still points
 * at the first differing bytes.
 */
export function decodeOutput(bytes: Uint8Array): string {
  const text = decodeUtf8(bytes);
  if (text !== undefined && !text.includes('\0')) return text;
  const lines = [`<binary, ${bytes.length} bytes>`];
  for (let offset = 0; offset < bytes.length; offset += 16) {
    const row = Array.from(bytes.subarray(offset, offset + 16), (b) => b.toString(16).padStart(2, '0')).join(' ');
    lines.push(`${offset.toString(16).padStart(8, '0')}  ${row}`);
  }
  return lines.join('\n') + '\n';
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

export interface Verdict {
  pass: boolean;
  mismatches: string[];
  diff: string;
}

/** How many diff lines a failure shows: enough to see what broke, short enough for a table. */
export const DIFF_LINE_LIMIT = 12;

/**
 * Judges a sandboxed run against the native one: stdout and exit status must
 * match, stderr only when the case asks for it. Both outcomes are expected to
 * be normalised already.
 */
export function compareOutcomes(testCase: Pick<CompatCase, 'compareStderr'>, native: RunOutcome, sandbox: RunOutcome): Verdict {
  const mismatches: string[] = [];
  const diffs: string[] = [];
  // The native run is the oracle only if it ran: a missing program (127 from
  // a shell, or exec failing) or a hang would make both runs agree vacuously.
  const nativeProblem = nativeRunProblem(native);
  if (nativeProblem) mismatches.push(nativeProblem);
  if (sandbox.timedOut && !native.timedOut) mismatches.push(`sandbox timed out after ${Math.round(sandbox.durationMs)} ms`);
  if (native.status !== sandbox.status) mismatches.push(`status: native ${native.status}, sandbox ${sandbox.status}`);
  if (native.stdout !== sandbox.stdout) {
    mismatches.push('stdout differs');
    diffs.push('stdout (- native, + sandbox):', lineDiff(native.stdout, sandbox.stdout));
  }
  if (testCase.compareStderr && native.stderr !== sandbox.stderr) {
    mismatches.push('stderr differs');
    diffs.push('stderr (- native, + sandbox):', lineDiff(native.stderr, sandbox.stderr));
  }
  const pass = mismatches.length === 0;
  // Whatever the sandbox said on stderr is usually the fastest explanation of
  // a failure (a sentry error, ENOSYS), so show its head even when stderr is
  // not compared.
  if (!pass && !testCase.compareStderr && sandbox.stderr !== native.stderr && sandbox.stderr !== '') {
    diffs.push('sandbox stderr:', headLines(sandbox.stderr, 4));
  }
  if (nativeProblem && native.stderr !== '') diffs.push('native stderr:', headLines(native.stderr, 4));
  return { pass, mismatches, diff: diffs.join('\n') };
}

/** Why the native run cannot serve as the oracle, if it cannot. */
export function nativeRunProblem(native: RunOutcome): string | undefined {
  if (native.timedOut) return `native run timed out after ${Math.round(native.durationMs)} ms`;
  if (native.status === 126 || native.status === 127) {
    return `native run exited ${native.status} (program missing or not executable: are the case's packages installed?)`;
  }
  return undefined;
}

/**
 * A short line diff: removed lines as `- `, added lines as `+ `, a missing
 * final newline as its own line, at most `limit` lines. Uses a longest common
 * subsequence over the lines that differ once the common head and tail are
 * cut off; outputs too large for that fall back to showing both sides from
 * the first difference.
 */
export function lineDiff(expected: string, actual: string, limit = DIFF_LINE_LIMIT): string {
  if (expected === actual) return '';
  const a = toLines(expected);
  const b = toLines(actual);
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const aMid = a.slice(head, a.length - tail);
  const bMid = b.slice(head, b.length - tail);
  const out: string[] = [];
  if (head > 0) out.push(`  @@ after ${head} equal line${head === 1 ? '' : 's'}`);
  if (aMid.length * bMid.length <= 1_000_000) {
    out.push(...lcsDiff(aMid, bMid));
  } else {
    out.push(...aMid.map((l) => `- ${l}`), ...bMid.map((l) => `+ ${l}`));
  }
  if (out.length <= limit) return out.join('\n');
  return [...out.slice(0, limit), `  … ${out.length - limit} more diff lines`].join('\n');
}

const NO_NEWLINE = '\\ no newline at end';

function toLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  else lines.push(NO_NEWLINE);
  return lines;
}

function lcsDiff(a: string[], b: string[]): string[] {
  // lengths[i][j]: LCS length of a[i..] and b[j..].
  const lengths = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) {
      lengths[i][j] = a[i] === b[j] ? lengths[i + 1][j + 1] + 1 : Math.max(lengths[i + 1][j], lengths[i][j + 1]);
    }
  }
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      i++;
      j++;
    } else if (j >= b.length || (i < a.length && lengths[i + 1][j] >= lengths[i][j + 1])) {
      out.push(`- ${a[i++]}`);
    } else {
      out.push(`+ ${b[j++]}`);
    }
  }
  return out;
}

function headLines(text: string, count: number): string {
  const lines = text.replace(/\n$/, '').split('\n');
  const shown = lines.slice(0, count).map((l) => `  ${l.length > 200 ? l.slice(0, 200) + '…' : l}`);
  if (lines.length > count) shown.push(`  … ${lines.length - count} more lines`);
  return shown.join('\n');
}
