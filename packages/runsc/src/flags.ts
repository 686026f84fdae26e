/**
 * Command-line parsing in the style of gVisor's runsc (Go's flag package):
 * `-flag`, `--flag`, `--flag=value`, `--flag value`, boolean flags without a
 * value; parsing stops at the first non-flag argument or at `--`.
 */

export class UsageError extends Error {}

export type FlagKind = 'bool' | 'string';

export interface FlagSpec {
  kind: FlagKind;
  help: string;
  default?: string | boolean;
}

export type FlagValues = Record<string, string | boolean>;

export function parseFlags(
  args: readonly string[],
  specs: Readonly<Record<string, FlagSpec>>,
  into: FlagValues = {},
): { values: FlagValues; rest: string[] } {
  for (const [name, spec] of Object.entries(specs)) {
    if (!(name in into) && spec.default !== undefined) into[name] = spec.default;
  }
  let i = 0;
  for (; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-') || arg === '-') break;
    const body = arg.replace(/^--?/, '');
    const eq = body.indexOf('=');
    const name = eq >= 0 ? body.slice(0, eq) : body;
    const spec = specs[name];
    if (!spec) throw new UsageError(`flag provided but not defined: -${name}`);
    if (spec.kind === 'bool') {
      if (eq < 0) into[name] = true;
      else {
        const v = body.slice(eq + 1);
        if (v !== 'true' && v !== 'false') throw new UsageError(`invalid boolean value "${v}" for -${name}`);
        into[name] = v === 'true';
      }
    } else if (eq >= 0) {
      into[name] = body.slice(eq + 1);
    } else {
      if (i + 1 >= args.length) throw new UsageError(`flag needs an argument: -${name}`);
      into[name] = args[++i];
    }
  }
  return { values: into, rest: args.slice(i) };
}

export function flagHelp(specs: Readonly<Record<string, FlagSpec>>): string {
  return Object.entries(specs)
    .map(([name, s]) => `  -${name}${s.kind === 'string' ? ' string' : ''}\n    \t${s.help}` + (s.default !== undefined && s.default !== false ? ` (default ${JSON.stringify(s.default)})` : ''))
    .join('\n');
}
