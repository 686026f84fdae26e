import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

const NAMESPACES = readFileSync(new URL('./fixtures/namespaces.c', import.meta.url), 'utf8');

describe('runsc do: UTS, IPC and user namespaces, /proc/PID/ns and setns (differential against Linux as root)', () => {
  // Native Linux is the oracle only when this runs as root (as CI does): an unprivileged host refuses some of these.
  it.skipIf(process.getuid?.() !== 0)('unshare, setns, uid_map/gid_map/setgroups and the ids and capabilities that follow them', () => {
    const prog = compileC(NAMESPACES, ['-static']);
    const want = native([prog]);
    expect(want.status).toBe(0);
    const got = runsc(['do', prog], { timeout: 120_000 });
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(0);
    // Anchors, so that an empty or truncated run of both cannot pass.
    expect(got.stdout).toContain('init uid_map:          0          0 4294967295\n');
    expect(got.stdout).toContain('back: inode 1, nodename is inner 0\n');
    expect(got.stdout).toContain('queue in new namespace: No such file or directory\nsetns(ipc): ok\nqueue back: 1\n');
    expect(got.stdout).toContain('ids before maps: 65534 65534\n');
    expect(got.stdout).toContain('map another id: Operation not permitted\nmap own uid as 0: ok\n');
    expect(got.stdout).toContain('sethostname outside the uts namespace: Operation not permitted\n');
    expect(got.stdout).toContain('child uid_map:          0       1000         10\n       100       2000          5\n');
    expect(got.stdout).toContain("setns into child's user namespace: ok\nuid there: 65534\n");
  });
});
