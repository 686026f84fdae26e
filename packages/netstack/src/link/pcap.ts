// libpcap savefile writer (the classic format tcpdump and tshark read).

import type { Clock } from '../time/clock.js';
import type { LinkCapabilities, LinkEndpoint } from './endpoint.js';

/** LINKTYPE_ETHERNET. */
export const PCAP_LINKTYPE_ETHERNET = 1;

/** Writes pcap records to a byte sink (e.g. a file's write function). */
export class PcapWriter {
  constructor(
    private readonly sink: (chunk: Uint8Array) => void,
    private readonly snaplen = 262144,
    linkType = PCAP_LINKTYPE_ETHERNET,
  ) {
    const h = new DataView(new ArrayBuffer(24));
    h.setUint32(0, 0xa1b2c3d4, true); // microsecond timestamps, little-endian
    h.setUint16(4, 2, true);
    h.setUint16(6, 4, true);
    h.setInt32(8, 0, true);
    h.setUint32(12, 0, true);
    h.setUint32(16, snaplen, true);
    h.setUint32(20, linkType, true);
    sink(new Uint8Array(h.buffer));
  }

  /** Records one frame captured at `timeMs` (milliseconds since the epoch of the capture). */
  write(frame: Uint8Array, timeMs: number): void {
    const caplen = Math.min(frame.length, this.snaplen);
    const rec = new Uint8Array(16 + caplen);
    const h = new DataView(rec.buffer);
    const us = Math.max(0, Math.round(timeMs * 1000));
    h.setUint32(0, Math.floor(us / 1e6), true);
    h.setUint32(4, us % 1e6, true);
    h.setUint32(8, caplen, true);
    h.setUint32(12, frame.length, true);
    rec.set(frame.subarray(0, caplen), 16);
    this.sink(rec);
  }
}

/** Wraps any endpoint and records every frame in both directions to a PcapWriter. */
export class SniffingEndpoint implements LinkEndpoint {
  constructor(
    private readonly inner: LinkEndpoint,
    private readonly writer: PcapWriter,
    private readonly clock: Clock,
    /** Added to clock.now() for record timestamps (e.g. Date.now() at start). */
    private readonly epochMs = 0,
  ) {}

  get mtu(): number {
    return this.inner.mtu;
  }
  get macAddress(): Uint8Array {
    return this.inner.macAddress;
  }
  get capabilities(): LinkCapabilities {
    return this.inner.capabilities;
  }

  attach(receive: (frame: Uint8Array, checksumVerified?: boolean) => void): void {
    this.inner.attach((frame, checksumVerified) => {
      this.writer.write(frame, this.epochMs + this.clock.now());
      receive(frame, checksumVerified);
    });
  }

  send(frame: Uint8Array): void {
    this.writer.write(frame, this.epochMs + this.clock.now());
    this.inner.send(frame);
  }

  close(): void {
    this.inner.close();
  }
}
