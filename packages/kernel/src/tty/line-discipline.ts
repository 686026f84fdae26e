import { CFLAG, Errno, IFLAG, LFLAG, NCCS, OFLAG, Signal, SysError, V, type Termios } from '@tvisor/abi';

/**
 * The N_TTY line discipline, as Linux's drivers/tty/n_tty.c behaves: input
 * processing (ICRNL, INLCR, IGNCR), canonical line editing (VERASE,
 * VWERASE, VKILL, VLNEXT, VREPRINT, VEOF, VEOL), echo (ECHO, ECHOE,
 * ECHOK, ECHOKE, ECHONL, ECHOCTL, ECHOPRT), ISIG (VINTR, VQUIT, VSUSP),
 * IXON flow control and output processing (OPOST, ONLCR, OCRNL, ONOCR,
 * ONLRET, OLCUC, XTABS). Plain data structures, no kernel: the terminal
 * around it moves bytes between its ends and delivers the signals.
 */

/** N_TTY_BUF_SIZE: the input buffer holds at most this many bytes less one. */
export const INPUT_BUFFER_SIZE = 4096;
/** How much output may wait for the other end (a pty master) before writers must wait. */
export const OUTPUT_BUFFER_SIZE = 65536;

/** Linux's tty_std_termios with a pty replica's c_cflag (B38400 | CS8 | CREAD, no HUPCL): what a new terminal starts with. */
export function defaultTermios(): Termios {
  const cc = new Uint8Array(NCCS);
  const init: Array<[number, number]> = [
    [V.INTR, 0o3],
    [V.QUIT, 0o34],
    [V.ERASE, 0o177],
    [V.KILL, 0o25],
    [V.EOF, 0o4],
    [V.TIME, 0],
    [V.MIN, 1],
    [V.SWTC, 0],
    [V.START, 0o21],
    [V.STOP, 0o23],
    [V.SUSP, 0o32],
    [V.EOL, 0],
    [V.REPRINT, 0o22],
    [V.DISCARD, 0o17],
    [V.WERASE, 0o27],
    [V.LNEXT, 0o26],
    [V.EOL2, 0],
  ];
  for (const [i, v] of init) cc[i] = v;
  return {
    c_iflag: IFLAG.ICRNL | IFLAG.IXON,
    c_oflag: OFLAG.OPOST | OFLAG.ONLCR,
    c_cflag: CFLAG.B38400 | CFLAG.CS8 | CFLAG.CREAD,
    c_lflag: LFLAG.ISIG | LFLAG.ICANON | LFLAG.ECHO | LFLAG.ECHOE | LFLAG.ECHOK | LFLAG.ECHOCTL | LFLAG.ECHOKE | LFLAG.IEXTEN,
    c_line: 0,
    c_cc: cc,
  };
}

/** The kernel's iscntrl (lib/ctype.c): C0 and DEL; its table leaves 128-159 unclassified. */
export function isCntrl(c: number): boolean {
  return c < 0x20 || c === 0x7f;
}

/** The kernel's isalnum (Latin-1 letters count). */
function isAlnum(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0xc0 && c !== 0xd7 && c !== 0xf7);
}

/** The kernel's islower (Latin-1, including 0xdf). */
function isLower(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0xdf && c !== 0xf7);
}

function isUpper(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0xc0 && c <= 0xde && c !== 0xd7);
}

/** What the line discipline asks of the terminal it serves. */
export interface LineDisciplineHost {
  /** A character in the input was VINTR, VQUIT or VSUSP with ISIG on: signal the foreground process group. */
  signal(sig: number): void;
  /** Input became readable, output became writable again, or output was added: readiness changed. */
  changed(): void;
}

/** A canonical input byte, with whether it ends a line (a newline, VEOL, VEOL2, or VEOF stored as a marker). */
interface InputByte {
  c: number;
  /** Ends a line. */
  end: boolean;
  /** The VEOF marker: ends the line but is never read. */
  eof: boolean;
}

