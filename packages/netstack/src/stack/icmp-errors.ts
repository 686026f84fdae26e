// How ICMP errors map to socket errors, after Linux's icmp_err_convert and
// icmpv6_err_convert tables.

import { Errno } from '../abi.js';
import { Icmpv4Type } from '../wire/icmpv4.js';
import { Icmpv6Type } from '../wire/icmpv6.js';

export interface ErrnoMapping {
  errno: number;
  fatal: boolean;
}

const V4_UNREACH: readonly number[] = [
  Errno.ENETUNREACH, // 0 net
  Errno.EHOSTUNREACH, // 1 host
  Errno.ENOPROTOOPT, // 2 protocol
  Errno.ECONNREFUSED, // 3 port
  Errno.EMSGSIZE, // 4 fragmentation needed
  Errno.EOPNOTSUPP, // 5 source route failed
  Errno.ENETUNREACH, // 6 net unknown
  Errno.EHOSTDOWN, // 7 host unknown
  Errno.ENONET, // 8 host isolated
  Errno.ENETUNREACH, // 9 net prohibited
  Errno.EHOSTUNREACH, // 10 host prohibited
  Errno.ENETUNREACH, // 11 net unreachable for TOS
  Errno.EHOSTUNREACH, // 12 host unreachable for TOS
  Errno.EHOSTUNREACH, // 13 administratively filtered
  Errno.EHOSTUNREACH, // 14 precedence violation
  Errno.EHOSTUNREACH, // 15 precedence cutoff
];

/** Errno and hardness of an ICMPv4 error; null for types that are not errors. */
export function icmpv4Errno(type: number, code: number): ErrnoMapping | null {
  switch (type) {
    case Icmpv4Type.DEST_UNREACHABLE:
      if (code === 4) return { errno: Errno.EMSGSIZE, fatal: false };
      return { errno: V4_UNREACH[code] ?? Errno.EHOSTUNREACH, fatal: true };
    case Icmpv4Type.TIME_EXCEEDED:
      return { errno: Errno.EHOSTUNREACH, fatal: false };
    case Icmpv4Type.PARAM_PROBLEM:
      return { errno: Errno.EPROTO, fatal: true };
    default:
      return null;
  }
}

/** Errno and hardness of an ICMPv6 error; null for informational types. */
export function icmpv6Errno(type: number, code: number): ErrnoMapping | null {
  switch (type) {
    case Icmpv6Type.DEST_UNREACHABLE: {
      const byCode = [Errno.ENETUNREACH, Errno.EACCES, Errno.EHOSTUNREACH, Errno.EHOSTUNREACH, Errno.ECONNREFUSED];
      return { errno: byCode[code] ?? Errno.EHOSTUNREACH, fatal: true };
    }
    case Icmpv6Type.PACKET_TOO_BIG:
      return { errno: Errno.EMSGSIZE, fatal: false };
    case Icmpv6Type.PARAM_PROBLEM:
      return { errno: Errno.EPROTO, fatal: true };
    case Icmpv6Type.TIME_EXCEEDED:
      return { errno: Errno.EHOSTUNREACH, fatal: false };
    default:
      return null;
  }
}
