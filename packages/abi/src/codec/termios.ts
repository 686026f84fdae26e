import { bytes, u16, u32, u8 } from './fields.js';
import { struct } from './struct.js';

/** Number of control characters in the kernel's struct termios. */
export const NCCS = 19;

/** The kernel's struct termios (TCGETS/TCSETS*), 36 bytes; not glibc's larger one. */
export interface Termios {
  c_iflag: number;
  c_oflag: number;
  c_cflag: number;
  c_lflag: number;
  c_line: number;
  c_cc: Uint8Array;
}
export const Termios = struct<Termios>('struct termios', 36, {
  c_iflag: u32(0),
  c_oflag: u32(4),
  c_cflag: u32(8),
  c_lflag: u32(12),
  c_line: u8(16),
  c_cc: bytes(17, 19),
});

/** The kernel's struct termios2 (TCGETS2/TCSETS2...), which adds arbitrary baud rates (CFLAG.BOTHER). */
export interface Termios2 extends Termios {
  c_ispeed: number;
  c_ospeed: number;
}
export const Termios2 = struct<Termios2>('struct termios2', 44, {
  c_iflag: u32(0),
  c_oflag: u32(4),
  c_cflag: u32(8),
  c_lflag: u32(12),
  c_line: u8(16),
  c_cc: bytes(17, 19),
  c_ispeed: u32(36),
  c_ospeed: u32(40),
});

/** struct winsize (TIOCGWINSZ/TIOCSWINSZ). */
export interface Winsize {
  ws_row: number;
  ws_col: number;
  ws_xpixel: number;
  ws_ypixel: number;
}
export const Winsize = struct<Winsize>('struct winsize', 8, {
  ws_row: u16(0),
  ws_col: u16(2),
  ws_xpixel: u16(4),
  ws_ypixel: u16(6),
});
