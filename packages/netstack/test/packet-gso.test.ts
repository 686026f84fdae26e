// An AF_PACKET link (PacketEndpoint) on a veth whose other end keeps its
// offloads, as runsc do -network=sandbox leaves it: the host kernel hands
// over whole GSO segments with partial checksums, which the endpoint learns
// of from each frame's virtio_net_hdr, and takes the stack's own TCP
// segments larger than the MTU to cut up itself. Both namespaces are made
// (and deleted) by this test; traffic stays on that private link.

import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AF, SOCK } from '../src/abi.js';
import { Stack } from '../src/stack/stack.js';
import { RealClock } from '../src/time/real-clock.js';
import { createSocket } from '../src/socket/factory.js';
import { PacketEndpoint } from '../src/tap.js';
import { acceptAsync, readToEnd, writeAll } from './async-socket.js';

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasTools = ['ip', 'python3'].every((t) => {
  try {
    execFileSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
});
const skip = !isRoot || !hasTools;
if (skip) console.warn('packet-gso: skipped (needs root, ip and python3)');

const HOST_NS = `tvgh${process.pid}`;
const STACK_NS = `tvgs${process.pid}`;
const HOST4 = '10.214.0.1';
const STACK4 = '10.214.0.2';
const BYTES = 8 << 20;

function sh(args: string[]): string {
  return execFileSync(args[0], args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe.skipIf(skip)('AF_PACKET link with segmentation offload on both ends', () => {
  let stack: Stack;
  let link: PacketEndpoint;

  beforeAll(() => {
    sh(['ip', 'netns', 'add', HOST_NS]);
    sh(['ip', 'netns', 'add', STACK_NS]);
    sh(['ip', '-n', HOST_NS, 'link', 'add', 'v0', 'type', 'veth', 'peer', 'name', 'v1', 'netns', STACK_NS]);
    sh(['ip', '-n', HOST_NS, 'addr', 'add', `${HOST4}/24`, 'dev', 'v0']);
    sh(['ip', '-n', STACK_NS, 'link', 'set', 'v1', 'addrgenmode', 'none']);
    sh(['ip', '-n', HOST_NS, 'link', 'set', 'v0', 'up']);
    sh(['ip', '-n', STACK_NS, 'link', 'set', 'v1', 'up']);
    link = new PacketEndpoint('v1', { netns: `/run/netns/${STACK_NS}` });
    stack = new Stack({ clock: new RealClock() });
    stack.addAddress(stack.addNic(link, 'eth0'), `${STACK4}/24`);
  });

  afterAll(() => {
    stack?.close();
    for (const ns of [HOST_NS, STACK_NS]) spawnSyncQuiet(['ip', 'netns', 'del', ns]);
  });

  it('takes the host TCP sender GSO segments whole, checksums left to the offload, and the data arrives intact', async () => {
    const listener = createSocket(stack, AF.INET, SOCK.STREAM);
    listener.bind({ family: AF.INET, addr: STACK4, port: 9100 });
    listener.listen(4);
    // The sender makes its bytes from a seed, so the expected hash needs no file.
    const py =
      `import socket,hashlib\nb=bytes((i*131+7)&255 for i in range(1<<16))*${BYTES >> 16}\n` +
      `print(hashlib.sha256(b).hexdigest(),flush=True)\ns=socket.create_connection(("${STACK4}",9100))\ns.sendall(b)\ns.close()`;
    const child = spawn('ip', ['netns', 'exec', HOST_NS, 'python3', '-c', py], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const conn = await acceptAsync(listener);
    const h = createHash('sha256');
    const got = await readToEnd(conn, (d) => h.update(d));
    conn.close();
    listener.close();
    expect(await exited, err).toBe(0);
    expect(got).toBe(BYTES);
    expect(h.digest('hex')).toBe(out.trim());
    // GSO: frames larger than the 1500-byte MTU (plus the Ethernet header) came through.
    expect(link.stats.rxLargest).toBeGreaterThan(1514);
  }, 120_000);

  it('sends TCP segments larger than the MTU for the host to cut (GSO), and the host receives the data intact', async () => {
    const blob = new Uint8Array(BYTES);
    for (let i = 0; i < blob.length; i++) blob[i] = (i * 131 + 7) & 255;
    const listener = createSocket(stack, AF.INET, SOCK.STREAM);
    listener.bind({ family: AF.INET, addr: STACK4, port: 9101 });
    listener.listen(4);
    const py =
      `import socket,hashlib\ns=socket.create_connection(("${STACK4}",9101))\nh=hashlib.sha256()\nn=0\n` +
      `while True:\n  d=s.recv(1<<20)\n  if not d: break\n  h.update(d); n+=len(d)\nprint(n, h.hexdigest())`;
    const child = spawn('ip', ['netns', 'exec', HOST_NS, 'python3', '-c', py], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    const conn = await acceptAsync(listener);
    await writeAll(conn, blob);
    conn.close();
    listener.close();
    expect(await exited, err).toBe(0);
    expect(out.trim()).toBe(`${BYTES} ${createHash('sha256').update(blob).digest('hex')}`);
    expect(link.stats.txLargest).toBeGreaterThan(1514);
    expect(link.stats.txDropped).toBe(0);
  }, 120_000);
});

function spawnSyncQuiet(args: string[]): void {
  try {
    execFileSync(args[0], args.slice(1), { stdio: 'ignore' });
  } catch {
    // already gone
  }
}
