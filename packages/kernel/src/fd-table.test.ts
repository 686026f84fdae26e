import type { FileDescription } from '@tvisor/vfs';
import { describe, expect, it } from 'vitest';
import { FdTable } from './fd-table.js';

/** A description that only counts references: all FdTable touches. */
function countedFile(): FileDescription & { held: number } {
  const f = {
    held: 1,
    get refCount() {
      return f.held;
    },
    incRef() {
      f.held++;
    },
    decRef() {
      f.held--;
    },
  };
  return f as unknown as FileDescription & { held: number };
}

describe('FdTable.unshare (execve of a process sharing its table through CLONE_FILES)', () => {
  it('is the table itself when no one else uses it', () => {
    const table = new FdTable();
    table.add(countedFile(), true);
    expect(table.unshare()).toBe(table);
  });

  it('gives the exec-ing process a copy, so its close-on-exec leaves the other sharer intact', () => {
    const table = new FdTable();
    const cloexec = countedFile();
    const kept = countedFile();
    table.add(cloexec, true);
    table.add(kept, false);
    const shared = table.share();
    const own = shared.unshare();
    expect(own).not.toBe(table);
    own.closeOnExec();
    // The parent's table still holds both; the copy dropped only its own reference.
    expect(table.fds()).toEqual([0, 1]);
    expect(own.fds()).toEqual([1]);
    expect(cloexec.held).toBe(1);
    expect(kept.held).toBe(2);
    // The parent is now the table's only user: its exit closes everything.
    table.release();
    expect(cloexec.held).toBe(0);
    expect(kept.held).toBe(1);
  });
});
