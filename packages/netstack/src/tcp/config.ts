// TCP tunables. Defaults are Linux's (net.ipv4.tcp_* sysctls and include/net/tcp.h).

export interface TcpConfig {
  /** Initial retransmission timeout (RFC 6298 2.1; Linux TCP_TIMEOUT_INIT). */
  initialRtoMs: number;
  /** Lower/upper bounds of the RTO (Linux TCP_RTO_MIN / TCP_RTO_MAX). */
  minRtoMs: number;
  maxRtoMs: number;
  /** SYN retransmissions before giving up (tcp_syn_retries). */
  synRetries: number;
  /** SYN-ACK retransmissions (tcp_synack_retries). */
  synAckRetries: number;
  /** Data retransmissions before the connection is aborted (tcp_retries2). */
  retries2: number;
  /** TIME_WAIT duration (Linux TCP_TIMEWAIT_LEN, 2*MSL). */
  timeWaitMs: number;
  /** FIN_WAIT_2 lifetime of orphaned connections (tcp_fin_timeout). */
  finTimeoutMs: number;
  /** Delayed-ACK timeout (Linux TCP_DELACK_MIN). */
  delayedAckMs: number;
  /** Keepalive defaults (tcp_keepalive_time/intvl/probes), in seconds. */
  keepIdleS: number;
  keepIntvlS: number;
  keepCnt: number;
  /** Default SO_RCVBUF / SO_SNDBUF in bytes (tcp_rmem[1], tcp_wmem[1]). */
  rcvBuf: number;
  sndBuf: number;
  /** Upper bounds for socket buffers (tcp_rmem[2], tcp_wmem[2]). */
  maxRcvBuf: number;
  maxSndBuf: number;
  /** Initial congestion window in segments (RFC 6928). */
  initialCwndSegments: number;
  /** Default congestion control: "cubic" (Linux default) or "reno". */
  congestionControl: 'cubic' | 'reno';
  /** Offer/accept RFC 7323 timestamps, window scaling and RFC 2018 SACK. */
  timestamps: boolean;
  windowScaling: boolean;
  sack: boolean;
}

export const DEFAULT_TCP_CONFIG: TcpConfig = {
  initialRtoMs: 1000,
  minRtoMs: 200,
  maxRtoMs: 120_000,
  synRetries: 6,
  synAckRetries: 5,
  retries2: 15,
  timeWaitMs: 60_000,
  finTimeoutMs: 60_000,
  delayedAckMs: 40,
  keepIdleS: 7200,
  keepIntvlS: 75,
  keepCnt: 9,
  rcvBuf: 131072,
  sndBuf: 16384,
  maxRcvBuf: 6291456,
  maxSndBuf: 4194304,
  initialCwndSegments: 10,
  congestionControl: 'cubic',
  timestamps: true,
  windowScaling: true,
  sack: true,
};
