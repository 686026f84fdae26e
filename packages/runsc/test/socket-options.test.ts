import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

const SOCKET_OPTIONS = readFileSync(new URL('./fixtures/socket-options.c', import.meta.url), 'utf8');

describe('runsc do: socket options and receive semantics (differential against Linux)', () => {
  it('SO_TIMESTAMP(NS) control messages, SIOCGSTAMP, UDP receive-buffer admission, SCM_CREDENTIALS claims and unix stream SCM_RIGHTS edges answer as Linux', () => {
    const prog = compileC(SOCKET_OPTIONS);
    const want = native([prog]);
    expect(want.status).toBe(0);
    const got = runsc(['do', prog], { timeout: 120_000 });
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(0);
    // Anchors, so that an empty or truncated run of both cannot pass.
    expect(got.stdout).toContain('SIOCGSTAMP before any datagram: ENOENT');
    expect(got.stdout).toContain('SO_TIMESTAMP: recv 0 cmsg(1,29,32) near-now=yes');
    expect(got.stdout).toContain('larger than SO_RCVBUF: recv 2305');
    expect(got.stdout).toContain('SCM_CREDENTIALS pid -1: ESRCH');
    expect(got.stdout).toContain("SCM_CREDENTIALS zombie child's pid as root: ok");
    expect(got.stdout).toContain('empty SCM_RIGHTS then write: read 20');
    expect(got.stdout).toContain('SHUT_RD recv MSG_DONTWAIT: EAGAIN');
    expect(got.stdout).toContain('zero-length recvmsg: 0, cmsg SCM_RIGHTS');
    expect(got.stdout).toMatch(/\ndone\n$/);
  });
});
