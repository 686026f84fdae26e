import { LoopbackEndpoint, Stack, type Clock, type LinkEndpoint, type Timer } from '@tvisor/netstack';
import type { Kernel } from '../../kernel.js';

/** The longest single kernel timer the clock arms; longer waits are chained (see KernelClock). */
const TIMER_STEP_MS = 1000;

/**
 * netstack's clock on the kernel's timers. Every timer goes through
 * Kernel.setTimer, so the run loop keeps the event loop live while TCP
 * timers (delayed ACKs, retransmissions) are pending. Long timers
 * (TIME_WAIT, keepalive) are armed in steps of at most a second and dropped
 * once the sandbox's init has exited: the kernel has no shutdown hook, and
 * a pending host timer would otherwise keep runsc alive after the sandbox
 * is gone.
 */
export class KernelClock implements Clock {
  private readonly origin = performance.now();

  constructor(private readonly kernel: Kernel) {}

  now(): number {
    return performance.now() - this.origin;
  }

  setTimer(delayMs: number, callback: () => void): Timer {
    const due = this.now() + Math.max(0, delayMs);
    let cancel: (() => void) | undefined;
    const arm = () => {
      if (this.kernel.init?.exitStatus !== undefined) return;
      const left = due - this.now();
      if (left > TIMER_STEP_MS) {
        cancel = this.kernel.setTimer(TIMER_STEP_MS, arm);
        return;
      }
      cancel = this.kernel.setTimer(left, () => {
        cancel = undefined;
        if (this.kernel.init?.exitStatus === undefined) callback();
      });
    };
    arm();
    return {
      cancel: () => {
        cancel?.();
        cancel = undefined;
      },
    };
  }
}

const stacks = new WeakMap<Kernel, Stack>();

/**
 * The sandbox's network stack, made on the first AF_INET/AF_INET6 socket (or
 * by addSandboxInterface): a loopback NIC "lo" with 127.0.0.1/8 and ::1,
 * plus the interfaces runsc attached before the sandbox started.
 */
export function sandboxStack(kernel: Kernel): Stack {
  let stack = stacks.get(kernel);
  if (!stack) {
    stack = new Stack({ clock: new KernelClock(kernel) });
    const lo = stack.addNic(new LoopbackEndpoint(), 'lo');
    stack.addAddress(lo, '127.0.0.1/8');
    stack.addAddress(lo, '::1/128');
    stacks.set(kernel, stack);
  }
  return stack;
}

/** A network interface the sandbox's stack drives besides lo (e.g. eth0 over an AF_PACKET socket). */
export interface SandboxInterface {
  /** The name programs in the sandbox see (eth0). */
  name: string;
  /** The link under it; the kernel does not close it (its owner does, when the sandbox ends). */
  link: LinkEndpoint;
  /** Addresses with prefix length, e.g. "192.168.10.2/24"; each brings its on-link route. */
  addresses: string[];
  /** Further routes through this interface, e.g. { destination: "0.0.0.0/0", gateway: "192.168.10.1" }. */
  routes?: { destination: string; gateway?: string }[];
}

/**
 * Adds `iface` to the sandbox's stack. Called by runsc before the sandbox's
 * first process starts; a bad address or route is an EINVAL SysError.
 */
export function addSandboxInterface(kernel: Kernel, iface: SandboxInterface): void {
  const stack = sandboxStack(kernel);
  const nic = stack.addNic(iface.link, iface.name);
  for (const cidr of iface.addresses) stack.addAddress(nic, cidr);
  for (const r of iface.routes ?? []) stack.addRoute(r.destination, nic, r.gateway);
}

const hostNetworkKernels = new WeakSet<Kernel>();

/**
 * -network=host: the sandbox's AF_INET/AF_INET6 sockets become host sockets
 * the sentry owns (HostInetSocket) instead of netstack sockets. Set before the
 * sandbox's first process starts.
 */
export function useHostNetwork(kernel: Kernel): void {
  hostNetworkKernels.add(kernel);
}

/** Whether `kernel` serves inet sockets from the host (useHostNetwork). */
export function usesHostNetwork(kernel: Kernel): boolean {
  return hostNetworkKernels.has(kernel);
}
