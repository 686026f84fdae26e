// @tvisor/netstack/tap: attach a stack to a Linux TAP interface or, through an
// AF_PACKET socket, to any Ethernet link. Kept out of the main entry point
// because it loads koffi and talks to the host kernel.

import { DeviceEndpoint, type DeviceEndpointOptions } from './native/device-endpoint.js';
import { openTapDevice } from './native/tun-device.js';
import { openPacketDevice } from './native/packet-device.js';

export { DeviceEndpoint, type DeviceEndpointOptions, type FrameSource } from './native/device-endpoint.js';
export { openTapDevice, type FrameDevice } from './native/tun-device.js';
export { openPacketDevice, disableTxOffload, type PacketDevice } from './native/packet-device.js';

/** A link endpoint on TAP interface `name` (created if missing; needs CAP_NET_ADMIN). */
export class TapEndpoint extends DeviceEndpoint {
  readonly ifname: string;

  constructor(name: string, opts: DeviceEndpointOptions = {}) {
    const dev = openTapDevice(name);
    super(dev, opts);
    this.ifname = dev.name;
  }
}

/**
 * A link endpoint on an existing Ethernet interface through an AF_PACKET
 * socket (gVisor's fdbased endpoint): the stack takes the interface's MAC
 * and MTU, and the interface should carry no host addresses, so the host
 * kernel never answers for the stack. `netns` names the network namespace
 * the interface is in (a /proc/PID/ns/net or /run/netns/NAME path).
 */
export class PacketEndpoint extends DeviceEndpoint {
  readonly ifname: string;

  constructor(name: string, opts: DeviceEndpointOptions & { netns?: string } = {}) {
    const dev = openPacketDevice(name, opts.netns);
    super(dev, { mtu: dev.mtu, mac: dev.mac, ...opts });
    this.ifname = dev.name;
  }
}
