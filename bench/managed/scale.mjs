// Issue #13, "100,000 tunnels × 10 sessions in one process": setup rate, heap per tunnel and per
// session at the LNS, and the CPU cost of one idle second of timer work at that size.
//
// L2TPv2, as LAC–LNS aggregation runs it. Tunnel IDs are 16-bit per endpoint (RFC 2661 §3.1), so
// the LNS side is several LNS Endpoints (one socket each, like an LNS on several addresses),
// at most LNS_TUNNELS (default 50,000) tunnels each; the LACs are many LAC Endpoints of
// LAC_TUNNELS (default 1,000) tunnels each. Everything runs in this process on one in-memory
// network (MemNet) with one VirtualClock and one virtual timer host.
//
// Two phases, each from an empty heap:
//   A. N_TUNNELS tunnels, no sessions. Heap after GC with both sides, then with the LAC side
//      destroyed (Endpoint.destroy sends nothing; the LNS side is untouched): LNS heap per tunnel.
//   B. N_TUNNELS tunnels × N_SESSIONS sessions: tunnel and session setup rate (wall and process
//      CPU, both sides in this process), heap after GC; one idle HELLO cycle (IDLE_SECONDS,
//      default 60, of virtual time, each second timed by process CPU: every timer due fires at its
//      time, datagrams are delivered at once, peers answer HELLOs with a ZLB); then the LAC side
//      destroyed: LNS heap per session = (LNS heap − tunnels × the phase-A per-tunnel figure) /
//      sessions.
// Setup is spread over one HELLO interval of virtual time (the clock moves between batches) so
// that HELLO deadlines are spread as they would be in a real daemon. Same-run baseline for the
// idle second: the virtual timer host alone, with as many live timers as phase B armed, firing
// and re-arming the same number of timers per second with empty callbacks.
// Env: N_TUNNELS (100000), N_SESSIONS (10), LNS_TUNNELS (50000), LAC_TUNNELS (1000),
// IDLE_SECONDS (60), SKIP_A=1 (skip phase A; the per-session figure is then LNS heap per
// session with the tunnel share included). Needs a large heap: the runner starts it with
// --max-old-space-size (SCALE_HEAP_MB, default 12288) and --expose-gc.
import { Endpoint } from '../../dist/index.js';
import { nodeRandomBytes } from '../../dist/node/index.js';
import { VirtualClock } from '../../dist/testing/index.js';
import {
  check,
  cpuMs,
  envNumber,
  getGc,
  heapAfterGc,
  MemNet,
  median,
  quiesce,
  settle,
  table,
  VirtualTimers,
  wallMs,
} from './common.mjs';

const T = envNumber('N_TUNNELS', 100_000);
const S = envNumber('N_SESSIONS', 10);
const LNS_TUNNELS = Math.min(60_000, envNumber('LNS_TUNNELS', 50_000));
const LAC_TUNNELS = Math.min(60_000, envNumber('LAC_TUNNELS', 1_000));
const IDLE_SECONDS = envNumber('IDLE_SECONDS', 60);
const HELLO_MS = 60_000; // the engine's default helloIntervalMs; setup is spread over it
const HALF_OPEN_BATCH = 200; // tunnels connecting at once per LNS endpoint (< maxHalfOpenTunnels 256)
const SESSION_BATCH_TUNNELS = 1_000; // tunnels opening their sessions at once
const gc = getGc();
const KB = 1024;
const MB = 1024 * 1024;

const lnsOptions = { mode: 'lns', hostName: 'lns.bench' };
const lacOptions = { mode: 'lac', hostName: 'lac.bench' };

