// Issue #15, "Forwarding through the TSA over loopback UDP vs a raw node:dgram forwarder that
// receives on one socket and sends the same bytes on another: ≥ 0.9× at 64 B and 1400 B".
//
// The forwarder runs in a child process (switch-child.mjs) and reports its own CPU time; this
// process drives it with an echo: one side sends a frame, the other end echoes it, so every
// round trip is two forwards, FRAMES round trips per case and round, WINDOW (64) in flight.
//   raw  sender socket → forwarder A … B → sink socket, which sends each datagram back the same
//        way. Datagrams as long as the L2TP ones (frame + 8 octets: a v2 data header with FF 03).
//   tsa  an l2tp-core LAC Endpoint → TunnelSwitch → an l2tp-core LNS Endpoint (L2TPv2, one call);
//        the LNS echoes each frame with `session.send(frame, { inPlace: true })`, the LAC sends
//        from a ring of frames with headroom. The TSA forwards each frame in place.
// Reported per size: forwarded datagrams per CPU-second of the forwarder (medians over ROUNDS
// rounds, a fresh child per case and round, the order alternating) and the ratio tsa / raw.
// Env: ROUNDS (9), FRAMES (20000), SIZES (1400,64), SWITCH_CHILD_FLAGS (node flags of the child).
import { fork } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { Endpoint } from '../../dist/index.js';
import { nodeClock, nodeRandomBytes, nodeTimers, UdpTransport } from '../../dist/node/index.js';
import { check, envList, envNumber, median, table } from './common.mjs';

const ROUNDS = envNumber('ROUNDS', 9);
const FRAMES = envNumber('FRAMES', 20_000);
const SIZES = envList('SIZES', '1400,64').map(Number);
const WINDOW = 64;
const LOCAL = '127.0.0.1';
const SOCKBUF = 4 * 1024 * 1024;
const CHILD = new URL('./switch-child.mjs', import.meta.url);

function startChild(mode, nextPort) {
  // SWITCH_CHILD_FLAGS: node flags for the forwarder (e.g. --cpu-prof), profiling mode only.
  const execArgv = (process.env.SWITCH_CHILD_FLAGS ?? '').split(' ').filter((f) => f !== '');
  const child = fork(CHILD, [mode, String(nextPort)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv,
  });
  const next = () => new Promise((resolve) => child.once('message', resolve));
  const ask = (cmd) => {
    child.send({ cmd });
    return next();
  };
  return { child, next, ask };
}

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

// Keeps WINDOW frames in flight until `n` round trips came back; lost frames (rare on
// loopback) are replaced after 200 ms without progress.
function drive(n, sendOne, onArrive) {
  return new Promise((resolve) => {
    let sent = 0;
    let received = 0;
    let progress = false;
    let lost = 0;
    const timer = setInterval(() => {
      if (!progress) {
        lost += WINDOW;
        for (let i = 0; i < WINDOW; i++) sendOne();
      }
      progress = false;
    }, 200);
    onArrive(() => {
      received++;
      progress = true;
      if (received === n) {
        clearInterval(timer);
        resolve(lost);
      } else if (sent < n) {
        sent++;
        sendOne();
      }
    });
    for (let i = 0; i < WINDOW; i++) {
      sent++;
      sendOne();
    }
  });
}

async function runRaw(size) {
  const sender = await bind();
  const sink = await bind();
  const c = startChild('raw', sink.address().port);
  const { ready } = await c.next();
  sink.on('message', (msg) => sink.send(msg, ready.portB, LOCAL));
  const datagram = new Uint8Array(size + 8).fill(0x5a);
  let arrived = () => {};
  sender.on('message', () => arrived());
  // warm-up, then the measured run
  await drive(
    2000,
    () => sender.send(datagram, ready.portA, LOCAL),
    (f) => {
      arrived = f;
    },
  );
  await c.ask('start');
  const lost = await drive(
    FRAMES,
    () => sender.send(datagram, ready.portA, LOCAL),
    (f) => {
      arrived = f;
    },
  );
  const r = await c.ask('stop');
  c.child.send({ cmd: 'exit' });
  sender.close();
  sink.close();
  return { ...r, lost };
}

async function runTsa(size) {
  const open = () =>
    UdpTransport.open({ address: LOCAL, receiveBufferSize: SOCKBUF, sendBufferSize: SOCKBUF });
  const ports = { clock: nodeClock, timers: nodeTimers, randomBytes: nodeRandomBytes };
  const tl = await open();
  const lns = new Endpoint({
    transport: tl,
    ...ports,
    acceptTunnel: { mode: 'lns', hostName: 'lns.bench' },
  });
  const c = startChild('tsa', tl.local.port);
  const { ready } = await c.next();
  const ta = await open();
  const lac = new Endpoint({ transport: ta, ...ports });
  const echoSession = new Promise((resolve) =>
    lns.once('tunnel', (t) => t.once('session-up', resolve)),
  );
  const tunnel = await lac.connect(
    { address: LOCAL, port: ready.port },
    { mode: 'lac', hostName: 'lac.bench' },
  );
  const session = await tunnel.openSession({ calledNumber: 'bench' });
  const echo = await echoSession;
  const IN_PLACE = { inPlace: true };
  echo.on('frame', (f) => echo.send(f, IN_PLACE));
  // A ring of frames with headroom, twice the window, so none is rewritten while in flight.
  const ring = Array.from({ length: 2 * WINDOW }, () =>
    new Uint8Array(16 + size).fill(0x21).subarray(16),
  );
  for (const f of ring) f[0] = 0x00; // a PPP protocol field the framer accepts (0x0021, IPv4)
  let k = 0;
  const sendOne = () => session.send(ring[k++ % ring.length], IN_PLACE);
  let arrived = () => {};
  session.on('frame', () => arrived());
  await drive(2000, sendOne, (f) => {
    arrived = f;
  });
  await c.ask('start');
  const lost = await drive(FRAMES, sendOne, (f) => {
    arrived = f;
  });
  const r = await c.ask('stop');
  c.child.send({ cmd: 'exit' });
  lac.destroy();
  lns.destroy();
  ta.close();
  tl.close();
  return { ...r, lost };
}

console.log(
  `switch: node ${process.version}, ${ROUNDS} rounds × ${FRAMES} round trips, window ${WINDOW}`,
);
const rows = [['size', 'raw fwd/CPU-s', 'tsa fwd/CPU-s', 'tsa / raw', 'ratio range', 'lost']];
for (const size of SIZES) {
  const raw = [];
  const tsa = [];
  const ratios = [];
  let lost = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? ['raw', 'tsa'] : ['tsa', 'raw'];
    const got = {};
    for (const kind of order) {
      const r = kind === 'raw' ? await runRaw(size) : await runTsa(size);
      check(r.forwarded >= 2 * FRAMES, `${kind} forwarded ${r.forwarded} of ${2 * FRAMES}`);
      got[kind] = r.forwarded / (r.cpuMs / 1000);
      lost += r.lost;
    }
    raw.push(got.raw);
    tsa.push(got.tsa);
    ratios.push(got.tsa / got.raw);
  }
  rows.push([
    `${size} B`,
    Math.round(median(raw)).toLocaleString('en-US'),
    Math.round(median(tsa)).toLocaleString('en-US'),
    median(ratios).toFixed(2),
    `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`,
    String(lost),
  ]);
}
table(rows);
process.exit(0);