export class LineDiscipline {
  private termiosValue: Termios = defaultTermios();
  /** The read buffer: processed input not yet read. */
  private input: InputByte[] = [];
  /** How many bytes at the front of `input` belong to completed lines (canon_head - read_tail). */
  private canonCount = 0;
  /** Bytes waiting for the other end (the master, or the host terminal of a console). */
  private output: number[] = [];
  /** Echoes made while output is stopped (IXON), sent on VSTART. */
  private heldEcho: number[] = [];
  private column = 0;
  private canonColumn = 0;
  /** The previous character was VLNEXT: take the next one literally. */
  private lnext = false;
  /** ECHOPRT: inside a run of erased characters, shown between '\' and '/'. */
  private erasing = false;
  /** Output stopped by VSTOP (IXON) until VSTART. */
  stopped = false;

  constructor(private readonly host: LineDisciplineHost) {}

  /** The current settings (a copy). */
  get termios(): Termios {
    const t = this.termiosValue;
    return { ...t, c_cc: t.c_cc.slice() };
  }

  /**
   * TCSETS: new settings. Switching canonical mode on or off makes what is
   * buffered one line (or raw bytes), as n_tty_set_termios does.
   */
  setTermios(t: Termios): void {
    const old = this.termiosValue;
    this.termiosValue = { ...t, c_cc: t.c_cc.slice() };
    if ((old.c_lflag ^ t.c_lflag) & (LFLAG.ICANON | LFLAG.EXTPROC)) {
      for (const b of this.input) b.end = false;
      if (!this.icanon || this.input.length === 0) {
        this.canonCount = 0;
      } else {
        this.input[this.input.length - 1].end = true;
        this.canonCount = this.input.length;
      }
      this.erasing = false;
      this.lnext = false;
    }
    // Output held by IXON goes on once IXON is off.
    if (!(t.c_iflag & IFLAG.IXON) && this.stopped) this.start();
    this.host.changed();
  }

  private get icanon(): boolean {
    return (this.termiosValue.c_lflag & LFLAG.ICANON) !== 0;
  }
  private l(flag: number): boolean {
    return (this.termiosValue.c_lflag & flag) !== 0;
  }
  private i(flag: number): boolean {
    return (this.termiosValue.c_iflag & flag) !== 0;
  }
  private o(flag: number): boolean {
    return (this.termiosValue.c_oflag & flag) !== 0;
  }
  private cc(index: number): number {
    return this.termiosValue.c_cc[index];
  }
  /** c is the control character at `index` (a 0 there means disabled). */
  private isCc(c: number, index: number): boolean {
    return c !== 0 && this.cc(index) === c;
  }
  private isContinuation(c: number): boolean {
    return this.i(IFLAG.IUTF8) && (c & 0xc0) === 0x80;
  }

  // ---- input (from the master or the keyboard) ----

  /**
   * Bytes typed at the terminal (written to the master). Returns how many
   * were taken: a full buffer takes no more (the rest waits with the
   * caller), except that a canonical line with no end yet keeps taking
   * bytes in its last place, so that a newline can always end it
   * (n_tty_receive_buf_common's overflow rule).
   */
  receive(bytes: Uint8Array): number {
    let taken = 0;
    for (const b of bytes) {
      if (!(this.termiosValue.c_cflag & CFLAG.CREAD)) {
        taken++;
        continue;
      }
      const room = INPUT_BUFFER_SIZE - 1 - this.input.length;
      if (room <= 0) {
        if (!this.icanon || this.canonCount !== 0) break;
        if (room < 0) this.input.pop();
      }
      this.receiveByte(b);
      taken++;
    }
    this.host.changed();
    return taken;
  }

  private receiveByte(byte: number): void {
    let c = byte;
    if (this.i(IFLAG.ISTRIP)) c &= 0x7f;
    if (this.i(IFLAG.IUCLC) && this.l(LFLAG.IEXTEN) && isUpper(c)) c += 0x20;
    if (this.lnext) {
      this.lnext = false;
      this.receivePlain(c);
      return;
    }
    if (this.l(LFLAG.EXTPROC)) {
      this.put(c, false, false);
      return;
    }
    if (!this.special(c)) this.receivePlain(c);
  }

