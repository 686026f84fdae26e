import { allCases } from '../cases/index.js';
import type { CompatCase } from './case.js';
import { expectationOf, loadKnownFailures, meetsExpectation, pruneKnownFailures, saveKnownFailures } from './known-failures.js';
import { formatRow, formatSummary, type ReportedResult } from './report.js';
import { runCase, type RunOptions } from './run.js';

const USAGE = `Usage: node src/cli.mjs [--filter TEXT]... [--json] [--list] [--packages] [--prune-known-failures] [--runsc "CMD ARGS"]

Runs each compatibility case natively and under \`runsc do\` and compares
stdout and exit status (stderr where the case says so).

  --filter TEXT   run only cases whose name contains TEXT (comma-separated
                  alternatives; the flag may repeat)
  --json          print machine-readable results instead of the table
  --list          print the selected case names and exit
  --packages      print the Debian packages the selected cases need, one a
                  line (for apt-get install), and exit
  --prune-known-failures
                  after the run, delete from known-failures.json the entries
                  of cases that passed (flaky entries are kept)
  --runsc CMD     the sandbox command prefix, split on spaces (default: this
                  repository's runsc, packages/runsc/bin/runsc.js)

Exit status: 0 when every result agrees with known-failures.json (unlisted
cases pass, listed ones fail), 1 otherwise, 2 on a usage error.
`;

export interface CliOptions {
  filters: string[];
  json: boolean;
  list: boolean;
  packages: boolean;
  prune: boolean;
  runsc?: string[];
}

export class UsageError extends Error {}

export function parseArgs(args: readonly string[]): CliOptions {
  const options: CliOptions = { filters: [], json: false, list: false, packages: false, prune: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const [flag, inlineValue] =
      arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = () => {
      if (inlineValue !== undefined) return inlineValue;
      if (i + 1 >= args.length) throw new UsageError(`${flag} needs a value`);
      return args[++i];
    };
    switch (flag) {
      case '--filter':
        options.filters.push(
          ...value()
            .split(',')
            .filter((f) => f !== ''),
        );
        break;
      case '--json':
        options.json = true;
        break;
      case '--list':
        options.list = true;
        break;
      case '--packages':
        options.packages = true;
        break;
      case '--prune-known-failures':
        options.prune = true;
        break;
      case '--runsc':
        options.runsc = value()
          .split(' ')
          .filter((w) => w !== '');
        break;
      case '--help':
      case '-h':
        throw new UsageError('');
      default:
        throw new UsageError(`unknown argument: ${arg}`);
    }
  }
  return options;
}

export function selectCases(cases: readonly CompatCase[], filters: readonly string[]): CompatCase[] {
  if (filters.length === 0) return [...cases];
  return cases.filter((c) => filters.some((f) => c.name.includes(f)));
}

/** The Debian packages the cases need, sorted and without repeats. */
export function debianPackages(cases: readonly CompatCase[]): string[] {
  return [...new Set(cases.flatMap((c) => c.packages))].sort();
}

export async function main(args: readonly string[], out: (text: string) => void = (t) => process.stdout.write(t)): Promise<number> {
  let options: CliOptions;
  try {
    options = parseArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    // --help asked for the usage (stdout, success); a mistake gets it on stderr.
    if (error.message === '') {
      out(USAGE);
      return 0;
    }
    process.stderr.write(`compat: ${error.message}\n${USAGE}`);
    return 2;
  }
  const cases = selectCases(allCases, options.filters);
  if (options.packages) {
    out(debianPackages(cases).join('\n') + '\n');
    return 0;
  }
  if (options.list) {
    out(cases.map((c) => c.name).join('\n') + '\n');
    return 0;
  }
  if (cases.length === 0) {
    process.stderr.write(`compat: no case matches ${options.filters.join(', ')}\n`);
    return 2;
  }
  const known = loadKnownFailures();
  const runOptions: RunOptions = options.runsc ? { runsc: options.runsc } : {};
  const nameWidth = Math.max(...cases.map((c) => c.name.length));
  const started = performance.now();
  const reported: ReportedResult[] = [];
  for (const testCase of cases) {
    const result = await runCase(testCase, runOptions);
    const entry = known.get(testCase.name);
    const row: ReportedResult = { result, expectation: expectationOf(testCase.name, known), ...(entry ? { reason: entry.reason } : {}) };
    reported.push(row);
    if (!options.json) out(formatRow(row, nameWidth) + '\n');
  }
  const results = reported.map((r) => r.result);
  const agrees = reported.every((r) => meetsExpectation(r.result.pass, r.expectation));
  const seconds = (performance.now() - started) / 1000;
  if (options.json) {
    out(
      JSON.stringify(
        {
          summary: { passed: results.filter((r) => r.pass).length, failed: results.filter((r) => !r.pass).length, seconds, agreesWithKnownFailures: agrees },
          results: reported.map(({ result, expectation, reason }, i) => ({
            ...result,
            argv: cases[i].argv,
            packages: cases[i].packages,
            expectation,
            ...(reason ? { reason } : {}),
          })),
        },
        null,
        2,
      ) + '\n',
    );
  } else {
    out(`\n${formatSummary(results)}\n`);
    process.stderr.write(
      `(${seconds.toFixed(1)} s; ${agrees ? 'as known-failures.json expects' : 'NOT as known-failures.json expects: see UNEXPECTED / remove rows'})\n`,
    );
  }
  if (options.prune) {
    const { kept, dropped } = pruneKnownFailures(known, new Set(results.filter((r) => r.pass).map((r) => r.name)));
    if (dropped.length > 0) saveKnownFailures(kept);
    process.stderr.write(dropped.length > 0 ? `removed from known-failures.json: ${dropped.join(', ')}\n` : 'known-failures.json: nothing to remove\n');
    // What remains to disagree with the list is a case that fails unexpectedly.
    return reported.every((r) => r.result.pass || r.expectation !== 'pass') ? 0 : 1;
  }
  return agrees ? 0 : 1;
}
