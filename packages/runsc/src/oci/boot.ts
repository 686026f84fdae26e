/**
 * `runsc boot` (internal): the sandbox process `create` starts. It builds
 * the kernel on the bundle's rootfs, loads the container's init and holds
 * it until `start`, serves the control socket, forwards the signals it gets
 * to init, and exits with init's exit status (128+N for signal N), so a
 * shim waiting on this pid sees the container's.
 */
import { closeSync, writeSync } from 'node:fs';
import { Signal, SysError, strerror } from '@tvisor/abi';
import {
  Devpts,
  registerTunDevice,
  Kernel,
  MemoryFilePages,
  createCgroupfs,
  hostIsatty,
  hostSetControllingTerminal,
  createProcfs,
  createSysfs,
  exitCodeOf,
  linux64SyscallTable,
  sendKill,
  spawnInit,
  spawnProcess,
  capabilitySetFromNames,
  newCredentials,
  type CapabilitySets,
  type ThreadGroup,
} from '@tvisor/kernel';
import { MemoryFile } from '@tvisor/mm';
import type { Platform } from '@tvisor/platform';
import { createPlatform, type PlatformName } from '../platforms.js';
import { ROOT_CREDENTIALS } from '@tvisor/vfs';
import { buildRootFilesystem, mountDevpts, mountKernelFilesystems } from '../rootfs.js';
import { Console } from '../console.js';
import { commandLine } from '../command-line.js';
import { forwardSignals } from '../signal-forwarding.js';
import { takeNamespaceInterfaces } from '../sandbox-network.js';
import { serveControl, type ControlCall } from './control.js';
import { UserError } from './errors.js';
import { log } from './log.js';
import { applyMounts, applyPathRestrictions } from './mounts.js';
import { parseOverlay2 } from './overlay.js';
import { applyProcessAttributes } from './process-attributes.js';
import { checkRunnable, loadSpec, wantsOwnNetns } from './spec.js';
import { applySysctls } from './sysctl.js';
import { controlSocketPath, loadState, saveState } from './state.js';

export interface BootOptions {
  root: string;
  id: string;
  bundle: string;
  /** Where `create` waits for "ready" or an error line. */
  readyFd: number;
  strace: boolean;
  /** The platform that runs the container (the --platform create was given). */
  platform?: PlatformName;
  /** --overlay2 (none, root:memory, all:memory, ...). */
  overlay2: string;
}

/** The kernel credentials of a spec's process: its user, and process.capabilities' sets when given (exec then applies capabilities(7)). */
function credsOf(user: { uid: number; gid: number; additionalGids?: number[] }, caps?: Partial<Record<keyof CapabilitySets, string[]>>) {
  const sets = caps && Object.fromEntries(Object.entries(caps).map(([k, names]) => [k, capabilitySetFromNames(names ?? [])]));
  return newCredentials(user.uid, user.gid, user.additionalGids ?? [], sets);
}

