// TCP_INFO: the Linux struct tcp_info fields this stack maintains, and their
// encoding into the first 104 bytes of the struct (through tcpi_total_retrans,
// the size of the struct in <netinet/tcp.h>).

/** tcpi_options bits. */
export const TCPI_OPT = { TIMESTAMPS: 1, SACK: 2, WSCALE: 4 } as const;

/** tcpi_ca_state values. */
export const TcpCaState = { OPEN: 0, DISORDER: 1, CWR: 2, RECOVERY: 3, LOSS: 4 } as const;

export interface TcpInfo {
  state: number;
  caState: number;
  retransmits: number;
  probes: number;
  backoff: number;
  options: number;
  sndWscale: number;
  rcvWscale: number;
  /** Microseconds. */
  rto: number;
  ato: number;
  sndMss: number;
  rcvMss: number;
  unacked: number;
  sacked: number;
  lost: number;
  retrans: number;
  /** Milliseconds since the event. */
  lastDataSent: number;
  lastAckSent: number;
  lastDataRecv: number;
  lastAckRecv: number;
  pmtu: number;
  rcvSsthresh: number;
  /** Microseconds. */
  rtt: number;
  rttvar: number;
  sndSsthresh: number;
  /** Segments. */
  sndCwnd: number;
  advmss: number;
  reordering: number;
  rcvRtt: number;
  rcvSpace: number;
  totalRetrans: number;
}

export const TCP_INFO_SIZE = 104;

/** Encodes into Linux's x86-64 struct tcp_info layout (little-endian). */
export function encodeTcpInfo(i: TcpInfo): Uint8Array {
  const out = new Uint8Array(TCP_INFO_SIZE);
  const v = new DataView(out.buffer);
  out[0] = i.state;
  out[1] = i.caState;
  out[2] = i.retransmits;
  out[3] = i.probes;
  out[4] = i.backoff;
  out[5] = i.options;
  out[6] = (i.sndWscale & 0xf) | ((i.rcvWscale & 0xf) << 4);
  const words = [
    i.rto,
    i.ato,
    i.sndMss,
    i.rcvMss,
    i.unacked,
    i.sacked,
    i.lost,
    i.retrans,
    0 /* fackets */,
    i.lastDataSent,
    i.lastAckSent,
    i.lastDataRecv,
    i.lastAckRecv,
    i.pmtu,
    i.rcvSsthresh,
    i.rtt,
    i.rttvar,
    i.sndSsthresh,
    i.sndCwnd,
    i.advmss,
    i.reordering,
    i.rcvRtt,
    i.rcvSpace,
    i.totalRetrans,
  ];
  words.forEach((w, k) => v.setUint32(8 + 4 * k, Math.max(0, Math.min(0xffffffff, Math.round(w))), true));
  return out;
}
