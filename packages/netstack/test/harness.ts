// Shared test fixtures: two stacks joined by an in-memory channel under a virtual clock.

import { SysError } from '../src/abi.js';
import { ChannelPair, type ChannelOptions } from '../src/link/channel.js';
import { LoopbackEndpoint } from '../src/link/loopback.js';
import { Stack } from '../src/stack/stack.js';
import type { Nic } from '../src/stack/nic.js';
import { VirtualClock } from '../src/time/virtual-clock.js';
import { seededRandom } from '../src/link/channel.js';
import type { TcpConfig } from '../src/tcp/config.js';

export interface Pair {
  clock: VirtualClock;
  channel: ChannelPair;
  a: Stack;
  b: Stack;
  nicA: Nic;
  nicB: Nic;
}

/** Stacks a (10.0.0.1, fd00::1) and b (10.0.0.2, fd00::2) on one link. */
export function makePair(opts: ChannelOptions = {}, seed = 7, tcp: Partial<TcpConfig> = {}, staticNeighbors = false): Pair {
  const clock = new VirtualClock();
  const channel = new ChannelPair(clock, opts);
  const a = new Stack({ clock, random: seededRandom(seed), tcp });
  const b = new Stack({ clock, random: seededRandom(seed + 1), tcp });
  const nicA = a.addNic(channel.a);
  const nicB = b.addNic(channel.b);
  a.addAddress(nicA, '10.0.0.1/24');
  b.addAddress(nicB, '10.0.0.2/24');
  a.addAddress(nicA, 'fd00::1/64');
  b.addAddress(nicB, 'fd00::2/64');
  if (staticNeighbors) {
    // Lets properties about TCP/UDP ignore neighbour resolution, which (as on
    // Linux) gives up after three unanswered solicitations.
    a.addNeighbor(nicA, '10.0.0.2', channel.b.macAddress);
    a.addNeighbor(nicA, 'fd00::2', channel.b.macAddress);
    b.addNeighbor(nicB, '10.0.0.1', channel.a.macAddress);
    b.addNeighbor(nicB, 'fd00::1', channel.a.macAddress);
  }
  return { clock, channel, a, b, nicA, nicB };
}

/** The errno a call throws as a SysError, or 0 when it returns. */
export function errnoOf(fn: () => unknown): number {
  try {
    fn();
  } catch (e) {
    if (e instanceof SysError) return e.errno;
    throw e;
  }
  return 0;
}

/** A stack on a virtual clock with one loopback NIC holding 127.0.0.1/8 (and ::1 unless `v6` is false). */
export function loopbackStack(v6 = true): { st: Stack; clock: VirtualClock; lo: number } {
  const clock = new VirtualClock();
  const st = new Stack({ clock });
  const nic = st.addNic(new LoopbackEndpoint(), 'lo');
  st.addAddress(nic, '127.0.0.1/8');
  if (v6) st.addAddress(nic, '::1/128');
  return { st, clock, lo: nic.id };
}
