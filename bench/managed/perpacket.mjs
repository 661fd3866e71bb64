// Issue #13, "Per-packet receive and send at 1 … 65,535 sessions in one tunnel".
//
// For each N: a LAC Endpoint and an LNS Endpoint on an in-memory network (MemNet), a VirtualClock
// and a virtual timer host; one L2TPv2 tunnel with N sessions (opened in batches, driven until
// every session is up on both sides). Then one operation is: advance the virtual clock by 1 µs,
// hand the LAC session's data datagram (captured from a real `session.send` on the LAC, 64-byte
// PPP frame, no sequence numbers) to the LNS endpoint's receive handler → the LNS Session's
// 'frame' event → `session.send(frame)` back (the LNS transport only counts sends while timed).
// The clock moves so that whatever the shell re-arms per datagram (the HELLO deadline moves with
// every receive) is paid as in a real run.
// Baseline row (same run): a DataView read of the v2 header, two Map lookups (tunnel, session), a
// counter bump and a [header, payload] send to a no-op — the least any demultiplexer does.
// All cases are timed by process CPU time in interleaved rounds (order reversed every other
// round); each figure is the median over rounds, each ratio the median of per-round ratios to the
// N = 1 case. Env: SIZES (default 1,10,100,1000,10000,65535), PP_ROUNDS (7), PP_MS (CPU ms per
// case and round, 40), PP_WARM_MS (warm-up CPU ms per case, 300), BATCH (sessions opened at
// once, 64).
import { Endpoint } from '../../dist/index.js';
import { nodeRandomBytes } from '../../dist/node/index.js';
import { VirtualClock } from '../../dist/testing/index.js';
import {
  check,
  cpuMs,
  envList,
  envNumber,
  MemNet,
  median,
  quiesce,
  settle,
  table,
  VirtualTimers,
  wallMs,
} from './common.mjs';

const SIZES = envList('SIZES', '1,10,100,1000,10000,65535').map(Number);
const ROUNDS = envNumber('PP_ROUNDS', 7);
const TARGET_MS = envNumber('PP_MS', 40);
const BATCH = envNumber('BATCH', 64);
const WARM_MS = envNumber('PP_WARM_MS', 300);
const STEP_MS = 0.001;
const LAC = { address: '192.0.2.1', port: 1701 };
const LNS = { address: '198.51.100.1', port: 1701 };

async function tunnelWith(n) {
  const clock = new VirtualClock(0);
  const timers = new VirtualTimers(clock);
  const net = new MemNet();
  const lnsTransport = net.transport(LNS);
  const lacTransport = net.transport(LAC);
  const lns = new Endpoint({
    transport: lnsTransport,
    clock,
    timers,
    randomBytes: nodeRandomBytes,
    acceptTunnel: { mode: 'lns', hostName: 'lns.bench', maxSessions: 65535 },
  });
  const lac = new Endpoint({
    transport: lacTransport,
    clock,
    timers,
    randomBytes: nodeRandomBytes,
  });
  let server;
  lns.on('tunnel', (t) => {
    server = t;
  });
  const tunnel = lac.tunnel(LNS, { mode: 'lac', hostName: 'lac.bench', maxSessions: 65535 });
  const failures = [];
  tunnel.connect().catch((e) => failures.push(e));
  await settle(net, timers, () => tunnel.isUp && server?.isUp === true, `tunnel for N=${n}`);
  let lacUp = 0;
  let lnsUp = 0;
  tunnel.on('session-up', () => lacUp++);
  server.on('session-up', () => lnsUp++);
  const t0 = wallMs();
  for (let opened = 0; opened < n; ) {
    const b = Math.min(BATCH, n - opened);
    for (let i = 0; i < b; i++) tunnel.openSession().catch((e) => failures.push(e));
    opened += b;
    await settle(net, timers, () => lacUp === opened && lnsUp === opened, `sessions for N=${n}`);
  }
  await quiesce(net, timers);
  check(failures.length === 0, `no failure setting up N=${n}: ${failures[0]}`);
  check(server.sessions.size === n && tunnel.sessions.size === n, `N=${n} sessions on both sides`);
  const setupMs = wallMs() - t0;

  // The LAC session in the middle of the tunnel, and the datagram its `send` produces.
  const lacSession = [...tunnel.sessions.values()][n >> 1];
  const lnsSession = server.sessions.get(lacSession.peerId);
  check(lnsSession?.isUp === true, 'the LNS side of the chosen session is up');
  const frame = new Uint8Array(64).fill(0xa5);
  lacSession.send(frame);
  const sent = net.take();
  check(sent.length === 1, 'one datagram from the LAC session');
  const datagram = sent[0].bytes;
  const from = sent[0].from;
  check((datagram[0] & 0x80) === 0 && (datagram[1] & 0x0f) === 2, 'an L2TPv2 data datagram');

  let echoed = 0;
  lnsSession.on('frame', (f) => {
    echoed++;
    lnsSession.send(f);
  });
  lnsTransport.muted = true;
  const handler = lnsTransport.handlers[0];
  const before = lnsTransport.sent;
  handler(datagram, from);
  check(echoed === 1 && lnsTransport.sent === before + 1, 'receive → frame → send, once');
  const op = () => {
    clock.advanceBy(STEP_MS);
    handler(datagram, from);
  };
  return {
    name: `managed, ${n} session${n === 1 ? '' : 's'}`,
    n,
    op,
    setupMs,
    check: () => echoed,
  };
}

