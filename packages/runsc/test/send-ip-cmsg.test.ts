import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileC, runsc, testEnv } from './helpers.js';

// IP-level control messages of sendmsg (IP_TTL, IP_TOS, IPV6_HOPLIMIT,
// IPV6_TCLASS) with Linux as the oracle: the program runs in a fresh network
// namespace (lo up, with ::1) and under runsc do, and must print the same lines.

const SOURCE = readFileSync(new URL('./fixtures/send-ip-cmsg.c', import.meta.url), 'utf8');

function inFreshNetns(cmd: string[]) {
  return spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$@"', 'sh', ...cmd], { encoding: 'utf8', timeout: 60_000, env: testEnv() });
}

const canUnshare = inFreshNetns(['true']).status === 0;

describe.skipIf(!canUnshare)('sendmsg IP control messages as Linux applies them', () => {
  it('IP_TTL/IP_TOS set one datagram’s header (also from an IPv6 socket to a v4-mapped peer), IPV6_HOPLIMIT/IPV6_TCLASS an IPv6 one, -1 keeps the default, bad values are EINVAL', () => {
    const prog = compileC(SOURCE);
    const want = inFreshNetns([prog]);
    expect(want.status, want.stderr).toBe(0);
    const got = runsc(['do', prog], { timeout: 120_000 });
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(0);
    // Anchors, so that an empty or truncated run of both cannot pass.
    expect(got.stdout).toContain('v4 after IP_TTL 42: (0,2)=42');
    expect(got.stdout).toContain('v6 after IPV6_HOPLIMIT 42: (41,52)=42');
    expect(got.stdout).toContain('IP_TTL 0: Invalid argument');
    expect(got.stdout).toMatch(/\ndone\n$/);
  });
});
