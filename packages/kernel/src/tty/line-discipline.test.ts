import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LFLAG, Signal, V } from '@tvisor/abi';
import { LineDiscipline, defaultTermios } from './line-discipline.js';

function make() {
  const signals: number[] = [];
  let changes = 0;
  const ld = new LineDiscipline({ signal: (s) => signals.push(s), changed: () => changes++ });
  return { ld, signals, changes: () => changes };
}

function raw(ld: LineDiscipline): void {
  const t = defaultTermios();
  t.c_iflag = 0;
  t.c_oflag = 0;
  t.c_lflag = 0;
  ld.setTermios(t);
}

const printable = fc.integer({ min: 0x20, max: 0x7e });
const SEED = { seed: 1414, numRuns: 200 };

describe('line discipline properties', () => {
  it('raw mode passes every byte through unchanged, in order, and echoes nothing', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
        const { ld, signals } = make();
        raw(ld);
        for (const c of chunks) ld.receive(c);
        const got: number[] = [];
        for (let r = ld.read(7); r; r = ld.read(7)) got.push(...r);
        expect(got).toEqual(chunks.flatMap((c) => [...c]));
        expect(ld.takeOutput(1 << 20).length).toBe(0);
        expect(signals).toEqual([]);
      }),
      SEED,
    );
  });

  it('canonical mode: each read returns one typed line; echo (with ONLCR) shows it with CRLF', () => {
    fc.assert(
      fc.property(fc.array(fc.array(printable, { maxLength: 30 }), { minLength: 1, maxLength: 6 }), (lines) => {
        const { ld } = make();
        for (const l of lines) ld.receive(Uint8Array.from([...l, 0x0d]));
        expect(ld.inputQueued).toBe(lines.reduce((n, l) => n + l.length + 1, 0));
        for (const l of lines) expect([...(ld.read(4096) ?? [])]).toEqual([...l, 0x0a]);
        expect(ld.read(4096)).toBeNull();
        expect([...ld.takeOutput(1 << 20)]).toEqual(lines.flatMap((l) => [...l, 0x0d, 0x0a]));
      }),
      SEED,
    );
  });

  it('canonical mode: VERASE after k characters leaves the line without its last k', () => {
    fc.assert(
      fc.property(fc.array(printable, { minLength: 1, maxLength: 30 }), fc.nat(40), (line, k) => {
        const { ld } = make();
        ld.receive(Uint8Array.from([...line, ...new Array<number>(k).fill(0x7f), 0x0a]));
        expect([...(ld.read(4096) ?? [])]).toEqual([...line.slice(0, Math.max(0, line.length - k)), 0x0a]);
      }),
      SEED,
    );
  });

  it('VINTR, VQUIT and VSUSP signal the foreground group and drop pending input', () => {
    const { ld, signals } = make();
    ld.receive(new TextEncoder().encode('partial\x03more\x1cx\x1a'));
    expect(signals).toEqual([Signal.SIGINT, Signal.SIGQUIT, Signal.SIGTSTP]);
    // Each signal also drops the output the other end has not read: only the last echo is left.
    expect(new TextDecoder().decode(ld.takeOutput(100))).toBe('^Z');
    ld.receive(new TextEncoder().encode('ok\n'));
    expect(new TextDecoder().decode(ld.read(100)!)).toBe('ok\n');
  });

  it('VEOF: a line without newline, then end of file (a 0-byte read); FIONREAD skips the marker', () => {
    const { ld } = make();
    ld.receive(new TextEncoder().encode('abc\x04\x04'));
    expect(ld.inputQueued).toBe(3);
    expect(new TextDecoder().decode(ld.read(100)!)).toBe('abc');
    expect(ld.read(100)?.length).toBe(0);
    expect(ld.read(100)).toBeNull();
  });

  it('a short read takes part of a line and leaves the rest', () => {
    const { ld } = make();
    ld.receive(new TextEncoder().encode('abcdef\n'));
    expect(new TextDecoder().decode(ld.read(4)!)).toBe('abcd');
    expect(new TextDecoder().decode(ld.read(100)!)).toBe('ef\n');
  });

  it('turning ICANON off makes a partial line readable; VMIN decides poll readiness', () => {
    const { ld } = make();
    ld.receive(new TextEncoder().encode('ab'));
    expect(ld.readable(false)).toBe(false);
    const t = ld.termios;
    t.c_lflag &= ~LFLAG.ICANON;
    t.c_cc[V.MIN] = 3;
    ld.setTermios(t);
    expect(ld.readable(false)).toBe(true);
    expect(ld.readable(true)).toBe(false);
    ld.receive(new TextEncoder().encode('c'));
    expect(ld.readable(true)).toBe(true);
  });

  it('TCFLSH drops input, output or both', () => {
    const { ld } = make();
    ld.receive(new TextEncoder().encode('in\n'));
    ld.write(new TextEncoder().encode('out'));
    ld.flush(true, false);
    expect(ld.inputQueued).toBe(0);
    expect(ld.outputQueued).toBeGreaterThan(0);
    ld.flush(false, true);
    expect(ld.outputQueued).toBe(0);
  });

  it('VSTOP holds output (writes wait) until VSTART', () => {
    const { ld } = make();
    ld.receive(Uint8Array.of(0x13));
    expect(ld.writable).toBe(false);
    expect(() => ld.write(Uint8Array.of(0x41))).toThrow();
    ld.receive(Uint8Array.of(0x61));
    expect(ld.outputQueued).toBe(0);
    ld.receive(Uint8Array.of(0x11));
    expect([...ld.takeOutput(10)]).toEqual([0x61]);
    expect(ld.write(Uint8Array.of(0x41))).toBe(1);
  });
});
