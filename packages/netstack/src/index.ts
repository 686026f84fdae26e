// @tvisor/netstack: a userspace TCP/IP stack. Pure TypeScript: no node:*
// modules, no koffi, no real timers (see ./tap.ts for the TAP device).

export * from './wire/index.js';
export type { Clock, Timer } from './time/clock.js';
export { VirtualClock } from './time/virtual-clock.js';
export { RealClock } from './time/real-clock.js';
export type { LinkEndpoint, LinkCapabilities } from './link/endpoint.js';
export { LoopbackEndpoint } from './link/loopback.js';
export { ChannelPair, seededRandom, type ChannelOptions, type ChannelStats, type Impairment } from './link/channel.js';
export { PcapWriter, SniffingEndpoint, PCAP_LINKTYPE_ETHERNET } from './link/pcap.js';
export { Stack, parseCidr, type StackOptions, type IcmpListener } from './stack/stack.js';
export { Nic, type InterfaceAddress } from './stack/nic.js';
export type { Route, PacketInfo, NetworkError, TransportProtocol, ReceiveFilter, SendOptions } from './stack/types.js';
export { DEFAULT_TCP_CONFIG, type TcpConfig } from './tcp/config.js';
export { TcpState, tcpStateName } from './tcp/state.js';
export { encodeTcpInfo, TCP_INFO_SIZE, TCPI_OPT, type TcpInfo } from './tcp/info.js';
export { TcpEndpoint } from './tcp/endpoint.js';
export { createSocket } from './socket/factory.js';
export { TcpSocket, TCP_CA_NAME_MAX } from './socket/tcp-socket.js';
export { UdpSocket } from './socket/udp-socket.js';
export { PingSocket } from './socket/ping-socket.js';
export { RawSocket } from './socket/raw-socket.js';
export type { Socket, SockAddr, SockOptValue, RecvResult, LingerOption } from './socket/types.js';
export { ping, type PingResult } from './stack/ping.js';
// The Linux ABI names the socket API speaks (re-exported from @tvisor/abi for convenience).
export { AF, SOCK, POLL, SOL, SO, TCP, IP, IPV6, IPPROTO, SHUT, MSG, Errno, SysError } from './abi.js';
export { sockAddrFromBytes, sockAddrToBytes } from './socket/sockaddr.js';
