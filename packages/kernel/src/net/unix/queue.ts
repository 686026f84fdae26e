import type { FileDescription } from '@tvisor/vfs';

/** Credentials a message carries (struct ucred): the sender's, or what it passed in SCM_CREDENTIALS. */
export interface MessageCreds {
  pid: number;
  uid: number;
  gid: number;
}

/** One message (datagram, sequenced packet, or one write to a stream) in a Unix socket's receive queue. */
export interface UnixMessage {
  data: Uint8Array;
  /** The sender's address as sockaddr_un bytes (datagrams), or null for an unnamed sender. */
  from: Uint8Array | null;
  /** SCM_RIGHTS in flight: the queue owns one reference to each until they are received or purged. */
  rights: FileDescription[] | null;
  /**
   * The credentials attached at send time, or null when neither end asked for
   * them (Linux attaches them only for SCM_CREDENTIALS or when either end has
   * SO_PASSCRED: maybe_add_creds).
   */
  creds: MessageCreds | null;
  /** The sender's count of bytes it wrote that are still queued (Linux's sk_wmem_alloc), lowered as they leave; null if uncounted. */
  inFlight?: InFlight | null;
}

/** A socket's bytes written and not yet read or dropped: what its send buffer holds. */
export interface InFlight {
  bytes: number;
}

/** What one receive took out of (or, with peek, saw in) the queue. */
export interface Received {
  /** The bytes copied out (at most what was asked for). */
  data: Uint8Array;
  /** The message's full length (datagrams: more than data.length means it was truncated). */
  length: number;
  from: Uint8Array | null;
  /** Descriptions now owned by the caller (one reference each), or null. */
  rights: FileDescription[] | null;
  /** The credentials of the (first) message read, or null if it carried none. */
  creds: MessageCreds | null;
}

function sameCreds(a: MessageCreds | null, b: MessageCreds | null): boolean {
  if (a === null || b === null) return a === b;
  return a.pid === b.pid && a.uid === b.uid && a.gid === b.gid;
}

/**
 * The receive queue of a Unix domain socket. Streams read across message
 * boundaries the way Linux's unix_stream_read_generic does (a read stops
 * after a message that carried file descriptors, and, when the reader asked
 * for credentials, before a message from a different writer); datagram and
 * sequenced-packet reads take one whole message, truncating what does not fit.
 */
export class UnixReceiveQueue {
  private readonly messages: UnixMessage[] = [];
  /** How far the head message has been consumed (streams). */
  private headOffset = 0;
  /** Unread bytes in the queue. */
  private unread = 0;

  get bytes(): number {
    return this.unread;
  }

  /** Messages in the queue (the head counts while partly read). */
  get length(): number {
    return this.messages.length;
  }

  /** Unread bytes of the head message (what FIONREAD reports on a datagram socket), 0 if empty. */
  get headLength(): number {
    const head = this.messages[0];
    return head ? head.data.length - this.headOffset : 0;
  }

  get empty(): boolean {
    return this.messages.length === 0;
  }

  push(msg: UnixMessage): void {
    this.messages.push(msg);
    this.unread += msg.data.length;
  }

  /**
   * Stream read of up to `max` bytes. With `peek` nothing is consumed and
   * any descriptors seen are duplicated (new references). `splitByCreds` is
   * SO_PASSCRED on the reader. Null if the queue is empty. A read of zero
   * bytes takes no data but still takes the head message's descriptors, as
   * unix_stream_read_generic's loop runs once whatever the size.
   */
  readStream(max: number, peek: boolean, splitByCreds: boolean): Received | null {
    if (this.messages.length === 0) return null;
    if (max === 0) {
      const head = this.messages[0];
      let rights = head.rights;
      if (rights && peek) {
        for (const f of rights) f.incRef();
        rights = [...rights];
      } else if (!peek) {
        head.rights = null;
      }
      return { data: new Uint8Array(0), length: 0, from: head.from, rights, creds: head.creds };
    }
    const parts: Uint8Array[] = [];
    let copied = 0;
    let rights: FileDescription[] | null = null;
    const creds = this.messages[0].creds;
    const from = this.messages[0].from;
    let offset = this.headOffset;
    for (let i = 0; i < this.messages.length && copied < max;) {
      const msg = this.messages[i];
      // Never glue writes that carry different credentials (or some and none) into one read.
      if (copied > 0 && splitByCreds && !sameCreds(creds, msg.creds)) break;
      const n = Math.min(msg.data.length - offset, max - copied);
      parts.push(msg.data.subarray(offset, offset + n));
      copied += n;
      if (peek) {
        if (msg.rights) {
          for (const f of msg.rights) f.incRef();
          rights = [...msg.rights];
          break;
        }
        i++;
        offset = 0;
        continue;
      }
      this.unread -= n;
      if (msg.inFlight) msg.inFlight.bytes -= n;
      if (msg.rights) {
        rights = msg.rights;
        msg.rights = null;
      }
      if (offset + n < msg.data.length) {
        this.headOffset = offset + n;
        break;
      }
      this.messages.shift();
      this.headOffset = 0;
      offset = 0;
      if (rights) break;
    }
    const data = concat(parts, copied);
    return { data, length: data.length, from, rights, creds };
  }

  /** Datagram read: the head message, truncated to `max` bytes. Null if the queue is empty. */
  readMessage(max: number, peek: boolean): Received | null {
    const msg = this.messages[0];
    if (!msg) return null;
    const data = msg.data.slice(0, Math.max(0, max));
    let rights = msg.rights;
    if (peek) {
      if (rights) {
        for (const f of rights) f.incRef();
        rights = [...rights];
      }
    } else {
      this.messages.shift();
      this.unread -= msg.data.length;
      if (msg.inFlight) msg.inFlight.bytes -= msg.data.length;
    }
    return { data, length: msg.data.length, from: msg.from, rights, creds: msg.creds };
  }

  /** Drops everything queued, releasing descriptors in flight. */
  purge(): void {
    for (const msg of this.messages) for (const f of msg.rights ?? []) f.decRef();
    const head = this.messages[0];
    if (head?.inFlight) head.inFlight.bytes += this.headOffset; // the read part of the head was counted off already
    for (const msg of this.messages) if (msg.inFlight) msg.inFlight.bytes -= msg.data.length;
    this.messages.length = 0;
    this.headOffset = 0;
    this.unread = 0;
  }
}

function concat(parts: Uint8Array[], total: number): Uint8Array {
  if (parts.length === 1) return parts[0].slice();
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
