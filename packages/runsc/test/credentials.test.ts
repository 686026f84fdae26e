import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compileC, native, runsc } from './helpers.js';

const CREDENTIALS = readFileSync(new URL('./fixtures/credentials.c', import.meta.url), 'utf8');

describe('runsc do: credentials and capabilities (differential against Linux as root)', () => {
  // Native Linux is the oracle only when this runs as root (as CI does).
  it.skipIf(process.getuid?.() !== 0)('capset, set*id, setfsuid, keep-caps, bounding and ambient sets, and the permission checks that follow them', () => {
    const prog = compileC(CREDENTIALS, ['-static']);
    const want = native([prog]);
    expect(want.status).toBe(0);
    const got = runsc(['do', prog]);
    expect(got.stdout).toBe(want.stdout);
    expect(got.status).toBe(0);
    // Anchors, so that an empty or truncated run of both cannot pass.
    expect(got.stdout).toContain('open without dac_override: Permission denied\n');
    expect(got.stdout).toContain('after setuid: eff setuid=0 dac_override=0 chown=0 prm setuid=0 dac_override=0\n');
    expect(got.stdout).toContain('keepcaps after setresuid: eff setuid=0 dac_override=0 chown=0 prm setuid=1 dac_override=1\n');
    expect(got.stdout).toContain('fsuid 1000: eff setuid=1 dac_override=0 chown=0 prm setuid=1 dac_override=1\n');
    expect(got.stdout).toContain('ambient raise: 0 is_set 1\n');
    expect(got.stdout).toContain('capget versions: exit 0\n');
  });
});
