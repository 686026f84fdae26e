import { EPOLL, EPOLL_CTL, Errno, POLL, SysError } from '@tvisor/abi';
import { decodeTimespec, type Nanos } from '../clock.js';
import { createEpoll, EpollImpl, epollCanWatch } from '../events/epoll.js';
import { waitForReadiness } from '../events/wait.js';
import type { Task } from '../task.js';
import { readSigmask, withSigmask } from './poll.js';
import type { SyscallTable } from '../syscall-table.js';

/** struct epoll_event is packed on x86-64: u32 events, u64 data. */
const EPOLL_EVENT_SIZE = 12;
/** EP_MAX_EVENTS: INT_MAX / sizeof(struct epoll_event). */
const MAX_EVENTS = Math.floor(0x7fff_ffff / EPOLL_EVENT_SIZE);

function create(t: Task, flags: number): number {
  if (flags & ~EPOLL.CLOEXEC) throw new SysError(Errno.EINVAL);
  return t.group.fds.add(createEpoll(0), (flags & EPOLL.CLOEXEC) !== 0);
}

function ctl(t: Task, epfd: number, op: number, fd: number, eventAddr: number): number {
  let events = 0;
  let data = 0n;
  if (op !== EPOLL_CTL.DEL) {
    const b = t.mm.copyIn(eventAddr, EPOLL_EVENT_SIZE);
    const v = new DataView(b.buffer, b.byteOffset, EPOLL_EVENT_SIZE);
    events = v.getUint32(0, true);
    data = v.getBigUint64(4, true);
  }
  const epFile = t.group.fds.get(epfd);
  const target = t.group.fds.get(fd);
  if (!epollCanWatch(target)) throw new SysError(Errno.EPERM);
  if (!(epFile.impl instanceof EpollImpl) || epFile === target) throw new SysError(Errno.EINVAL);
  // EPOLLWAKEUP needs CAP_BLOCK_SUSPEND and has no meaning here: dropped, as Linux does without the capability.
  epFile.impl.control(op, target, fd, events & ~EPOLL.WAKEUP, data);
  return 0;
}

function wait(t: Task, epfd: number, eventsAddr: number, max: number, timeout: Nanos | undefined, mask: bigint | undefined): number {
  if (max <= 0 || max > MAX_EVENTS) throw new SysError(Errno.EINVAL);
  const file = t.group.fds.get(epfd);
  const ep = file.impl;
  if (!(ep instanceof EpollImpl)) throw new SysError(Errno.EINVAL);
  // epoll_wait and epoll_pwait fail with EINTR when a handler ran: never restarted (signal(7)).
  return withSigmask(t, mask, -Errno.EINTR, (onDone) =>
    waitForReadiness(t, {
      sources: [[file, POLL.IN]],
      check: () => {
        const ready = ep.harvest(max);
        if (ready.length === 0) return 0;
        const out = new Uint8Array(ready.length * EPOLL_EVENT_SIZE);
        const v = new DataView(out.buffer);
        ready.forEach((e, i) => {
          v.setUint32(i * EPOLL_EVENT_SIZE, e.events, true);
          v.setBigUint64(i * EPOLL_EVENT_SIZE + 4, e.data, true);
        });
        t.mm.copyOut(eventsAddr, out);
        return ready.length;
      },
      timeout,
      onTimeout: () => 0,
      interrupted: -Errno.EINTR,
      onDone,
    }),
  );
}

function msTimeout(ms: number): Nanos | undefined {
  return ms < 0 ? undefined : BigInt(ms) * 1_000_000n;
}

function optionalMask(t: Task, addr: number, size: number): bigint | undefined {
  return addr === 0 ? undefined : readSigmask(t, addr, size);
}

/** The epoll family (epoll(7)). */
export function registerEpollSyscalls(table: SyscallTable): void {
  table.register({
    epoll_create: {
      args: ['int'],
      handler: (t, a) => {
        if (a.argInt(0) <= 0) throw new SysError(Errno.EINVAL);
        return create(t, 0);
      },
    },
    epoll_create1: { args: ['hex'], handler: (t, a) => create(t, a.argInt(0)) },
    epoll_ctl: {
      args: ['fd', 'int', 'fd', 'ptr'],
      support: 'partial',
      note: 'EPOLLWAKEUP is ignored; EPOLLEXCLUSIVE wakes one instance (the first to add the file with a thread waiting) except on TCP/UDP sockets, where every exclusive waiter wakes (Linux allows "one or more")',
      handler: (t, a) => ctl(t, a.argInt(0), a.argInt(1), a.argInt(2), a.arg(3)),
    },
    epoll_wait: {
      args: ['fd', 'ptr', 'int', 'int'],
      handler: (t, a) => wait(t, a.argInt(0), a.arg(1), a.argInt(2), msTimeout(a.argInt(3)), undefined),
    },
    epoll_pwait: {
      args: ['fd', 'ptr', 'int', 'int', 'ptr', 'uint'],
      handler: (t, a) => wait(t, a.argInt(0), a.arg(1), a.argInt(2), msTimeout(a.argInt(3)), optionalMask(t, a.arg(4), a.arg(5))),
    },
    epoll_pwait2: {
      args: ['fd', 'ptr', 'int', 'ptr', 'ptr', 'uint'],
      handler: (t, a) => {
        const timeout = a.arg(3) === 0 ? undefined : decodeTimespec(t.mm.copyIn(a.arg(3), 16));
        return wait(t, a.argInt(0), a.arg(1), a.argInt(2), timeout, optionalMask(t, a.arg(4), a.arg(5)));
      },
    },
  });
}
