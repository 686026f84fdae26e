// An ICMP echo client (what ping(8) does), built on the stack's ICMP observer.

import { IpAddress } from '../wire/address.js';
import { Icmpv4Type } from '../wire/icmpv4.js';
import { Icmpv6Type } from '../wire/icmpv6.js';
import type { Stack } from './stack.js';

export interface PingResult {
  /** Round-trip time in ms on the stack's clock. */
  rttMs: number;
  /** Who answered. */
  from: string;
  ttl: number;
}

/**
 * Sends one echo request to `dst` and resolves with the reply, or rejects
 * with an Error after `timeoutMs` (stack clock).
 */
export function ping(stack: Stack, dst: string, opts: { timeoutMs?: number; ident?: number; seq?: number; payload?: Uint8Array } = {}): Promise<PingResult> {
  const target = IpAddress.parse(dst);
  const ident = opts.ident ?? Math.floor(stack.random() * 0x10000);
  const seq = opts.seq ?? 1;
  const body = opts.payload ?? new Uint8Array(56).map((_, i) => i);
  const rest = ((ident << 16) | seq) >>> 0;
  return new Promise((resolve, reject) => {
    const sentAt = stack.clock.now();
    const stop = stack.onIcmp((version, info, msg) => {
      const replyType = version === 4 ? Icmpv4Type.ECHO_REPLY : Icmpv6Type.ECHO_REPLY;
      if (msg.type !== replyType || msg.rest >>> 0 !== rest || info.src.key !== target.key) return;
      stop();
      timer.cancel();
      resolve({ rttMs: stack.clock.now() - sentAt, from: info.src.key, ttl: info.ttl });
    });
    const timer = stack.setTimer(opts.timeoutMs ?? 1000, () => {
      stop();
      reject(new Error(`ping ${dst}: timeout`));
    });
    stack.run(() => {
      if (target.version === 4) stack.ipv4.sendIcmp(target, null, { type: Icmpv4Type.ECHO_REQUEST, code: 0, rest, body });
      else stack.ipv6.sendIcmp(target, null, { type: Icmpv6Type.ECHO_REQUEST, code: 0, rest, body });
    });
  });
}
