// Issue #13, "Managed echo vs raw node:dgram echo, 64 B and 1400 B, ≥ 0.9×".
//
// Loopback UDP echo, frames per CPU-second, measured like bench/dataplane.bench.mjs so that the
// figures compare: the same window of frames in flight (64), the same socket buffers (4 MB),
// FRAMES echoed frames per case and round, ROUNDS rounds with the order reversed every other
// round (CHUNK > 0: the cases take turns every CHUNK frames within a round), ratios per round by
// process CPU time (user + system) and by wall time, medians over the rounds reported.
// Cases:
//   raw      two node:dgram sockets; A sends the payload, B sends each datagram back.
//   managed  an L2TPv2 tunnel between two Endpoints over UdpTransport on 127.0.0.1 (LAC and LNS,
//            real clock and timers), one session; the LAC `session.send`s the frame, the LNS
//            echoes each 'frame' with `session.send(frame)`, the LAC counts 'frame' events.
//   static   for context: two StaticTunnelHosts (L2TPv3/UDP, 8-byte cookies, sequencing off)
//            echoing the same way, as the dataplane bench's "l2tp seq off" case.
//   managedip the same, with `inPlace` sends on both sides (see managedPair).
// Env: ROUNDS (15), FRAMES (10000), CHUNK (0), ECHO_KINDS (raw,managed,managedip,static),
// VERBOSE=1.
import { createSocket } from 'node:dgram';
import { Endpoint, StaticTunnelHost } from '../../dist/index.js';
import { nodeClock, nodeRandomBytes, nodeTimers, UdpTransport } from '../../dist/node/index.js';
import { check, envList, envNumber, median, table } from './common.mjs';

const ROUNDS = envNumber('ROUNDS', 15);
const FRAMES = envNumber('FRAMES', 10_000);
const CHUNK = envNumber('CHUNK', 0);
const KINDS = envList('ECHO_KINDS', 'raw,managed,managedip,static');
const WINDOW = 64;
const SIZES = [1400, 64];
const LOCAL = '127.0.0.1';
const SOCKBUF = 4 * 1024 * 1024;

// Drives one round: `sendOne()` emits a frame from A; `arrived()` is called for every echo that
// reaches A. Frames lost on loopback (rare) are replaced after 200 ms without progress.
// (The same runner as bench/dataplane.bench.mjs.)
function makeRunner() {
  let state;
  return {
    arrived() {
      const s = state;
      s.received++;
      s.progress = true;
      if (s.received >= s.n) {
        s.done();
      } else if (s.sent < s.n) {
        s.sent++;
        s.sendOne();
      }
    },
    run(n, sendOne) {
      return new Promise((resolve) => {
        const t0 = process.hrtime.bigint();
        const c0 = process.cpuUsage();
        const timer = setInterval(() => {
          if (!state.progress) {
            state.lost += WINDOW;
            for (let i = 0; i < WINDOW; i++) state.sendOne();
          }
          state.progress = false;
        }, 200);
        state = {
          n,
          sent: 0,
          received: 0,
          lost: 0,
          progress: false,
          sendOne,
          done: () => {
            clearInterval(timer);
            const ms = Number(process.hrtime.bigint() - t0) / 1e6;
            const c = process.cpuUsage(c0);
            const cpuMs = (c.user + c.system) / 1000;
            const lost = state.lost;
            state = { ...state, sendOne: () => {}, n: Number.POSITIVE_INFINITY };
            resolve({ ms, cpuMs, lost });
          },
        };
        for (let i = 0; i < Math.min(WINDOW, n); i++) {
          state.sent++;
          sendOne();
        }
      });
    },
  };
}

