import { execFileSync, spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUNSC, testEnv } from './helpers.js';
import { expect } from 'vitest';

/** The runtime path clients are given: the runsc bin script itself (executable, its `#!` line starts node through `env -S`). */
export const RUNTIME = RUNSC;

/** A scratch directory for this test file, under /var/tmp (not the sandbox's fresh /tmp). */
export function scratch(prefix: string): string {
  return mkdtempSync(join('/var/tmp', `tvisor-${prefix}-`));
}

/** A busybox-static root file system (hard links, so nothing points back at the host path). */
export function busyboxRootfs(dir: string): string {
  for (const d of ['bin', 'etc', 'proc', 'sys', 'dev', 'tmp', 'root', 'usr/bin', 'sbin']) mkdirSync(join(dir, d), { recursive: true });
  copyFileSync('/bin/busybox', join(dir, 'bin/busybox'));
  execFileSync(join(dir, 'bin/busybox'), ['--install', join(dir, 'bin')]);
  writeFileSync(join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(dir, 'etc/group'), 'root:x:0:\n');
  return dir;
}

/** That root file system as a tarball (what `podman import`/`docker import` take). */
export function busyboxTarball(dir: string): string {
  const rootfs = busyboxRootfs(join(dir, 'rootfs-src'));
  const tar = join(dir, 'busybox.tar');
  execFileSync('tar', ['-C', rootfs, '-cf', tar, '.']);
  return tar;
}

/** An OCI image layout archive of one layer, named `name` (what `ctr image import` takes). */
export function ociImageArchive(dir: string, layerTar: string, name: string): string {
  const layout = join(dir, 'oci-layout-dir');
  const blobs = join(layout, 'blobs/sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (data: Buffer) => {
    const digest = createHash('sha256').update(data).digest('hex');
    writeFileSync(join(blobs, digest), data);
    return { digest: `sha256:${digest}`, size: data.length };
  };
  const layer = put(readFileSync(layerTar));
  const config = put(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['sh'] },
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
      }),
    ),
  );
  const manifest = put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
      }),
    ),
  );
  writeFileSync(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': 'latest' },
        },
      ],
    }),
  );
  const out = join(dir, 'image.tar');
  execFileSync('tar', ['-C', layout, '-cf', out, '.']);
  return out;
}

/** Why a client test cannot run here, or undefined when it can. */
export function cannotRun(binaries: string[]): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root';
  for (const b of binaries) {
    if (spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0) return `${b} is not installed`;
  }
  return undefined;
}

export function sh(cmd: string, args: string[], opts: { timeout?: number; input?: string } = {}): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { encoding: 'utf8', timeout: opts.timeout ?? 120_000, env: testEnv(), input: opts.input });
}

/** runsc with the given --root. */
export function oci(root: string, args: string[], opts: { cwd?: string; input?: string } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [RUNSC, '--root', root, ...args], { encoding: 'utf8', timeout: 120_000, env: testEnv(), ...opts });
}

/** A bundle at `dir` whose rootfs is busybox and whose process is `args`. */
export function bundle(dir: string, args: string[], edit: (spec: Record<string, any>) => void = () => {}): string {
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, 'rootfs'))) busyboxRootfs(join(dir, 'rootfs'));
  const spec: Record<string, any> = {
    ociVersion: '1.1.0',
    process: { terminal: false, user: { uid: 0, gid: 0 }, args, env: ['PATH=/bin:/usr/bin'], cwd: '/' },
    root: { path: 'rootfs' },
    hostname: 'tvisor-test',
    mounts: [{ destination: '/proc', type: 'proc', source: 'proc' }],
  };
  edit(spec);
  writeFileSync(join(dir, 'config.json'), JSON.stringify(spec));
  return dir;
}

/** A dockerd this test file owns: its own data and exec roots, socket, and the runtime "tvisor". */
export interface Dockerd {
  /** Runs the docker client against this daemon. */
  docker(args: string[], opts?: { timeout?: number; input?: string }): SpawnSyncReturns<string>;
  /** Stops the daemon (SIGTERM) and waits until it has exited. */
  stop(): Promise<void>;
}

