import { describe, expect, it } from 'vitest';
import { native, runsc } from './helpers.js';

describe('runsc do: /proc/cmdline', () => {
  it('exists and is one non-empty line, as on Linux', () => {
    const script = 'head -c 1 /proc/cmdline | wc -c; wc -l < /proc/cmdline';
    const expected = native(['/bin/sh', '-c', script]).stdout;
    expect(expected).toBe('1\n1\n');
    expect(runsc(['do', '/bin/sh', '-c', script]).stdout).toBe(expected);
  }, 60_000);
});
