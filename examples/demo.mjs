// l2tp-core demo: an LNS and a LAC in one process over real UDP on 127.0.0.1.
// The LAC opens a tunnel with challenge authentication in both directions and hidden AVPs,
// opens several sessions (incoming calls), sends PPP frames that the LNS echoes back, closes one
// session (CDN) and then the tunnel (StopCCN). Every control datagram is printed as it crosses the
// wire, then a statistics table. Run: npm run demo   (builds first)
import {
  classify,
  decodeControl,
  describeControlMessage,
  describeReason,
  Endpoint,
} from '../dist/index.js';
import {
  nodeClock,
  nodeCrypto,
  nodeRandomBytes,
  nodeTimers,
  UdpTransport,
} from '../dist/node/index.js';

const SESSIONS = Number(process.env.SESSIONS ?? 4);
const FRAMES = Number(process.env.FRAMES ?? 25);
const secret = 'demo-shared-secret';
const t0 = nodeClock.now();
const stamp = () => `${((nodeClock.now() - t0) / 1000).toFixed(3).padStart(7)} s`;

// A transport wrapper that prints every control message it carries.
function traced(transport, name) {
  return {
    send(data, peer) {
      const bytes = Array.isArray(data) ? data[0] : data;
      if (classify(bytes, 'udp').kind === 'control') {
        console.log(`${stamp()}  ${name} → ${describeControlMessage(decodeControl(bytes))}`);
      }
      transport.send(data, peer);
    },
    onDatagram: (handler) => transport.onDatagram(handler),
    close: () => transport.close(),
  };
}

const common = {
  clock: nodeClock,
  timers: nodeTimers,
  randomBytes: nodeRandomBytes,
  crypto: nodeCrypto,
};
const lnsSocket = await UdpTransport.open({ address: '127.0.0.1' });
const lacSocket = await UdpTransport.open({ address: '127.0.0.1' });
const hidden = ['assignedTunnelId', 'assignedSessionId', 'callSerialNumber', 'vendorName'];
// Shorter than RFC 2661's defaults (1 s doubling, 5 retries: a 31 s post-close hold, §5.7) so
// the demo ends quickly: 200 ms doubling, 2 retries → a 1.4 s hold after StopCCN.
const timers = { retransmitTimeoutMs: 200, maxRetransmitTimeoutMs: 1000, maxRetransmits: 2 };

const lns = new Endpoint({
  ...common,
  transport: traced(lnsSocket, 'LNS'),
  acceptTunnel: {
    mode: 'lns',
    hostName: 'lns.demo',
    secret,
    hiddenFields: hidden,
    vendorName: 'l2tp-core',
  },
});
const lac = new Endpoint({ ...common, transport: traced(lacSocket, 'LAC') });

console.log(`LNS on 127.0.0.1:${lnsSocket.local.port}, LAC on 127.0.0.1:${lacSocket.local.port}\n`);

lns.on('tunnel', (tunnel) => {
  tunnel.on('up', (info) =>
    console.log(
      `${stamp()}  LNS: tunnel ${tunnel.id} up with ${info.peerHostName}, peer authenticated: ${info.peerAuthenticated}`,
    ),
  );
  // Echo every PPP frame back on its session.
  tunnel.on('frame', (session, frame) => session.send(Uint8Array.from(frame)));
  tunnel.on('down', (r) =>
    console.log(`${stamp()}  LNS: tunnel ${tunnel.id} down (${describeReason(r)})`),
  );
});

const tunnel = await lac.connect(
  { address: '127.0.0.1', port: lnsSocket.local.port },
  {
    mode: 'lac',
    hostName: 'lac.demo',
    secret,
    hiddenFields: hidden,
    vendorName: 'l2tp-core',
    ...timers,
  },
);
console.log(
  `${stamp()}  LAC: tunnel ${tunnel.id} up with ${tunnel.info.peerHostName}, peer authenticated: ${tunnel.info.peerAuthenticated}`,
);

const sessions = await Promise.all(
  Array.from({ length: SESSIONS }, (_, i) =>
    tunnel.openSession({ sendSequenceNumbers: i % 2 === 0 }),
  ),
);
for (const s of sessions)
  console.log(`${stamp()}  LAC: session ${s.id} up (peer session ${s.peerId})`);

// An LCP Echo-Request-like PPP frame per send; count the echoes.
let echoes = 0;
const allEchoed = new Promise((resolve) => {
  tunnel.on('frame', () => {
    echoes++;
    if (echoes === SESSIONS * FRAMES) resolve();
  });
});
for (let n = 0; n < FRAMES; n++) {
  for (const s of sessions)
    s.send(Uint8Array.of(0xff, 0x03, 0xc0, 0x21, 0x09, n & 0xff, 0x00, 0x08, 0, 0, 0, 0));
}
// At most 3 s; the timer is cleared so that it does not hold the process open once all echoed.
let timer;
await Promise.race([allEchoed, new Promise((r) => (timer = setTimeout(r, 3000)))]);
clearTimeout(timer);
console.log(`${stamp()}  LAC: ${echoes} of ${SESSIONS * FRAMES} frames echoed by the LNS`);

const firstDown = new Promise((r) => sessions[0].once('down', r));
sessions[0].close();
await firstDown;
console.log(
  `${stamp()}  LAC: session ${sessions[0].id} closed (${describeReason(sessions[0].downReason)})`,
);

const stats = tunnel.stats();
await tunnel.close();
console.log(`${stamp()}  LAC: tunnel closed (${describeReason(tunnel.downReason)})\n`);

console.table({
  'control messages sent': stats.channel.messagesSent,
  retransmissions: stats.channel.retransmissions,
  'acks sent (ZLB)': stats.channel.acksSent,
  'acks piggy-backed': stats.channel.acksPiggybacked,
  'smoothed RTT (ms)': stats.channel.srttMs?.toFixed(2),
  'frames sent': stats.framesSent,
  'frames received': stats.framesReceived,
  'datagrams dropped': stats.datagramsDropped,
  'sessions before close': stats.sessions,
});

// The LNS keeps the closed tunnel for a full RFC 2661 retransmission cycle (31 s: it cannot know
// the peer's timers) to re-acknowledge a StopCCN whose ZLB got lost (§5.7). The demo does not wait.
lns.destroy();
await Promise.all([lnsSocket.close(), lacSocket.close()]);
