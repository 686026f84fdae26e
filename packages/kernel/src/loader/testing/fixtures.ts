// Test support: the three kinds of executables the loader must handle, built
// once per test file from the stack probe source.
import { readFileSync } from 'node:fs';
import { Scratch } from './native.js';

export const PROBE_SOURCE = readFileSync(new URL('./stack-probe.c', import.meta.url), 'utf8');

export const KINDS = {
  static: ['-static'],
  staticPie: ['-static-pie', '-fPIE'],
  dynamic: ['-fPIE', '-pie'],
} as const;

export type Kind = keyof typeof KINDS;

/** Compiles the probe in every kind; the caller disposes the scratch directory. */
export function buildProbes(): { scratch: Scratch; binaries: Record<Kind, string> } {
  const scratch = new Scratch();
  const binaries = {} as Record<Kind, string>;
  for (const kind of Object.keys(KINDS) as Kind[]) binaries[kind] = scratch.compile(`probe-${kind}`, PROBE_SOURCE, KINDS[kind]);
  return { scratch, binaries };
}
