import { NLM_F, NLMSG, Nlmsghdr, Rtattr, type StructCodec } from '@tvisor/abi';

/** NLMSG_ALIGN / RTA_ALIGN: netlink pads every header, body and attribute to 4 bytes. */
export const nlAlign = (n: number): number => (n + NLMSG.ALIGNTO - 1) & ~(NLMSG.ALIGNTO - 1);

/** One message of a request: its header and the bytes after the header (nlmsg_len - 16 of them). */
export interface NetlinkMessage {
  header: Nlmsghdr;
  body: Uint8Array;
  /** The whole message as sent (header included), for quoting in NLMSG_ERROR. */
  raw: Uint8Array;
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);

/**
 * Splits a datagram into messages, as netlink_rcv_skb walks it: a message
 * shorter than its header or longer than what is left ends the walk.
 */
export function parseMessages(data: Uint8Array): NetlinkMessage[] {
  const out: NetlinkMessage[] = [];
  let at = 0;
  while (at + Nlmsghdr.size <= data.length) {
    const header = Nlmsghdr.decode(view(data), at);
    if (header.nlmsg_len < Nlmsghdr.size || at + header.nlmsg_len > data.length) break;
    out.push({ header, body: data.subarray(at + Nlmsghdr.size, at + header.nlmsg_len), raw: data.subarray(at, at + header.nlmsg_len) });
    at += nlAlign(header.nlmsg_len);
  }
  return out;
}

/** The fixed struct at the start of a message body, or null if the body is too short for it. */
export function decodeBody<T>(codec: StructCodec<T>, body: Uint8Array): T | null {
  return body.length < codec.size ? null : codec.decode(view(body), 0);
}

/** The attributes after a body's fixed struct of `fixedSize` bytes, by type (the last of a type wins). */
export function parseAttributes(body: Uint8Array, fixedSize: number): Map<number, Uint8Array> {
  const attrs = new Map<number, Uint8Array>();
  let at = nlAlign(fixedSize);
  while (at + Rtattr.size <= body.length) {
    const a = Rtattr.decode(view(body), at);
    if (a.rta_len < Rtattr.size || at + a.rta_len > body.length) break;
    attrs.set(a.rta_type, body.subarray(at + Rtattr.size, at + a.rta_len));
    at += nlAlign(a.rta_len);
  }
  return attrs;
}

/** An attribute's value as a u32 (undefined when absent or short). */
export function attrU32(attrs: Map<number, Uint8Array>, type: number): number | undefined {
  const v = attrs.get(type);
  return v && v.length >= 4 ? view(v).getUint32(0, true) : undefined;
}

/** An attribute's value as a NUL-terminated string (undefined when absent). */
export function attrString(attrs: Map<number, Uint8Array>, type: number): string | undefined {
  const v = attrs.get(type);
  if (!v) return undefined;
  const end = v.indexOf(0);
  return new TextDecoder().decode(end < 0 ? v : v.subarray(0, end));
}

/**
 * Builds one netlink message: header, a fixed struct, then attributes, each
 * padded to 4 bytes; finish() fills in nlmsg_len.
 */
export class MessageBuilder {
  private buf = new Uint8Array(256);
  private len = Nlmsghdr.size;

  constructor(private readonly header: Omit<Nlmsghdr, 'nlmsg_len'>) {}

  private reserve(n: number): number {
    const at = this.len;
    const need = at + nlAlign(n);
    if (need > this.buf.length) {
      const bigger = new Uint8Array(Math.max(need, this.buf.length * 2));
      bigger.set(this.buf.subarray(0, this.len));
      this.buf = bigger;
    }
    this.len = need;
    return at;
  }

  /** Appends the fixed struct of the message's family. */
  struct<T>(codec: StructCodec<T>, value: T): this {
    const at = this.reserve(codec.size);
    codec.encode(view(this.buf), at, value);
    return this;
  }

  /** Appends raw bytes (already in wire order). */
  bytes(b: Uint8Array): this {
    const at = this.reserve(b.length);
    this.buf.set(b, at);
    return this;
  }

  /** Appends an attribute. */
  attr(type: number, value: Uint8Array): this {
    const at = this.reserve(Rtattr.size + value.length);
    Rtattr.encode(view(this.buf), at, { rta_len: Rtattr.size + value.length, rta_type: type });
    this.buf.set(value, at + Rtattr.size);
    return this;
  }

  attrU32(type: number, v: number): this {
    const b = new Uint8Array(4);
    view(b).setUint32(0, v >>> 0, true);
    return this.attr(type, b);
  }

  attrU8(type: number, v: number): this {
    return this.attr(type, Uint8Array.of(v));
  }

  attrString(type: number, s: string): this {
    const enc = new TextEncoder().encode(s);
    const b = new Uint8Array(enc.length + 1);
    b.set(enc);
    return this.attr(type, b);
  }

  finish(): Uint8Array {
    const out = this.buf.slice(0, this.len);
    Nlmsghdr.encode(view(out), 0, { nlmsg_len: this.len, ...this.header });
    return out;
  }
}

/**
 * NLMSG_ERROR (struct nlmsgerr) answering `request`: error 0 is an
 * acknowledgement, which quotes only the request's header (NLM_F_CAPPED, as
 * Linux sends ACKs); an error quotes the whole request.
 */
export function errorMessage(request: NetlinkMessage, errno: number, portId: number): Uint8Array {
  const quote = errno === 0 ? request.raw.subarray(0, Nlmsghdr.size) : request.raw;
  const b = new MessageBuilder({
    nlmsg_type: NLMSG.ERROR,
    nlmsg_flags: errno === 0 ? NLM_F.CAPPED : 0,
    nlmsg_seq: request.header.nlmsg_seq,
    nlmsg_pid: portId,
  });
  const err = new Uint8Array(4);
  view(err).setInt32(0, -errno, true);
  b.bytes(err).bytes(quote);
  return b.finish();
}

/** The NLMSG_DONE that ends a dump (its payload is an int 0, as Linux sends). */
export function doneMessage(seq: number, portId: number): Uint8Array {
  return new MessageBuilder({ nlmsg_type: NLMSG.DONE, nlmsg_flags: NLM_F.MULTI, nlmsg_seq: seq, nlmsg_pid: portId }).bytes(new Uint8Array(4)).finish();
}