export async function runBoot(opts: BootOptions): Promise<number> {
  const ready = (msg: string) => {
    try {
      writeSync(opts.readyFd, msg + '\n');
      closeSync(opts.readyFd);
    } catch {
      // create is gone: nobody to tell.
    }
  };
  let kernel: Kernel;
  let init: ThreadGroup;
  let platform: Platform | undefined;
  let console: Console | undefined;
  let devpts: Devpts;
  let ownNetns = false;
  try {
    const spec = loadSpec(opts.bundle);
    ownNetns = wantsOwnNetns(spec);
    const { rootfs } = checkRunnable(spec, opts.bundle);
    const proc = spec.process!;
    const memoryFile = MemoryFile.create('tvisor-memory');
    platform = createPlatform(opts.platform ?? 'ptrace', memoryFile);
    const filePages = new MemoryFilePages(memoryFile);
    const overlay = parseOverlay2(opts.overlay2);
    // A read-only root is that, overlay or not (gVisor: no overlay on a read-only root).
    const readOnlyRoot = spec.root?.readonly === true;
    const root = buildRootFilesystem({ hostRoot: rootfs, overlay: overlay.root && !readOnlyRoot, writeThrough: !readOnlyRoot, pages: filePages });
    applyMounts(root.vfs, spec, overlay, filePages);
    kernel = new Kernel({
      platform,
      syscalls: linux64SyscallTable(),
      memoryFile,
      root,
      filePages,
      uname: spec.hostname ? { nodename: spec.hostname } : {},
      // A container's init is its PID namespace's: unhandled SIGTERM/SIGINT do nothing (runc, gVisor).
      namespaceInit: true,
      commandLine: commandLine(),
      strace: opts.strace ? (line) => log('info', line) : undefined,
    });
    mountKernelFilesystems(root, { proc: createProcfs(kernel), sys: createSysfs(), cgroup: createCgroupfs(kernel) });
    // Before readonlyPaths make /proc/sys read-only, as runc orders it.
    applySysctls(root.vfs, spec.linux?.sysctl);
    applyPathRestrictions(root.vfs, spec);
    kernel.onInternalError = (text) => log('error', text);
    // The container's network namespace (docker's, podman's): its interfaces become the sandbox stack's.
    const netns = spec.linux?.namespaces?.find((n) => n.type === 'network')?.path;
    if (netns) {
      for (const t of takeNamespaceInterfaces(kernel, netns, (m) => log('warning', m)))
        log('info', `network: took ${t.name} (${t.addresses.join(', ') || 'no address'}; routes ${JSON.stringify(t.routes)}) from ${netns}`);
    }
    const creds = credsOf(proc.user, proc.capabilities);
    try {
      root.vfs.resolveDirectory({ ...root.vfs.context(ROOT_CREDENTIALS) }, proc.cwd);
    } catch (e) {
      throw new UserError(`cwd ${proc.cwd}: ${e instanceof SysError ? strerror(e.errno) : String(e)}`);
    }
    devpts = new Devpts(kernel);
    registerTunDevice(kernel);
    mountDevpts(root, devpts);
    // process.terminal: our fds 0-2 are the host pty's replica (its master went
    // to the console socket). As with `runsc do` on a terminal, the app gets a
    // sentry terminal attached to it, so its line discipline and job control
    // are the sandbox's own.
    console = proc.terminal && hostIsatty(0) ? Console.attach(kernel, devpts, 0, 1) : undefined;
    // The replica as our controlling terminal: the client's resizes (on the
    // master) then reach us as SIGWINCH, and the console copies them in.
    if (console && hostSetControllingTerminal(0)) console.copyWindowSize();
    const replica = console?.openReplica();
    replica?.incRef();
    replica?.incRef();
    try {
      init = spawnInit(kernel, {
        argv: proc.args!,
        envp: proc.env ?? [],
        cwd: proc.cwd,
        creds,
        umask: proc.user.umask,
        stdio: replica ? [replica, replica, replica] : undefined,
      });
      console?.makeControlling(init);
      applyProcessAttributes(init, proc);
    } catch (e) {
      console?.close();
      if (e instanceof SysError) throw new UserError(`exec ${JSON.stringify(proc.args![0])}: ${strerror(e.errno)}`);
      throw e;
    }
  } catch (e) {
    platform?.shutdown();
    const msg = e instanceof UserError ? e.message : String(e);
    log('error', msg);
    ready(`error ${msg}`);
    return 1;
  }

  let started = false;
  const waiters: ((code: number) => void)[] = [];
  let exitCode: number | undefined;
  // After a signal the run loop must look again: one that killed the last
  // running task leaves a loop waiting for a wake-up nothing else would send.
  const signal = (g: ThreadGroup, sig: number) => {
    sendKill(kernel, g, sig);
    kernel.wakeRunLoop();
  };
  forwardSignals(kernel, {
    ready: () => started,
    // With a console, a resize is the sandbox terminal's to announce.
    override: console ? { [Signal.SIGWINCH]: () => console!.copyWindowSize() } : {},
    // A second SIGINT/SIGTERM to the sandbox process after the grace period: the container ends.
    forceExit: () => signal(init, Signal.SIGKILL),
  });

  const handle = (call: ControlCall) => {
    const { request: req } = call;
    const done = (r: object) => {
      call.reply(r);
      call.end();
    };
    switch (req.op) {
      case 'start':
        if (started) return done({ error: 'container is already started' });
        if (ownNetns) {
          // What the hooks put in our namespace (docker's veth) is the sandbox's now.
          try {
            for (const t of takeNamespaceInterfaces(kernel, `/proc/${process.pid}/ns/net`, (m) => log('warning', m), { peers: false }))
              log('info', `network: took ${t.name} (${t.addresses.join(', ') || 'no address'}; routes ${JSON.stringify(t.routes)})`);
          } catch (e) {
            return done({ error: e instanceof Error ? e.message : String(e) });
          }
        }
        started = true;
        setState('running');
        // The control socket and forwarded signals need Node's event loop to
        // turn while the app runs: count it as a host wait for the run loop.
        kernel.hostWaits++;
        void kernel.run().then((status) => {
          exitCode = exitCodeOf(status);
          setState('stopped', exitCode);
          for (const w of waiters) w(exitCode);
          server.close();
          process.exit(exitCode);
        });
        return done({ ok: true });
      case 'kill': {
        const sig = req.signal ?? Signal.SIGTERM;
        if (!started) {
          // A created container has not run a thing: any signal that would kill it ends the sandbox.
          if (sig === 0) return done({ ok: true });
          setState('stopped', 128 + sig);
          done({ ok: true });
          setImmediate(() => process.exit(128 + sig));
          return;
        }
        const groups = req.all ? [...new Set([...kernel.tasks.values()].map((t) => t.group))] : [init];
        for (const g of groups) if (g.exitStatus === undefined) signal(g, sig);
        // SIGKILL ends a paused container too (runc's kill does so): the kernel runs again to deliver it.
        if (sig === Signal.SIGKILL && kernel.frozen) {
          kernel.thaw();
          setState('running');
        }
        return done({ ok: true });
      }
      case 'wait':
        if (exitCode !== undefined) return done({ exit: exitCode });
        waiters.push((code) => done({ exit: code }));
        return;
      case 'ps': {
        const groups = [...new Set([...kernel.tasks.values()].map((t) => t.group))];
        return done({
          pids: groups
            .sort((a, b) => a.pid - b.pid)
            .map((g) => ({
              pid: g.pid,
              ppid: g.parent?.pid ?? 0,
              uid: g.creds.uid,
              cmd: g.name,
              state: kernel.frozen || g.jobStop.state !== 'running' ? 'T' : 'R',
            })),
        });
      }
      case 'pause':
        if (!started) return done({ error: 'container is not running' });
        // The whole kernel stops where it is, as gVisor's pause does: no signal the app could see.
        void kernel.freeze().then(() => {
          setState('paused');
          done({ ok: true });
        });
        return;
      case 'resume':
        if (!started) return done({ error: 'container is not running' });
        kernel.thaw();
        setState('running');
        return done({ ok: true });
      case 'stats': {
        const mem = process.memoryUsage();
        return done({ stats: { pids: kernel.tasks.size, sentryRss: mem.rss, heapUsed: mem.heapUsed } });
      }
      case 'exec': {
        const p = req.process;
        if (!p || p.args.length === 0) {
          for (const f of call.fds) closeSync(f);
          return done({ error: 'exec: no command given' });
        }
        if (!started) return done({ error: 'cannot exec in a container that has not started' });
        const stdio = [call.fds[0] ?? 0, call.fds[1] ?? call.fds[0] ?? 1, call.fds[2] ?? call.fds[1] ?? 2];
        let group: ThreadGroup;
        try {
          kernel.root.vfs.resolveDirectory({ ...kernel.root.vfs.context(ROOT_CREDENTIALS) }, p.cwd);
        } catch (e) {
          for (const f of call.fds) closeSync(f);
          return done({ error: `cwd ${p.cwd}: ${e instanceof SysError ? strerror(e.errno) : String(e)}` });
        }
        // exec -t: the fd is a host pty (its master went to the client's console socket). As for
        // init, the process gets a sandbox terminal on it, so Ctrl-C is the sandbox's line discipline's.
        const execConsole = p.terminal && hostIsatty(stdio[0]) ? Console.attach(kernel, devpts, stdio[0], stdio[0], true) : undefined;
        const replica = execConsole?.openReplica();
        replica?.incRef();
        replica?.incRef();
        try {
          group = spawnProcess(kernel, { argv: p.args, envp: p.env, cwd: p.cwd, creds: credsOf(p), stdio: replica ? [replica, replica, replica] : stdio });
        } catch (e) {
          execConsole?.close();
          for (const f of call.fds) closeSync(f);
          return done({ error: `exec ${JSON.stringify(p.args[0])}: ${e instanceof SysError ? strerror(e.errno) : String(e)}` });
        }
        // Its own session (no parent): the terminal is its controlling one, its group in the foreground.
        execConsole?.makeControlling(group);
        group.onExit = (status) => {
          execConsole?.close();
          for (const f of call.fds) closeSync(f);
          done({ exit: exitCodeOf(status) });
        };
        call.reply({ ok: true, pid: group.pid });
        return;
      }
      default:
        return done({ error: `unknown request ${String(req.op)}` });
    }
  };

  const setState = (status: 'running' | 'paused' | 'stopped', code?: number) => {
    try {
      const state = loadState(opts.root, opts.id);
      state.status = status;
      if (code !== undefined) state.exitStatus = code;
      saveState(opts.root, state);
    } catch {
      // Deleted meanwhile (delete --force): nothing to record.
    }
  };

  const server = await serveControl(controlSocketPath(opts.root, opts.id), handle);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  ready('ready');
  // Start-up cost, from this process's start (--debug-log shows where a container's start-up time goes).
  log('debug', `boot: ready ${performance.now().toFixed(0)} ms after the sandbox process started`);
  // Held until start: the event loop (the control socket) keeps the process alive.
  return new Promise<number>(() => {});
}
