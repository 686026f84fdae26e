// Differential test of the line discipline: the same termios settings and
// the same bytes typed at a real host pty (the oracle, a python helper) and
// at ours; the application must read the same, the master must see the same
// echoes and output, and the same signals must reach the foreground group.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IFLAG, LFLAG, OFLAG, V } from '@tvisor/abi';
import { LineDiscipline, defaultTermios } from './line-discipline.js';

const ORACLE = join(dirname(fileURLToPath(import.meta.url)), 'testing', 'host-pty-oracle.py');

interface Case {
  iflag: number;
  oflag: number;
  lflag: number;
  cc?: Record<number, number>;
  input: string;
  output: string;
}
interface Outcome {
  reads: string[];
  signals: number[];
  master: string;
}

const hex = (b: Uint8Array | number[]) => Buffer.from(b).toString('hex');

function linux(cases: Case[]): Outcome[] {
  const r = spawnSync('python3', [ORACLE], { input: cases.map((c) => JSON.stringify(c)).join('\n') + '\n', encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`oracle failed: ${r.stderr}`);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Outcome);
}

function ours(c: Case): Outcome {
  const signals = new Set<number>();
  const ld = new LineDiscipline({ signal: (s) => signals.add(s), changed: () => {} });
  const t = defaultTermios();
  t.c_iflag = c.iflag;
  t.c_oflag = c.oflag;
  t.c_lflag = c.lflag;
  for (const [k, v] of Object.entries(c.cc ?? {})) t.c_cc[Number(k)] = v;
  ld.setTermios(t);
  ld.receive(Buffer.from(c.input, 'hex'));
  const reads: string[] = [];
  for (let k = 0; k < 64; k++) {
    const got = ld.read(4096);
    if (!got) break;
    reads.push(hex(got));
  }
  const out = Buffer.from(c.output, 'hex');
  if (out.length) ld.write(out);
  return { reads, signals: [...signals].sort((a, b) => a - b), master: hex(ld.takeOutput(1 << 20)) };
}

const std = defaultTermios();
const bytes = (s: string) => hex(Buffer.from(s, 'latin1'));

/** Hand-picked cases: the editing keys, signals, modes. */
const EXAMPLES: Case[] = [
  { iflag: std.c_iflag, oflag: std.c_oflag, lflag: std.c_lflag, input: bytes('echo hi\r'), output: bytes('hi\n') },
  { iflag: std.c_iflag, oflag: std.c_oflag, lflag: std.c_lflag, input: bytes('abc\x7f\x7fd\x17xy z\x17w\r'), output: '' },
  { iflag: std.c_iflag, oflag: std.c_oflag, lflag: std.c_lflag, input: bytes('abc\x15def\x04gh\x04\x04'), output: '' },
  { iflag: std.c_iflag, oflag: std.c_oflag, lflag: std.c_lflag, input: bytes('sleep\x03x\x1cy\x1az\n'), output: bytes('after\n') },
  { iflag: std.c_iflag, oflag: std.c_oflag, lflag: std.c_lflag, input: bytes('a\x16\x03b\x16\x7f\x7f\x01\x7f\r'), output: '' },
  { iflag: std.c_iflag, oflag: std.c_oflag, lflag: std.c_lflag, input: bytes('ab\tc\x7f\x7f\x7f\t\t\x7f\r'), output: bytes('\tx\ty\n') },
  { iflag: std.c_iflag, oflag: std.c_oflag, lflag: std.c_lflag, input: bytes('line\x12more\r'), output: '' },
  { iflag: 0, oflag: 0, lflag: 0, input: bytes('raw\r\n\x03\x04'), output: bytes('a\nb\r') },
  { iflag: std.c_iflag, oflag: std.c_oflag, lflag: LFLAG.ISIG | LFLAG.ECHO | LFLAG.ECHOCTL, input: bytes('x\x01\n\x1b[A\r'), output: '' },
  {
    iflag: IFLAG.ICRNL,
    oflag: OFLAG.OPOST | OFLAG.OCRNL | OFLAG.ONLRET,
    lflag: std.c_lflag | LFLAG.NOFLSH,
    input: bytes('ab\x03cd\r'),
    output: bytes('x\ry\n'),
  },
  { iflag: IFLAG.INLCR | IFLAG.IGNCR, oflag: std.c_oflag, lflag: std.c_lflag & ~LFLAG.ECHOKE, input: bytes('ab\r\ncd\x15ef\n'), output: '' },
  { iflag: std.c_iflag, oflag: std.c_oflag, lflag: (std.c_lflag & ~LFLAG.ECHO) | LFLAG.ECHONL, input: bytes('secret\r'), output: '' },
  { iflag: std.c_iflag, oflag: std.c_oflag, lflag: std.c_lflag | LFLAG.ECHOPRT, input: bytes('abc\x7f\x7fx\r'), output: '' },
  { iflag: std.c_iflag, oflag: std.c_oflag, lflag: std.c_lflag, cc: { [V.EOL]: 0x3b, [V.INTR]: 0x18 }, input: bytes('a;b\x03c\x18d;'), output: '' },
];

describe('line discipline against a Linux pty', () => {
  it('hand-picked editing, signal and mode cases', () => {
    const want = linux(EXAMPLES);
    EXAMPLES.forEach((c, k) => expect({ k, ...ours(c) }).toEqual({ k, ...want[k] }));
  });

  it('random termios settings and keystrokes (fast-check, fixed seed)', () => {
    const flagsOf = (bits: number[]) => fc.subarray(bits).map((b) => b.reduce((a, x) => a | x, 0));
    // VSTART/VSTOP (^Q/^S) are left out: a stopped pty holds the oracle's own writes.
    const alphabet = fc.constantFrom(
      ...[
        ...'ab_ 1.',
        '\t',
        '\r',
        '\n',
        '\x03',
        '\x1c',
        '\x1a',
        '\x7f',
        '\x15',
        '\x04',
        '\x17',
        '\x16',
        '\x12',
        '\x01',
        '\x1b',
        '\xc3',
        '\xa9',
        '\x80',
        'A',
      ].map((s) => s.charCodeAt(0)),
    );
    const caseArb = fc.record({
      iflag: flagsOf([IFLAG.ICRNL, IFLAG.INLCR, IFLAG.IGNCR, IFLAG.ISTRIP, IFLAG.IUTF8, IFLAG.IUCLC]),
      oflag: flagsOf([OFLAG.OPOST, OFLAG.ONLCR, OFLAG.OCRNL, OFLAG.ONOCR, OFLAG.ONLRET, OFLAG.OLCUC, OFLAG.XTABS]),
      lflag: flagsOf([
        LFLAG.ISIG,
        LFLAG.ICANON,
        LFLAG.ECHO,
        LFLAG.ECHOE,
        LFLAG.ECHOK,
        LFLAG.ECHONL,
        LFLAG.NOFLSH,
        LFLAG.ECHOCTL,
        LFLAG.ECHOPRT,
        LFLAG.ECHOKE,
        LFLAG.IEXTEN,
      ]),
      input: fc.array(alphabet, { maxLength: 40 }).map(hex),
      output: fc.array(fc.constantFrom(0x61, 0x0a, 0x0d, 0x09, 0x08, 0x62), { maxLength: 12 }).map(hex),
    });
    const cases = fc.sample(caseArb, { numRuns: 200, seed: 1414 });
    const want = linux(cases);
    cases.forEach((c, k) => expect({ case: c, ...ours(c) }).toEqual({ case: c, ...want[k] }));
  });
});
