import { bytes, cstr, i32, u64 } from './fields.js';
import { struct } from './struct.js';

/**
 * struct ifreq: an interface name and a 24-byte union whose meaning depends
 * on the SIOC request (a sockaddr for addresses, a short for flags, an int for
 * index/MTU); decode the union's bytes with the matching codec.
 */
export interface Ifreq {
  ifr_name: string;
  ifr_ifru: Uint8Array;
}
export const Ifreq = struct<Ifreq>('struct ifreq', 40, { ifr_name: cstr(0, 16), ifr_ifru: bytes(16, 24) });

/** struct ifconf (SIOCGIFCONF): buffer length and user address of an ifreq array. */
export interface Ifconf {
  ifc_len: number;
  ifc_buf: number;
}
export const Ifconf = struct<Ifconf>('struct ifconf', 16, { ifc_len: i32(0), ifc_buf: u64(8) });