/** Starts dockerd in `dir` with `flags` (network flags: the caller's), resolving once its API listens. */
export async function startDockerd(dir: string, flags: string[]): Promise<Dockerd> {
  const sock = join(dir, 'docker.sock');
  writeFileSync(join(dir, 'daemon.json'), JSON.stringify({ runtimes: { tvisor: { path: RUNTIME } } }));
  const args = ['--config-file', join(dir, 'daemon.json'), '--data-root', join(dir, 'data'), '--exec-root', join(dir, 'exec')];
  args.push('--pidfile', join(dir, 'docker.pid'), '--host', `unix://${sock}`, '--storage-driver', 'vfs', ...flags);
  const daemon: ChildProcess = spawn('dockerd', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  // Ready when it says so on its log.
  await new Promise<void>((resolve, reject) => {
    let log = '';
    daemon.stderr!.on('data', (d) => {
      log += d.toString();
      if (log.includes('API listen on')) resolve();
    });
    daemon.on('exit', (code) => reject(new Error(`dockerd exited ${code}: ${log.slice(-500)}`)));
  });
  return {
    docker: (a, opts) => sh('docker', ['-H', `unix://${sock}`, ...a], opts),
    stop: async () => {
      if (daemon.exitCode !== null || daemon.signalCode !== null) return;
      const done = new Promise((r) => daemon.on('exit', r));
      daemon.kill('SIGTERM');
      await done;
    },
  };
}

/** A container client's command line runner (docker's and podman's words agree for what these helpers ask). */
export type ClientCli = (args: string[]) => SpawnSyncReturns<string>;

/**
 * Runs `command` (a client and its global flags, then `args`) on a fresh 24x80 pty, driven through an
 * interactive busybox sh by fixtures/drive-tty-client.py. `awaitSize`: the client sizes the tty only
 * once the shell runs (docker; podman's exec), so the driver asks until the size shows.
 */
export function onTerminal(command: string[], args: string[], awaitSize: boolean): SpawnSyncReturns<string> {
  const driver = new URL('./fixtures/drive-tty-client.py', import.meta.url).pathname;
  return spawnSync('python3', [driver, ...command, ...args], {
    encoding: 'utf8',
    timeout: 180_000,
    env: awaitSize ? { ...process.env, AWAIT_SIZE: '1' } : process.env,
  });
}

/**
 * What the driver's session must show: the sandbox's tty and its size, a resize seen, Ctrl-C ending
 * the sleep inside (130) and not the runtime (the shell goes on), and the exit status. A container's
 * first terminal is /dev/pts/0; an exec's need not be.
 */
export function expectTerminalSession(out: string, firstPty: boolean): void {
  expect(out).toMatch(firstPty ? /\/dev\/pts\/0\r\n24 80\r\none=42/ : /\/dev\/pts\/\d+\r\n24 80\r\none=42/);
  expect(out).toContain('40 120\r\ntwo=49');
  expect(out).toContain('three=130');
  expect(out).not.toMatch(/\nslept\r\n/);
  expect(out).toMatch(/exit 3\n$/);
}

/**
 * run -d of an init that traps SIGTERM, exec in it (output and exit status 4), stop (the trap runs),
 * logs and the exit code 0: the same through docker and podman. `runFlags` go after `run`.
 */
export function expectDetachedLifecycle(cli: ClientCli, runFlags: string[], name: string): void {
  const init = 'trap "echo stopping; exit 0" TERM; echo started; while true; do sleep 0.1; done';
  const d = cli(['run', ...runFlags, '--network', 'none', '-d', '--name', name, 'tvbb', 'sh', '-c', init]);
  expect(d.status, d.stderr).toBe(0);
  const e = cli(['exec', name, 'sh', '-c', 'echo from-exec; exit 4']);
  expect(e.stdout).toBe('from-exec\n');
  expect(e.status).toBe(4);
  expect(cli(['stop', '-t', '10', name]).status).toBe(0);
  expect(cli(['logs', name]).stdout).toBe('started\nstopping\n');
  expect(cli(['inspect', '-f', '{{.State.ExitCode}}', name]).stdout.trim()).toBe('0');
}
