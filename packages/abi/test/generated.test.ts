import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generate as generateSyscalls } from '../tools/gen-syscalls.mjs';
import { generate as generateErrno } from '../tools/gen-errno.mjs';
import { SYS, SYSCALL_NAMES, syscallName } from '../src/index.js';

const committed = (name: string): string => readFileSync(new URL(`../src/generated/${name}`, import.meta.url), 'utf8');

describe('generated tables match the host headers', () => {
  it('syscalls.ts is what tools/gen-syscalls.mjs produces now', () => {
    expect(generateSyscalls()).toBe(committed('syscalls.ts'));
  });

  it('errno.ts is what tools/gen-errno.mjs produces now', () => {
    expect(generateErrno()).toBe(committed('errno.ts'));
  });
});

describe('syscall lookups', () => {
  it('SYSCALL_NAMES inverts SYS', () => {
    for (const [name, nr] of Object.entries(SYS)) expect(SYSCALL_NAMES[nr]).toBe(name);
    expect(SYSCALL_NAMES.filter((n) => n !== undefined).length).toBe(Object.keys(SYS).length);
  });

  it('syscallName names holes', () => {
    expect(syscallName(SYS.openat)).toBe('openat');
    expect(syscallName(400)).toBe('syscall_400');
  });
});
