import { POLL } from '@tvisor/abi';
import { describe, expect, it } from 'vitest';
import type { Kernel } from '../kernel.js';
import { Terminal } from './terminal.js';

describe('a terminal fed by its master', () => {
  it('input is taken in once even when a reader woken by it feeds the terminal again at once', () => {
    // No signals are sent here: the kernel is never used.
    const term = new Terminal({} as unknown as Kernel, 0);
    let refed = 0;
    // A reader that wakes on input and (as a read does, having made room) feeds pending input.
    term.subscribe('replica', POLL.IN, () => {
      if (refed++ === 0) term.feed();
    });
    term.typeInput(new TextEncoder().encode('world\n'));
    expect(refed).toBeGreaterThan(0);
    expect(new TextDecoder().decode(term.ld.takeOutput(1024))).toBe('world\r\n');
    expect(new TextDecoder().decode(term.ld.read(1024) ?? new Uint8Array())).toBe('world\n');
  });
});
