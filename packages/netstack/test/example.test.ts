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

  it('the node:net facade example (examples/net-facade.mjs) prints what its README shows', async () => {
    const lines: string[] = [];
    const spy = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
      lines.push(args.join(' '));
    });
    try {
      // @ts-expect-error plain JavaScript module without types
      await import('../examples/net-facade.mjs');
      for (let i = 0; i < 200 && lines.length < 4; i++) await new Promise((r) => setTimeout(r, 50));
    } finally {
      spy.mockRestore();
    }
    expect(lines).toEqual([
      'listening on {"address":"10.0.0.1","family":"IPv4","port":7}',
      'connected from 10.0.0.2 to 10.0.0.1:7',
      'HELLO THROUGH A USERSPACE TCP/IP STACK',
      'ECONNREFUSED connect connect ECONNREFUSED 10.0.0.1:9',
    ]);
  });

  it('README code blocks are the example files, verbatim', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const f of ['net-facade.mjs']) {
      expect(readme).toContain(`](examples/${f})`);
      expect(readme).toContain('```js\n' + readFileSync(new URL(`../examples/${f}`, import.meta.url), 'utf8') + '```');
    }
  });
});
