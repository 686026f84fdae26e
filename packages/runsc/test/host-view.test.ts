import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runscAsync } from './helpers.js';

/** The host processes `pid`'s threads started (the stubs of a sentry). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
    if (text) out.push(...text.split(/\s+/).map(Number));
  }
  return out;
}

describe('runsc do, seen from the host', () => {
  it("stub processes are named tvisor-stub (comm), not by the fd they were exec'd from", async () => {
    const child = runscAsync(['do', '/bin/busybox', 'sh', '-c', 'echo ready; exec sleep 60']);
    try {
      // Synchronise on the sandboxed shell's line, then look at the sentry's children.
      await new Promise<void>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d) => {
          out += d;
          if (out.includes('ready\n')) resolve();
        });
        child.on('exit', () => reject(new Error('runsc exited early')));
      });
      const stubs = childrenOf(child.pid!);
      expect(stubs.length).toBeGreaterThan(0);
      // A spare stub the platform is starting names itself once its image runs: each child is
      // looked at until it has (bounded), so a stub that never does still fails.
      const settledComm = async (path: string) => {
        let comm = readFileSync(path, 'utf8');
        for (let i = 0; i < 100 && comm !== 'tvisor-stub\n'; i++) {
          await new Promise((r) => setTimeout(r, 50));
          comm = readFileSync(path, 'utf8');
        }
        return comm;
      };
      for (const pid of stubs) expect(await settledComm(`/proc/${pid}/comm`)).toBe('tvisor-stub\n');
      // Every thread of a stub carries the name too (ps -L, top -H).
      for (const pid of stubs) {
        for (const tid of readdirSync(`/proc/${pid}/task`)) expect(await settledComm(`/proc/${pid}/task/${tid}/comm`)).toBe('tvisor-stub\n');
      }
    } finally {
      child.kill('SIGKILL');
      await new Promise((resolve) => child.on('close', resolve));
    }
  });
});
