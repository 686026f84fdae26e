// A loopback link: every frame sent is received by the same NIC.

import type { LinkCapabilities, LinkEndpoint } from './endpoint.js';

/** Loopback link endpoint (MTU 65536 like Linux lo, no resolution, no checksum checks). */
export class LoopbackEndpoint implements LinkEndpoint {
  readonly macAddress = new Uint8Array(6);
  readonly capabilities: LinkCapabilities = { resolutionRequired: false, loopback: true, checksumOffload: true };
  private receive: ((frame: Uint8Array) => void) | null = null;
  private closed = false;

  constructor(readonly mtu = 65536) {}

  attach(receive: (frame: Uint8Array) => void): void {
    this.receive = receive;
  }

  send(frame: Uint8Array): void {
    if (!this.closed) this.receive?.(frame);
  }

  close(): void {
    this.closed = true;
    this.receive = null;
  }
}
