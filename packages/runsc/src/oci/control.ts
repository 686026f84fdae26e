/**
 * The sandbox's control socket (`<root>/<id>/control.sock`): one request per
 * connection, a JSON line sent with sendmsg (fds attached for exec), answered
 * by JSON lines. The sandbox obeys only callers with its own uid, or root
 * (SO_PEERCRED).
 */
import { closeSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import type * as Unix from '../native/unix.js';
import { builtinModule } from '../builtin-module.js';
import { UserError } from './errors.js';

export interface ControlRequest {
  op: 'start' | 'kill' | 'exec' | 'ps' | 'pause' | 'resume' | 'wait' | 'stats';
  signal?: number;
  all?: boolean;
  process?: ExecProcess;
}

export interface ExecProcess {
  args: string[];
  env: string[];
  cwd: string;
  uid: number;
  gid: number;
  additionalGids?: number[];
  /** The stdio fd passed is a host tty: the process gets a sandbox terminal on it (exec -t). */
  terminal?: boolean;
}

export interface ControlReply {
  ok?: boolean;
  error?: string;
  /** Exit status (shell style: 128+N for signal N) of the process waited for. */
  exit?: number;
  pid?: number;
  pids?: { pid: number; ppid: number; uid: number; cmd: string; state: string }[];
  stats?: Record<string, unknown>;
}

/** One request being served: `reply` may be called more than once (exec: started, then exited). */
export interface ControlCall {
  request: ControlRequest;
  fds: number[];
  reply(r: ControlReply): void;
  end(): void;
}

function fdOf(sock: Socket): number {
  return (sock as unknown as { _handle: { fd: number } })._handle.fd;
}

/** Waits (blocking, briefly) for a request's bytes; the client sends its line right after connecting. */
function readRequest(recvWithFds: typeof Unix.recvWithFds, fd: number): { line: string; fds: number[] } {
  let text = '';
  const fds: number[] = [];
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  const deadline = Date.now() + 5000;
  while (!text.includes('\n')) {
    const r = recvWithFds(fd, 65536);
    if (typeof r === 'number') {
      if (r === -11 /* EAGAIN */ && Date.now() < deadline) {
        Atomics.wait(sleeper, 0, 0, 1);
        continue;
      }
      break;
    }
    if (r.data.length === 0) break;
    text += Buffer.from(r.data).toString();
    fds.push(...r.fds);
  }
  return { line: text.split('\n')[0], fds };
}

/** Serves requests on `path` until the returned server is closed. */
export async function serveControl(path: string, handle: (call: ControlCall) => void): Promise<Server> {
  // koffi is loaded by the commands that pass fds, not by state or list.
  const { peerCredentials, recvWithFds } = await import('../native/unix.js');
  // node:net is loaded by the commands that talk to a sandbox, not by state or delete.
  const server = builtinModule('node:net').createServer({ pauseOnConnect: true }, (sock) => {
    sock.on('error', () => {});
    const fd = fdOf(sock);
    const peer = peerCredentials(fd);
    const { line, fds } = readRequest(recvWithFds, fd);
    sock.resume();
    sock.on('data', () => {});
    const call: ControlCall = {
      request: {} as ControlRequest,
      fds,
      reply: (r) => {
        if (!sock.destroyed) sock.write(JSON.stringify(r) + '\n');
      },
      end: () => sock.end(),
    };
    if (peer.uid !== 0 && peer.uid !== process.getuid!()) {
      for (const f of fds) closeSync(f);
      call.reply({ error: `permission denied: uid ${peer.uid} may not control this sandbox` });
      call.end();
      return;
    }
    try {
      call.request = JSON.parse(line) as ControlRequest;
    } catch {
      for (const f of fds) closeSync(f);
      call.reply({ error: 'malformed control request' });
      call.end();
      return;
    }
    handle(call);
  });
  server.listen(path);
  return server;
}

/**
 * Sends one request (with `fds` attached) and calls `onReply` for each reply
 * line until the sandbox ends the connection; resolves then.
 */
export async function callControl(
  path: string,
  request: ControlRequest,
  fds: number[] = [],
  onReply: (r: ControlReply) => void = () => {},
): Promise<ControlReply | undefined> {
  // koffi (sendmsg with SCM_RIGHTS) only when there are fds to pass: start, kill, state... write plain bytes.
  const sendWithFds = fds.length > 0 ? (await import('../native/unix.js')).sendWithFds : undefined;
  return new Promise((resolve, reject) => {
    const sock = builtinModule('node:net').createConnection(path);
    let last: ControlReply | undefined;
    let buf = '';
    sock.on('error', (e: NodeJS.ErrnoException) => reject(new UserError(`sandbox is not reachable (${e.code ?? e.message})`)));
    sock.on('connect', () => {
      const line = Buffer.from(JSON.stringify(request) + '\n');
      if (sendWithFds) sendWithFds(fdOf(sock), line, fds);
      else sock.write(line);
    });
    sock.on('data', (d) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const r = JSON.parse(buf.slice(0, nl)) as ControlReply;
        buf = buf.slice(nl + 1);
        last = r;
        onReply(r);
      }
    });
    sock.on('close', () => resolve(last));
  });
}