function baselineCase() {
  const datagram = new Uint8Array(8 + 64).fill(0xa5);
  const dv = new DataView(datagram.buffer);
  dv.setUint16(0, 0x0002);
  dv.setUint16(2, 4242);
  dv.setUint16(4, 77);
  const sessions = new Map();
  for (let i = 1; i <= 100; i++) sessions.set(i, { id: i, peer: i + 1000, rx: 0, bytes: 0 });
  const tunnels = new Map([[4242, { peerId: 9, sessions }]]);
  const header = new Uint8Array(8);
  const hv = new DataView(header.buffer);
  let sends = 0;
  const send = (pair) => {
    sends += pair.length;
  };
  return {
    name: 'baseline: DataView + 2 Map.get + send',
    n: 0,
    op: () => {
      const v = new DataView(datagram.buffer, datagram.byteOffset, datagram.byteLength);
      if ((v.getUint16(0) & 0x800f) !== 2) return;
      const t = tunnels.get(v.getUint16(2));
      const s = t?.sessions.get(v.getUint16(4));
      if (s === undefined) return;
      s.rx++;
      const payload = datagram.subarray(6);
      s.bytes += payload.length;
      hv.setUint16(0, 0x0002);
      hv.setUint16(2, t.peerId);
      hv.setUint16(4, s.peer);
      send([header, payload]);
    },
    setupMs: 0,
    check: () => sends,
  };
}

function timeCase(c, calls) {
  const c0 = cpuMs();
  const t0 = wallMs();
  const op = c.op;
  for (let i = 0; i < calls; i++) op();
  return { cpuNs: ((cpuMs() - c0) * 1e6) / calls, wallNs: ((wallMs() - t0) * 1e6) / calls };
}

console.log(
  `\nper-packet receive + send, managed L2TPv2, in memory (virtual clock), sizes ${SIZES.join(', ')}`,
);
const cases = [baselineCase()];
for (const n of SIZES) {
  const c = await tunnelWith(n);
  console.log(`  set up ${n} sessions in one tunnel: ${(c.setupMs / 1000).toFixed(1)} s wall`);
  cases.push(c);
}

// Warm up and calibrate: run each case for WARM_MS of CPU (process CPU time includes V8's
// compiler and GC threads, which are busy for the first thousands of calls), then take calls per
// case so that one round of it costs about TARGET_MS of CPU.
const calls = new Map();
for (const c of cases) {
  let n = 256;
  let spent = 0;
  let estimate = 0;
  for (;;) {
    const { cpuNs } = timeCase(c, n);
    spent += (cpuNs * n) / 1e6;
    estimate = cpuNs;
    if (spent >= WARM_MS && (cpuNs * n) / 1e6 >= 20) break;
    if ((cpuNs * n) / 1e6 < 100) n *= 2;
  }
  calls.set(c, Math.max(16, Math.min(1 << 24, Math.round((TARGET_MS * 1e6) / estimate))));
}

const cpu = new Map(cases.map((c) => [c, []]));
const wall = new Map(cases.map((c) => [c, []]));
const ratios = new Map(cases.map((c) => [c, []]));
const one = cases.find((c) => c.n === 1);
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? cases : [...cases].reverse();
  const r = new Map();
  for (const c of order) r.set(c, timeCase(c, calls.get(c)));
  for (const c of cases) {
    cpu.get(c).push(r.get(c).cpuNs);
    wall.get(c).push(r.get(c).wallNs);
    if (one !== undefined) ratios.get(c).push(r.get(c).cpuNs / r.get(one).cpuNs);
  }
}
for (const c of cases) check(c.check() > 0, `${c.name} did its work`);

console.log(
  `\nmedian of ${ROUNDS} interleaved rounds, ~${TARGET_MS} ms CPU per case and round` +
    ' (ns/op by process CPU time; wall for reference; ratio: median of per-round CPU ratios to N = 1)',
);
const rows = [['case', 'calls/round', 'CPU ns/op', 'wall ns/op', 'ratio to N=1', 'target']];
for (const c of cases) {
  rows.push([
    c.name,
    String(calls.get(c)),
    median(cpu.get(c)).toFixed(0),
    median(wall.get(c)).toFixed(0),
    one === undefined ? '-' : `${median(ratios.get(c)).toFixed(2)}×`,
    c.n > 1 ? '≤ 1.2×' : '',
  ]);
}
table(rows);
if (process.env.VERBOSE) {
  for (const c of cases) {
    console.log(
      `${c.name}: ${cpu
        .get(c)
        .map((x) => x.toFixed(0))
        .join(' ')}`,
    );
  }
}
