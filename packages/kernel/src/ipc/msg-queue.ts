import { Errno, MSGF, SysError } from '@tvisor/abi';
import type { Credentials } from '../task.js';
import { IpcObject, ipcNow } from './registry.js';

/** One message: its type (mtype, > 0) and its text. */
export interface Message {
  type: number;
  text: Uint8Array;
}

/** How msgrcv picks a message (Linux's SEARCH_* modes), from msgtyp and the flags. */
export type MsgSearch =
  | { kind: 'any' }
  | { kind: 'equal'; type: number }
  | { kind: 'except'; type: number }
  | { kind: 'lessEqual'; type: number }
  /** MSG_COPY: the message at this position (0 is the oldest). */
  | { kind: 'number'; index: number };

/** msgrcv(2)'s choice of message from msgtyp and MSG_EXCEPT / MSG_COPY. */
export function msgSearch(msgtyp: number, flags: number): MsgSearch {
  if (flags & MSGF.COPY) return { kind: 'number', index: msgtyp };
  if (msgtyp === 0) return { kind: 'any' };
  if (msgtyp < 0) return { kind: 'lessEqual', type: -msgtyp };
  return flags & MSGF.EXCEPT ? { kind: 'except', type: msgtyp } : { kind: 'equal', type: msgtyp };
}

/**
 * A System V message queue (msgget(2)): messages in arrival order, bounded
 * by qbytes in bytes and in count. The queue itself never blocks; callers
 * that must wait subscribe with `onChange` and try again.
 */
export class MsgQueue extends IpcObject {
  readonly messages: Message[] = [];
  /** Bytes of text queued (msg_cbytes). */
  bytes = 0;
  /** The most bytes (and messages) the queue holds (msg_qbytes). */
  qbytes: number;
  stime = 0;
  rtime = 0;
  lspid = 0;
  lrpid = 0;
  private readonly waiters = new Set<() => void>();

  constructor(key: number, creds: Credentials, mode: number, qbytes: number) {
    super(key, creds, mode);
    this.qbytes = qbytes;
  }

  /** Whether a message of `size` bytes fits now (Linux's msg_fits: bytes and count both under qbytes). */
  fits(size: number): boolean {
    return size + this.bytes <= this.qbytes && 1 + this.messages.length <= this.qbytes;
  }

  /** Queues a message, or EAGAIN if it does not fit (the caller waits or fails); EIDRM once removed. */
  send(msg: Message, pid: number): void {
    if (this.deleted) throw new SysError(Errno.EIDRM);
    if (!this.fits(msg.text.length)) throw new SysError(Errno.EAGAIN);
    this.messages.push(msg);
    this.bytes += msg.text.length;
    this.lspid = pid;
    this.stime = ipcNow();
    this.changed();
  }

  /** The index of the message `search` picks, or -1 (Linux's find_msg). */
  find(search: MsgSearch): number {
    if (search.kind === 'number') return search.index >= 0 && search.index < this.messages.length ? search.index : -1;
    let found = -1;
    let bound = search.kind === 'lessEqual' ? search.type : 0;
    for (let i = 0; i < this.messages.length; i++) {
      const type = this.messages[i].type;
      switch (search.kind) {
        case 'any':
          return i;
        case 'equal':
          if (type === search.type) return i;
          break;
        case 'except':
          if (type !== search.type) return i;
          break;
        case 'lessEqual':
          // The lowest type not above the bound; the first of equals wins.
          if (type <= bound) {
            if (type === 1) return i;
            found = i;
            bound = type - 1;
          }
          break;
      }
    }
    return found;
  }

  /**
   * Takes (or with MSG_COPY copies) the message `search` picks for a buffer
   * of `bufsz` bytes. EAGAIN when there is none yet, E2BIG when it is
   * longer than the buffer without MSG_NOERROR, EIDRM once removed.
   */
  receive(search: MsgSearch, bufsz: number, flags: number, pid: number): Message {
    if (this.deleted) throw new SysError(Errno.EIDRM);
    const i = this.find(search);
    if (i < 0) throw new SysError(Errno.EAGAIN);
    const msg = this.messages[i];
    if (msg.text.length > bufsz && !(flags & MSGF.NOERROR)) throw new SysError(Errno.E2BIG);
    // MSG_COPY copies into a buffer of bufsz bytes: one too small is EINVAL even with MSG_NOERROR.
    if (flags & MSGF.COPY) {
      if (msg.text.length > bufsz) throw new SysError(Errno.EINVAL);
      return msg;
    }
    this.messages.splice(i, 1);
    this.bytes -= msg.text.length;
    this.lrpid = pid;
    this.rtime = ipcNow();
    this.changed();
    return { type: msg.type, text: msg.text.subarray(0, Math.min(bufsz, msg.text.length)) };
  }

  /** Calls `fn` whenever the queue changes (a message comes or goes, qbytes or the mode change, removal); returns the unsubscriber. */
  onChange(fn: () => void): () => void {
    this.waiters.add(fn);
    return () => this.waiters.delete(fn);
  }

  /** Tells the parked callers to try again. */
  changed(): void {
    for (const fn of [...this.waiters]) fn();
  }
}
