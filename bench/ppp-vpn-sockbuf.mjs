// An experiment of bench/ppp-vpn.mjs (SOCKBUF=N), loaded into the CLI's processes with
// `node --import`: every node:dgram socket gets SO_RCVBUF and SO_SNDBUF of PPP_VPN_SOCKBUF
// bytes once bound, which the CLI cannot be told (its UdpTransport leaves the system's
// defaults). The plain forwarder sets the same sizes itself. Benchmarks only.
import dgram from 'node:dgram';
import { syncBuiltinESMExports } from 'node:module';

const size = Number(process.env.PPP_VPN_SOCKBUF);
if (Number.isInteger(size) && size > 0) {
  const create = dgram.createSocket;
  dgram.createSocket = function createSocket(...args) {
    const socket = create.apply(this, args);
    socket.once('listening', () => {
      socket.setRecvBufferSize(size);
      socket.setSendBufferSize(size);
    });
    return socket;
  };
  syncBuiltinESMExports(); // `import { createSocket } from 'node:dgram'` sees the wrapper too
}
