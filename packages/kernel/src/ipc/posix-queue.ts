import { Errno, POLL, SysError } from '@tvisor/abi';
import { WaiterQueue } from '@tvisor/vfs';

/** MQ_PRIO_MAX: priorities are 0 .. MQ_PRIO_MAX - 1. */
export const MQ_PRIO_MAX = 32768;

/** A registration made with mq_notify(2): told once when a message arrives in the empty queue. */
export interface MqNotification {
  pid: number;
  /** sigev_notify (SIGEV_SIGNAL or SIGEV_NONE). */
  notify: number;
  signo: number;
  /** Sends the notification (a signal to the registering process). */
  fire: () => void;
}

/**
 * A POSIX message queue (mq_overview(7)): at most `maxmsg` messages of up
 * to `msgsize` bytes, taken highest priority first and, within a
 * priority, oldest first. It never blocks: callers wait on its readiness.
 */
export class PosixQueue {
  private readonly messages: Array<{ prio: number; data: Uint8Array }> = [];
  /** Bytes of all queued messages (QSIZE). */
  bytes = 0;
  notification: MqNotification | undefined;
  /** Callers waiting to receive (a notification is due only when there are none). */
  receiversWaiting = 0;
  private readonly waiters = new WaiterQueue();

  constructor(
    readonly maxmsg: number,
    readonly msgsize: number,
  ) {}

  get count(): number {
    return this.messages.length;
  }

  /** Queues `data` at `prio`; EAGAIN when full, EMSGSIZE when too long. */
  send(data: Uint8Array, prio: number): void {
    if (data.length > this.msgsize) throw new SysError(Errno.EMSGSIZE);
    if (this.messages.length >= this.maxmsg) throw new SysError(Errno.EAGAIN);
    // After every message of the same or higher priority.
    let i = this.messages.findIndex((m) => m.prio < prio);
    if (i < 0) i = this.messages.length;
    this.messages.splice(i, 0, { prio, data });
    this.bytes += data.length;
    if (this.messages.length === 1 && this.notification && this.receiversWaiting === 0) {
      // The registration is used up by the notification (mq_notify(2)).
      const n = this.notification;
      this.notification = undefined;
      n.fire();
    }
    this.waiters.notify(POLL.IN | POLL.RDNORM);
  }

  /** Takes the first message; EAGAIN when empty, EMSGSIZE when the buffer is below msgsize. */
  receive(bufsz: number): { prio: number; data: Uint8Array } {
    if (bufsz < this.msgsize) throw new SysError(Errno.EMSGSIZE);
    const m = this.messages.shift();
    if (m === undefined) throw new SysError(Errno.EAGAIN);
    this.bytes -= m.data.length;
    this.waiters.notify(POLL.OUT | POLL.WRNORM);
    return m;
  }

  /** Poll bits now: readable with messages, writable with room. */
  readiness(): number {
    let r = 0;
    if (this.messages.length > 0) r |= POLL.IN | POLL.RDNORM;
    if (this.messages.length < this.maxmsg) r |= POLL.OUT | POLL.WRNORM;
    return r;
  }

  subscribe(mask: number, cb: (mask: number) => void): () => void {
    return this.waiters.subscribe(mask, cb);
  }

  /** What reading the queue's file shows (Linux's mqueue_read_file). */
  statusText(): string {
    const n = this.notification;
    const notify = n ? n.notify : 0;
    const signo = n && n.notify === 0 ? n.signo : 0;
    return `QSIZE:${String(this.bytes).padEnd(10)} NOTIFY:${String(notify).padEnd(5)} SIGNO:${String(signo).padEnd(5)} NOTIFY_PID:${String(n?.pid ?? 0).padEnd(6)}\n`;
  }
}
