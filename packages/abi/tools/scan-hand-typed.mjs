#!/usr/bin/env node
// Looks through TypeScript sources for errno and syscall numbers typed by hand
// instead of taken from @tvisor/abi (Errno.ENOENT, SYS.openat...). Heuristic:
// it flags only shapes that are almost always such numbers. Usage:
//   node tools/scan-hand-typed.mjs [dir...]   (default: every other package's src/)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** [rule name, pattern] pairs; a pattern matches one line. */
export const RULES = [
  ['SysError with a numeric errno', /\bnew\s+SysError\(\s*\d+/],
  ['numeric errno property', /\berrno\s*[:=]\s*[1-9]\d*\b/],
  ['negative errno returned as a literal', /\breturn\s+-(?:[2-9]|\d{2,3})\s*;/],
  ['syscall number compared with a literal', /\b(?:nr|sysno|syscallNo|syscallNr|orig_rax|origRax)\s*[!=]==?\s*\d+n?\b/],
  ['numeric errno name lookup', /\b(?:errnoName|strerror)\(\s*\d+\s*\)/],
];

/** Findings for one file's text: { line, rule, text }. Comment-only lines are skipped. */
export function scanText(text) {
  const findings = [];
  text.split('\n').forEach((line, i) => {
    const code = line.trim();
    if (code.startsWith('//') || code.startsWith('*') || code.startsWith('/*')) return;
    for (const [rule, re] of RULES) if (re.test(line)) findings.push({ line: i + 1, rule, text: code });
  });
  return findings;
}

function* tsFiles(dir) {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) {
      if (name !== 'node_modules' && name !== 'dist') yield* tsFiles(p);
    } else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) {
      yield p;
    }
  }
}

/** Findings under `dirs`, each with its file path. */
export function scanDirs(dirs) {
  const out = [];
  for (const dir of dirs) for (const file of tsFiles(dir)) for (const f of scanText(readFileSync(file, 'utf8'))) out.push({ file, ...f });
  return out;
}

/** The src/ directories of every package except abi. */
export function otherPackageSources() {
  const packages = fileURLToPath(new URL('../../', import.meta.url));
  return readdirSync(packages)
    .filter((p) => p !== 'abi')
    .map((p) => join(packages, p, 'src'))
    .filter((p) => { try { return statSync(p).isDirectory(); } catch { return false; } });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dirs = process.argv.length > 2 ? process.argv.slice(2) : otherPackageSources();
  const findings = scanDirs(dirs);
  for (const f of findings) console.log(`${relative(process.cwd(), f.file)}:${f.line}: ${f.rule}: ${f.text}`);
  process.exitCode = findings.length > 0 ? 1 : 0;
}
