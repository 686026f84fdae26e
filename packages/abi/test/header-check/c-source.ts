import type { FieldLayout, RecordCodec, StructCodec } from '../../src/index.js';
import { PRELUDES, type Program } from './programs.js';
import { CODECS, GROUPS, SCALARS } from './registry.js';

/** What an export is, for the purpose of checking it against C. */
export type ExportKind = 'scalar' | 'group' | 'codec' | 'record' | 'code';

/** Exports that are neither data nor functions but are knowingly not checked here. */
const NOT_DATA = new Set(['SYSCALL_NAMES', 'field', 'SIGINFO_CODECS']);

export function classify(name: string, value: unknown): ExportKind | undefined {
  if (typeof value === 'number' || typeof value === 'bigint') return 'scalar';
  if (typeof value === 'function' || NOT_DATA.has(name)) return 'code';
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.encode === 'function' && typeof v.decode === 'function') return typeof v.recordSize === 'function' ? 'record' : 'codec';
  const members = Object.values(v);
  if (members.length > 0 && members.every((m) => typeof m === 'number')) return 'group';
  return undefined;
}

/** One expected C fact: a printf line key and the value TypeScript claims. */
export interface Fact {
  readonly key: string;
  readonly expected: string;
  /** printf format conversion and C expression. */
  readonly format: string;
  readonly expr: string;
}

function fieldFacts(owner: string, cType: string, fields: readonly FieldLayout[], base: string, baseOffset: number): Fact[] {
  const facts: Fact[] = [];
  for (const f of fields) {
    if (f.name === '') continue; // scalar codec: sizeof only
    const designator = base + f.c;
    facts.push({ key: `${owner}.${designator}@offset`, expected: String(baseOffset + f.offset), format: '%zu', expr: `offsetof(${cType}, ${designator})` });
    facts.push({ key: `${owner}.${designator}@size`, expected: String(f.size), format: '%zu', expr: `sizeof(((${cType} *)0)->${designator})` });
    if (f.type.kind === 'struct') {
      facts.push(...fieldFacts(owner, cType, f.type.codec.fields, `${designator}.`, baseOffset + f.offset));
    }
  }
  return facts;
}

/** Every fact about `exports` that `program` can check. */
export function factsFor(program: Program, exports: Readonly<Record<string, unknown>>): Fact[] {
  const facts: Fact[] = [];
  for (const [name, value] of Object.entries(exports)) {
    const kind = classify(name, value);
    if (kind === 'group') {
      const spec = GROUPS[name];
      if (spec?.program !== program) continue;
      for (const [member, v] of Object.entries(value as Record<string, number>)) {
        if (spec.unchecked?.[member] !== undefined) continue;
        facts.push({ key: `${name}.${member}`, expected: String(v), format: '%lld', expr: `(long long)(${spec.cName(member)})` });
      }
    } else if (kind === 'scalar') {
      const spec = SCALARS[name];
      if (spec?.program !== program || spec.c === null) continue;
      if (typeof value === 'bigint') facts.push({ key: name, expected: String(value), format: '%llu', expr: `(unsigned long long)(${spec.c})` });
      else facts.push({ key: name, expected: String(value), format: '%lld', expr: `(long long)(${spec.c})` });
    } else if (kind === 'codec') {
      if (CODECS[name] !== program) continue;
      const codec = value as StructCodec<unknown>;
      facts.push({ key: `${name}@size`, expected: String(codec.size), format: '%zu', expr: `sizeof(${codec.cType})` });
      facts.push(...fieldFacts(name, codec.cType, codec.fields, '', 0));
    } else if (kind === 'record') {
      if (CODECS[name] !== program) continue;
      const codec = value as RecordCodec<unknown>;
      facts.push(...fieldFacts(name, codec.cType, codec.fields, '', 0));
    }
  }
  return facts;
}

/** A C program printing `key=value` for each fact. */
export function cSource(program: Program, facts: readonly Fact[]): string {
  const lines = facts.map((f) => `  printf("%s=${f.format}\\n", ${JSON.stringify(f.key)}, ${f.expr});`);
  return `${PRELUDES[program]}\nint main(void) {\n${lines.join('\n')}\n  return 0;\n}\n`;
}

/** Parses the program's output into key -> value. */
export function parseOutput(out: string): Record<string, string> {
  const result: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) result[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return result;
}
