import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CaseResult, CompatCase, RunOutcome } from './case.js';
import { compareOutcomes, decodeOutput } from './compare.js';

export const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const REPO_DIR = resolve(PACKAGE_DIR, '../..');

/** `runsc` as built in this repository, run by the same Node as the suite. */
export const DEFAULT_RUNSC = [process.execPath, join(REPO_DIR, 'packages/runsc/bin/runsc.js')];

/**
 * Per-run time limit unless a case sets its own. Cases take well under a
 * second natively; the sandbox gets the same generous limit so that a slow
 * but correct run still passes and a hang costs a bounded amount of time.
 */
export const DEFAULT_TIMEOUT_MS = 15_000;

/** Output beyond this is cut off (and the cut noted), so a runaway program cannot eat the runner's memory. */
const OUTPUT_LIMIT_BYTES = 4 << 20;

export interface RunOptions {
  /** The command prefix that sandboxes a program: `[...runsc, 'do', ...argv]`. */
  runsc?: string[];
  /** Directory under which per-run work directories are made; outside /tmp, which a sandbox may replace with its own tmpfs. */
  workRoot?: string;
}

/**
 * The environment of both runs: fixed and minimal, so neither the host user's
 * settings nor the differences between the runner's shells leak into a case.
 * PATH holds only Debian's directories, so `python3` is Debian's python3.
 */
export function suiteEnvironment(workDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: workDir,
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    TZ: 'UTC',
    TERM: 'dumb',
    ...extra,
  };
}

/**
 * Runs one case natively, then under the sandbox, and compares the two. Both
 * runs use the same work directory path (made afresh and filled with the
 * case's files each time), so paths a program prints agree as well.
 */
export async function runCase(testCase: CompatCase, options: RunOptions = {}): Promise<CaseResult> {
  // Outside /tmp: the sandbox's /tmp is a fresh tmpfs, so a work directory
  // there (a checkout under /tmp) would be invisible inside.
  const workRoot = options.workRoot ?? join('/var/tmp', 'tvisor-compat');
  mkdirSync(workRoot, { recursive: true });
  const runDir = mkdtempSync(join(workRoot, 'run-'));
  const workDir = join(runDir, testCase.name.replace(/[^A-Za-z0-9._-]/g, '-'));
  try {
    const native = await runIn(workDir, testCase, testCase.argv);
    const sandbox = await runIn(workDir, testCase, [...(options.runsc ?? DEFAULT_RUNSC), 'do', ...testCase.argv]);
    const verdict = compareOutcomes(testCase, native, sandbox);
    return { name: testCase.name, ...verdict, native, sandbox };
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
}

async function runIn(workDir: string, testCase: CompatCase, command: string[]): Promise<RunOutcome> {
  rmSync(workDir, { recursive: true, force: true });
  prepareWorkDir(workDir, testCase.files ?? {});
  try {
    const raw = await runProcess(command, {
      cwd: workDir,
      env: suiteEnvironment(workDir, testCase.env),
      stdin: testCase.stdin,
      timeoutMs: testCase.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    });
    const normalise = testCase.normalise ?? ((output: string) => output);
    return {
      ...raw,
      stdout: normalise(decodeOutput(raw.stdout)),
      stderr: normalise(decodeOutput(raw.stderr)),
    };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** Creates `dir` and the case's files in it (directories as needed). */
export function prepareWorkDir(dir: string, files: NonNullable<CompatCase['files']>): void {
  mkdirSync(dir, { recursive: true });
  for (const [relativePath, file] of Object.entries(files)) {
    const path = join(dir, relativePath);
    if (!path.startsWith(dir + '/')) throw new Error(`case file ${relativePath} escapes the work directory`);
    mkdirSync(dirname(path), { recursive: true });
    const { content, mode } = typeof file === 'string' ? { content: file, mode: 0o644 } : { mode: 0o644, ...file };
    writeFileSync(path, content);
    // chmod rather than writeFile's mode, which the umask would trim.
    chmodSync(path, mode);
  }
}

export interface ProcessResult {
  stdout: Uint8Array;
  stderr: Uint8Array;
  status: number;
  timedOut: boolean;
  durationMs: number;
}

/**
 * Runs a command to completion with a time limit. The command gets its own
 * process group, so a timeout kills whatever it started too (a sandbox's
 * tracees, a shell's background jobs).
 */
export function runProcess(command: string[], opts: { cwd: string; env: Record<string, string>; stdin?: string; timeoutMs: number }): Promise<ProcessResult> {
  return new Promise((resolvePromise, reject) => {
    const started = performance.now();
    const child = spawn(command[0], command.slice(1), {
      cwd: opts.cwd,
      env: opts.env,
      stdio: [opts.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      detached: true,
    });
    // Both are pipes (stdio above); only stdin's kind depends on the case.
    const stdoutPipe = child.stdout!;
    const stderrPipe = child.stderr!;
    const stdout = new OutputBuffer();
    const stderr = new OutputBuffer();
    stdoutPipe.on('data', (chunk: Buffer) => stdout.add(chunk));
    stderrPipe.on('data', (chunk: Buffer) => stderr.add(chunk));
    if (child.stdin) {
      // A program that exits without reading all its input is not an error.
      child.stdin.on('error', () => {});
      child.stdin.end(opts.stdin);
    }
    let timedOut = false;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const killGroup = () => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // The group is already gone.
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup();
      // Something outside the group (or a stuck tracee) may still hold our
      // pipes open; stop waiting for them shortly after the kill.
      setTimeout(() => finish(), 1000).unref();
    }, opts.timeoutMs);
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      stdoutPipe.destroy();
      stderrPipe.destroy();
      const status = exit === undefined ? 137 : (exit.code ?? 128 + (constants.signals[exit.signal!] ?? 0));
      resolvePromise({
        stdout: stdout.bytes(),
        stderr: stderr.bytes(),
        status,
        timedOut,
        durationMs: performance.now() - started,
      });
    };
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (exit !== undefined || finished) return;
      // exec failing is a result, as a shell reports it: 127 when the program
      // is missing, 126 when it cannot be run.
      if (error.code === 'ENOENT' || error.code === 'EACCES') {
        stderr.add(Buffer.from(`${command[0]}: ${error.message}\n`));
        exit = { code: error.code === 'ENOENT' ? 127 : 126, signal: null };
        finish();
        return;
      }
      clearTimeout(timer);
      reject(error);
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      // Background jobs left behind by the program would keep the pipes open
      // until the time limit; they are part of the run's group, so end them.
      if (!timedOut) setTimeout(killGroup, 0);
    });
    child.on('close', finish);
  });
}

class OutputBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  private truncated = false;

  add(chunk: Buffer): void {
    if (this.size >= OUTPUT_LIMIT_BYTES) {
      this.truncated = true;
      return;
    }
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  bytes(): Uint8Array {
    const all = Buffer.concat(this.chunks);
    return this.truncated ? Buffer.concat([all, Buffer.from(`\n<output cut at ${all.length} bytes>\n`)]) : all;
  }
}