function world() {
  const clock = new VirtualClock(0);
  const timers = new VirtualTimers(clock);
  const net = new MemNet();
  const w = {
    clock,
    timers,
    net,
    lns: [],
    lac: [],
    lnsUp: 0,
    lacUp: 0,
    lnsSessionsUp: 0,
    lacSessionsUp: 0,
    failures: 0,
    firstFailure: undefined,
  };
  const onLnsUp = () => w.lnsUp++;
  const onLnsSessionUp = () => w.lnsSessionsUp++;
  w.onLacUp = () => w.lacUp++;
  w.onLacSessionUp = () => w.lacSessionsUp++;
  w.fail = (e) => {
    w.failures++;
    w.firstFailure ??= e;
  };
  const nLns = Math.ceil(T / LNS_TUNNELS);
  for (let k = 0; k < nLns; k++) {
    const address = { address: `198.51.100.${k + 1}`, port: 1701 };
    const ep = new Endpoint({
      transport: net.transport(address),
      clock,
      timers,
      randomBytes: nodeRandomBytes,
      acceptTunnel: lnsOptions,
      maxTunnels: 65_535,
    });
    ep.on('tunnel', (t) => {
      t.on('up', onLnsUp);
      t.on('session-up', onLnsSessionUp);
    });
    w.lns.push({ ep, address });
  }
  const nLac = Math.ceil(T / LAC_TUNNELS);
  for (let j = 0; j < nLac; j++) {
    const address = { address: `10.${(j >> 8) & 255}.${j & 255}.1`, port: 1701 };
    const transport = net.transport(address);
    const ep = new Endpoint({ transport, clock, timers, randomBytes: nodeRandomBytes });
    const count = Math.min(LAC_TUNNELS, T - j * LAC_TUNNELS);
    w.lac.push({ ep, transport, count, lns: Math.floor((j * nLns) / nLac) });
  }
  return w;
}

async function connectTunnels(w) {
  // Per LNS endpoint, the LAC endpoints that dial it, each with the tunnels it still opens. A
  // batch takes one tunnel from each LAC endpoint in turn, so that every source has only a few
  // tunnels half-open at once (as many LACs dialling one LNS would).
  const queues = w.lns.map((_, k) =>
    w.lac.filter((l) => l.lns === k).map((l) => ({ lac: l, left: l.count })),
  );
  const batches = Math.ceil(
    Math.max(...queues.map((q) => q.reduce((a, x) => a + x.left, 0))) / HALF_OPEN_BATCH,
  );
  const step = HELLO_MS / batches;
  let opened = 0;
  for (;;) {
    let n = 0;
    for (let k = 0; k < queues.length; k++) {
      let q = queues[k];
      let room = HALF_OPEN_BATCH;
      while (room > 0 && q.length > 0) {
        for (const item of q) {
          if (room === 0) break;
          const t = item.lac.ep.tunnel(w.lns[k].address, lacOptions);
          t.on('up', w.onLacUp);
          t.on('session-up', w.onLacSessionUp);
          t.connect().catch(w.fail);
          item.left--;
          room--;
          n++;
        }
        q = q.filter((item) => item.left > 0);
      }
      queues[k] = q;
    }
    if (n === 0) break;
    opened += n;
    await settle(
      w.net,
      w.timers,
      () => (w.lnsUp === opened && w.lacUp === opened) || w.failures > 0,
      'tunnels',
    );
    check(w.failures === 0, `tunnel setup: ${w.firstFailure}`);
    w.timers.advanceTo(w.clock.now() + step);
  }
  await quiesce(w.net, w.timers);
  check(w.lnsUp === T && w.lacUp === T, `${T} tunnels up on both sides`);
}

async function openSessions(w) {
  const tunnels = w.lac.flatMap((l) => [...l.ep.tunnels.values()]);
  const batches = Math.ceil(tunnels.length / SESSION_BATCH_TUNNELS);
  const step = HELLO_MS / batches;
  let opened = 0;
  for (let b = 0; b < batches; b++) {
    for (const t of tunnels.slice(b * SESSION_BATCH_TUNNELS, (b + 1) * SESSION_BATCH_TUNNELS)) {
      for (let i = 0; i < S; i++) t.openSession().catch(w.fail);
      opened += S;
    }
    await settle(
      w.net,
      w.timers,
      () => (w.lnsSessionsUp === opened && w.lacSessionsUp === opened) || w.failures > 0,
      'sessions',
    );
    check(w.failures === 0, `session setup: ${w.firstFailure}`);
    w.timers.advanceTo(w.clock.now() + step);
  }
  await quiesce(w.net, w.timers);
  check(
    w.lnsSessionsUp === T * S && w.lacSessionsUp === T * S,
    `${T * S} sessions up on both sides`,
  );
}

