// The OCI runtime takes the container's network namespace: the interfaces a
// client made there (here: a veth this test makes, as docker's bridge driver
// would) become the sandbox stack's, and their addresses leave the host
// kernel's view. Everything runs between two namespaces this test creates.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RUNSC, testEnv } from './helpers.js';
import { bundle, cannotRun, scratch } from './oci-helpers.js';

const skipReason = cannotRun(['ip', 'nsenter', 'curl', 'python3', 'ping']);
if (skipReason) console.warn(`oci-network: skipped (${skipReason})`);

const HOST_NS = `tvocih${process.pid}`;
const CONTAINER_NS = `tvocic${process.pid}`;
const HOST_IP = '10.213.7.1';
const CONTAINER_IP = '10.213.7.2';
/** The hook case's subnet: a second veth, moved in by a prestart hook as docker's libnetwork-setkey does. */
const HOOK_HOST_IP = '10.213.8.1';
const HOOK_CONTAINER_IP = '10.213.8.2';
const inHost = (cmd: string[]): [string, string[]] => ['nsenter', [`--net=/run/netns/${HOST_NS}`, '--', ...cmd]];
const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8' });

/** Starts `cmd` in the host namespace; resolves once its stdout contains `ready`, with everything it printed so far. */
function startInHost(cmd: string[], ready: string): Promise<{ child: ChildProcess; out: () => string }> {
  const child = spawn(...inHost(cmd), { stdio: ['ignore', 'pipe', 'pipe'], env: testEnv() });
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes(ready)) resolve({ child, out: () => out });
    });
    child.stderr!.on('data', (d) => (err += d));
    child.on('exit', (code) => reject(new Error(`${cmd.join(' ')} exited ${code} before "${ready}": ${out} ${err}`)));
  });
}

