import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('the config.json validator compiled at build time', () => {
  it('matches the schema it was generated from (regenerate with npm run gen:config-validator)', () => {
    const r = spawnSync(process.execPath, [join(__dirname, '../tools/gen-config-validator.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
