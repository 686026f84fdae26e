// Compiles and runs a one-file C program with the host gcc; shared by the
// generators and the header-conformance tests.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Compiles `source` (C11 + GNU extensions), runs it, returns its stdout. */
export function compileAndRun(source, name = 'prog') {
  const dir = mkdtempSync(join(tmpdir(), 'tvisor-abi-'));
  try {
    const c = join(dir, `${name}.c`);
    const exe = join(dir, name);
    writeFileSync(c, source);
    execFileSync('gcc', ['-std=gnu11', '-O0', '-w', '-o', exe, c], { stdio: ['ignore', 'pipe', 'pipe'] });
    return execFileSync(exe, { encoding: 'utf8', maxBuffer: 64 << 20 });
  } catch (e) {
    const err = /** @type {{stderr?: Buffer|string}} */ (e);
    throw new Error(`C program ${name} failed: ${err.stderr ? String(err.stderr) : String(e)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
