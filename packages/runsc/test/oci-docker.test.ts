import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxTarball, cannotRun, scratch, startDockerd, type Dockerd } from './oci-helpers.js';

const driver = new URL('./fixtures/drive-tty-client.py', import.meta.url).pathname;

// dockerd started by the test: its own data/exec roots and socket, no iptables and no bridge (the
// bridge network has its own test file, oci-docker-network.test.ts).
const reason = cannotRun(['dockerd', 'docker', 'containerd']);
const dir = reason ? '' : scratch('docker');
let daemon: Dockerd | undefined;
const docker = (args: string[]) => daemon!.docker(args);

if (reason) console.log(`oci-docker: skipped: ${reason}`);

describe.skipIf(reason !== undefined)('docker drives tVisor (runtime "tvisor" in daemon.json)', () => {
  beforeAll(async () => {
    daemon = await startDockerd(dir, ['--iptables=false', '--ip6tables=false', '--bridge=none']);
    const r = docker(['import', busyboxTarball(dir), 'tvbb']);
    expect(r.status, r.stderr).toBe(0);
  }, 180_000);

  afterAll(async () => {
    if (!daemon) return;
    docker(['rm', '-f', 'd1', 'd2']);
    await daemon.stop();
    expect(existsSync(join(dir, 'docker.pid'))).toBe(false);
  }, 120_000);

  it("docker run --runtime=tvisor --rm: /proc/version and dmesg are tVisor's, exit 7 is 7", () => {
    const v = docker(['run', '--runtime=tvisor', '--network', 'none', '--rm', 'tvbb', 'cat', '/proc/version']);
    expect(v.stdout).toMatch(/^Linux version \S+-tvisor /);
    expect(v.status).toBe(0);
    const dmesg = docker(['run', '--runtime=tvisor', '--network', 'none', '--rm', 'tvbb', 'dmesg']);
    expect(dmesg.stdout).toContain('tVisor');
    expect(docker(['run', '--runtime=tvisor', '--network', 'none', '--rm', 'tvbb', 'sh', '-c', 'exit 7']).status).toBe(7);
  }, 240_000);

  it('docker run -d, exec, stop (SIGTERM reaches the handler of init), logs', () => {
    const d = docker([
      'run',
      '--runtime=tvisor',
      '--network',
      'none',
      '-d',
      '--name',
      'd1',
      'tvbb',
      'sh',
      '-c',
      'trap "echo stopping; exit 0" TERM; echo started; while true; do sleep 0.1; done',
    ]);
    expect(d.status, d.stderr).toBe(0);
    const e = docker(['exec', 'd1', 'sh', '-c', 'echo from-exec; exit 4']);
    expect(e.stdout).toBe('from-exec\n');
    expect(e.status).toBe(4);
    expect(docker(['stop', '-t', '10', 'd1']).status).toBe(0);
    expect(docker(['logs', 'd1']).stdout).toBe('started\nstopping\n');
    expect(docker(['inspect', '-f', '{{.State.ExitCode}}', 'd1']).stdout.trim()).toBe('0');
  }, 240_000);

  /** The docker client on a fresh 24x80 pty, driven through an interactive busybox sh (see the driver). */
  const onTerminal = (args: string[]) =>
    spawnSync('python3', [driver, 'docker', '-H', `unix://${join(dir, 'docker.sock')}`, ...args], {
      encoding: 'utf8',
      timeout: 180_000,
      // docker sizes the tty only once the shell runs: the driver asks until the size shows.
      env: { ...process.env, AWAIT_SIZE: '1' },
    });

  it('run -it: a shell on the sandbox terminal (tty, size, resize, Ctrl-C, exit status)', () => {
    const r = onTerminal(['run', '--runtime=tvisor', '-it', '--rm', '--network', 'none', 'tvbb', 'sh']);
    expect(r.stdout).toContain('/dev/pts/0\r\n24 80\r\none=42');
    expect(r.stdout).toContain('40 120\r\ntwo=49');
    expect(r.stdout).toContain('three=130');
    expect(r.stdout).not.toMatch(/\nslept\r\n/);
    expect(r.stdout).toMatch(/exit 3\n$/);
  }, 240_000);

  it('exec -it: a shell in a running container gets its own sandbox terminal; init is untouched', () => {
    expect(docker(['run', '--runtime=tvisor', '-d', '--network', 'none', '--name', 'd2', 'tvbb', 'sleep', '1000']).status).toBe(0);
    const r = onTerminal(['exec', '-it', 'd2', 'sh']);
    expect(r.stdout).toMatch(/\/dev\/pts\/\d+\r\n24 80\r\none=42/);
    expect(r.stdout).toContain('40 120\r\ntwo=49');
    // Ctrl-C ended the sleep inside (130), not the runtime: the shell goes on.
    expect(r.stdout).toContain('three=130');
    expect(r.stdout).toMatch(/exit 3\n$/);
    expect(docker(['inspect', '-f', '{{.State.Status}}', 'd2']).stdout.trim()).toBe('running');
  }, 240_000);
});
