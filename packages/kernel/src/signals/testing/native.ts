// Test support: compiles the C oracles in this folder with the host's gcc and
// parses what they print. Tests compare the TypeScript frames against them.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));

/** A scratch directory for compiled oracles, removed by `dispose`. */
export class Oracles {
  readonly dir = mkdtempSync(join(tmpdir(), 'tvisor-signals-'));

  /** Compiles `testing/<name>.c` (static, no red zone so inline asm may push) and returns the binary's path. */
  compile(name: string, extraFlags: readonly string[] = []): string {
    const out = join(this.dir, name);
    execFileSync('gcc', ['-O1', '-static', '-mno-red-zone', '-o', out, join(HERE, `${name}.c`), ...extraFlags], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    return out;
  }

  /** Compiles C source text and returns the binary's path. */
  compileSource(name: string, source: string): string {
    const out = join(this.dir, name);
    execFileSync('gcc', ['-O1', '-o', out, '-x', 'c', '-'], { input: source, stdio: ['pipe', 'ignore', 'pipe'] });
    return out;
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Runs `binary` with `args`; returns its stdout split into lines of space-separated fields. */
export function runLines(binary: string, args: readonly string[]): string[][] {
  const out = execFileSync(binary, args, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 30_000 });
  return out
    .trim()
    .split('\n')
    .map((l) => l.split(' '));
}

export function hexBytes(hex: string | undefined): Uint8Array {
  return new Uint8Array(Buffer.from(hex ?? '', 'hex'));
}

export function hexNum(hex: string): number {
  const v = Number.parseInt(hex, 16);
  if (!Number.isSafeInteger(v)) throw new RangeError(`${hex} is not a safe integer`);
  return v;
}

export function hexBig(hex: string): bigint {
  return BigInt(`0x${hex}`);
}
