// TCP connection states, numbered as Linux numbers them (include/net/tcp_states.h),
// so TCP_INFO's tcpi_state can report them directly.

export const TcpState = {
  ESTABLISHED: 1,
  SYN_SENT: 2,
  SYN_RECV: 3,
  FIN_WAIT1: 4,
  FIN_WAIT2: 5,
  TIME_WAIT: 6,
  CLOSE: 7,
  CLOSE_WAIT: 8,
  LAST_ACK: 9,
  LISTEN: 10,
  CLOSING: 11,
} as const;

export type TcpStateValue = (typeof TcpState)[keyof typeof TcpState];

const NAMES = Object.fromEntries(Object.entries(TcpState).map(([k, v]) => [v, k])) as Record<number, string>;

export function tcpStateName(s: number): string {
  return NAMES[s] ?? `state ${s}`;
}

/** States in which the connection is synchronized (RFC 9293 3.3.2), minus TIME_WAIT. */
export function isSynchronized(s: number): boolean {
  return (
    s === TcpState.ESTABLISHED ||
    s === TcpState.FIN_WAIT1 ||
    s === TcpState.FIN_WAIT2 ||
    s === TcpState.CLOSE_WAIT ||
    s === TcpState.CLOSING ||
    s === TcpState.LAST_ACK
  );
}