function bindSocket() {
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

async function rawPair() {
  const a = await bindSocket();
  const b = await bindSocket();
  const portA = a.address().port;
  const portB = b.address().port;
  const runner = makeRunner();
  b.on('message', (msg) => b.send(msg, portA, LOCAL));
  a.on('message', () => runner.arrived());
  return {
    run: (payload, n) => runner.run(n, () => a.send(payload, portB, LOCAL)),
    close: () => {
      a.close();
      b.close();
    },
  };
}

const openUdp = () =>
  UdpTransport.open({ address: LOCAL, receiveBufferSize: SOCKBUF, sendBufferSize: SOCKBUF });

// inPlace: the LNS echoes with `session.send(frame, { inPlace: true })` (the header written
// into the received datagram's own header room), the LAC sends from a ring of frames with 16
// octets of headroom (twice the window, so no frame is rewritten while a send may still hold it).
async function managedPair(inPlace = false) {
  const ta = await openUdp();
  const tb = await openUdp();
  const ports = { clock: nodeClock, timers: nodeTimers, randomBytes: nodeRandomBytes };
  const lns = new Endpoint({
    transport: tb,
    ...ports,
    acceptTunnel: { mode: 'lns', hostName: 'lns.bench' },
  });
  const lac = new Endpoint({ transport: ta, ...ports });
  const serverSession = new Promise((resolve) => {
    lns.once('tunnel', (t) => t.once('session-up', resolve));
  });
  const tunnel = await lac.connect(
    { address: LOCAL, port: tb.local.port },
    { mode: 'lac', hostName: 'lac.bench' },
  );
  const session = await tunnel.openSession();
  const echo = await serverSession;
  const IN_PLACE = { inPlace: true };
  if (inPlace) echo.on('frame', (frame) => echo.send(frame, IN_PLACE));
  else echo.on('frame', (frame) => echo.send(frame));
  const runner = makeRunner();
  session.on('frame', () => runner.arrived());
  // One frame through before timing: the echo works.
  const payload = new Uint8Array(64).fill(0xa5);
  await runner.run(1, () => session.send(payload));
  check(echo.stats().rxPackets === 1 && echo.stats().txPackets === 1, 'the LNS echoed one frame');
  const rings = new Map();
  const ringOf = (p) => {
    let ring = rings.get(p);
    if (ring === undefined) {
      ring = Array.from({ length: 2 * WINDOW }, () => {
        const buffer = new Uint8Array(16 + p.length);
        buffer.set(p, 16);
        return buffer.subarray(16);
      });
      rings.set(p, ring);
    }
    return ring;
  };
  let next = 0;
  const sendOne = inPlace
    ? (p) => {
        const ring = ringOf(p);
        session.send(ring[next++ % ring.length], IN_PLACE);
      }
    : (p) => session.send(p);
  return {
    run: (p, n) => runner.run(n, () => sendOne(p)),
    close: () => {
      lac.destroy();
      lns.destroy();
      ta.close();
      tb.close();
    },
  };
}

async function staticPair() {
  const ta = await openUdp();
  const tb = await openUdp();
  const runner = makeRunner();
  const hostA = new StaticTunnelHost({
    tunnel: { tunnel_id: 1, peer_tunnel_id: 2, remote: LOCAL, udp_dport: tb.local.port },
    transport: ta,
    clock: nodeClock,
    onFrame: () => runner.arrived(),
  });
  const hostB = new StaticTunnelHost({
    tunnel: { tunnel_id: 2, peer_tunnel_id: 1, remote: LOCAL, udp_dport: ta.local.port },
    transport: tb,
    clock: nodeClock,
    onFrame: (frame, s) => hostB.send(s, frame),
  });
  const cookieA = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
  const cookieB = new Uint8Array([9, 10, 11, 12, 13, 14, 15, 16]);
  const s = hostA.addSession({
    session_id: 0x80000001,
    peer_session_id: 0x80000002,
    cookie: cookieA,
    peer_cookie: cookieB,
    seq: 'none',
  });
  hostB.addSession({
    session_id: 0x80000002,
    peer_session_id: 0x80000001,
    cookie: cookieB,
    peer_cookie: cookieA,
    seq: 'none',
  });
  return {
    run: (p, n) => runner.run(n, () => hostA.send(s, p)),
    close: () => {
      hostA.close();
      hostB.close();
    },
  };
}

const pairs = {};
pairs.raw = await rawPair(); // every ratio is to it
if (KINDS.includes('managed')) pairs.managed = await managedPair();
if (KINDS.includes('managedip')) pairs.managedip = await managedPair(true);
if (KINDS.includes('static')) pairs.static = await staticPair();
const LABEL = {
  raw: 'raw node:dgram echo',
  managed: 'managed L2TPv2 session',
  managedip: 'managed L2TPv2 session, in place',
  static: 'static L2TPv3 session (context)',
};

const cases = [];
for (const size of SIZES) {
  const payload = new Uint8Array(size).fill(0xa5);
  for (const kind of Object.keys(pairs)) {
    cases.push({
      name: `${LABEL[kind]}, ${size} B`,
      kind,
      size,
      run: (n) => pairs[kind].run(payload, n),
    });
  }
}
const cpuRates = new Map(cases.map((c) => [c, []]));
const wallRates = new Map(cases.map((c) => [c, []]));
const cpuRatios = new Map(cases.map((c) => [c, []]));
const wallRatios = new Map(cases.map((c) => [c, []]));
let lost = 0;
for (const c of cases) await c.run(2000); // warm-up
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? cases : [...cases].reverse();
  const chunk = CHUNK > 0 ? Math.min(CHUNK, FRAMES) : FRAMES;
  const sums = new Map(cases.map((c) => [c, { ms: 0, cpuMs: 0 }]));
  for (let done = 0; done < FRAMES; done += chunk) {
    const n = Math.min(chunk, FRAMES - done);
    for (const c of order) {
      const r = await c.run(n);
      lost += r.lost;
      sums.get(c).ms += r.ms;
      sums.get(c).cpuMs += r.cpuMs;
    }
  }
  for (const c of cases) {
    const r = sums.get(c);
    const raw = sums.get(cases.find((x) => x.kind === 'raw' && x.size === c.size));
    cpuRates.get(c).push(FRAMES / (r.cpuMs / 1000));
    wallRates.get(c).push(FRAMES / (r.ms / 1000));
    cpuRatios.get(c).push(raw.cpuMs / r.cpuMs);
    wallRatios.get(c).push(raw.ms / r.ms);
  }
}
for (const p of Object.values(pairs)) p.close();

console.log(
  `\nloopback echo: ${FRAMES} frames per case and round, window ${WINDOW}, median of ${ROUNDS}` +
    ' rounds (ratio: median of per-round ratios to the raw echo of the same size; CPU | wall)',
);
const rows = [['case', 'k frames/CPU-s', 'k frames/s', 'ratio CPU', 'ratio wall', 'target']];
for (const c of cases) {
  rows.push([
    c.name,
    (median(cpuRates.get(c)) / 1000).toFixed(1),
    (median(wallRates.get(c)) / 1000).toFixed(1),
    c.kind === 'raw' ? '' : median(cpuRatios.get(c)).toFixed(2),
    c.kind === 'raw' ? '' : median(wallRatios.get(c)).toFixed(2),
    c.kind.startsWith('managed') ? '≥ 0.9' : '',
  ]);
}
table(rows);
if (process.env.VERBOSE) {
  for (const c of cases) {
    console.log(
      `${c.name}: ${cpuRatios
        .get(c)
        .map((x) => x.toFixed(2))
        .join(' ')}`,
    );
  }
}
if (lost > 0) console.log(`(${lost} frames re-sent after loopback loss)`);
