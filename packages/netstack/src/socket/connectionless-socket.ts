// What UDP and ping sockets answer alike, as Linux's inet_dgram_ops do.

import { Errno, SysError } from '../abi.js';
import type { RecvResult, SockAddr, Socket } from './types.js';

/**
 * A connectionless socket: listen and accept are EOPNOTSUPP, and send/recv
 * are sendto/recvfrom without an address.
 */
export abstract class ConnectionlessSocket {
  /** sendto(2): the subclass's protocol. */
  abstract sendto(data: Uint8Array, flags: number, addr: SockAddr | null): number;
  /** recvfrom(2): the subclass's protocol. */
  abstract recvfrom(maxLen: number, flags?: number): RecvResult;

  listen(): void {
    throw new SysError(Errno.EOPNOTSUPP);
  }

  accept(): Socket {
    throw new SysError(Errno.EOPNOTSUPP);
  }

  send(data: Uint8Array, flags = 0): number {
    return this.sendto(data, flags, null);
  }

  recv(maxLen: number, flags = 0): Uint8Array {
    return this.recvfrom(maxLen, flags).data;
  }
}
