import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

const SOCKET_FILTER = readFileSync(new URL('./fixtures/socket-filter.c', import.meta.url), 'utf8');

describe('runsc do: socket filters (differential against Linux)', () => {
  it('SO_ATTACH_FILTER drops and trims UDP datagrams as Linux does; SO_DETACH_FILTER, SO_LOCK_FILTER, SO_GET_FILTER and their errnos match, an accepted TCP connection inherits its listener filter, and NETLINK_ROUTE replies pass the filter', () => {
    const prog = compileC(SOCKET_FILTER);
    const want = native([prog]);
    expect(want.status).toBe(0);
    const got = runsc(['do', prog], { timeout: 120_000 });
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(0);
    // Anchors, so that an empty or truncated run of both cannot pass.
    expect(got.stdout).toContain('udp detach with none: ENOENT');
    expect(got.stdout).toContain('udp attach division by 0: EINVAL');
    expect(got.stdout).toContain('udp received 2: tr\n');
    expect(got.stdout).not.toContain('xdropped');
    expect(got.stdout).toContain('udp detach when locked: EPERM');
    expect(got.stdout).toContain('tcp accepted: SO_GET_FILTER optlen 0: ok, optlen 1');
    expect(got.stdout).toContain('netlink reply through a dropping filter: EAGAIN');
    expect(got.stdout).toContain('netlink reply through a header-only filter: 16 bytes');
    expect(got.stdout).toMatch(/\ndone\n$/);
  });
});
