// The node:net facade (@tvisor/netstack/net) against node:net itself: the
// same client/server scripts run once over Linux loopback with node:net and
// once between two stacks over an in-memory link with the facade, and must
// tell the same story (events, bytes, errors).
import { createHash } from 'node:crypto';
import * as nodeNet from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ChannelPair, RealClock, Stack } from '../src/index.js';
import { createNet, type NetApi } from '../src/net.js';

// The facade stands in for node:net, so the scripts are typed against node:net.
type Net = typeof nodeNet;
const asNet = (api: NetApi): Net => api as unknown as Net;
/** One side of a scenario: the net module to use and the address the server listens on. */
interface World {
  net: Net;
  serverHost: string;
  clientNet: Net;
  close(): void;
}

function linuxWorld(): World {
  return { net: nodeNet, clientNet: nodeNet, serverHost: '127.0.0.1', close: () => {} };
}

function stackWorld(): World {
  const clock = new RealClock();
  const wire = new ChannelPair(clock, { mtu: 9000 });
  const server = new Stack({ clock });
  server.addAddress(server.addNic(wire.a), '10.0.0.1/24');
  const client = new Stack({ clock });
  client.addAddress(client.addNic(wire.b), '10.0.0.2/24');
  return {
    net: asNet(createNet(server)),
    clientNet: asNet(createNet(client)),
    serverHost: '10.0.0.1',
    close: () => {
      server.close();
      client.close();
    },
  };
}

const worlds: World[] = [];
afterEach(() => {
  for (const w of worlds.splice(0)) w.close();
});
function both(): [World, World] {
  const pair: [World, World] = [linuxWorld(), stackWorld()];
  worlds.push(...pair);
  return pair;
}

/** Events a socket emits, consecutive 'data' collapsed, with the bytes it read. */
function record(socket: nodeNet.Socket) {
  const events: string[] = [];
  const chunks: Buffer[] = [];
  const push = (e: string) => {
    if (events[events.length - 1] !== e) events.push(e);
  };
  socket.on('connect', () => push('connect'));
  socket.on('data', (d: Buffer) => {
    chunks.push(d);
    push('data');
  });
  socket.on('end', () => push('end'));
  socket.on('error', (e: NodeJS.ErrnoException) => push(`error ${e.code}`));
  const closed = new Promise<void>((resolve) =>
    socket.on('close', (hadError: boolean) => {
      push(`close ${hadError}`);
      resolve();
    }),
  );
  return { events, data: () => Buffer.concat(chunks), closed };
}

function listen(w: World, server: nodeNet.Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, w.serverHost, () => resolve((server.address() as nodeNet.AddressInfo).port));
  });
}

async function echo(w: World) {
  let serverSide!: ReturnType<typeof record>;
  const server = w.net.createServer((s: nodeNet.Socket) => {
    serverSide = record(s);
    s.pipe(s);
  });
  const port = await listen(w, server);
  const client = w.clientNet.connect({ port, host: w.serverHost });
  const c = record(client);
  let remoteIsServer = false;
  client.on('connect', () => (remoteIsServer = client.remoteAddress === w.serverHost && client.remotePort === port && client.remoteFamily === 'IPv4'));
  client.setNoDelay(true).setKeepAlive(true, 5000);
  client.write('hello ');
  client.end('world');
  await c.closed;
  await serverSide.closed;
  const addr = server.address() as nodeNet.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { client: c.events, got: c.data().toString(), server: serverSide.events, family: addr.family, portMatches: addr.port === port, remoteIsServer };
}

async function halfClose(w: World) {
  const server = w.net.createServer({ allowHalfOpen: true }, (s: nodeNet.Socket) => {
    let n = 0;
    s.on('data', (d: Buffer) => (n += d.length));
    s.on('end', () => {
      s.write(`got ${n} bytes; `);
      setImmediate(() => s.end('bye'));
    });
  });
  const port = await listen(w, server);
  // Constructed, then connected by port and host, as node:net allows.
  const client = new w.clientNet.Socket({ allowHalfOpen: true }).connect(port, w.serverHost);
  const c = record(client);
  client.end('x'.repeat(1000));
  await c.closed;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { client: c.events, got: c.data().toString() };
}

async function refused(w: World) {
  // A port nobody listens on: bind one, note it, close it.
  const probe = w.net.createServer();
  const port = await listen(w, probe);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  const client = w.clientNet.connect(port, w.serverHost);
  const c = record(client);
  const err = await new Promise<NodeJS.ErrnoException & { address?: string; port?: number }>((resolve) => client.once('error', resolve));
  await c.closed;
  return {
    events: c.events,
    code: err.code,
    errno: err.errno,
    syscall: err.syscall,
    message: err.message.replace(w.serverHost, 'HOST').replace(String(port), 'PORT'),
    address: err.address === w.serverHost,
    port: err.port === port,
  };
}

