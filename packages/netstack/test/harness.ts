// Shared test fixtures: two stacks joined by an in-memory channel under a virtual clock.

import { ChannelPair, type ChannelOptions } from '../src/link/channel.js';
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
