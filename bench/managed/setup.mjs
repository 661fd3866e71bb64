// Issue #13, "Cheaper setup": the LNS CPU to set up SETUP_TUNNELS (400) tunnels × SETUP_SESSIONS
// (25) sessions over loopback UDP (target ≤ 0.7 s, ≤ 70 µs per session, tunnel share included).
//
// The LNS runs in a child process (setup-child.mjs lns: an Endpoint over UdpTransport with
// acceptTunnel set, real clock, timers and random bytes) and reports its own process.cpuUsage()
// from the moment the parent starts dialling until its last session is up. The LACs are
// SETUP_LAC_SOCKETS (40) Endpoints over UdpTransport in this process (one socket each, the
// tunnels dealt out in turn), SETUP_CONCURRENCY (100) tunnels dialling at once, each opening its
// sessions together as soon as it is up.
// Floor, same run: minimal-lns.mjs in a child process (setup-child.mjs minimal), cold and warm
// like the LNS: about the least JavaScript that sets the same sessions up for the same LACs,
// without the package (no state machines, events, options or validation).
// Baseline, same run: a raw node:dgram responder in a child process (setup-child.mjs raw)
// answering as many datagrams as that LNS received, with requests and replies of the LNS's
// average received and sent sizes, this process keeping 64 requests in flight — the CPU any
// server needs just to move those datagrams. Each round starts fresh children: a cold LNS (as
// a daemon starts) and a warm one (set up the same load once, unmeasured, then measured setting
// up as much again on compiled code: what V8's warm-up costs is cold − warm). The cold L2TP and
// raw runs alternate which goes first. Reported: medians over SETUP_ROUNDS (5) rounds and the
// medians of the per-round ratios LNS / raw.
import { fork } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { Endpoint } from '../../dist/index.js';
import { nodeClock, nodeRandomBytes, nodeTimers, UdpTransport } from '../../dist/node/index.js';
import { check, envNumber, median, table } from './common.mjs';

const TUNNELS = envNumber('SETUP_TUNNELS', 400);
const SESSIONS = envNumber('SETUP_SESSIONS', 25);
const CONCURRENCY = envNumber('SETUP_CONCURRENCY', 100);
const LAC_SOCKETS = envNumber('SETUP_LAC_SOCKETS', 40);
const ROUNDS = envNumber('SETUP_ROUNDS', 5);
const LOCAL = '127.0.0.1';
const SOCKBUF = 4 * 1024 * 1024;
const WINDOW = 64;
const CHILD = new URL('./setup-child.mjs', import.meta.url);

// `warm`: SETUP_RECORD and SETUP_PROFILE (see setup-child.mjs) are for the cold LNS only, so a
// recording is always one cold setup.
function startChild(mode, warm = false) {
  const child = fork(CHILD, [mode], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: (process.env.SETUP_CHILD_FLAGS ?? '').split(' ').filter(Boolean),
    env: warm ? { ...process.env, SETUP_RECORD: '', SETUP_PROFILE: '' } : process.env,
  });
  const messages = [];
  const waiters = [];
  child.on('message', (m) => {
    const w = waiters.shift();
    if (w) w(m);
    else messages.push(m);
  });
  const next = () =>
    new Promise((resolve, reject) => {
      if (messages.length > 0) resolve(messages.shift());
      else {
        waiters.push(resolve);
        child.once('exit', (code) => reject(new Error(`${mode} child exited (${code})`)));
      }
    });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return { child, next, exited };
}

