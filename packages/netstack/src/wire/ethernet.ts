// Ethernet II frames (IEEE 802.3 with EtherType).

import { get16, set16 } from './bytes.js';
import type { MacAddress } from './address.js';

export const ETHERNET_HEADER_LEN = 14;

export const EtherType = { IPV4: 0x0800, ARP: 0x0806, IPV6: 0x86dd } as const;

/** A typed view of an Ethernet header at `off` in `buf`. */
export class EthernetView {
  constructor(
    readonly buf: Uint8Array,
    readonly off = 0,
  ) {}
  /** True if the buffer holds at least a full header. */
  isValid(): boolean {
    return this.buf.length - this.off >= ETHERNET_HEADER_LEN;
  }
  get dst(): MacAddress {
    return this.buf.subarray(this.off, this.off + 6);
  }
  set dst(m: MacAddress) {
    this.buf.set(m, this.off);
  }
  get src(): MacAddress {
    return this.buf.subarray(this.off + 6, this.off + 12);
  }
  set src(m: MacAddress) {
    this.buf.set(m, this.off + 6);
  }
  get etherType(): number {
    return get16(this.buf, this.off + 12);
  }
  set etherType(v: number) {
    set16(this.buf, this.off + 12, v);
  }
  get payload(): Uint8Array {
    return this.buf.subarray(this.off + ETHERNET_HEADER_LEN);
  }
}

export interface EthernetRepr {
  dst: MacAddress;
  src: MacAddress;
  etherType: number;
}

/** Parses a frame's header; null if too short. */
export function parseEthernet(frame: Uint8Array): EthernetRepr | null {
  const v = new EthernetView(frame);
  if (!v.isValid()) return null;
  return { dst: v.dst.slice(), src: v.src.slice(), etherType: v.etherType };
}

/** Writes the header at `off`. */
export function emitEthernet(repr: EthernetRepr, buf: Uint8Array, off = 0): void {
  const v = new EthernetView(buf, off);
  v.dst = repr.dst;
  v.src = repr.src;
  v.etherType = repr.etherType;
}