  /** n_tty_receive_char: an ordinary character, echoed and queued. */
  private receivePlain(c: number): void {
    if (this.l(LFLAG.ECHO)) {
      this.finishErasing();
      if (this.lineLength() === 0) this.canonColumn = this.column;
      this.echoChar(c);
    }
    if (c === 0xff && this.i(IFLAG.PARMRK)) this.put(c, false, false);
    this.put(c, false, false);
  }

  /** Bytes of the line being edited (after the last completed line). */
  private lineLength(): number {
    return this.input.length - this.canonCount;
  }

  private put(c: number, end: boolean, eof: boolean): void {
    this.input.push({ c, end, eof });
    if (end) this.canonCount = this.input.length;
  }

  /** Is c special in the current mode (n_tty's char_map)? Handles it if so. */
  private special(c0: number): boolean {
    let c = c0;
    const anyProcessing =
      this.i(IFLAG.ISTRIP | IFLAG.IUCLC | IFLAG.IGNCR | IFLAG.ICRNL | IFLAG.INLCR | IFLAG.IXON | IFLAG.PARMRK) ||
      this.l(LFLAG.ICANON | LFLAG.ISIG | LFLAG.ECHO);
    if (!anyProcessing || c === 0) return false;
    if (!this.inCharMap(c)) return false;
    if (this.i(IFLAG.IXON)) {
      if (this.isCc(c, V.START)) {
        this.start();
        return true;
      }
      if (this.isCc(c, V.STOP)) {
        this.stopped = true;
        return true;
      }
    }
    if (this.l(LFLAG.ISIG)) {
      const sig = this.isCc(c, V.INTR) ? Signal.SIGINT : this.isCc(c, V.QUIT) ? Signal.SIGQUIT : this.isCc(c, V.SUSP) ? Signal.SIGTSTP : 0;
      if (sig) {
        this.isig(sig);
        if (this.i(IFLAG.IXON)) this.start();
        if (this.l(LFLAG.ECHO)) this.echoChar(c);
        return true;
      }
    }
    if (c === 0x0d) {
      if (this.i(IFLAG.IGNCR)) return true;
      if (this.i(IFLAG.ICRNL)) c = 0x0a;
    } else if (c === 0x0a && this.i(IFLAG.INLCR)) {
      c = 0x0d;
    }
    if (this.icanon) {
      if (this.isCc(c, V.ERASE) || this.isCc(c, V.KILL) || (this.isCc(c, V.WERASE) && this.l(LFLAG.IEXTEN))) {
        this.eraser(c);
        return true;
      }
      if (this.isCc(c, V.LNEXT) && this.l(LFLAG.IEXTEN)) {
        this.lnext = true;
        if (this.l(LFLAG.ECHO)) {
          this.finishErasing();
          if (this.l(LFLAG.ECHOCTL)) {
            this.echoRaw(0x5e);
            this.echoRaw(0x08);
          }
        }
        return true;
      }
      if (this.isCc(c, V.REPRINT) && this.l(LFLAG.ECHO) && this.l(LFLAG.IEXTEN)) {
        this.finishErasing();
        this.echoChar(c);
        this.echoRaw(0x0a);
        for (let i = this.canonCount; i < this.input.length; i++) this.echoChar(this.input[i].c);
        return true;
      }
      if (c === 0x0a) {
        if (this.l(LFLAG.ECHO) || this.l(LFLAG.ECHONL)) this.echoRaw(0x0a);
        this.put(c, true, false);
        return true;
      }
      if (this.isCc(c, V.EOF)) {
        this.put(0, true, true);
        return true;
      }
      if (this.isCc(c, V.EOL) || (this.isCc(c, V.EOL2) && this.l(LFLAG.IEXTEN))) {
        if (this.l(LFLAG.ECHO)) {
          if (this.lineLength() === 0) this.canonColumn = this.column;
          this.echoChar(c);
        }
        if (c === 0xff && this.i(IFLAG.PARMRK)) this.put(c, false, false);
        this.put(c, true, false);
        return true;
      }
    }
    // The tail of n_tty_receive_char_special: a (possibly translated) plain character.
    if (this.l(LFLAG.ECHO)) {
      this.finishErasing();
      if (c === 0x0a) this.echoRaw(0x0a);
      else {
        if (this.lineLength() === 0) this.canonColumn = this.column;
        this.echoChar(c);
      }
    }
    if (c === 0xff && this.i(IFLAG.PARMRK)) this.put(c, false, false);
    this.put(c, false, false);
    return true;
  }