// Opens LAC_SOCKETS LAC endpoints (one socket each) and sets up TUNNELS × SESSIONS through them
// against the LNS at `port`, SETUP_CONCURRENCY tunnels dialling at once.
async function dialAll(port) {
  const lacs = [];
  for (let i = 0; i < Math.min(LAC_SOCKETS, TUNNELS); i++) {
    const transport = await UdpTransport.open({
      address: LOCAL,
      receiveBufferSize: SOCKBUF,
      sendBufferSize: SOCKBUF,
    });
    const ep = new Endpoint({
      transport,
      clock: nodeClock,
      timers: nodeTimers,
      randomBytes: nodeRandomBytes,
      maxTunnels: 65_535,
    });
    lacs.push({ ep, transport });
  }
  const peer = { address: LOCAL, port };
  let next = 0;
  const dial = async () => {
    while (next < TUNNELS) {
      const lac = lacs[next++ % lacs.length].ep;
      const t = await lac.connect(peer, { mode: 'lac', hostName: 'lac.bench' });
      await Promise.all(Array.from({ length: SESSIONS }, () => t.openSession()));
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, TUNNELS) }, dial));
  return lacs;
}

// One measured setup on a fresh LNS child. `warm`: the child first sets up the same load once,
// unmeasured (its tunnels stay up), so the measured setup runs on code V8 has already compiled,
// as in a daemon that has been serving for a while.
async function l2tpRound(warm, mode = 'lns') {
  const c = startChild(mode, warm);
  const ready = await c.next();
  const all = [];
  let r;
  for (let pass = warm ? 0 : 1; pass < 2; pass++) {
    const done = c.next();
    c.child.send({ type: 'start', expect: TUNNELS * SESSIONS });
    all.push(...(await dialAll(ready.port)));
    r = await done;
  }
  check(r.tunnels === TUNNELS * (warm ? 2 : 1), `the LNS holds its tunnels (has ${r.tunnels})`);
  for (const { ep, transport } of all) {
    ep.destroy();
    await transport.close();
  }
  c.child.send({ type: 'exit' });
  await c.exited;
  return r;
}

async function rawRound(requests, requestSize, replySize) {
  const c = startChild('raw');
  const ready = await c.next();
  const socket = createSocket('udp4');
  await new Promise((resolve) => socket.bind({ address: LOCAL, port: 0 }, resolve));
  socket.setRecvBufferSize(SOCKBUF);
  socket.setSendBufferSize(SOCKBUF);
  const payload = new Uint8Array(requestSize).fill(0xa5);
  const done = c.next();
  c.child.send({ type: 'start', expect: requests, replySize });
  let sent = 0;
  let progress = false;
  const send = () => {
    sent++;
    socket.send(payload, ready.port, LOCAL);
  };
  // Loopback losses (rare): re-send a window after 200 ms without progress.
  const timer = setInterval(() => {
    if (!progress) for (let i = 0; i < WINDOW; i++) send();
    progress = false;
  }, 200);
  socket.on('message', () => {
    progress = true;
    if (sent < requests) send();
  });
  for (let i = 0; i < Math.min(WINDOW, requests); i++) send();
  const r = await done;
  clearInterval(timer);
  socket.close();
  c.child.send({ type: 'exit' });
  await c.exited;
  return r;
}

