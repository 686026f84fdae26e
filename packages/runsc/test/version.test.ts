// The CLI's version is read from package.json when the bundle is built (no
// hand-copied constant to forget at release time).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runsc } from './helpers.js';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

describe('runsc --version', () => {
  it("prints the package's version, as built into the bundle", () => {
    const r = runsc(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(`runsc version tvisor-${version}`);
  });
});
