import { describe, expect, it } from 'vitest';
import { FakePlatform } from '../src/testing/index.js';

describe('FakePlatform', () => {
  it('reports only the stops a test queued, in order, and nothing after', async () => {
    const p = new FakePlatform();
    const { context } = p.newProcess();
    p.resume(context);
    expect(p.runningCount).toBe(0);
    p.queueStop(context.stop('syscall', {}));
    p.queueStop(context.stop('fault', { signal: 11, code: 1, addr: 0x10 }));
    expect(p.runningCount).toBe(2);
    expect(p.wait()?.kind).toBe('syscall');
    expect(await p.waitAsync()).toMatchObject({ kind: 'fault', addr: 0x10 });
    expect(p.pollStop()).toBeUndefined();
    expect(p.wait()).toBeUndefined();
  });

  it('asks a running context to stop, ignores a stopped or killed one', () => {
    const p = new FakePlatform();
    const { context } = p.newProcess();
    p.interrupt(context);
    expect(context.interruptRequested).toBe(false);
    p.resume(context);
    p.interrupt(context);
    expect(context.interruptRequested).toBe(true);
    const thread = p.newThread(context);
    expect(thread.addressSpace).toBe(context.addressSpace);
    p.endThread(thread);
    p.resume(thread);
    expect(thread.running).toBe(false);
    p.shutdown();
    expect(p.contexts.every((c) => c.killed)).toBe(true);
  });

  it('records address-space calls and keeps FP state as a copy', () => {
    const { addressSpace, context } = new FakePlatform().newProcess();
    addressSpace.mapFile(0x1000, 0x2000, 0, 3);
    addressSpace.flush();
    expect(addressSpace.calls).toEqual([{ op: 'mapFile', addr: 0x1000, length: 0x2000, fileOffset: 0, prot: 3 }, { op: 'flush' }]);
    const fp = new Uint8Array([1, 2, 3]);
    context.setFpState(fp);
    fp[0] = 9;
    expect([...context.getFpState()]).toEqual([1, 2, 3]);
  });
});
