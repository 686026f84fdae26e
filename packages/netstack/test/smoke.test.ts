import { describe, expect, it } from 'vitest';
import { AF, SOCK } from '../src/abi.js';
import { createSocket } from '../src/socket/factory.js';
import { TcpState } from '../src/tcp/state.js';
import { makePair } from './harness.js';

describe('smoke', () => {
  it('connects and transfers', () => {
    const { clock, a, b } = makePair();
    const l = createSocket(b, AF.INET, SOCK.STREAM);
    l.bind({ family: AF.INET, addr: '0.0.0.0', port: 80 });
    l.listen(8);
    const c = createSocket(a, AF.INET, SOCK.STREAM);
    expect(() => c.connect({ family: AF.INET, addr: '10.0.0.2', port: 80 })).toThrow(/EINPROGRESS/);
    clock.runUntil(() => (c as unknown as { endpoint: { state: unknown } }).endpoint.state === TcpState.ESTABLISHED, 5000);
    clock.advance(10);
    const s = l.accept();
    const msg = new TextEncoder().encode('hello');
    expect(c.send(msg)).toBe(5);
    clock.advance(100);
    expect(new TextDecoder().decode(s.recv(100))).toBe('hello');
  });
});
