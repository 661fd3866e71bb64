// The baseline of bench/ppp-vpn.mjs: a plain TUN ↔ UDP forwarder, no L2TP and no PPP. One end of
// it runs in each network namespace. It opens a TUN through the same module the CLI loads
// (examples/linux-host/tun.mjs over the same addon), configures it with `ip` as `l2tp-core lns
// --ppp` (ADDR is `10.77.0.1/24`) or `l2tp-core connect` (`10.77.0.2 peer 10.77.0.1`) do, and
// binds a node:dgram socket like the CLI's UdpTransport: unconnected, no SO_RCVBUF / SO_SNDBUF
// set (the system's defaults, as the CLI), IP literals only (a lookup that never goes through
// dns.lookup, as UdpTransport's). Every packet read from the TUN goes, the same bytes, to the
// peer's UDP port; every datagram received is written into the TUN.
//   node bench/ppp-vpn-plain.mjs TUN ADDR MTU BIND_ADDR BIND_PORT [PEER_ADDR PEER_PORT]
// Without a peer (the server end) it answers whoever sent it the last datagram. Prints one JSON
// line `{"ready":…}` when the TUN is up; exits 0 on SIGINT / SIGTERM (so --cpu-prof writes its
// profile), printing `{"stats":…}` first.
import { execFileSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { openTun } from '../examples/linux-host/tun.mjs';

const [tunName, addr, mtu, bindAddress, bindPort, peerAddress, peerPort] = process.argv.slice(2);
if (bindPort === undefined) {
  console.error('usage: ppp-vpn-plain.mjs TUN ADDR MTU BIND_ADDR BIND_PORT [PEER_ADDR PEER_PORT]');
  process.exit(2);
}

// node:dgram's default lookup is dns.lookup, even for a literal; UdpTransport skips it.
const literal = (address, _options, callback) => callback(null, address, 4);
const socket = createSocket({ type: 'udp4', lookup: literal });
await new Promise((resolve, reject) => {
  socket.once('error', reject);
  socket.bind({ address: bindAddress, port: Number(bindPort) }, () => {
    socket.off('error', reject);
    resolve();
  });
});

const tun = openTun(tunName);
const ip = (...args) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
ip('link', 'set', 'dev', tun.name, 'mtu', mtu);
ip('addr', 'add', ...addr.split(' '), 'dev', tun.name);
ip('link', 'set', 'dev', tun.name, 'up');

let peer = peerAddress === undefined ? undefined : { address: peerAddress, port: Number(peerPort) };
const stats = { toPeer: 0, fromPeer: 0, dropped: 0, sendErrors: 0 };
const afterSend = (error) => {
  if (error) stats.sendErrors++;
};
tun.onPacket((packet) => {
  if (peer === undefined) {
    stats.dropped++;
    return;
  }
  stats.toPeer++;
  socket.send(packet, peer.port, peer.address, afterSend);
});
socket.on('message', (msg, rinfo) => {
  if (peer === undefined || peer.port !== rinfo.port || peer.address !== rinfo.address) {
    peer = { address: rinfo.address, port: rinfo.port };
  }
  stats.fromPeer++;
  if (!tun.write(msg)) stats.dropped++;
});

const stop = () => {
  console.log(JSON.stringify({ stats: { ...stats, tun: tun.stats() } }));
  tun.close();
  socket.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
console.log(JSON.stringify({ ready: { tun: tun.name, local: socket.address() } }));
