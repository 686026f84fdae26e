/** Terminal ioctls named TC* (TCGETS -> TC.GETS). */
export const TC = {
  GETS: 0x5401,
  SETS: 0x5402,
  SETSW: 0x5403,
  SETSF: 0x5404,
  GETA: 0x5405,
  SETA: 0x5406,
  SETAW: 0x5407,
  SETAF: 0x5408,
  SBRK: 0x5409,
  XONC: 0x540a,
  FLSH: 0x540b,
  SBRKP: 0x5425,
  GETS2: 0x802c542a,
  SETS2: 0x402c542b,
  SETSW2: 0x402c542c,
  SETSF2: 0x402c542d,
} as const;

/** Terminal ioctls named TIOC* (TIOCGWINSZ -> TIOC.GWINSZ). */
export const TIOC = {
  EXCL: 0x540c,
  NXCL: 0x540d,
  SCTTY: 0x540e,
  GPGRP: 0x540f,
  SPGRP: 0x5410,
  OUTQ: 0x5411,
  STI: 0x5412,
  GWINSZ: 0x5413,
  SWINSZ: 0x5414,
  MGET: 0x5415,
  MBIS: 0x5416,
  MBIC: 0x5417,
  MSET: 0x5418,
  GSOFTCAR: 0x5419,
  SSOFTCAR: 0x541a,
  INQ: 0x541b,
  LINUX: 0x541c,
  CONS: 0x541d,
  GSERIAL: 0x541e,
  SSERIAL: 0x541f,
  PKT: 0x5420,
  NOTTY: 0x5422,
  SETD: 0x5423,
  GETD: 0x5424,
  SBRK: 0x5427,
  CBRK: 0x5428,
  GSID: 0x5429,
  GPTN: 0x80045430,
  SPTLCK: 0x40045431,
  GDEV: 0x80045432,
  SIG: 0x40045436,
  VHANGUP: 0x5437,
  GPKT: 0x80045438,
  GPTLCK: 0x80045439,
  GEXCL: 0x80045440,
  GPTPEER: 0x5441,
  SERCONFIG: 0x5453,
  GLCKTRMIOS: 0x5456,
  SLCKTRMIOS: 0x5457,
} as const;

/** Packet-mode status bits a pty master reads (TIOCPKT_DATA...). */
export const TIOCPKT_STATUS = { DATA: 0, FLUSHREAD: 1, FLUSHWRITE: 2, STOP: 4, START: 8, NOSTOP: 16, DOSTOP: 32, IOCTL: 64 } as const;

/** Generic file ioctls named FIO* (FIONREAD -> FIO.NREAD). */
export const FIO = {
  NREAD: 0x541b,
  NBIO: 0x5421,
  NCLEX: 0x5450,
  CLEX: 0x5451,
  ASYNC: 0x5452,
  QSIZE: 0x5460,
  /** Socket owner for SIGIO (asm/sockios.h), as F_SETOWN/F_GETOWN. */
  SETOWN: 0x8901,
  GETOWN: 0x8903,
} as const;

/** tcsetattr actions (TCSANOW...). */
export const TCSA = { NOW: 0, DRAIN: 1, FLUSH: 2 } as const;

/** TCFLSH arguments (TCIFLUSH...). */
export const TCFLUSH = { IFLUSH: 0, OFLUSH: 1, IOFLUSH: 2 } as const;

/** TCXONC arguments (TCOOFF...). */
export const TCFLOW = { OOFF: 0, OON: 1, IOFF: 2, ION: 3 } as const;

/** termios c_iflag bits, by their full C names. */
export const IFLAG = {
  IGNBRK: 0o1,
  BRKINT: 0o2,
  IGNPAR: 0o4,
  PARMRK: 0o10,
  INPCK: 0o20,
  ISTRIP: 0o40,
  INLCR: 0o100,
  IGNCR: 0o200,
  ICRNL: 0o400,
  IUCLC: 0o1000,
  IXON: 0o2000,
  IXANY: 0o4000,
  IXOFF: 0o10000,
  IMAXBEL: 0o20000,
  IUTF8: 0o40000,
} as const;

/** termios c_oflag bits, by their full C names. */
export const OFLAG = {
  OPOST: 0o1,
  OLCUC: 0o2,
  ONLCR: 0o4,
  OCRNL: 0o10,
  ONOCR: 0o20,
  ONLRET: 0o40,
  OFILL: 0o100,
  OFDEL: 0o200,
  NLDLY: 0o400,
  CRDLY: 0o3000,
  TABDLY: 0o14000,
  XTABS: 0o14000,
  BSDLY: 0o20000,
  VTDLY: 0o40000,
  FFDLY: 0o100000,
} as const;

/** termios c_cflag bits, by their full C names. */
export const CFLAG = {
  CBAUD: 0o10017,
  B0: 0o0,
  B9600: 0o15,
  B19200: 0o16,
  B38400: 0o17,
  CSIZE: 0o60,
  CS5: 0o0,
  CS6: 0o20,
  CS7: 0o40,
  CS8: 0o60,
  CSTOPB: 0o100,
  CREAD: 0o200,
  PARENB: 0o400,
  PARODD: 0o1000,
  HUPCL: 0o2000,
  CLOCAL: 0o4000,
  CBAUDEX: 0o10000,
  BOTHER: 0o10000,
  B115200: 0o10002,
  CIBAUD: 0o2003600000,
  CMSPAR: 0o10000000000,
  CRTSCTS: 0o20000000000,
} as const;

/** termios c_lflag bits, by their full C names. */
export const LFLAG = {
  ISIG: 0o1,
  ICANON: 0o2,
  XCASE: 0o4,
  ECHO: 0o10,
  ECHOE: 0o20,
  ECHOK: 0o40,
  ECHONL: 0o100,
  NOFLSH: 0o200,
  TOSTOP: 0o400,
  ECHOCTL: 0o1000,
  ECHOPRT: 0o2000,
  ECHOKE: 0o4000,
  FLUSHO: 0o10000,
  PENDIN: 0o40000,
  IEXTEN: 0o100000,
  EXTPROC: 0o200000,
} as const;

/** Indices into termios c_cc (VINTR -> V.INTR). */
export const V = {
  INTR: 0,
  QUIT: 1,
  ERASE: 2,
  KILL: 3,
  EOF: 4,
  TIME: 5,
  MIN: 6,
  SWTC: 7,
  START: 8,
  STOP: 9,
  SUSP: 10,
  EOL: 11,
  REPRINT: 12,
  DISCARD: 13,
  WERASE: 14,
  LNEXT: 15,
  EOL2: 16,
} as const;