  /** n_tty_set_termios's char_map: which characters take the special path. */
  private inCharMap(c: number): boolean {
    if (c === 0x0d && this.i(IFLAG.IGNCR | IFLAG.ICRNL)) return true;
    if (c === 0x0a && this.i(IFLAG.INLCR)) return true;
    if (this.icanon) {
      if (c === 0x0a || this.isCc(c, V.ERASE) || this.isCc(c, V.KILL) || this.isCc(c, V.EOF) || this.isCc(c, V.EOL)) return true;
      if (this.l(LFLAG.IEXTEN)) {
        if (this.isCc(c, V.WERASE) || this.isCc(c, V.LNEXT) || this.isCc(c, V.EOL2)) return true;
        if (this.l(LFLAG.ECHO) && this.isCc(c, V.REPRINT)) return true;
      }
    }
    if (this.i(IFLAG.IXON) && (this.isCc(c, V.START) || this.isCc(c, V.STOP))) return true;
    if (this.l(LFLAG.ISIG) && (this.isCc(c, V.INTR) || this.isCc(c, V.QUIT) || this.isCc(c, V.SUSP))) return true;
    return false;
  }

  /** isig: the signal goes out, and unless NOFLSH, pending input, echoes and output are dropped. */
  private isig(sig: number): void {
    this.host.signal(sig);
    if (!this.l(LFLAG.NOFLSH)) {
      this.heldEcho = [];
      this.output = [];
      this.input = [];
      this.canonCount = 0;
      this.erasing = false;
      this.lnext = false;
    }
  }

  /** VSTART (or IXON turned off): held output goes out. */
  private start(): void {
    this.stopped = false;
    const held = this.heldEcho;
    this.heldEcho = [];
    for (const b of held) this.output.push(b);
  }

  /** VERASE, VWERASE and VKILL in canonical mode (n_tty's eraser). */
  private eraser(c: number): void {
    if (this.lineLength() === 0) return;
    let kind: 'erase' | 'werase' | 'kill';
    if (this.isCc(c, V.ERASE)) kind = 'erase';
    else if (this.isCc(c, V.WERASE)) kind = 'werase';
    else {
      if (!this.l(LFLAG.ECHO)) {
        this.input.length = this.canonCount;
        return;
      }
      if (!this.l(LFLAG.ECHOK) || !this.l(LFLAG.ECHOKE) || !this.l(LFLAG.ECHOE)) {
        this.input.length = this.canonCount;
        this.finishErasing();
        this.echoChar(this.cc(V.KILL));
        if (this.l(LFLAG.ECHOK)) this.echoRaw(0x0a);
        return;
      }
      kind = 'kill';
    }
    let seenAlnums = 0;
    while (this.input.length > this.canonCount) {
      let head = this.input.length;
      let ch: number;
      do {
        head--;
        ch = this.input[head].c;
      } while (this.isContinuation(ch) && head !== this.canonCount);
      if (this.isContinuation(ch)) break;
      if (kind === 'werase') {
        if (isAlnum(ch) || ch === 0x5f) seenAlnums++;
        else if (seenAlnums) break;
      }
      const erased = this.input.splice(head);
      if (this.l(LFLAG.ECHO)) {
        if (this.l(LFLAG.ECHOPRT)) {
          if (!this.erasing) {
            this.echoRaw(0x5c);
            this.erasing = true;
          }
          this.echoChar(ch);
          for (let k = 1; k < erased.length; k++) {
            this.echoRaw(erased[k].c);
            this.column--;
          }
        } else if (kind === 'erase' && !this.l(LFLAG.ECHOE)) {
          this.echoChar(this.cc(V.ERASE));
        } else if (ch === 0x09) {
          this.eraseTab();
        } else {
          if (isCntrl(ch) && this.l(LFLAG.ECHOCTL)) this.echoBackspace();
          if (!isCntrl(ch) || this.l(LFLAG.ECHOCTL)) this.echoBackspace();
        }
      }
      if (kind === 'erase') break;
    }
    if (this.lineLength() === 0 && this.l(LFLAG.ECHO)) this.finishErasing();
  }

