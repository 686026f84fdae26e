// node:net's API over two userspace stacks joined by an in-memory link:
// code written for node:net runs unchanged on `net` below.
import { ChannelPair, RealClock, Stack } from '@tvisor/netstack';
import { createNet } from '@tvisor/netstack/net';

const clock = new RealClock();
const wire = new ChannelPair(clock, { delayMs: 1 });
const serverStack = new Stack({ clock });
serverStack.addAddress(serverStack.addNic(wire.a), '10.0.0.1/24');
const clientStack = new Stack({ clock });
clientStack.addAddress(clientStack.addNic(wire.b), '10.0.0.2/24');

const serverNet = createNet(serverStack);
const clientNet = createNet(clientStack);

// An upper-casing echo server, as with node:net.
const server = serverNet.createServer((socket) => {
  socket.on('data', (d) => socket.write(d.toString().toUpperCase()));
  socket.on('end', () => socket.end());
});
server.listen(7, '10.0.0.1', () => {
  console.log('listening on', JSON.stringify(server.address())); // {"address":"10.0.0.1","family":"IPv4","port":7}
  const socket = clientNet.connect({ host: '10.0.0.1', port: 7 }, () => {
    console.log('connected from', socket.localAddress, 'to', `${socket.remoteAddress}:${socket.remotePort}`); // 10.0.0.2 to 10.0.0.1:7
    socket.setNoDelay(true);
    socket.end('hello through a userspace TCP/IP stack');
  });
  let reply = '';
  socket.on('data', (d) => (reply += d));
  socket.on('close', () => {
    console.log(reply); // HELLO THROUGH A USERSPACE TCP/IP STACK
    // Nobody listens on port 9: refused, as node:net reports it.
    clientNet.connect(9, '10.0.0.1').on('error', (e) => {
      console.log(e.code, e.syscall, e.message); // ECONNREFUSED connect connect ECONNREFUSED 10.0.0.1:9
      server.close(() => {
        serverStack.close();
        clientStack.close();
      });
    });
  });
});
