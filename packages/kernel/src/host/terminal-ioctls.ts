import { TC, TIOC, Termios, Winsize } from '@tvisor/abi';

/** Terminal requests forwarded to a host tty: the size of the struct each copies and in which direction. */
export const TERMINAL_IOCTLS = new Map<number, { name: string; size: number; dir: 'in' | 'out' }>([
  [TC.GETS, { name: 'TCGETS', size: Termios.size, dir: 'out' }],
  [TC.SETS, { name: 'TCSETS', size: Termios.size, dir: 'in' }],
  [TC.SETSW, { name: 'TCSETSW', size: Termios.size, dir: 'in' }],
  [TC.SETSF, { name: 'TCSETSF', size: Termios.size, dir: 'in' }],
  [TIOC.GWINSZ, { name: 'TIOCGWINSZ', size: Winsize.size, dir: 'out' }],
  [TIOC.SWINSZ, { name: 'TIOCSWINSZ', size: Winsize.size, dir: 'in' }],
  [TIOC.GPGRP, { name: 'TIOCGPGRP', size: 4, dir: 'out' }],
]);