  /** Erasing a tab: back to the column the characters before it reach (ECHO_OP_ERASE_TAB). */
  private eraseTab(): void {
    let chars = 0;
    let afterTab = false;
    for (let k = this.input.length - 1; k >= this.canonCount; k--) {
      const ch = this.input[k].c;
      if (ch === 0x09) {
        afterTab = true;
        break;
      } else if (isCntrl(ch)) {
        if (this.l(LFLAG.ECHOCTL)) chars += 2;
      } else if (!this.isContinuation(ch)) {
        chars++;
      }
    }
    chars &= 7;
    if (!afterTab) chars += this.canonColumn;
    const backspaces = 8 - (chars & 7);
    for (let k = 0; k < backspaces; k++) {
      this.emitEcho(0x08);
      if (this.column > 0) this.column--;
    }
  }

  private echoBackspace(): void {
    this.echoRaw(0x08);
    this.echoRaw(0x20);
    this.echoRaw(0x08);
  }

  private finishErasing(): void {
    if (this.erasing) {
      this.echoRaw(0x2f);
      this.erasing = false;
    }
  }

  /** echo_char: control characters (but tab) as ^X under ECHOCTL. */
  private echoChar(c: number): void {
    if (this.l(LFLAG.ECHOCTL) && isCntrl(c) && c !== 0x09) {
      this.emitEcho(0x5e);
      this.emitEcho(c ^ 0o100);
      this.column += 2;
    } else {
      this.echoRaw(c);
    }
  }

  /** echo_char_raw: the byte through output processing. */
  private echoRaw(c: number): void {
    if (this.o(OFLAG.OPOST)) {
      for (const b of this.outputChar(c)) this.emitEcho(b);
    } else {
      this.emitEcho(c);
    }
  }

  private emitEcho(b: number): void {
    if (this.stopped) this.heldEcho.push(b);
    else this.output.push(b);
  }

  /** do_output_char: one byte of output under OPOST, with column tracking. */
  private outputChar(c0: number): number[] {
    let c = c0;
    switch (c) {
      case 0x0a:
        if (this.o(OFLAG.ONLRET)) this.column = 0;
        if (this.o(OFLAG.ONLCR)) {
          this.canonColumn = this.column = 0;
          return [0x0d, 0x0a];
        }
        this.canonColumn = this.column;
        break;
      case 0x0d:
        if (this.o(OFLAG.ONOCR) && this.column === 0) return [];
        if (this.o(OFLAG.OCRNL)) {
          c = 0x0a;
          if (this.o(OFLAG.ONLRET)) this.canonColumn = this.column = 0;
          break;
        }
        this.canonColumn = this.column = 0;
        break;
      case 0x09: {
        const spaces = 8 - (this.column & 7);
        this.column += spaces;
        if ((this.termiosValue.c_oflag & OFLAG.TABDLY) === OFLAG.XTABS) return new Array<number>(spaces).fill(0x20);
        break;
      }
      case 0x08:
        if (this.column > 0) this.column--;
        break;
      default:
        if (!isCntrl(c)) {
          if (this.o(OFLAG.OLCUC) && isLower(c)) c -= 0x20;
          if (!this.isContinuation(c)) this.column++;
        }
    }
    return [c];
  }

