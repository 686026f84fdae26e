/**
 * Command-line parsing in the style of gVisor's runsc (Go's flag package):
 * `-flag`, `--flag`, `--flag=value`, `--flag value`, boolean flags without a
 * value; parsing stops at the first non-flag argument or at `--`.
 */

export class UsageError extends Error {}

/** 'strings' may be given many times (e.g. exec --env A=1 --env B=2): its value is every one, joined by NUL. */
export type FlagKind = 'bool' | 'string' | 'strings';

export interface FlagSpec {
  kind: FlagKind;
  help: string;
  default?: string | boolean;
  /** Other names for the flag (e.g. a one-letter form: d for detach). */
  aliases?: readonly string[];
}

/** The values of a repeatable flag. */
export function flagList(v: string | boolean | undefined): string[] {
  return typeof v === 'string' && v !== '' ? v.split('\0') : [];
}

/** -h/--help was given: the caller prints the command's usage. */
export class HelpRequested extends Error {}

export type FlagValues = Record<string, string | boolean>;

export function parseFlags(args: readonly string[], specs: Readonly<Record<string, FlagSpec>>, into: FlagValues = {}): { values: FlagValues; rest: string[] } {
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
    let name = eq >= 0 ? body.slice(0, eq) : body;
    let spec = specs[name];
    if (!spec) {
      const canonical = Object.entries(specs).find(([, s]) => s.aliases?.includes(name));
      if (canonical) [name, spec] = canonical;
    }
    if (!spec && (name === 'h' || name === 'help')) throw new HelpRequested();
    if (!spec) throw new UsageError(`flag provided but not defined: -${name}`);
    if (spec.kind === 'bool') {
      if (eq < 0) into[name] = true;
      else {
        const v = body.slice(eq + 1);
        if (v !== 'true' && v !== 'false') throw new UsageError(`invalid boolean value "${v}" for -${name}`);
        into[name] = v === 'true';
      }
    } else {
      let v: string;
      if (eq >= 0) v = body.slice(eq + 1);
      else {
        if (i + 1 >= args.length) throw new UsageError(`flag needs an argument: -${name}`);
        v = args[++i];
      }
      into[name] = spec.kind === 'strings' && typeof into[name] === 'string' && into[name] !== '' && into[name] !== spec.default ? `${into[name]}\0${v}` : v;
    }
  }
  return { values: into, rest: args.slice(i) };
}

export function flagHelp(specs: Readonly<Record<string, FlagSpec>>): string {
  return Object.entries(specs)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(
      ([name, s]) =>
        `  -${name}${s.kind !== 'bool' ? ' string' : ''}\n    \t${s.help}` +
        (s.default !== undefined && s.default !== false && s.default !== '' ? ` (default ${JSON.stringify(s.default)})` : ''),
    )
    .join('\n');
}
