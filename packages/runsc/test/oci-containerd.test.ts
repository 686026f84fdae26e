import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxTarball, cannotRun, ociImageArchive, RUNTIME, scratch, sh } from './oci-helpers.js';

// containerd started by the test with its own root, state and socket; ctr run --runc-binary names tVisor
// for the runc shim (io.containerd.runc.v2), as a BinaryName in the CRI config would.
const reason = cannotRun(['containerd', 'ctr', 'containerd-shim-runc-v2']);
const dir = reason ? '' : scratch('containerd');
const address = join(dir, 'containerd.sock');
const ctr = (args: string[]) => sh('ctr', ['--address', address, ...args]);
const IMAGE = 'docker.io/library/tvbb:latest';
let daemon: ChildProcess | undefined;

if (reason) console.log(`oci-containerd: skipped: ${reason}`);

describe.skipIf(reason !== undefined)('containerd (ctr) drives tVisor', () => {
  beforeAll(async () => {
    writeFileSync(join(dir, 'config.toml'), `version = 2\nroot = "${dir}/root"\nstate = "${dir}/state"\n[grpc]\n  address = "${address}"\n`);
    daemon = spawn('containerd', ['--config', join(dir, 'config.toml')], { stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let log = '';
      daemon!.stderr!.on('data', (d) => {
        log += d.toString();
        if (log.includes('containerd successfully booted')) resolve();
      });
      daemon!.on('exit', (code) => reject(new Error(`containerd exited ${code}: ${log.slice(-500)}`)));
    });
    const r = ctr(['image', 'import', '--snapshotter', 'native', ociImageArchive(dir, busyboxTarball(dir), IMAGE)]);
    expect(r.status, r.stderr).toBe(0);
  }, 180_000);

  afterAll(async () => {
    if (daemon && daemon.exitCode === null) {
      const done = new Promise((r) => daemon!.on('exit', r));
      daemon.kill('SIGTERM');
      await done;
    }
  }, 60_000);

  it('ctr run --runc-binary: the sandbox kernel, the exit status', () => {
    const r = ctr(['run', '--snapshotter', 'native', '--runc-binary', RUNTIME, '--rm', IMAGE, 'ct1', 'sh', '-c', 'cat /proc/version; exit 5']);
    expect(r.stdout).toMatch(/^Linux version \S+-tvisor /);
    expect(r.status).toBe(5);
  }, 240_000);
});