function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.on('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

describe.skipIf(skipReason !== undefined)('runsc run in a container network namespace', () => {
  const dir = scratch('oci-net');
  let hostServer: ChildProcess | undefined;
  let container: ChildProcess | undefined;

  beforeAll(async () => {
    ip('netns', 'add', HOST_NS);
    ip('netns', 'add', CONTAINER_NS);
    ip('-n', HOST_NS, 'link', 'set', 'lo', 'up');
    ip('-n', HOST_NS, 'link', 'add', 'vhost', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', CONTAINER_NS);
    ip('-n', HOST_NS, 'addr', 'add', `${HOST_IP}/24`, 'dev', 'vhost');
    ip('-n', HOST_NS, 'link', 'set', 'vhost', 'up');
    ip('-n', CONTAINER_NS, 'addr', 'add', `${CONTAINER_IP}/24`, 'dev', 'eth0');
    ip('-n', CONTAINER_NS, 'link', 'set', 'eth0', 'up');
    ip('-n', CONTAINER_NS, 'route', 'add', 'default', 'via', HOST_IP);
    ip('-n', HOST_NS, 'link', 'add', 'vhost2', 'type', 'veth', 'peer', 'name', 'vc2');
    ip('-n', HOST_NS, 'addr', 'add', `${HOOK_HOST_IP}/24`, 'dev', 'vhost2');
    ip('-n', HOST_NS, 'link', 'set', 'vhost2', 'up');
    execFileSync('sh', ['-c', `echo from-the-host > ${join(dir, 'hello.txt')}`]);
    // Every address of the host namespace (it is the test's own).
    hostServer = (await startInHost(['python3', '-u', '-m', 'http.server', '8001', '--directory', dir], 'Serving HTTP')).child;
  }, 60_000);

  afterAll(async () => {
    // The sandbox process outlives `runsc run`'s client when the client is killed: delete it by id.
    for (const id of [`net${process.pid}`, `hook${process.pid}`]) {
      try {
        execFileSync(process.execPath, [RUNSC, '--root', join(dir, 'state'), 'delete', '--force', id], { stdio: 'ignore', env: testEnv() });
      } catch {
        // never created
      }
    }
    await stop(container);
    await stop(hostServer);
    for (const ns of [HOST_NS, CONTAINER_NS]) {
      try {
        ip('netns', 'del', ns);
      } catch {
        // never made
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('the container reaches the host, the host reaches the container, and eth0 keeps no host address', async () => {
    // httpd (busybox, not -f) listens before it daemonizes, so "ready" follows a listening socket.
    const b = bundle(
      join(dir, 'bundle'),
      [
        'sh',
        '-c',
        `wget -q -O - http://${HOST_IP}:8001/hello.txt && mkdir /www && echo from-the-container > /www/index.html && httpd -p 8080 -h /www && echo ready && exec sleep 600`,
      ],
      (s) => (s.linux = { namespaces: [{ type: 'pid' }, { type: 'network', path: `/run/netns/${CONTAINER_NS}` }, { type: 'mount' }] }),
    );
    const run = await startInHost([process.execPath, RUNSC, '--root', join(dir, 'state'), 'run', '--bundle', b, `net${process.pid}`], 'ready');
    container = run.child;
    expect(run.out()).toContain('from-the-host\n');
    const page = execFileSync(...inHost(['curl', '-sS', '-m', '60', `http://${CONTAINER_IP}:8080/index.html`]), { encoding: 'utf8', timeout: 90_000 });
    expect(page).toBe('from-the-container\n');
    expect(ip('-n', CONTAINER_NS, '-o', '-4', 'addr', 'show', 'dev', 'eth0')).toBe('');
    const ping = execFileSync(...inHost(['ping', '-c', '1', '-W', '5', CONTAINER_IP]), { encoding: 'utf8', timeout: 30_000 });
    expect(ping).toMatch(/1 received/);
  }, 180_000);

  it('with a network namespace but no path, the sandbox has its own: a prestart hook moves a veth into it, and the sandbox takes it', async () => {
    const hook = join(dir, 'setkey.sh');
    writeFileSync(
      hook,
      [
        '#!/bin/sh',
        'set -e',
        `pid=$(sed -n 's/.*"pid":\\([0-9]*\\).*/\\1/p')`,
        'ip link set vc2 netns "$pid"',
        `nsenter --net=/proc/$pid/ns/net sh -c 'ip link set vc2 name eth0 && ip addr add ${HOOK_CONTAINER_IP}/24 dev eth0 && ip link set eth0 up && ip route add default via ${HOOK_HOST_IP}'`,
      ].join('\n') + '\n',
      { mode: 0o755 },
    );
    const b = bundle(
      join(dir, 'bundle-hook'),
      [
        'sh',
        '-c',
        `wget -q -O - http://${HOOK_HOST_IP}:8001/hello.txt && mkdir /www && echo hooked > /www/index.html && httpd -p 8080 -h /www && echo ready && exec sleep 600`,
      ],
      (s) => {
        s.linux = { namespaces: [{ type: 'pid' }, { type: 'network' }, { type: 'mount' }] };
        s.hooks = { prestart: [{ path: hook, env: ['PATH=/usr/sbin:/usr/bin:/sbin:/bin'] }] };
      },
    );
    const run = await startInHost([process.execPath, RUNSC, '--root', join(dir, 'state'), 'run', '--bundle', b, `hook${process.pid}`], 'ready');
    expect(run.out()).toContain('from-the-host\n');
    const page = execFileSync(...inHost(['curl', '-sS', '-m', '60', `http://${HOOK_CONTAINER_IP}:8080/index.html`]), { encoding: 'utf8', timeout: 90_000 });
    expect(page).toBe('hooked\n');
    // The veth left the test's namespace for the sandbox's (not the host's root namespace).
    expect(ip('-n', HOST_NS, '-o', 'link', 'show')).not.toContain('vc2');
    await stop(run.child);
  }, 180_000);
});
