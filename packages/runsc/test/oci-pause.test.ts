// pause/resume: the whole sandbox kernel stops where it is (gVisor's
// Kernel.Pause), without a signal the application could see, and resume
// lets it go on. A counter process shows it: no line is written while the
// container is paused, and counting goes on after resume.
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RUNSC, testEnv } from './helpers.js';
import { bundle, oci, scratch } from './oci-helpers.js';

const dir = scratch('oci-pause');
const root = join(dir, 'state');

afterAll(() => {
  for (const id of oci(root, ['list', '-q']).stdout.split('\n').filter(Boolean)) oci(root, ['delete', '--force', id]);
});

/** Polls `probe` (each call is a runsc or file read, not a sleep) until it holds, at most `tries` times. */
function until(probe: () => boolean, tries = 2000): boolean {
  for (let i = 0; i < tries; i++) {
    if (probe()) return true;
    spawnSync('sleep', ['0.01']);
  }
  return false;
}

describe('runsc pause/resume', () => {
  it('a paused container makes no progress and sees no signal; ps shows T; resume continues it; KILL ends a paused one', () => {
    // A SIGCONT handler would print CONT-SEEN if pause/resume were SIGSTOP/SIGCONT.
    const b = bundle(join(dir, 'b'), ['sh', '-c', 'trap "echo CONT-SEEN" CONT; i=0; while true; do i=$((i+1)); echo $i; usleep 20000; done']);
    const out = join(dir, 'counter.out');
    const fd = openSync(out, 'w+');
    const errFd = openSync(`${out}.err`, 'w+');
    // Files, not pipes: the sandbox keeps its stdio open, and spawnSync would wait for a pipe to close.
    const c = spawnSync(process.execPath, [RUNSC, '--root', root, 'create', '--bundle', b, 'p1'], {
      stdio: ['ignore', fd, errFd],
      timeout: 120_000,
      env: testEnv(),
    });
    closeSync(fd);
    closeSync(errFd);
    expect(readFileSync(`${out}.err`, 'utf8')).toBe('');
    expect(c.status).toBe(0);
    expect(oci(root, ['start', 'p1']).status).toBe(0);
    const size = () => statSync(out).size;
    expect(until(() => size() > 20)).toBe(true);

    const p = oci(root, ['pause', 'p1']);
    expect(p.stderr).toBe('');
    expect(p.status).toBe(0);
    const atPause = size();
    expect(JSON.parse(oci(root, ['state', 'p1']).stdout).status).toBe('paused');
    const table = oci(root, ['ps', 'p1']).stdout.trim().split('\n').slice(1);
    expect(table.length).toBeGreaterThan(0);
    for (const row of table) expect(row.split(/\s+/)[3]).toBe('T');
    // The ptrace stubs that run the app are all stopped on the host too.
    if ((process.env.TVISOR_PLATFORM ?? 'ptrace') === 'ptrace') {
      const sandbox = JSON.parse(oci(root, ['state', 'p1']).stdout).pid as number;
      const stubs = spawnSync('pgrep', ['-P', String(sandbox)], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean);
      expect(stubs.length).toBeGreaterThan(0);
      for (const s of stubs) expect(/State:\s+(\S)/.exec(readFileSync(`/proc/${s}/status`, 'utf8'))?.[1]).toBe('t');
    }
    expect(oci(root, ['exec', 'p1', 'true']).stderr).toBe('runsc: cannot exec in a paused container\n');
    expect(oci(root, ['pause', 'p1']).stderr).toBe('runsc: container not running: paused\n');
    // All of that took a while: not one more line was counted meanwhile.
    expect(size()).toBe(atPause);

    const r = oci(root, ['resume', 'p1']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(oci(root, ['state', 'p1']).stdout).status).toBe('running');
    expect(until(() => size() > atPause + 20)).toBe(true);
    // Counting went on from where it stopped: consecutive numbers across the pause.
    const lines = readFileSync(out, 'utf8').split('\n').filter(Boolean);
    expect(lines.slice(0, -1).every((l, i) => l === String(i + 1))).toBe(true);
    expect(lines).not.toContain('CONT-SEEN');

    expect(oci(root, ['pause', 'p1']).status).toBe(0);
    expect(oci(root, ['kill', 'p1', 'KILL']).status).toBe(0);
    expect(JSON.parse(oci(root, ['wait', 'p1']).stdout).exitStatus).toBe(137);
    expect(oci(root, ['delete', 'p1']).status).toBe(0);
  }, 180_000);
});
