import { Errno, SysError } from '@tvisor/abi';
import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseShebang } from './shebang.js';
import { Scratch } from './testing/native.js';

// An interpreter that prints its argv (hex, one per line), and a runner that
// execve()s a path directly, printing the errno on failure (no shell fallback).
const ECHO_ARGV = `#include <stdio.h>
int main(int argc, char **argv) {
  for (int i = 0; i < argc; i++) {
    printf("arg ");
    for (char *p = argv[i]; *p; p++) printf("%02x", (unsigned char)*p);
    printf("\\n");
  }
  return 0;
}`;
const RUNNER = `#include <errno.h>
#include <stdio.h>
#include <unistd.h>
int main(int argc, char **argv) {
  char *args[] = { argv[1], NULL }, *env[] = { NULL };
  execve(argv[1], args, env);
  printf("errno %d\\n", errno);
  return 0;
}`;

const enc = (s: string) => new TextEncoder().encode(s);
const concat = (...parts: (string | Uint8Array)[]) => {
  const chunks = parts.map((p) => (typeof p === 'string' ? enc(p) : p));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
};

let scratch: Scratch;
let interp: string;
let runner: string;
beforeAll(() => {
  scratch = new Scratch();
  interp = scratch.compile('echo-argv', ECHO_ARGV, []);
  runner = scratch.compile('runner', RUNNER, []);
});
afterAll(() => scratch.dispose());

/** The interpreter path padded with extra slashes to exactly `length` bytes (same file). */
const interpOfLength = (length: number) => '/'.repeat(length - interp.length) + interp;

type Outcome = { argv: Uint8Array[] } | { errno: number };

/** What Linux does when executing a script with this content. */
function nativeOutcome(name: string, content: Uint8Array): Outcome {
  const path = scratch.path(name);
  writeFileSync(path, content);
  chmodSync(path, 0o755);
  const out = execFileSync(runner, [path], { encoding: 'utf8' });
  const errno = /^errno (\d+)/.exec(out);
  if (errno) return { errno: Number(errno[1]) };
  return { argv: [...out.matchAll(/^arg ([0-9a-f]*)$/gm)].map((m) => new Uint8Array(Buffer.from(m[1], 'hex'))) };
}

/** What execve would do according to parseShebang (ENOENT when the interpreter does not exist). */
function ourOutcome(name: string, content: Uint8Array): Outcome {
  let parsed;
  try {
    parsed = parseShebang(content);
  } catch (err) {
    if (err instanceof SysError) return { errno: err.errno };
    throw err;
  }
  if (parsed === null) return { errno: Errno.ENOEXEC }; // not a script, not ELF either
  const normalized = Buffer.from(parsed.interpreterBytes).toString('latin1').replace(/^\/+/, '/');
  if (normalized !== interp) return { errno: Errno.ENOENT };
  return {
    argv: [parsed.interpreterBytes, ...(parsed.argBytes ? [parsed.argBytes] : []), enc(scratch.path(name))],
  };
}

const cases: [name: string, content: () => Uint8Array][] = [
  ['plain', () => enc(`#!${interp}\n`)],
  ['leading blanks', () => enc(`#! \t ${interp}\n`)],
  ['trailing blanks', () => enc(`#!${interp} \t \n`)],
  ['one argument', () => enc(`#!${interp} -x\n`)],
  ['argument keeps inner blanks', () => enc(`#!${interp}  -x  -y\tz  \n`)],
  ['tab separator', () => enc(`#!${interp}\t-e\n`)],
  ['no newline at EOF', () => enc(`#!${interp}`)],
  ['argument without newline', () => enc(`#!${interp} -a b`)],
  ['empty line', () => enc('#!\n')],
  ['blank line', () => enc('#!  \t \nrest')],
  ['just #!', () => enc('#!')],
  ['not a script', () => enc('echo hi\n')],
  ['carriage return', () => enc(`#!${interp}\r\n`)],
  ['NUL ends the interpreter', () => concat(`#!${interp}`, new Uint8Array([0]), 'junk\n')],
  ['NUL inside the argument', () => concat(`#!${interp} ab`, new Uint8Array([0]), 'cd\n')],
  ['NUL right after the separator', () => concat(`#!${interp} `, new Uint8Array([0]), 'x\n')],
  ['NUL instead of the interpreter', () => concat('#! ', new Uint8Array([0]), '/bin/sh\n')],
  ['second line ignored', () => enc(`#!${interp} a\n#!/nonexistent b\n`)],
  ['argument truncated at 255 bytes', () => enc(`#!${interp} ${'a'.repeat(400)}\n`)],
  ['newline just inside the buffer', () => enc(`#!${interp} ${'b'.repeat(255 - 4 - interp.length)}\n`)],
  ['newline just past the buffer', () => enc(`#!${interp} ${'c'.repeat(256 - 3 - interp.length)}\n`)],
  ['interpreter path filling the buffer', () => enc(`#!${interpOfLength(254)}\n`)],
  ['interpreter path truncated', () => enc(`#!${interpOfLength(300)}\n`)],
  ...[250, 251, 252, 253, 254].map(
    (n) =>
      [`interpreter of ${n} bytes then a blank, no newline in the buffer`, () => enc(`#!${interpOfLength(n)} ${'d'.repeat(300)}`)] as [
        string,
        () => Uint8Array,
      ],
  ),
  ...[251, 252, 253, 254].map(
    (n) => [`interpreter of ${n} bytes then blanks`, () => enc(`#!${interpOfLength(n)}${' '.repeat(300)}x\n`)] as [string, () => Uint8Array],
  ),
];

describe('parseShebang agrees with Linux execve', () => {
  it.each(cases)('%s', (name, content) => {
    const bytes = content();
    const fileName = `script-${name.replace(/\W+/g, '-')}`;
    const native = nativeOutcome(fileName, bytes);
    const ours = ourOutcome(fileName, bytes);
    const show = (o: Outcome) => ('errno' in o ? o : { argv: o.argv.map((a) => Buffer.from(a).toString('latin1')) });
    expect(show(ours)).toEqual(show(native));
  });
});

describe('parseShebang results', () => {
  it('decodes interpreter and argument', () => {
    expect(parseShebang(enc('#! /bin/sh -e -x \nexit\n'))).toEqual({
      interpreter: '/bin/sh',
      interpreterBytes: enc('/bin/sh'),
      arg: '-e -x',
      argBytes: enc('-e -x'),
    });
    expect(parseShebang(enc('#!/usr/bin/env\n'))).toEqual({ interpreter: '/usr/bin/env', interpreterBytes: enc('/usr/bin/env') });
    expect(parseShebang(new Uint8Array([0x7f, 0x45, 0x4c, 0x46]))).toBeNull();
    expect(() => parseShebang(enc('#!\t\n'))).toThrowError(expect.objectContaining({ errno: Errno.ENOEXEC }));
  });
});
