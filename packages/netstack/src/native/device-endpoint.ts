// A link endpoint over a frame device (a TAP interface or anything that
// moves whole Ethernet frames). A reader loop waits for readability off the
// event loop and drains frames in batches. It runs on the host event loop
// (setImmediate), which is why it lives with the native code and not in the
// clock-driven core.

import type { MacAddress } from '../wire/address.js';
import type { LinkCapabilities, LinkEndpoint } from '../link/endpoint.js';
import { gsoSizeOf } from '../stack/packet.js';

/** The device operations the endpoint needs. */
export interface FrameSource {
  /** Reads one frame if one is waiting, else null. */
  readFrame(): Uint8Array | null;
  /** Whether the frame readFrame() last returned needs no transport checksum check (the host kernel vouched for it). */
  readonly checksumVerified?: boolean;
  /** Writes one frame (a TCP packet for the host to cut into segments of `gsoSize` payload bytes, if not 0); false if it was dropped. */
  writeFrame(frame: Uint8Array, gsoSize?: number): boolean;
  /** The largest IP packet writeFrame takes with a gsoSize; absent if it takes none. */
  readonly gsoMaxSize?: number;
  /** Resolves true when a frame may be readable, false after timeoutMs. */
  waitReadable(timeoutMs: number): Promise<boolean>;
  close(): void;
}

export interface DeviceEndpointOptions {
  mtu?: number;
  /** Our MAC (default: a random locally administered unicast address). */
  mac?: MacAddress;
  /** Frames read per wake-up before yielding to the event loop. */
  batch?: number;
}

export class DeviceEndpoint implements LinkEndpoint {
  readonly mtu: number;
  readonly macAddress: MacAddress;
  readonly capabilities: LinkCapabilities;
  private receive: ((frame: Uint8Array, checksumVerified?: boolean) => void) | null = null;
  private running = false;
  private closed = false;
  private readonly batch: number;
  /** Frames sent / received / dropped on write, and the largest frame received and sent (GSO segments exceed the MTU). */
  readonly stats = { rx: 0, tx: 0, txDropped: 0, rxLargest: 0, txLargest: 0 };

  constructor(
    private readonly device: FrameSource,
    opts: DeviceEndpointOptions = {},
  ) {
    this.mtu = opts.mtu ?? 1500;
    this.batch = opts.batch ?? 256;
    this.capabilities = { resolutionRequired: true, checksumOffload: false, gsoMaxSize: device.gsoMaxSize };
    this.macAddress = opts.mac ?? randomMac();
  }

  attach(receive: (frame: Uint8Array, checksumVerified?: boolean) => void): void {
    this.receive = receive;
    if (!this.running) {
      this.running = true;
      void this.loop();
    }
  }

  send(frame: Uint8Array): void {
    if (this.closed) return;
    if (!this.device.writeFrame(frame, gsoSizeOf(frame))) {
      this.stats.txDropped++;
      return;
    }
    this.stats.tx++;
    if (frame.length > this.stats.txLargest) this.stats.txLargest = frame.length;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.device.close();
  }

  private async loop(): Promise<void> {
    while (!this.closed) {
      let got = 0;
      for (; got < this.batch && !this.closed; got++) {
        let frame: Uint8Array | null;
        try {
          frame = this.device.readFrame();
        } catch {
          this.closed = true;
          break;
        }
        if (!frame) break;
        this.stats.rx++;
        if (frame.length > this.stats.rxLargest) this.stats.rxLargest = frame.length;
        this.receive?.(frame, this.device.checksumVerified);
      }
      if (this.closed) break;
      if (got === this.batch) {
        // Busy: yield to the event loop, then keep draining.
        await new Promise<void>((r) => setImmediate(r));
        continue;
      }
      await this.device.waitReadable(100);
    }
  }
}

function randomMac(): MacAddress {
  const mac = new Uint8Array(6);
  for (let i = 0; i < 6; i++) mac[i] = Math.floor(Math.random() * 256);
  mac[0] = (mac[0] & 0xfe) | 0x02; // unicast, locally administered
  return mac;
}
