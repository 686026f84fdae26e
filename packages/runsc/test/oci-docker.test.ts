import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxTarball, cannotRun, expectDetachedLifecycle, expectTerminalSession, onTerminal, scratch, startDockerd, type Dockerd } from './oci-helpers.js';

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
    expectDetachedLifecycle(docker, ['--runtime=tvisor'], 'd1');
  }, 240_000);

  const dockerCommand = ['docker', '-H', `unix://${join(dir, 'docker.sock')}`];

  it('run -it: a shell on the sandbox terminal (tty, size, resize, Ctrl-C, exit status)', () => {
    const r = onTerminal(dockerCommand, ['run', '--runtime=tvisor', '-it', '--rm', '--network', 'none', 'tvbb', 'sh'], true);
    expectTerminalSession(r.stdout, true);
  }, 240_000);

  it('exec -it: a shell in a running container gets its own sandbox terminal; init is untouched', () => {
    expect(docker(['run', '--runtime=tvisor', '-d', '--network', 'none', '--name', 'd2', 'tvbb', 'sleep', '1000']).status).toBe(0);
    const r = onTerminal(dockerCommand, ['exec', '-it', 'd2', 'sh'], true);
    expectTerminalSession(r.stdout, false);
    expect(docker(['inspect', '-f', '{{.State.Status}}', 'd2']).stdout.trim()).toBe('running');
  }, 240_000);
});
