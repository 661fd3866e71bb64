// The forwarder of bench/managed/switch.mjs, in its own process so its CPU is its own.
//   tsa  a TunnelSwitch on one UDP socket: First tunnels accepted (v2 LNS), every call routed
//        to NEXT (the parent's LNS); frames cross in place.
//   raw  two node:dgram sockets: what arrives on A from the sender goes out of B to the sink,
//        what arrives on B goes out of A back to the sender — the same bytes, no parsing.
// Messages from the parent: {cmd:'start'} resets the CPU mark, {cmd:'stop'} answers
// {cpuMs, forwarded}; first message out: {ready: {port}} (raw: {ready: {portA, portB}}).
import { createSocket } from 'node:dgram';
import { TunnelSwitch } from '../../dist/index.js';
import { nodeClock, nodeRandomBytes, nodeTimers, UdpTransport } from '../../dist/node/index.js';

const LOCAL = '127.0.0.1';
const SOCKBUF = 4 * 1024 * 1024;
const mode = process.argv[2];
const nextPort = Number(process.argv[3]);
let mark = process.cpuUsage();
let forwarded = 0;
let base = 0;
let stats = () => forwarded;

function bind() {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind({ address: LOCAL, port: 0 }, () => {
      s.setRecvBufferSize(SOCKBUF);
      s.setSendBufferSize(SOCKBUF);
      resolve(s);
    });
  });
}

if (mode === 'raw') {
  const a = await bind();
  const b = await bind();
  let sender;
  a.on('message', (msg, rinfo) => {
    sender = rinfo.port;
    forwarded++;
    b.send(msg, nextPort, LOCAL);
  });
  b.on('message', (msg) => {
    forwarded++;
    if (sender !== undefined) a.send(msg, sender, LOCAL);
  });
  process.send({ ready: { portA: a.address().port, portB: b.address().port } });
} else {
  const transport = await UdpTransport.open({
    address: LOCAL,
    receiveBufferSize: SOCKBUF,
    sendBufferSize: SOCKBUF,
  });
  const sw = new TunnelSwitch({
    transport,
    clock: nodeClock,
    timers: nodeTimers,
    randomBytes: nodeRandomBytes,
    accept: { version: 2, mode: 'lns', hostName: 'tsa.bench' },
    route: () => ({
      peer: { address: LOCAL, port: nextPort },
      tunnel: { version: 2, hostName: 'tsa.bench' },
    }),
  });
  stats = () => {
    const s = sw.stats();
    return s.framesToSecond + s.framesToFirst;
  };
  process.send({ ready: { port: transport.local.port } });
}

process.on('message', (m) => {
  if (m.cmd === 'start') {
    base = stats();
    mark = process.cpuUsage();
    process.send({ started: base });
  } else if (m.cmd === 'stop') {
    const c = process.cpuUsage(mark);
    process.send({ cpuMs: (c.user + c.system) / 1000, forwarded: stats() - base });
  } else if (m.cmd === 'exit') {
    // Through process.exit, so --cpu-prof still writes its profile.
    process.disconnect();
    setImmediate(() => process.exit(0));
  }
});
