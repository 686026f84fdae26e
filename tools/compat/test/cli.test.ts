import { describe, expect, it } from 'vitest';
import { allCases } from '../cases/index.js';
import { debianPackages, main, parseArgs, selectCases, UsageError } from '../src/main.js';

describe('parseArgs', () => {
  it('reads filters (repeated, comma-separated, with or without =), --json and --runsc', () => {
    expect(parseArgs(['--filter', 'bash/,git', '--filter=sqlite', '--json', '--runsc', 'runsc --network=none'])).toEqual({
      filters: ['bash/', 'git', 'sqlite'],
      json: true,
      list: false,
      packages: false,
      prune: false,
      runsc: ['runsc', '--network=none'],
    });
  });

  it('rejects unknown flags and missing values', () => {
    expect(() => parseArgs(['--nope'])).toThrow(UsageError);
    expect(() => parseArgs(['--filter'])).toThrow(/needs a value/);
  });
});

describe('selectCases', () => {
  it('selects by substring of the name, any filter matching', () => {
    const selected = selectCases(allCases, ['sqlite/', 'jobs/timeout']).map((c) => c.name);
    expect(selected.length).toBeGreaterThan(1);
    expect(selected.every((n) => n.startsWith('sqlite/') || n === 'jobs/timeout')).toBe(true);
    expect(selectCases(allCases, [])).toHaveLength(allCases.length);
  });
});

describe('main', () => {
  it('lists the selected cases', async () => {
    let out = '';
    expect(await main(['--list', '--filter', 'perl/'], (t) => (out += t))).toBe(0);
    expect(out.trim().split('\n')).toEqual(allCases.filter((c) => c.name.startsWith('perl/')).map((c) => c.name));
  });
});

describe('debianPackages', () => {
  it("is the sorted union of the cases' packages", () => {
    const packages = debianPackages(allCases.filter((c) => c.name.startsWith('toolchain/')));
    expect(packages).toEqual([...new Set(packages)].sort());
    expect(packages).toEqual(expect.arrayContaining(['gcc', 'libc6-dev', 'make']));
    expect(packages).not.toContain('sqlite3');
  });
});
