import { Errno, O, SEEK, SysError } from '@tvisor/abi';
import { expect, it } from 'vitest';
import { ROOT_CREDENTIALS, TmpfsFilesystem, VirtualFilesystem } from '../src/index.js';

// The first README example, verbatim in substance, with its printed values asserted.
it('README example works as documented', () => {
  const vfs = new VirtualFilesystem(new TmpfsFilesystem({ mode: 0o755 }));
  const ctx = vfs.context(ROOT_CREDENTIALS);
  vfs.mkdirAt(ctx, '/etc', 0o755);
  const fd = vfs.openAt(ctx, '/etc/motd', { flags: O.CREAT | O.RDWR, mode: 0o644 });
  fd.write(new TextEncoder().encode('hello\n'));
  fd.seek(0, SEEK.SET);
  const buf = new Uint8Array(64);
  const n = fd.read(buf);
  expect([new TextDecoder().decode(buf.subarray(0, n)), fd.stat().size]).toEqual(['hello\n', 6]);
  fd.decRef();
  vfs.symlinkAt(ctx, 'motd', '/etc/link');
  expect([vfs.readlinkAt(ctx, '/etc/link'), vfs.statAt(ctx, '/etc/link').mode.toString(8)]).toEqual(['motd', '100644']);
  let caught = false;
  try {
    vfs.rmdirAt(ctx, '/etc');
  } catch (e) {
    caught = e instanceof SysError && e.errno === Errno.ENOTEMPTY;
  }
  expect(caught).toBe(true);
});

it('README code blocks are the shipped example files, verbatim', async () => {
  const { readFileSync, readdirSync } = await import('node:fs');
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  const dir = new URL('../examples/', import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith('.mjs'));
  expect(files.length).toBeGreaterThan(1);
  for (const f of files) {
    expect(readme).toContain(`](examples/${f})`);
    expect(readme).toContain('```js\n' + readFileSync(new URL(f, dir), 'utf8') + '```');
  }
});