console.log(
  `\nsetup: LNS CPU for ${TUNNELS} tunnels × ${SESSIONS} sessions over loopback UDP` +
    ` (${ROUNDS} rounds; cold: a fresh LNS child; warm: a fresh child that has set up the same` +
    ' load once already)',
);
const cold = [];
const warm = [];
const minimalCold = [];
const minimalWarm = [];
const raw = [];
const ratios = [];
const warmRatios = [];
const floorRatios = [];
const warmFloorRatios = [];
let shape;
for (let round = 0; round < ROUNDS; round++) {
  const rawFirst = round % 2 === 1 && shape !== undefined;
  let rr;
  if (rawFirst) rr = await rawRound(shape.rx, shape.rxSize, shape.txSize);
  const lr = await l2tpRound(false);
  shape ??= {
    rx: lr.rx,
    rxSize: Math.max(1, Math.round(lr.rxBytes / lr.rx)),
    txSize: Math.max(1, Math.round(lr.txBytes / Math.max(1, lr.tx))),
  };
  if (!rawFirst) rr = await rawRound(shape.rx, shape.rxSize, shape.txSize);
  const wr = await l2tpRound(true);
  const mc = await l2tpRound(false, 'minimal');
  const mw = await l2tpRound(true, 'minimal');
  cold.push(lr);
  warm.push(wr);
  minimalCold.push(mc);
  minimalWarm.push(mw);
  raw.push(rr);
  ratios.push(lr.cpuMs / rr.cpuMs);
  warmRatios.push(wr.cpuMs / rr.cpuMs);
  floorRatios.push(lr.cpuMs / mc.cpuMs);
  warmFloorRatios.push(wr.cpuMs / mw.cpuMs);
  const mainOf = (r) => (r.mainMs === undefined ? '' : `, main thread ${r.mainMs} ms`);
  console.log(
    `  round ${round + 1}: LNS cold ${lr.cpuMs.toFixed(0)} ms CPU${mainOf(lr)} (${lr.rx} in /` +
      ` ${lr.tx} out, ${(lr.wallMs / 1000).toFixed(1)} s wall), warm ${wr.cpuMs.toFixed(0)} ms` +
      ` CPU${mainOf(wr)}, minimal ${mc.cpuMs.toFixed(0)} / ${mw.cpuMs.toFixed(0)} ms CPU cold / warm,` +
      ` raw ${rr.cpuMs.toFixed(0)} ms CPU${mainOf(rr)}`,
  );
}

const sessions = TUNNELS * SESSIONS;
const m = (xs, f) => median(xs.map(f));
const rows = [['measure', 'median', 'target']];
for (const [name, runs] of [
  ['cold', cold],
  ['warm', warm],
]) {
  rows.push([
    `LNS CPU, whole setup, ${name}`,
    `${(m(runs, (r) => r.cpuMs) / 1000).toFixed(2)} s`,
    '≤ 0.7 s',
  ]);
  rows.push([
    `LNS CPU per session (tunnel share incl.), ${name}`,
    `${((m(runs, (r) => r.cpuMs) * 1000) / sessions).toFixed(0)} µs`,
    '≤ 70 µs',
  ]);
  if (runs[0].mainMs !== undefined) {
    rows.push([
      `LNS CPU of the main thread (rest: V8 compiler, GC), ${name}`,
      `${(m(runs, (r) => r.mainMs) / 1000).toFixed(2)} s`,
      '',
    ]);
  }
}
rows.push(['LNS datagrams in / out', `${m(cold, (r) => r.rx)} / ${m(cold, (r) => r.tx)}`, '']);
rows.push([
  'LNS CPU per datagram in, cold / warm',
  `${((m(cold, (r) => r.cpuMs) * 1000) / m(cold, (r) => r.rx)).toFixed(1)} / ` +
    `${((m(warm, (r) => r.cpuMs) * 1000) / m(warm, (r) => r.rx)).toFixed(1)} µs`,
  '',
]);
rows.push(['LNS wall, whole setup, cold', `${(m(cold, (r) => r.wallMs) / 1000).toFixed(2)} s`, '']);
rows.push([
  'floor: minimal-lns.mjs, cold / warm',
  `${(m(minimalCold, (r) => r.cpuMs) / 1000).toFixed(2)} / ` +
    `${(m(minimalWarm, (r) => r.cpuMs) / 1000).toFixed(2)} s`,
  '',
]);
rows.push([
  `baseline: raw UDP responder, ${shape.rx} requests (${shape.rxSize} B → ${shape.txSize} B)`,
  `${(m(raw, (r) => r.cpuMs) / 1000).toFixed(3)} s`,
  '',
]);
rows.push(['LNS CPU ÷ raw responder CPU, cold', `${median(ratios).toFixed(1)}×`, '']);
rows.push(['LNS CPU ÷ raw responder CPU, warm', `${median(warmRatios).toFixed(1)}×`, '']);
rows.push([
  'LNS CPU ÷ minimal-lns.mjs CPU, cold / warm',
  `${median(floorRatios).toFixed(1)}× / ${median(warmFloorRatios).toFixed(1)}×`,
  '',
]);
console.log();
table(rows);
