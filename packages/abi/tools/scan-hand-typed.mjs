#!/usr/bin/env node
// Looks through TypeScript sources for ABI numbers typed by hand instead of
// taken from @tvisor/abi: errnos and syscall numbers (Errno.ENOENT,
// SYS.openat...), wait flags (WAIT.ALL), AT_ constants (AT.FDCWD), signal
// numbers and dispositions (Signal.SIGCHLD, SIG.IGN) and filesystem magics
// (FS_MAGIC.PROC_SUPER_MAGIC). Heuristic: it flags only shapes that are almost
// always such numbers. Usage:
//   node tools/scan-hand-typed.mjs [dir...]   (default: every other package's src/)
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** [rule name, pattern] pairs; a pattern matches one line. */
export const RULES = [
  ['SysError with a numeric errno', /\bnew\s+SysError\(\s*\d+/],
  ['numeric errno property', /\berrno\s*[:=]\s*[1-9]\d*\b/],
  ['negative errno returned as a literal', /\breturn\s+-(?:[2-9]|\d{2,3})\s*;/],
  ['syscall number compared with a literal', /\b(?:nr|sysno|syscallNo|syscallNr|orig_rax|origRax)\s*[!=]==?\s*\d+n?\b/],
  ['numeric errno name lookup', /\b(?:errnoName|strerror)\(\s*\d+\s*\)/],
  // A local copy of a C constant: `const __WALL = 0x40000000`, `const SIGRTMIN = 32`, `const PROC_MAGIC = 0x9fa0`.
  [
    'ABI constant defined by a literal',
    /\bconst\s+(?:__W[A-Z]+|W(?:NOHANG|UNTRACED|STOPPED|EXITED|CONTINUED|NOWAIT)|AT_[A-Z_]+|SIG[A-Z]+(?:MIN|MAX)?|SIG_[A-Z]+|[A-Z0-9_]*_MAGIC)\s*(?::\s*\w+\s*)?=\s*-?(?:0x[0-9a-fA-F]+|\d+)n?\b/,
  ],
  ['AT_FDCWD as a literal', /(?:[!=]==?|[(,])\s*-100\b/],
  ['signal disposition compared with a literal', /\bhandler\s*[!=]==?\s*[01]n?\b/],
  ['signal number typed by hand', /\b(?:exitSignal|signo|termSig|stopSig)\s*(?:=|[!=]==?)\s*(?:[1-9]|[1-5]\d|6[0-4])\b/],
];

/** statfs magics of linux/magic.h (value -> name), when the host has the header. */
function headerMagics() {
  const path = '/usr/include/linux/magic.h';
  const out = new Map();
  if (!existsSync(path)) return out;
  for (const m of readFileSync(path, 'utf8').matchAll(/^#define\s+(\w+)\s+0x([0-9a-fA-F]{4,8})\b/gm)) out.set(parseInt(m[2], 16), m[1]);
  return out;
}
const MAGICS = headerMagics();

/** A hex literal that is a filesystem magic of linux/magic.h, or null. */
function magicLiteral(line) {
  for (const m of line.matchAll(/\b0x([0-9a-fA-F]{4,8})\b/g)) {
    const name = MAGICS.get(parseInt(m[1], 16));
    if (name) return name;
  }
  return null;
}

/** Findings for one file's text: { line, rule, text }. Comment-only lines are skipped. */
export function scanText(text) {
  const findings = [];
  text.split('\n').forEach((line, i) => {
    const code = line.trim();
    if (code.startsWith('//') || code.startsWith('*') || code.startsWith('/*')) return;
    for (const [rule, re] of RULES) if (re.test(line)) findings.push({ line: i + 1, rule, text: code });
    const magic = magicLiteral(line.replace(/\/\/.*$/, ''));
    if (magic) findings.push({ line: i + 1, rule: `filesystem magic ${magic} typed by hand`, text: code });
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
    .filter((p) => {
      try {
        return statSync(p).isDirectory();
      } catch {
        return false;
      }
    });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dirs = process.argv.length > 2 ? process.argv.slice(2) : otherPackageSources();
  const findings = scanDirs(dirs);
  for (const f of findings) console.log(`${relative(process.cwd(), f.file)}:${f.line}: ${f.rule}: ${f.text}`);
  process.exitCode = findings.length > 0 ? 1 : 0;
}