function destroyLacs(w) {
  for (const l of w.lac) {
    l.ep.destroy();
    l.transport.close();
  }
  w.lac = [];
  w.net.drain();
  w.timers.compact();
}

function heapOf(w, h0) {
  w.timers.compact();
  return heapAfterGc(gc) - h0;
}

function destroyAll(w) {
  destroyLacs(w);
  for (const l of w.lns) l.ep.destroy();
  w.lns = [];
  w.timers.heap = [];
}

const fmtRate = (n, ms) => `${Math.round(n / (ms / 1000)).toLocaleString('en-US')}/s`;

console.log(
  `\nscale: ${T.toLocaleString('en-US')} L2TPv2 tunnels × ${S} sessions in one process` +
    ` (${Math.ceil(T / LNS_TUNNELS)} LNS endpoints ≤ ${LNS_TUNNELS}, ${Math.ceil(T / LAC_TUNNELS)}` +
    ` LAC endpoints ≤ ${LAC_TUNNELS}; in-memory network, virtual clock)`,
);
const rows = [['measure', 'value', 'target']];
let lnsPerTunnel;

if (!process.env.SKIP_A) {
  const h0 = heapAfterGc(gc);
  let w = world();
  const c0 = cpuMs();
  const t0 = wallMs();
  await connectTunnels(w);
  const wall = wallMs() - t0;
  const cpu = cpuMs() - c0;
  const both = heapOf(w, h0);
  destroyLacs(w);
  const lns = heapOf(w, h0);
  lnsPerTunnel = lns / T;
  rows.push([
    'A: tunnel setup, wall (both sides)',
    `${(wall / 1000).toFixed(1)} s, ${fmtRate(T, wall)}`,
    '',
  ]);
  rows.push([
    'A: tunnel setup, process CPU',
    `${(cpu / 1000).toFixed(1)} s, ${fmtRate(T, cpu)}`,
    '',
  ]);
  rows.push(['A: heap per tunnel, both sides', `${(both / T / KB).toFixed(2)} KB`, '']);
  rows.push(['A: heap per tunnel, LNS', `${(lnsPerTunnel / KB).toFixed(2)} KB`, '≤ 2 KB']);
  console.log(`  phase A done (${(wall / 1000).toFixed(1)} s)`);
  destroyAll(w);
  w = undefined;
}

