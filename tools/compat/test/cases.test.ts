import { describe, expect, it } from 'vitest';
import { allCases, casesByFile } from '../cases/index.js';

describe('the cases', () => {
  it('have unique names', () => {
    const names = allCases.map((c) => c.name);
    expect(names.filter((n, i) => names.indexOf(n) !== i)).toEqual([]);
  });

  it('are named after the file that defines them', () => {
    for (const [file, cases] of Object.entries(casesByFile)) {
      for (const c of cases) expect(c.name.startsWith(`${file}/`), c.name).toBe(true);
    }
  });

  it('each name a command and the Debian packages it needs', () => {
    for (const c of allCases) {
      expect(c.argv.length, c.name).toBeGreaterThan(0);
      expect(c.packages.length, c.name).toBeGreaterThan(0);
    }
  });

  it('keep their files inside the work directory', () => {
    for (const c of allCases) {
      for (const path of Object.keys(c.files ?? {})) {
        expect(path.startsWith('/') || path.split('/').includes('..'), `${c.name}: ${path}`).toBe(false);
      }
    }
  });
});
