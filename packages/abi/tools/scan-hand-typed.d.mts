export interface Finding {
  readonly line: number;
  readonly rule: string;
  readonly text: string;
}
/** Findings for one TypeScript file's text. */
export function scanText(text: string): Finding[];
/** Findings under the given directories. */
export function scanDirs(dirs: readonly string[]): (Finding & { readonly file: string })[];
/** The src/ directories of every package except abi. */
export function otherPackageSources(): string[];
