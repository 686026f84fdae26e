import { Errno, SO, SOL, SysError, Timespec, Timeval } from '@tvisor/abi';
import type { ControlMessage } from '../socket.js';

const NS_PER_SEC = 1_000_000_000n;

function timeval(ns: bigint): Uint8Array {
  const out = new Uint8Array(Timeval.size);
  Timeval.encode(new DataView(out.buffer), 0, { tv_sec: Number(ns / NS_PER_SEC), tv_usec: Number((ns % NS_PER_SEC) / 1000n) });
  return out;
}

function timespec(ns: bigint): Uint8Array {
  const out = new Uint8Array(Timespec.size);
  Timespec.encode(new DataView(out.buffer), 0, { tv_sec: Number(ns / NS_PER_SEC), tv_nsec: Number(ns % NS_PER_SEC) });
  return out;
}

/**
 * A socket's receive timestamps, as Linux keeps them (socket(7)
 * SO_TIMESTAMP, SO_TIMESTAMPNS; SIOCGSTAMP): a control message per datagram
 * while SO_TIMESTAMP(NS) is on, otherwise the time of the last datagram
 * received for SIOCGSTAMP to read. Linux records that time only once
 * SIOCGSTAMP or SO_TIMESTAMP has asked for timestamps (SOCK_TIMESTAMP); a
 * receive before that leaves "no time yet", which SIOCGSTAMP answers with
 * the current time. Before any receive SIOCGSTAMP is ENOENT.
 */
export class ReceiveTimestamps {
  /** SO_TIMESTAMP or SO_TIMESTAMPNS while one is on (SOCK_RCVTSTAMP, SOCK_RCVTSTAMPNS), else 0. */
  private cmsgType = 0;
  /** SOCK_TIMESTAMP: receives without a control message record their datagram's time. */
  private recording = false;
  /** sk_stamp: undefined before any receive (SK_DEFAULT_STAMP), 0n after one that recorded no time. */
  private last: bigint | undefined;

  /** setsockopt(SO_TIMESTAMP / SO_TIMESTAMPNS): turning either off turns both off, as sock_set_timestamp. */
  set(name: number, on: boolean): void {
    if (on) {
      this.cmsgType = name;
      this.recording = true;
    } else {
      this.cmsgType = 0;
    }
  }

  /** getsockopt(SO_TIMESTAMP / SO_TIMESTAMPNS): 1 when that one is on. */
  get(name: number): number {
    return this.cmsgType === name ? 1 : 0;
  }

  /** A datagram that arrived at `arrivedNs` (CLOCK_REALTIME) was received: the control message to report, if any. */
  received(arrivedNs: bigint): ControlMessage | null {
    if (this.cmsgType === SO.TIMESTAMP) return { level: SOL.SOCKET, type: SO.TIMESTAMP, data: timeval(arrivedNs) };
    if (this.cmsgType === SO.TIMESTAMPNS) return { level: SOL.SOCKET, type: SO.TIMESTAMPNS, data: timespec(arrivedNs) };
    if (this.recording) this.last = arrivedNs;
    else this.last ??= 0n;
    return null;
  }

  /**
   * SIOCGSTAMP / SIOCGSTAMPNS: the last datagram's time as a timeval or
   * timespec; from now on receives record theirs. ENOENT before any receive.
   */
  query(nowNs: bigint, nanoseconds: boolean): Uint8Array {
    this.recording = true;
    if (this.last === undefined) throw new SysError(Errno.ENOENT);
    if (this.last === 0n) this.last = nowNs;
    return nanoseconds ? timespec(this.last) : timeval(this.last);
  }
}
