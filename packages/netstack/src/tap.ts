// @tvisor/netstack/tap: attach a stack to a Linux TAP interface. Kept out of
// the main entry point because it loads koffi and talks to /dev/net/tun.

import { DeviceEndpoint, type DeviceEndpointOptions } from './native/device-endpoint.js';
import { openTapDevice } from './native/tun-device.js';

export { DeviceEndpoint, type DeviceEndpointOptions, type FrameSource } from './native/device-endpoint.js';
export { openTapDevice, type FrameDevice } from './native/tun-device.js';

/** A link endpoint on TAP interface `name` (created if missing; needs CAP_NET_ADMIN). */
export class TapEndpoint extends DeviceEndpoint {
  readonly ifname: string;

  constructor(name: string, opts: DeviceEndpointOptions = {}) {
    const dev = openTapDevice(name);
    super(dev, opts);
    this.ifname = dev.name;
  }
}
