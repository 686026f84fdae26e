/**
 * Building blocks for a case's `normalise`: each rewrites one kind of output
 * that two correct runs may legitimately disagree on, and nothing else, so a
 * normaliser never hides a real difference by accident.
 */

export type Normaliser = (output: string) => string;

/** Applies normalisers left to right. */
export function compose(...steps: Normaliser[]): Normaliser {
  return (output) => steps.reduce((text, step) => step(text), output);
}

/**
 * Replaces the number that follows each given label (`pid=1234`, `ppid 1`)
 * with `<pid>`: process IDs depend on who else runs on the host.
 */
export function pidsAfter(...labels: string[]): Normaliser {
  const pattern = new RegExp(`\\b(${labels.map(escapeRegExp).join('|')})([=: ]+)\\d+`, 'g');
  return (output) => output.replace(pattern, '$1$2<pid>');
}

/** Replaces 9- to 11-digit numbers (Unix times from 1973 to 5138) with `<epoch>`. */
export const epochSeconds: Normaliser = (output) => output.replace(/(?<!\d)\d{9,11}(?!\d)/g, '<epoch>');

/**
 * Replaces the word that follows each given label (`host=myhost`) with
 * `<host>`: a sandbox may present its own host name.
 */
export function hostAfter(...labels: string[]): Normaliser {
  const pattern = new RegExp(`\\b(${labels.map(escapeRegExp).join('|')})([=: ]+)[^\\s]+`, 'g');
  return (output) => output.replace(pattern, '$1$2<host>');
}

/**
 * Sorts lines, for output whose order the program does not define (readdir
 * order, environment order). A trailing newline stays trailing.
 */
export const sortLines: Normaliser = (output) => {
  const trailingNewline = output.endsWith('\n');
  const lines = (trailingNewline ? output.slice(0, -1) : output).split('\n');
  if (output === '') return output;
  return lines.sort().join('\n') + (trailingNewline ? '\n' : '');
};

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
