import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AF } from '../src/abi.js';
import { sockAddrFromBytes, sockAddrToBytes } from '../src/socket/sockaddr.js';
import { IpAddress } from '../src/wire/address.js';

describe('sockaddr bytes', () => {
  it('matches what python3 packs for sockaddr_in and sockaddr_in6', () => {
    // python's struct/socket modules pack the same layouts the C headers define.
    const py = `
import socket, struct
a = struct.pack('<H', socket.AF_INET) + struct.pack('>H', 8080) + socket.inet_pton(socket.AF_INET, '10.1.2.3') + bytes(8)
b = struct.pack('<H', socket.AF_INET6) + struct.pack('>H', 443) + struct.pack('>I', 7) + socket.inet_pton(socket.AF_INET6, 'fd00::1:2') + struct.pack('<I', 3)
print(a.hex()); print(b.hex())`;
    const [a, b] = execFileSync('python3', ['-c', py], { encoding: 'utf8' }).trim().split('\n');
    expect(Buffer.from(sockAddrToBytes({ family: AF.INET, addr: '10.1.2.3', port: 8080 })).toString('hex')).toBe(a);
    expect(Buffer.from(sockAddrToBytes({ family: AF.INET6, addr: 'fd00::1:2', port: 443, flowinfo: 7, scopeId: 3 })).toString('hex')).toBe(b);
    expect(sockAddrFromBytes(new Uint8Array(Buffer.from(b, 'hex')))).toEqual({ family: AF.INET6, addr: 'fd00::1:2', port: 443, flowinfo: 7, scopeId: 3 });
  });

  it('round-trips and rejects short or foreign addresses', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 16, maxLength: 16 })),
        fc.integer({ min: 0, max: 0xffff }),
        (b, port) => {
          const ip = IpAddress.fromBytes(b);
          const sa = ip.version === 4 ? { family: AF.INET, addr: ip.key, port } : { family: AF.INET6, addr: ip.key, port, flowinfo: 0, scopeId: 0 };
          expect(sockAddrFromBytes(sockAddrToBytes(sa))).toEqual(sa);
        },
      ),
      { numRuns: 200 },
    );
    expect(() => sockAddrFromBytes(new Uint8Array([2, 0, 0, 80]))).toThrow(/EINVAL/);
    expect(() => sockAddrFromBytes(new Uint8Array(16).fill(1))).toThrow(/EAFNOSUPPORT/);
  });
});
