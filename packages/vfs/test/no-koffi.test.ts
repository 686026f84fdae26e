// A tmpfs-only user installs no native module: the main entry and the fs
// facade load with koffi unresolvable, and only the host entry needs it.
import { expect, it, vi } from 'vitest';

vi.mock('koffi', () => {
  throw new Error('Cannot find package koffi (made unresolvable by this test)');
});

it('@tvisor/vfs and @tvisor/vfs/fs load and work without koffi; @tvisor/vfs/host does not', async () => {
  const core = await import('../src/index.js');
  const { fs } = await import('../src/fs.js');
  fs.writeFileSync('/f', 'no native code');
  expect([typeof core.VirtualFilesystem, fs.readFileSync('/f', 'utf8')]).toEqual(['function', 'no native code']);
  // vitest wraps the factory's error; its cause is ours.
  const err = await import('../src/host.js').then(
    () => undefined,
    (e: Error) => e,
  );
  expect(`${err?.message} ${(err?.cause as Error | undefined)?.message}`).toMatch(/Cannot find package koffi/);
});
