/** How this runsc process was started, as a shell would show it: the kernel's boot log prints it ("Command line: ..."). */
export function commandLine(argv: readonly string[] = process.argv.slice(2)): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['runsc', ...argv.map(quote)].join(' ');
}
