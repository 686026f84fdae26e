import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CompatCase } from '../src/case.js';
import { prepareWorkDir, runCase, runProcess, suiteEnvironment } from '../src/run.js';

const scratch = mkdtempSync(join(tmpdir(), 'compat-run-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const env = suiteEnvironment(scratch);

/** A stand-in for runsc: a shell script that drops `do` and runs the command, after `body`. */
function fakeRunsc(name: string, body: string): string[] {
  const path = join(scratch, name);
  writeFileSync(path, `#!/bin/sh\nshift\n${body}\n`);
  chmodSync(path, 0o755);
  return [path];
}

describe('runProcess', () => {
  it('captures stdout, stderr and the exit status', async () => {
    const r = await runProcess(['sh', '-c', 'echo out; echo err >&2; exit 3'], { cwd: scratch, env, timeoutMs: 5000 });
    expect(new TextDecoder().decode(r.stdout)).toBe('out\n');
    expect(new TextDecoder().decode(r.stderr)).toBe('err\n');
    expect(r.status).toBe(3);
    expect(r.timedOut).toBe(false);
  });

  it('feeds stdin, and gives /dev/null when the case has none', async () => {
    const piped = await runProcess(['cat'], { cwd: scratch, env, stdin: 'to cat\n', timeoutMs: 5000 });
    expect(new TextDecoder().decode(piped.stdout)).toBe('to cat\n');
    const none = await runProcess(['sh', '-c', 'readlink /proc/self/fd/0'], { cwd: scratch, env, timeoutMs: 5000 });
    expect(new TextDecoder().decode(none.stdout)).toBe('/dev/null\n');
  });

  it('reports death by signal N as 128+N, as a shell does', async () => {
    const r = await runProcess(['sh', '-c', 'kill -TERM $$'], { cwd: scratch, env, timeoutMs: 5000 });
    expect(r.status).toBe(143);
  });

  it('kills the whole process group at the time limit', async () => {
    const started = Date.now();
    const r = await runProcess(['sh', '-c', 'sleep 20 & sleep 20; echo never'], { cwd: scratch, env, timeoutMs: 300 });
    expect(r.timedOut).toBe(true);
    expect(r.status).toBe(137);
    expect(new TextDecoder().decode(r.stdout)).toBe('');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('does not wait for background jobs the program left behind', async () => {
    const started = Date.now();
    const r = await runProcess(['sh', '-c', 'sleep 20 & echo done'], { cwd: scratch, env, timeoutMs: 10_000 });
    expect(r.timedOut).toBe(false);
    expect(r.status).toBe(0);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('reports a missing program as status 127', async () => {
    const r = await runProcess(['no-such-program-compat'], { cwd: scratch, env, timeoutMs: 5000 });
    expect(r.status).toBe(127);
    expect(new TextDecoder().decode(r.stderr)).toMatch(/ENOENT/);
  });
});

describe('prepareWorkDir', () => {
  it('creates files, directories and modes', () => {
    const dir = join(scratch, 'prepared');
    prepareWorkDir(dir, { 'a/b.txt': 'bee\n', 'run.sh': { content: '#!/bin/sh\n', mode: 0o750 } });
    expect(readFileSync(join(dir, 'a/b.txt'), 'utf8')).toBe('bee\n');
    expect(statSync(join(dir, 'run.sh')).mode & 0o777).toBe(0o750);
    expect(statSync(join(dir, 'a/b.txt')).mode & 0o777).toBe(0o644);
  });

  it('refuses paths that leave the work directory', () => {
    expect(() => prepareWorkDir(join(scratch, 'escape'), { '../outside': 'x' })).toThrow(/escapes/);
  });
});

describe('runCase', () => {
  const testCase: CompatCase = {
    name: 'selftest/echo',
    argv: ['sh', '-c', 'cat in.txt; echo "cwd=$(basename "$PWD") pid=$$"'],
    files: { 'in.txt': 'from the work dir\n' },
    normalise: (output) => output.replace(/pid=\d+/, 'pid=N'),
    packages: ['dash'],
  };
  const workRoot = join(scratch, 'work');

  it('passes when the "sandbox" runs the program faithfully', async () => {
    const result = await runCase(testCase, { runsc: fakeRunsc('faithful', 'exec "$@"'), workRoot });
    expect(result.mismatches).toEqual([]);
    expect(result.pass).toBe(true);
    expect(result.native.stdout).toBe('from the work dir\ncwd=selftest-echo pid=N\n');
  });

  it('fails, with a diff, when the "sandbox" changes the output', async () => {
    const result = await runCase(testCase, { runsc: fakeRunsc('garbling', '"$@" | tr a-z A-Z'), workRoot });
    expect(result.pass).toBe(false);
    expect(result.mismatches).toEqual(['stdout differs']);
    expect(result.diff).toContain('+ FROM THE WORK DIR');
  });

  it('fails when only the exit status differs', async () => {
    const result = await runCase(testCase, { runsc: fakeRunsc('failing', '"$@"; exit 1'), workRoot });
    expect(result.mismatches).toEqual(['status: native 0, sandbox 1']);
  });

  it('gives each run a fresh copy of the files', async () => {
    const writer: CompatCase = {
      name: 'selftest/append',
      argv: ['sh', '-c', 'echo more >> in.txt; cat in.txt'],
      files: { 'in.txt': 'start\n' },
      packages: ['dash'],
    };
    const result = await runCase(writer, { runsc: fakeRunsc('faithful2', 'exec "$@"'), workRoot });
    expect(result.sandbox.stdout).toBe('start\nmore\n');
    expect(result.pass).toBe(true);
  });
});
