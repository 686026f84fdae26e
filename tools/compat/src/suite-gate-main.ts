import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compareWithFloors, formatFloors, formatOutcome, gatePassed, parseFloors, raiseFloors, type SuiteResult } from './suite-gate.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const DEFAULT_FLOORS = join(REPO, 'tools/compat/suite-floors.tsv');

const USAGE = `Usage: node src/suite-gate.mjs [--kit DIR] [--floors FILE] [--only BIN,...] [--jobs N] [--no-build] [--raise]

Builds gVisor's syscall test suite (the kit in ../shared/gvisor-suite), runs
the binaries listed in the floors file under this repository's runsc, and
fails when any binary passes fewer cases than its floor.

  --kit DIR      the suite kit (default: $TVISOR_GVISOR_SUITE, else
                 ../shared/gvisor-suite beside the repository); when it is
                 absent the gate is skipped with a message and exit 0
  --floors FILE  per-binary floors (default tools/compat/suite-floors.tsv)
  --only LIST    gate only these binaries (comma-separated)
  --jobs N       binaries run at once (default: number of CPUs)
  --no-build     use the binaries already built
  --raise        after the run, raise each floor to what passed (never lowers)

Build directory: $GV (default ~/.cache/tvisor-gvisor-suite); results go to
$GV/results/gate/. Exit status: 0 pass or skipped, 1 a regression or a
missing result, 2 a usage error or a broken kit.
`;

interface GateOptions {
  kit: string;
  floors: string;
  only?: Set<string>;
  jobs: number;
  build: boolean;
  raise: boolean;
}

class UsageError extends Error {}

function parseGateArgs(args: readonly string[]): GateOptions | 'help' {
  const options: GateOptions = {
    kit: process.env['TVISOR_GVISOR_SUITE'] ?? resolve(REPO, '../shared/gvisor-suite'),
    floors: DEFAULT_FLOORS,
    jobs: cpus().length,
    build: true,
    raise: false,
  };
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '-h':
      case '--help':
        return 'help';
      case '--kit':
        options.kit = resolve(value());
        break;
      case '--floors':
        options.floors = resolve(value());
        break;
      case '--only':
        options.only = new Set(value().split(','));
        break;
      case '--jobs': {
        const n = Number(value());
        if (!Number.isInteger(n) || n < 1) throw new UsageError(`--jobs takes a positive integer`);
        options.jobs = n;
        break;
      }
      case '--no-build':
        options.build = false;
        break;
      case '--raise':
        options.raise = true;
        break;
      default:
        throw new UsageError(`unknown flag ${flag}`);
    }
  }
  return options;
}

function loadResult(resultsDir: string, binary: string): SuiteResult | undefined {
  const file = join(resultsDir, `${binary}.json`);
  if (!existsSync(file)) return undefined;
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Partial<SuiteResult>;
  return parsed.tests ? { binary, tests: parsed.tests } : undefined;
}

export function gateMain(args: readonly string[]): number {
  let options: GateOptions | 'help';
  try {
    options = parseGateArgs(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`suite-gate: ${error.message}\n${USAGE}`);
    return 2;
  }
  if (options === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!existsSync(join(options.kit, 'run.py'))) {
    process.stdout.write(`suite gate: skipped: no gVisor suite kit at ${options.kit} (set TVISOR_GVISOR_SUITE or --kit)\n`);
    return 0;
  }
  let floors;
  try {
    floors = parseFloors(readFileSync(options.floors, 'utf8'));
  } catch (error) {
    process.stderr.write(`suite-gate: ${options.floors}: ${(error as Error).message}\n`);
    return 2;
  }
  const gated = options.only ? floors.filter((f) => options.only!.has(f.binary)) : floors;
  const gv = resolve(process.env['GV'] ?? join(homedir(), '.cache/tvisor-gvisor-suite'));
  const env = { ...process.env, GV: gv, JOBS: String(cpus().length) };
  const started = Date.now();
  if (options.build) {
    const build = spawnSync('bash', [join(options.kit, 'build.sh')], { stdio: 'inherit', env });
    // A binary that failed to compile shows up below as missing; a kit that cannot build at all exits 2.
    if (build.status === 2) return 2;
  }
  const resultsDir = join(gv, 'results', 'gate');
  for (const { binary } of gated) rmSync(join(resultsDir, `${binary}.json`), { force: true });
  const run = spawnSync('python3', [join(options.kit, 'run.py'), '--mode', 'gate', '--jobs', String(options.jobs), ...gated.map((f) => f.binary)], {
    stdio: 'inherit',
    env,
    cwd: REPO,
  });
  if (run.status !== 0) process.stderr.write(`suite-gate: the runner exited with ${run.status ?? run.signal}\n`);
  const results = new Map<string, SuiteResult>();
  for (const { binary } of gated) {
    const result = loadResult(resultsDir, binary);
    if (result) results.set(binary, result);
  }
  const outcome = compareWithFloors(gated, results);
  process.stdout.write(`${formatOutcome(outcome)} (${Math.round((Date.now() - started) / 1000)} s)\n`);
  if (options.raise) {
    const raisedGated = new Map(raiseFloors(gated, results).map((f) => [f.binary, f.floor]));
    const all = floors.map((f) => ({ binary: f.binary, floor: raisedGated.get(f.binary) ?? f.floor }));
    const header = readFileSync(options.floors, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('#'))
      .join('\n');
    writeFileSync(options.floors, formatFloors(all, header));
    process.stdout.write(`suite gate: floors written to ${options.floors}\n`);
  }
  return gatePassed(outcome) ? 0 : 1;
}
