// The README's example (examples/two-stacks.mjs) runs as written: under
// vitest '@tvisor/netstack' resolves to the sources.

import { describe, expect, it, vi } from 'vitest';

describe('README example', () => {
  it('two stacks over an in-memory link exchange TCP data', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(args.join(' '));
    });
    try {
      // @ts-expect-error plain JavaScript module without types
      await import('../examples/two-stacks.mjs');
      for (let i = 0; i < 200 && lines.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      spy.mockRestore();
    }
    expect(lines).toContain('client got: HELLO OVER A USERSPACE TCP/IP STACK');
  });
});
