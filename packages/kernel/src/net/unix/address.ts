import { AF, Errno, SysError } from '@tvisor/abi';

/** offsetof(struct sockaddr_un, sun_path). */
export const SUN_PATH_OFFSET = 2;
/** sizeof(struct sockaddr_un). */
export const SOCKADDR_UN_SIZE = 110;

/** A Unix socket name as bind/connect give it. */
export type UnixName =
  | { kind: 'path'; path: string }
  /** `bytes` includes the leading NUL. */
  | { kind: 'abstract'; bytes: Uint8Array }
  /** bind with only sun_family: pick an abstract name (autobind). */
  | { kind: 'autobind' };

/**
 * Parses sockaddr_un bytes (`addr.length` is the caller's addrlen) the way
 * Linux's unix_validate_addr/unix_mkname do: EINVAL for a wrong family or
 * length; a path ends at the first NUL; an abstract name is every byte given.
 */
export function parseUnixAddress(addr: Uint8Array, allowAutobind: boolean): UnixName {
  if (addr.length < SUN_PATH_OFFSET || addr.length > SOCKADDR_UN_SIZE) throw new SysError(Errno.EINVAL);
  if ((addr[0] | (addr[1] << 8)) !== AF.UNIX) throw new SysError(Errno.EINVAL);
  if (addr.length === SUN_PATH_OFFSET) {
    if (allowAutobind) return { kind: 'autobind' };
    throw new SysError(Errno.EINVAL);
  }
  const path = addr.subarray(SUN_PATH_OFFSET);
  if (path[0] === 0) return { kind: 'abstract', bytes: path.slice() };
  const end = path.indexOf(0);
  return { kind: 'path', path: new TextDecoder().decode(end < 0 ? path : path.subarray(0, end)) };
}

/** The sockaddr_un bytes getsockname reports for a name: family, then the path and its NUL, or the abstract bytes. */
export function encodeUnixAddress(name: { kind: 'path'; path: string } | { kind: 'abstract'; bytes: Uint8Array }): Uint8Array {
  const body = name.kind === 'path' ? new TextEncoder().encode(name.path + '\0') : name.bytes;
  const out = new Uint8Array(SUN_PATH_OFFSET + body.length);
  out[0] = AF.UNIX & 0xff;
  out[1] = AF.UNIX >> 8;
  out.set(body, SUN_PATH_OFFSET);
  return out;
}

/** What getsockname/getpeername report for an unnamed socket: sun_family alone. */
export function unnamedAddress(): Uint8Array {
  return Uint8Array.of(AF.UNIX & 0xff, AF.UNIX >> 8);
}

/** The map key of an abstract name bound by a socket of `type` (each type has its own abstract names, as on Linux). */
export function abstractKey(bytes: Uint8Array, type: number): string {
  return `${type}:${String.fromCharCode(...bytes)}`;
}
