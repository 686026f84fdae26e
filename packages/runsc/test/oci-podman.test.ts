import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxTarball, cannotRun, expectDetachedLifecycle, expectTerminalSession, onTerminal, RUNTIME, scratch, sh } from './oci-helpers.js';

// podman with private storage (vfs driver: no overlay mounts needed) and no network namespace setup.
const reason = cannotRun(['podman', 'conmon']);
const dir = reason ? '' : scratch('podman');
const base = reason
  ? []
  : [
      '--root',
      join(dir, 'storage'),
      '--runroot',
      join(dir, 'run'),
      '--storage-driver',
      'vfs',
      '--cgroup-manager',
      'cgroupfs',
      '--events-backend',
      'file',
      '--runtime',
      RUNTIME,
    ];
const podman = (args: string[]) => sh('podman', [...base, ...args]);
const run = ['run', '--rm', '--network', 'none'];

if (reason) console.log(`oci-podman: skipped: ${reason}`);

describe.skipIf(reason !== undefined)('podman drives tVisor', () => {
  beforeAll(() => {
    const r = podman(['import', busyboxTarball(dir), 'tvbb']);
    expect(r.status, r.stderr).toBe(0);
  }, 120_000);
  afterAll(() => {
    podman(['rm', '-af']);
  }, 120_000);

  it('run -it: an interactive shell on the sandbox terminal (tty, size, resize, Ctrl-C, exit status)', () => {
    const r = onTerminal(['podman', ...base], ['run', '-it', '--rm', '--network', 'none', 'tvbb', 'sh'], false);
    expectTerminalSession(r.stdout, true);
  }, 240_000);

  it('exec -it: a shell in a running container gets a sandbox terminal (tty, size, resize, Ctrl-C to the program, exit status)', () => {
    const d = podman(['run', '-d', '--network', 'none', '--name', 'p3', 'tvbb', 'sleep', '1000']);
    expect(d.status, d.stderr).toBe(0);
    const r = onTerminal(['podman', ...base], ['exec', '-it', 'p3', 'sh'], true);
    expectTerminalSession(r.stdout, false);
    // The container's init was not touched.
    expect(podman(['inspect', '-f', '{{.State.Status}}', 'p3']).stdout.trim()).toBe('running');
    expect(podman(['rm', '-f', '-t', '0', 'p3']).status).toBe(0);
  }, 240_000);

  it('run --rm shows the sandbox kernel and passes the exit status through', () => {
    const r = podman([...run, 'tvbb', 'sh', '-c', 'cat /proc/version; exit 7']);
    expect(r.stdout).toMatch(/^Linux version \S+-tvisor /);
    expect(r.status).toBe(7);
    const dmesg = podman([...run, 'tvbb', 'dmesg']);
    expect(dmesg.stdout).toContain('tVisor');
    expect(dmesg.status).toBe(0);
  }, 240_000);

  it('run -d, exec, stop (SIGTERM reaches the handler of init), logs', () => {
    expectDetachedLifecycle(podman, [], 'p1');
    expect(podman(['rm', 'p1']).status).toBe(0);
  }, 240_000);

  it('stop ends an init that has no SIGTERM handler (PID 1 ignores it) through its SIGKILL fallback: 137', () => {
    const d = podman(['run', '-d', '--network', 'none', '--name', 'p2', 'tvbb', 'sleep', '1000']);
    expect(d.status, d.stderr).toBe(0);
    expect(podman(['stop', '-t', '1', 'p2']).status).toBe(0);
    expect(podman(['inspect', '-f', '{{.State.ExitCode}}', 'p2']).stdout.trim()).toBe('137');
    expect(podman(['rm', 'p2']).status).toBe(0);
  }, 240_000);
});
