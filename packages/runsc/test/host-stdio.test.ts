import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOST_SCRATCH, RUNSC, testEnv } from './helpers.js';

/** Runs `cmd` natively and under runsc with the given stdio (host fds), and returns both results. */
function both(cmd: string[], stdio: () => [number | 'pipe', number | 'pipe', number | 'pipe']) {
  const run = (argv: string[]) => {
    const fds = stdio();
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 60_000, env: testEnv(), stdio: fds });
    for (const fd of fds) if (typeof fd === 'number') closeSync(fd);
    return r;
  };
  return { native: run(cmd), sandbox: run([process.execPath, RUNSC, 'do', ...cmd]) };
}

describe('runsc do: host fds as stdio behave as the kind of file they are', () => {
  const input = '/etc/services';

  it('stdin redirected from a regular file seeks: wc -c and tail -c give what they give natively', () => {
    for (const cmd of [
      ['wc', '-c'],
      ['tail', '-c', '20'],
    ]) {
      const r = both(cmd, () => [openSync(input, 'r'), 'pipe', 'pipe']);
      expect(r.sandbox.stderr).toBe('');
      expect(r.sandbox.stdout).toBe(r.native.stdout);
      expect(r.sandbox.status).toBe(0);
    }
    expect(both(['wc', '-c'], () => [openSync(input, 'r'), 'pipe', 'pipe']).sandbox.stdout.trim()).toBe(String(readFileSync(input).length));
  });

  it('lseek, pread and mmap of a regular-file stdin, and a pipe stays a pipe (ESPIPE)', () => {
    const script =
      'import os, mmap, sys\n' +
      'try:\n  print(os.lseek(0, 5, 0), os.read(0, 4), os.pread(0, 3, 0), len(mmap.mmap(0, 0, prot=mmap.PROT_READ)), os.lseek(0, 0, 1))\n' +
      'except OSError as e:\n  print("error", e.errno)\n';
    const file = both(['python3', '-c', script], () => [openSync(input, 'r'), 'pipe', 'pipe']);
    expect(file.sandbox.stdout).toBe(file.native.stdout);
    expect(file.sandbox.stdout).toBe(`5 b'work' b'# N' ${readFileSync(input).length} 9\n`);
    const pipe = both(['python3', '-c', script], () => ['pipe', 'pipe', 'pipe']);
    expect(pipe.sandbox.stdout).toBe(pipe.native.stdout);
    expect(pipe.sandbox.stdout).toBe('error 29\n');
  });

  it('stdout redirected to a file seeks and appends like the native run', () => {
    const dir = mkdtempSync(join(HOST_SCRATCH, 'tvisor-stdio-'));
    const script = 'import os\nos.write(1, b"hello world\\n")\nos.lseek(1, 0, 0)\nos.write(1, b"J")\nprint(os.lseek(1, 0, 2), flush=True)';
    const outputs: string[] = [];
    for (const which of ['native', 'sandbox'] as const) {
      const path = join(dir, which);
      writeFileSync(path, '');
      const r = both(['python3', '-c', script], () => ['pipe', openSync(path, 'r+'), 'pipe'])[which];
      expect(r.status).toBe(0);
      outputs.push(readFileSync(path, 'utf8'));
    }
    expect(outputs[1]).toBe(outputs[0]);
    expect(outputs[0].startsWith('Jello world\n12\n')).toBe(true);
    // O_APPEND on the host fd is kept.
    const appended = join(dir, 'append');
    writeFileSync(appended, 'first\n');
    both(['echo', 'second'], () => ['pipe', openSync(appended, 'a'), 'pipe']);
    expect(readFileSync(appended, 'utf8')).toBe('first\nsecond\nsecond\n');
  });

  it("cat's copy_file_range to a stdout file already written to goes on at the host file's position", () => {
    // A shell wrote a line before runsc and writes one after it: coreutils' cat copies with
    // copy_file_range, which must start at the shared host position, not at 0, and move it on.
    const dir = mkdtempSync(join(HOST_SCRATCH, 'tvisor-stdio-'));
    const path = join(dir, 'out');
    const r = spawnSync('sh', ['-c', `{ echo first; "${process.execPath}" "${RUNSC}" do cat /etc/hostname /etc/hostname; echo last; } > "${path}"`], {
      encoding: 'utf8',
      env: testEnv(),
    });
    expect(r.stderr).toBe('');
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines[0]).toBe('first');
    expect(lines[1]).toBe(lines[2]);
    expect(lines.slice(3)).toEqual(['last', '']);
  });

  it('a host error keeps its errno: writing to /dev/full is ENOSPC, not EIO', () => {
    const r = both(['/bin/echo', 'hi'], () => ['pipe', openSync('/dev/full', 'w'), 'pipe']);
    expect(r.native.stderr).toContain('No space left on device');
    expect(r.sandbox.stderr).toBe(r.native.stderr);
    expect(r.sandbox.status).toBe(r.native.status);
  });
});
