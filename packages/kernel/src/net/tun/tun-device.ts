// TUN/TAP interfaces (Linux's drivers/net/tun.c): a NIC of the sandbox's own
// stack whose wire is a file. What the stack sends through the interface is
// queued for the file's reader; what the file's writer writes is received by
// the stack as if it came off the wire. A TAP carries Ethernet frames and
// resolves neighbours with ARP/NDP; a TUN carries bare IP packets.
import { ETH_P, Errno, IFNAMSIZ, POLL, SysError } from '@tvisor/abi';
import { ETHERNET_HEADER_LEN, EthernetView, type LinkCapabilities, type LinkEndpoint, type MacAddress, type Nic, type Stack } from '@tvisor/netstack';
import { WaiterQueue } from '@tvisor/vfs';

/** Packets waiting for the reader before new ones are dropped (TUN_READQ_SIZE, the device's txqueuelen). */
export const TUN_QUEUE_LEN = 500;
/** The MTU Linux gives a new TUN/TAP device. */
export const TUN_MTU = 1500;

export type TunKind = 'tun' | 'tap';

/** One packet waiting for the reader: its bytes as the reader sees them (IP packet or Ethernet frame) and its EtherType. */
interface QueuedPacket {
  bytes: Uint8Array;
  etherType: number;
}

/** A TAP's MAC: random and locally administered, as eth_random_addr gives. */
function randomMac(): MacAddress {
  const mac = new Uint8Array(6);
  crypto.getRandomValues(mac);
  mac[0] = (mac[0] & 0xfe) | 0x02;
  return mac;
}

/**
 * The link under a TUN/TAP NIC. At most one file is attached at a time
 * (no IFF_MULTI_QUEUE); while none is, what the stack sends is dropped, as a
 * detached persistent device drops it.
 */
export class TunDevice implements LinkEndpoint {
  readonly mtu = TUN_MTU;
  readonly capabilities: LinkCapabilities;
  macAddress: MacAddress;
  /** The NIC the stack made for this device; set by createTunDevice. */
  nic!: Nic;
  /** TUNSETPERSIST: the device outlives its last file. */
  persist = false;
  /** TUNSETOWNER / TUNSETGROUP: who may attach without CAP_NET_ADMIN (-1: nobody). */
  owner = -1;
  group = -1;
  /** IFF_NO_PI: reads and writes carry no struct tun_pi in front of the packet. */
  noPacketInfo = false;
  /** Whether a file is attached (TUNSETIFF done and the file still open): the device's carrier. */
  attached = false;
  readonly waiters = new WaiterQueue();
  private readonly queue: QueuedPacket[] = [];
  private receive: ((frame: Uint8Array) => void) | null = null;
  /** Closed with its NIC (last file gone, or `ip link del`): a file still holding it finds it gone (EBADFD). */
  closed = false;

  constructor(
    readonly kind: TunKind,
    readonly name: string,
  ) {
    this.capabilities = { resolutionRequired: kind === 'tap', checksumOffload: false };
    this.macAddress = kind === 'tap' ? randomMac() : new Uint8Array(6);
  }

  get carrier(): boolean {
    return this.attached;
  }

  attach(receive: (frame: Uint8Array) => void): void {
    this.receive = receive;
  }

  send(frame: Uint8Array): void {
    if (this.closed || !this.attached || this.queue.length >= TUN_QUEUE_LEN || frame.length < ETHERNET_HEADER_LEN) return;
    const etherType = new EthernetView(frame).etherType;
    // Own the bytes: the stack hands the buffer over, but a TUN keeps only the part after the header.
    this.queue.push({ bytes: this.kind === 'tun' ? frame.subarray(ETHERNET_HEADER_LEN) : frame, etherType });
    if (this.queue.length === 1) this.waiters.notify(POLL.IN | POLL.RDNORM);
  }

  setMacAddress(mac: MacAddress): void {
    if (this.kind !== 'tap') throw new SysError(Errno.EOPNOTSUPP);
    this.macAddress = Uint8Array.from(mac);
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.receive = null;
    this.waiters.notify(POLL.ERR | POLL.HUP);
  }

  /** The oldest packet for the reader, or undefined when none waits. */
  dequeue(): QueuedPacket | undefined {
    return this.queue.shift();
  }

  /** Whether a packet waits for the reader. */
  get readable(): boolean {
    return this.queue.length > 0;
  }

  /** Drops what waits (the last file let go of a persistent device). */
  detach(): void {
    this.attached = false;
    this.queue.length = 0;
  }

  /**
   * Hands the stack one packet the file's writer wrote: a TAP's Ethernet
   * frame as it is, a TUN's IP packet behind a header naming `etherType`.
   */
  inject(packet: Uint8Array, etherType: number): void {
    if (this.closed || !this.receive) return;
    if (this.kind === 'tap') {
      this.receive(Uint8Array.from(packet));
      return;
    }
    // netstack's NICs take Ethernet frames: a TUN's packet arrives behind a header addressed to the NIC.
    const frame = new Uint8Array(ETHERNET_HEADER_LEN + packet.length);
    const header = new EthernetView(frame);
    header.dst = this.macAddress;
    header.etherType = etherType;
    frame.set(packet, ETHERNET_HEADER_LEN);
    this.receive(frame);
  }
}

/** The EtherType of a bare IP packet from its version nibble; undefined if it is neither IPv4 nor IPv6. */
export function ipEtherType(packet: Uint8Array): number | undefined {
  const version = packet.length > 0 ? packet[0] >> 4 : 0;
  return version === 4 ? ETH_P.IP : version === 6 ? ETH_P.IPV6 : undefined;
}

const devices = new WeakMap<Stack, Map<string, TunDevice>>();

function devicesOf(stack: Stack): Map<string, TunDevice> {
  let map = devices.get(stack);
  if (!map) devices.set(stack, (map = new Map()));
  return map;
}

/** The TUN/TAP device called `name` in `stack`, if there is one. */
export function findTunDevice(stack: Stack, name: string): TunDevice | undefined {
  return devicesOf(stack).get(name);
}

/** Whether `name` may name an interface (dev_valid_name): 1-15 bytes, not "." or "..", no '/', ':' or whitespace. */
export function validInterfaceName(name: string): boolean {
  return name.length > 0 && new TextEncoder().encode(name).length < IFNAMSIZ && name !== '.' && name !== '..' && !/[/:\s]/.test(name);
}

/**
 * Makes a TUN/TAP device and its NIC, down as Linux creates it. `template`
 * is a name or a pattern with one "%d" (the lowest free number is used);
 * EINVAL for an invalid name, EEXIST when another interface has it.
 */
export function createTunDevice(stack: Stack, kind: TunKind, template: string): TunDevice {
  const taken = new Set(stack.listNics().map((n) => n.name));
  let name = template;
  if (template.includes('%d')) {
    let i = 0;
    while (taken.has(template.replace('%d', String(i)))) i++;
    name = template.replace('%d', String(i));
  }
  if (!validInterfaceName(name)) throw new SysError(Errno.EINVAL);
  if (taken.has(name)) throw new SysError(Errno.EEXIST);
  const device = new TunDevice(kind, name);
  device.nic = stack.addNic(device, name);
  stack.setNicUp(device.nic, false);
  devicesOf(stack).set(name, device);
  return device;
}

/** Removes a device and its NIC (its last file closed and it is not persistent). */
export function destroyTunDevice(stack: Stack, device: TunDevice): void {
  devicesOf(stack).delete(device.name);
  stack.removeNic(device.nic);
}
