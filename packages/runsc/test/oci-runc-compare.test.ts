// runc as the oracle: the same podman commands, run once with runc and once
// with tVisor as the runtime, give the same output and exit status (exit
// codes, 128+N for a signal, stdin piped in, env, cwd, user, hostname, a
// missing binary). Skipped, saying why, when runc or podman is missing.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxTarball, cannotRun, RUNTIME, scratch, sh } from './oci-helpers.js';

const reason = cannotRun(['podman', 'conmon', 'runc']);
const dir = reason ? '' : scratch('runc-compare');
const base = reason
  ? []
  : ['--root', join(dir, 'storage'), '--runroot', join(dir, 'run'), '--storage-driver', 'vfs', '--cgroup-manager', 'cgroupfs', '--events-backend', 'file'];
const RUNTIMES = { runc: ['--runtime', 'runc'], tvisor: ['--runtime', RUNTIME] };
// runc cannot raise RLIMIT_NOFILE to podman's default on these machines: both get the same explicit limits.
const RUN = ['run', '--rm', '--network', 'none', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'];

function both(args: string[], input?: string) {
  const out = Object.fromEntries(
    Object.entries(RUNTIMES).map(([name, rt]) => {
      const r = sh('podman', [...base, ...rt, ...args], { input, timeout: 180_000 });
      return [name, { stdout: r.stdout, status: r.status }];
    }),
  ) as Record<keyof typeof RUNTIMES, { stdout: string; status: number | null }>;
  return out;
}

if (reason) console.log(`oci-runc-compare: skipped: ${reason}`);

describe.skipIf(reason !== undefined)('podman with tVisor answers as podman with runc', () => {
  beforeAll(() => {
    const r = sh('podman', [...base, 'import', busyboxTarball(dir), 'tvcmp']);
    expect(r.status, r.stderr).toBe(0);
  }, 120_000);
  afterAll(() => {
    sh('podman', [...base, 'rm', '-af', '-t', '0']);
  }, 120_000);

  it('env, cwd, user, hostname, stdin, a child killed by a signal (128+N), exit statuses', () => {
    const script = [
      'echo "FOO=$FOO"',
      'pwd',
      'id',
      'hostname',
      'sh -c "kill -SEGV \\$\\$"; echo "segv=$?"',
      'sh -c "kill -TERM \\$\\$"; echo "term=$?"',
      'sh -c "exit 3"; echo "three=$?"',
      'cat',
      'exit 7',
    ].join('; ');
    const r = both([...RUN, '-i', '-e', 'FOO=bar', '-w', '/tmp', '-u', '1000:1000', '--hostname', 'cmp-host', 'tvcmp', 'sh', '-c', script], 'piped in\n');
    expect(r.runc.stdout).toContain('segv=139');
    expect(r.runc.stdout).toContain('piped in');
    expect(r.tvisor).toEqual(r.runc);
  }, 400_000);

  it('a container ended from outside with SIGKILL: the same exit code (137)', () => {
    const codes: Record<string, string> = {};
    for (const [name, rt] of Object.entries(RUNTIMES)) {
      const d = sh('podman', [
        ...base,
        ...rt,
        'run',
        '-d',
        '--network',
        'none',
        '--ulimit',
        'nofile=1024:1024',
        '--ulimit',
        'nproc=1024:1024',
        '--name',
        `k-${name}`,
        'tvcmp',
        'sleep',
        '1000',
      ]);
      expect(d.status, d.stderr).toBe(0);
      expect(sh('podman', [...base, 'kill', '-s', 'KILL', `k-${name}`]).status).toBe(0);
      codes[name] = sh('podman', [...base, 'wait', `k-${name}`]).stdout.trim();
      sh('podman', [...base, 'rm', '-f', `k-${name}`]);
    }
    expect(codes.runc).toBe('137');
    expect(codes.tvisor).toBe(codes.runc);
  }, 400_000);

  it('a binary that does not exist: the same exit status from podman', () => {
    const r = both([...RUN, 'tvcmp', '/no/such/binary']);
    expect(r.runc.status).not.toBe(0);
    expect(r.tvisor.status).toBe(r.runc.status);
  }, 400_000);
});