{
  const h0 = heapAfterGc(gc);
  const w = world();
  let c0 = cpuMs();
  let t0 = wallMs();
  await connectTunnels(w);
  const tunnelWall = wallMs() - t0;
  const tunnelCpu = cpuMs() - c0;
  console.log(`  phase B: ${T} tunnels up (${(tunnelWall / 1000).toFixed(1)} s)`);
  c0 = cpuMs();
  t0 = wallMs();
  await openSessions(w);
  const sessionWall = wallMs() - t0;
  const sessionCpu = cpuMs() - c0;
  console.log(`  phase B: ${T * S} sessions up (${(sessionWall / 1000).toFixed(1)} s)`);
  const both = heapOf(w, h0);

  // One idle HELLO cycle, second by second.
  const perSecond = [];
  const firedPerSecond = [];
  const datagramsPerSecond = [];
  w.timers.afterFire = () => w.net.drain();
  const liveTimers = w.timers.live;
  for (let s = 0; s < IDLE_SECONDS; s++) {
    const f0 = w.timers.fired;
    const d0 = w.net.delivered;
    const c = cpuMs();
    w.timers.advanceTo(w.clock.now() + 1000);
    w.net.drain();
    perSecond.push(cpuMs() - c);
    firedPerSecond.push(w.timers.fired - f0);
    datagramsPerSecond.push(w.net.delivered - d0);
  }
  check(w.failures === 0, 'nothing failed while idle');
  check(
    [...w.lns].every((l) => [...l.ep.tunnels.values()].every((t) => t.isUp)),
    'every LNS tunnel is still up after the idle cycle',
  );
  destroyLacs(w);
  const lns = heapOf(w, h0);

  // Baseline: the timer host alone, as many live timers, as many firings per second.
  const fired = firedPerSecond.reduce((a, b) => a + b, 0);
  let floorPerSecond;
  {
    const clock = new VirtualClock(0);
    const timers = new VirtualTimers(clock);
    const windowMs = IDLE_SECONDS * 1000;
    const k = Math.max(1, Math.min(fired, liveTimers));
    const period = (windowMs * k) / Math.max(1, fired);
    const rearm = () => timers.set(period, rearm);
    for (let i = 0; i < k; i++) timers.set((i * period) / k, rearm);
    for (let i = k; i < liveTimers; i++) timers.set(10 * windowMs + i, () => {});
    const c = cpuMs();
    for (let ms = 1000; ms <= windowMs; ms += 1000) timers.advanceTo(ms);
    floorPerSecond = (cpuMs() - c) / IDLE_SECONDS;
  }

  const sessions = T * S;
  rows.push([
    'B: tunnel setup, wall (both sides)',
    `${(tunnelWall / 1000).toFixed(1)} s, ${fmtRate(T, tunnelWall)}`,
    '',
  ]);
  rows.push([
    'B: session setup, wall (both sides)',
    `${(sessionWall / 1000).toFixed(1)} s, ${fmtRate(sessions, sessionWall)}`,
    '',
  ]);
  rows.push([
    'B: session setup, process CPU',
    `${(sessionCpu / 1000).toFixed(1)} s, ${fmtRate(sessions, sessionCpu)}`,
    '',
  ]);
  rows.push(['B: tunnel setup, process CPU', `${(tunnelCpu / 1000).toFixed(1)} s`, '']);
  rows.push(['B: heap, both sides', `${(both / MB).toFixed(0)} MB`, '']);
  rows.push(['B: heap, LNS', `${(lns / MB).toFixed(0)} MB`, '']);
  rows.push([
    'B: LNS heap per session incl. tunnel share',
    `${(lns / sessions / KB).toFixed(2)} KB`,
    '',
  ]);
  if (lnsPerTunnel !== undefined) {
    rows.push([
      'B: LNS heap per session (A tunnel share removed)',
      `${((lns - T * lnsPerTunnel) / sessions / KB).toFixed(2)} KB`,
      '≤ 1 KB',
    ]);
  }
  const idleMean = perSecond.reduce((a, b) => a + b, 0) / IDLE_SECONDS;
  const datagrams = datagramsPerSecond.reduce((a, b) => a + b, 0);
  rows.push([
    `idle second: process CPU, mean of ${IDLE_SECONDS} s`,
    `${idleMean.toFixed(1)} ms (median ${median(perSecond).toFixed(1)}, max ${Math.max(...perSecond).toFixed(1)})`,
    '',
  ]);
  rows.push([
    'idle second: timers fired / datagrams, mean',
    `${(fired / IDLE_SECONDS).toFixed(0)} / ${(datagrams / IDLE_SECONDS).toFixed(0)}`,
    '',
  ]);
  rows.push([
    'idle second: CPU per timer fired',
    fired === 0 ? '-' : `${((idleMean * IDLE_SECONDS * 1000) / fired).toFixed(1)} µs`,
    '',
  ]);
  rows.push([
    `baseline: timer host alone (${liveTimers} live timers), per second`,
    `${floorPerSecond.toFixed(1)} ms`,
    '',
  ]);
  rows.push(['idle second ÷ baseline (mean)', `${(idleMean / floorPerSecond).toFixed(1)}×`, '']);
  destroyAll(w);
}

console.log();
table(rows);