async function addressInUse(w: World) {
  const first = w.net.createServer();
  const port = await listen(w, first);
  const second = w.net.createServer();
  const err = await listen(w, second, port).then(
    () => undefined,
    (e: NodeJS.ErrnoException) => e,
  );
  await new Promise<void>((resolve) => first.close(() => resolve()));
  return { code: err?.code, errno: err?.errno, syscall: err?.syscall, message: err?.message.replace(w.serverHost, 'HOST').replace(String(port), 'PORT') };
}

async function largeTransfer(w: World) {
  const size = 4 * 1024 * 1024 + 17;
  const payload = Buffer.alloc(size);
  for (let i = 0, x = 12345; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    payload[i] = x >>> 24;
  }
  const server = w.net.createServer((s: nodeNet.Socket) => {
    const hash = createHash('sha256');
    let n = 0;
    s.on('data', (d: Buffer) => {
      hash.update(d);
      n += d.length;
    });
    s.on('end', () => s.end(`${n} ${hash.digest('hex')}`));
  });
  const port = await listen(w, server);
  const client = w.clientNet.connect({ port, host: w.serverHost });
  const c = record(client);
  // In pieces, as an application writes, honouring backpressure.
  for (let off = 0; off < size; off += 100_000) {
    if (!client.write(payload.subarray(off, off + 100_000))) await new Promise((r) => client.once('drain', r));
  }
  client.end();
  await c.closed;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { events: c.events, reply: c.data().toString(), expected: `${size} ${createHash('sha256').update(payload).digest('hex')}` };
}

/** end() before the handshake finished, nothing written; and a server that destroys at once. */
async function earlyEndAndServerDestroy(w: World) {
  const serverEvents: string[][] = [];
  let n = 0;
  const server = w.net.createServer((s: nodeNet.Socket) => {
    const r = record(s);
    serverEvents.push(r.events);
    if (n++ === 1) s.destroy();
  });
  const port = await listen(w, server);
  const first = w.clientNet.connect({ port, host: w.serverHost });
  const a = record(first);
  first.end();
  await a.closed;
  const second = w.clientNet.connect({ port, host: w.serverHost });
  const b = record(second);
  await b.closed;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { ended: a.events, destroyedByServer: b.events, server: serverEvents };
}

/** An idle connection with setTimeout: 'timeout' comes, the socket stays open until destroyed. */
async function idleTimeout(w: World) {
  const server = w.net.createServer((s: nodeNet.Socket) => s.resume());
  const port = await listen(w, server);
  const client = w.clientNet.connect({ port, host: w.serverHost });
  const c = record(client);
  const events = await new Promise<string[]>((resolve) => {
    client.setTimeout(50, () => {
      const seen = [...c.events, `timeout open=${!client.destroyed}`];
      client.setTimeout(0);
      client.destroy();
      resolve(seen);
    });
  });
  await c.closed;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return { events, after: c.events };
}

describe('node:net facade against node:net on loopback', () => {
  it('echo: events, bytes, addresses', async () => {
    const [linux, stack] = both();
    const want = await echo(linux);
    expect(want).toMatchObject({ got: 'hello world', portMatches: true, remoteIsServer: true });
    expect(await echo(stack)).toEqual(want);
  });

  it('half-close: the server answers after the client finished sending', async () => {
    const [linux, stack] = both();
    const want = await halfClose(linux);
    expect(want.got).toBe('got 1000 bytes; bye');
    expect(await halfClose(stack)).toEqual(want);
  });

  it('refused connection: ECONNREFUSED as node:net reports it', async () => {
    const [linux, stack] = both();
    const want = await refused(linux);
    expect(want).toMatchObject({ code: 'ECONNREFUSED', syscall: 'connect', address: true, port: true });
    expect(await refused(stack)).toEqual(want);
  });

  it('listen on a port in use: EADDRINUSE as node:net reports it', async () => {
    const [linux, stack] = both();
    const want = await addressInUse(linux);
    expect(want).toMatchObject({ code: 'EADDRINUSE', syscall: 'listen' });
    expect(await addressInUse(stack)).toEqual(want);
  });

  it('end() while connecting sends FIN; a server-side destroy ends the client', async () => {
    const [linux, stack] = both();
    const want = await earlyEndAndServerDestroy(linux);
    expect(want.ended).toEqual(['connect', 'end', 'close false']);
    expect(await earlyEndAndServerDestroy(stack)).toEqual(want);
  });

  it('setTimeout: an idle socket gets timeout and stays open', async () => {
    const [linux, stack] = both();
    const want = await idleTimeout(linux);
    expect(want.events).toEqual(['connect', 'timeout open=true']);
    expect(await idleTimeout(stack)).toEqual(want);
  });

  it('large transfer with backpressure arrives whole (sha256)', async () => {
    const [linux, stack] = both();
    const want = await largeTransfer(linux);
    expect(want.reply).toBe(want.expected);
    expect(await largeTransfer(stack)).toEqual(want);
  }, 120_000);
});
