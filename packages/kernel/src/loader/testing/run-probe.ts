// Test support: runs the stack probe natively with address randomization off
// (setarch -R), so its stack layout is deterministic and comparable.
import { spawnSync } from 'node:child_process';

export interface ProbeRun {
  argc: number;
  top: number;
  sp: number;
  dump: Uint8Array;
  phdr: number;
  phent: number;
  phnum: number;
  base: number;
  entry: number;
  flags: number;
}

/** Runs `binary` (absolute path) with exactly `args` after argv[0] and `env` as its environment. */
export function runProbe(binary: string, args: readonly string[], env: Record<string, string>): ProbeRun {
  const result = spawnSync('setarch', ['x86_64', '-R', binary, ...args], { env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`probe failed: ${result.stderr} ${result.error ?? ''}`);
  const fields = new Map<string, string>();
  for (const line of result.stdout.split('\n')) {
    const space = line.indexOf(' ');
    if (space > 0) fields.set(line.slice(0, space), line.slice(space + 1));
  }
  const hex = (key: string): number => {
    const v = fields.get(key);
    if (v === undefined) throw new Error(`probe printed no ${key}`);
    return Number.parseInt(v, 16);
  };
  return {
    argc: Number(fields.get('argc')),
    top: hex('top'),
    sp: hex('sp'),
    dump: new Uint8Array(Buffer.from(fields.get('dump') ?? '', 'hex')),
    phdr: hex('phdr'),
    phent: hex('phent'),
    phnum: hex('phnum'),
    base: hex('base'),
    entry: hex('entry'),
    flags: hex('flags'),
  };
}
