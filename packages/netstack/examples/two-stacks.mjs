// Two netstack instances joined by an in-memory Ethernet link exchange data
// over TCP. Run after building: npm run build -w @tvisor/abi -w @tvisor/netstack
//   node packages/netstack/examples/two-stacks.mjs
import { AF, ChannelPair, Errno, POLL, RealClock, SHUT, SO, SOCK, SOL, Stack, createSocket } from '@tvisor/netstack';

const clock = new RealClock();
const wire = new ChannelPair(clock, { delayMs: 1, loss: 0.01 }); // 1 ms, 1% loss

const server = new Stack({ clock });
server.addAddress(server.addNic(wire.a), '10.0.0.1/24');
const client = new Stack({ clock });
client.addAddress(client.addNic(wire.b), '10.0.0.2/24');

// Server: accept one connection and echo upper-cased text until EOF.
const listener = createSocket(server, AF.INET, SOCK.STREAM);
listener.bind({ family: AF.INET, addr: '0.0.0.0', port: 7 });
listener.listen(8);
listener.subscribe(POLL.IN, () => {
  const conn = listener.accept();
  conn.subscribe(POLL.IN, () => {
    while (conn.poll() & POLL.IN) {
      const data = conn.recv(65536);
      if (data.length === 0) return conn.close(); // peer finished
      conn.send(new TextEncoder().encode(new TextDecoder().decode(data).toUpperCase()));
    }
  });
});

// Client: connect (non-blocking), send, half-close, read the reply to EOF.
const sock = createSocket(client, AF.INET, SOCK.STREAM);
let reply = '';
let sent = false;
sock.subscribe(POLL.OUT | POLL.IN, (ready) => {
  if (ready & POLL.OUT && !sent && sock.getsockopt(SOL.SOCKET, SO.ERROR) === 0) {
    sent = true; // connected
    sock.send(new TextEncoder().encode('hello over a userspace TCP/IP stack'));
    sock.shutdown(SHUT.WR); // our FIN follows the data
  }
  while (sock.poll() & POLL.IN) {
    const data = sock.recv(65536);
    if (data.length === 0) {
      console.log(`client got: ${reply}`);
      sock.close();
      setTimeout(() => (server.close(), client.close()), 10);
      return;
    }
    reply += new TextDecoder().decode(data);
  }
});
try {
  sock.connect({ family: AF.INET, addr: '10.0.0.1', port: 7 });
} catch (e) {
  if (e.errno !== Errno.EINPROGRESS) throw e; // the handshake completes in the background
}
