import { POLL } from '@tvisor/abi';
import { describe, expect, it } from 'vitest';
import { exclusiveWaiter, WaiterQueue } from '../src/index.js';

describe('WaiterQueue', () => {
  it('calls every ordinary waiter, then exclusive waiters in subscription order until one takes the wakeup', () => {
    const q = new WaiterQueue();
    const calls: string[] = [];
    q.subscribe(
      POLL.IN,
      exclusiveWaiter(() => (calls.push('x1 declines'), false)),
    );
    q.subscribe(
      POLL.IN,
      exclusiveWaiter(() => (calls.push('x2 takes'), true)),
    );
    q.subscribe(
      POLL.IN,
      exclusiveWaiter(() => (calls.push('x3'), true)),
    );
    q.subscribe(POLL.IN, () => calls.push('plain'));
    q.subscribe(
      POLL.OUT,
      exclusiveWaiter(() => (calls.push('x4 (other events)'), true)),
    );
    q.notify(POLL.IN);
    expect(calls).toEqual(['plain', 'x1 declines', 'x2 takes']);
    calls.length = 0;
    q.notify(POLL.OUT);
    expect(calls).toEqual(['x4 (other events)']);
  });
});
