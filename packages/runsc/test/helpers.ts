import { execFileSync, spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';

/**
 * A host directory that the sandbox sees as is (through the overlay), and
 * that other users of the host's /tmp do not clean under the tests' feet.
 */
export const HOST_SCRATCH = '/var/tmp';

/** The built CLI, run the way a user runs it. */
export const RUNSC = new URL('../bin/runsc.js', import.meta.url).pathname;

/**
 * The environment programs under test get: the test runner's own (FORCE_COLOR
 * from nx, NODE_OPTIONS from vitest) would change what a node or python under
 * test prints, natively and in the sandbox alike.
 */
export function testEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (k === 'FORCE_COLOR' || k === 'NODE_OPTIONS' || k.startsWith('VITEST') || k.startsWith('NX_')) delete env[k];
  }
  return env;
}

export function runsc(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeout?: number } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [RUNSC, ...args], { encoding: 'utf8', timeout: 60_000, env: testEnv(), ...opts });
}

/**
 * Runs runsc with `input` written to its stdin (then closed) only once its
 * stdout contains `after`: the program says it is ready, no timer guesses.
 * Resolves with its stdout and status.
 */
export async function runscWithLateStdin(args: string[], input: string, after: string): Promise<{ stdout: string; status: number | null }> {
  const child = spawn(process.execPath, [RUNSC, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: testEnv() });
  let stdout = '';
  let written = false;
  child.stdout.on('data', (d) => {
    stdout += d;
    if (!written && stdout.includes(after)) {
      written = true;
      child.stdin.end(input);
    }
  });
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { stdout, status };
}

export function runscAsync(args: string[]) {
  return spawn(process.execPath, [RUNSC, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs the same command natively, for differential checks. */
export function native(cmd: string[]): SpawnSyncReturns<string> {
  return spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', timeout: 60_000, env: testEnv() });
}

/**
 * Compiles a C program (static unless told otherwise) and returns the
 * binary's path. It goes under /var/tmp (HOST_SCRATCH): the sandbox's /tmp
 * is the host's only while that is non-empty (otherwise a fresh tmpfs).
 */
export function compileC(source: string, flags: string[] = ['-static']): string {
  const dir = mkdtempSync(join(HOST_SCRATCH, 'tvisor-c-'));
  writeFileSync(join(dir, 'prog.c'), source);
  execFileSync('gcc', ['-O1', ...flags, '-o', join(dir, 'prog'), join(dir, 'prog.c')]);
  return join(dir, 'prog');
}

/**
 * Runs `cmd` natively in a fresh network namespace with lo up: the state a
 * sandbox's network starts in, so the Linux oracle for network tests.
 */
export function inFreshNetns(cmd: string[]): SpawnSyncReturns<string> {
  return spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', ...cmd], { encoding: 'utf8', timeout: 60_000, env: testEnv() });
}

/** Whether this host lets the tests make network namespaces (root, unshare and iproute2's ip present). */
export const canUnshareNetwork = inFreshNetns(['true']).status === 0;

/**
 * Runs `cmd` in a fresh network namespace and under `runsc do`, expects the
 * same stdout, a clean exit and nothing on the sandbox's stderr; returns the stdout.
 */
export function sameAsLinuxInNetns(cmd: string[]): string {
  const want = inFreshNetns(cmd);
  expect(want.status, want.stderr).toBe(0);
  const got = runsc(['do', ...cmd]);
  expect(got.stderr).toBe('');
  expect(got.stdout).toBe(want.stdout);
  expect(got.status).toBe(0);
  return got.stdout;
}