  // ---- output (written by the application) ----

  /**
   * The application writes to the terminal: bytes through output
   * processing into the output queue. Takes what fits (EAGAIN if nothing
   * does, or output is stopped).
   */
  write(src: Uint8Array): number {
    if (this.stopped || this.output.length >= OUTPUT_BUFFER_SIZE) throw new SysError(Errno.EAGAIN);
    let n = 0;
    const opost = this.o(OFLAG.OPOST);
    for (const c of src) {
      if (this.output.length >= OUTPUT_BUFFER_SIZE) break;
      if (opost) for (const b of this.outputChar(c)) this.output.push(b);
      else this.output.push(c);
      n++;
    }
    this.host.changed();
    return n;
  }

  /** Output the other end has not taken yet (TIOCOUTQ of a console; a pty master's FIONREAD). */
  get outputQueued(): number {
    return this.output.length;
  }

  /** The other end takes up to `max` bytes of output. */
  takeOutput(max: number): Uint8Array {
    const n = Math.min(max, this.output.length);
    const out = Uint8Array.from(this.output.slice(0, n));
    this.output.splice(0, n);
    if (n > 0) this.host.changed();
    return out;
  }

  /** Room for more output (POLLOUT for writers). */
  get writable(): boolean {
    return !this.stopped && this.output.length < OUTPUT_BUFFER_SIZE;
  }

  // ---- reading (by the application) ----

  /**
   * Bytes a read may take now: in canonical mode only completed lines
   * (FIONREAD counts them without the VEOF markers); otherwise everything.
   */
  get inputQueued(): number {
    if (!this.icanon) return this.input.length;
    let n = 0;
    for (let k = 0; k < this.canonCount; k++) if (!this.input[k].eof) n++;
    return n;
  }

  /**
   * Is there something for a read (poll's POLLIN)? Non-canonical mode with
   * VMIN > 0 and VTIME 0 waits for VMIN bytes, as input_available_p does for poll.
   */
  readable(forPoll: boolean): boolean {
    if (this.icanon) return this.canonCount > 0;
    const vmin = this.cc(V.MIN);
    const amount = forPoll && this.cc(V.TIME) === 0 && vmin > 0 ? vmin : 1;
    return this.input.length >= amount;
  }

  /**
   * Reads up to `max` bytes now. Canonical mode: at most one line (an EOF
   * marker ends the line and is consumed; alone it reads as 0 bytes), and
   * null when no line is complete. Otherwise whatever is buffered, null
   * when empty. VMIN/VTIME waiting is the caller's (it knows the clock).
   */
  read(max: number): Uint8Array | null {
    if (this.icanon) {
      if (this.canonCount === 0) return null;
      const out: number[] = [];
      let k = 0;
      while (k < this.canonCount && out.length < max) {
        const b = this.input[k];
        if (b.end) {
          if (!b.eof) out.push(b.c);
          k++;
          break;
        }
        out.push(b.c);
        k++;
      }
      // A line longer than the buffer: the rest stays, and so does its end.
      this.input.splice(0, k);
      this.canonCount -= k;
      this.host.changed();
      return Uint8Array.from(out);
    }
    if (this.input.length === 0) return null;
    const n = Math.min(max, this.input.length);
    const out = Uint8Array.from(this.input.slice(0, n), (b) => b.c);
    this.input.splice(0, n);
    this.canonCount = Math.max(0, this.canonCount - n);
    this.host.changed();
    return out;
  }

  /** TCFLSH: drop pending input (TCIFLUSH), output (TCOFLUSH), or both. */
  flush(input: boolean, output: boolean): void {
    if (input) {
      this.input = [];
      this.canonCount = 0;
      this.lnext = false;
      this.erasing = false;
    }
    if (output) {
      this.output = [];
      this.heldEcho = [];
    }
    this.host.changed();
  }
}
