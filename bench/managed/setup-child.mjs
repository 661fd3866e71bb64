// The server side of bench/managed/setup.mjs, in its own process so that its CPU time is its own.
//   node setup-child.mjs lns   an LNS: an Endpoint over UdpTransport on 127.0.0.1 (acceptTunnel
//                              set, real clock, timers and random bytes) counting 'session-up'
//   node setup-child.mjs raw   a raw node:dgram responder: answers every datagram with one of
//                              `replySize` octets
//   node setup-child.mjs minimal   minimal-lns.mjs on a node:dgram socket: the least JavaScript
//                              that sets the sessions up, none of the package's code
// Talks to the parent over IPC: → { type: 'ready', port }; ← { type: 'start', expect, replySize };
// → { type: 'done', cpuMs, wallMs, rx, tx, rxBytes, txBytes } once `expect` sessions are up (lns,
// minimal) or `expect` datagrams were answered (raw); ← { type: 'exit' }. CPU is process.cpuUsage() from
// 'start' to 'done' (module loading and socket setup are not counted).
// LNS only, for profiling (the parent passes its environment on):
//   SETUP_PROFILE=dir   a CPU profile of the measured span, written to dir/lns-PID.cpuprofile
//   SETUP_RECORD=file   random bytes from a fixed seed, and every datagram received (time since
//                       'start', source port, bytes) written to `file` when done: the input of
//                       setup-replay.mjs, which replays the LNS's work without sockets
import { createSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { Endpoint } from '../../dist/index.js';
import { nodeClock, nodeRandomBytes, nodeTimers, UdpTransport } from '../../dist/node/index.js';
import { SeededRandom } from '../../dist/testing/index.js';
import { mainThreadMs } from './common.mjs';
import { serveMinimalLns } from './minimal-lns.mjs';

const LOCAL = '127.0.0.1';
const SOCKBUF = 4 * 1024 * 1024;
const mode = process.argv[2];
let c0;
let t0;
let expect = Number.POSITIVE_INFINITY;
let finished = false;
let onExit = () => {};

// SETUP_PROFILE: the inspector's profiler, started at 'start' and stopped at 'done'.
const profileDir = mode === 'lns' ? process.env.SETUP_PROFILE || undefined : undefined;
let profiler;
function profileStart() {
  if (profileDir === undefined) return;
  profiler = new Session();
  profiler.connect();
  profiler.post('Profiler.enable');
  profiler.post('Profiler.setSamplingInterval', { interval: 100 });
  profiler.post('Profiler.start');
}
function profileStop() {
  profiler?.post('Profiler.stop', (err, r) => {
    if (err) console.error(err);
    else writeFileSync(`${profileDir}/lns-${process.pid}.cpuprofile`, JSON.stringify(r.profile));
  });
}

let main0;

function finish(counts) {
  if (finished) return;
  finished = true;
  const c = process.cpuUsage(c0);
  const main1 = mainThreadMs();
  profileStop();
  process.send({
    type: 'done',
    cpuMs: (c.user + c.system) / 1000,
    mainMs: main0 === undefined || main1 === undefined ? undefined : main1 - main0,
    wallMs: Number(process.hrtime.bigint() - t0) / 1e6,
    ...counts(),
  });
}

if (mode === 'lns') {
  const transport = await UdpTransport.open({
    address: LOCAL,
    receiveBufferSize: SOCKBUF,
    sendBufferSize: SOCKBUF,
  });
  const recordFile = process.env.SETUP_RECORD || undefined;
  const recorded = [];
  let recordStart = 0;
  const seeded = new SeededRandom(1);
  const lns = new Endpoint({
    transport:
      recordFile === undefined
        ? transport
        : {
            send: (data, peer) => transport.send(data, peer),
            onDatagram: (handler, options) =>
              transport.onDatagram((bytes, from) => {
                recorded.push([nodeClock.now() - recordStart, from.port, bytes.slice()]);
                handler(bytes, from);
              }, options),
            close: () => transport.close(),
          },
    clock: nodeClock,
    timers: nodeTimers,
    randomBytes: recordFile === undefined ? nodeRandomBytes : (n) => seeded.bytes(n),
    acceptTunnel: { mode: 'lns', hostName: 'lns.bench' },
  });
  // The recording: per datagram a float64 time (ms), a uint16 source port, a uint16 length and
  // the bytes (big-endian, back to back).
  const saveRecording = () => {
    if (recordFile === undefined) return;
    let size = 0;
    for (const [, , bytes] of recorded) size += 12 + bytes.length;
    const out = new Uint8Array(size);
    const view = new DataView(out.buffer);
    let at = 0;
    for (const [time, port, bytes] of recorded) {
      view.setFloat64(at, time);
      view.setUint16(at + 8, port);
      view.setUint16(at + 10, bytes.length);
      out.set(bytes, at + 12);
      at += 12 + bytes.length;
    }
    writeFileSync(recordFile, out);
  };
  let base = transport.stats();
  const counts = () => {
    const s = transport.stats();
    return {
      rx: s.datagramsReceived - base.datagramsReceived,
      tx: s.datagramsSent - base.datagramsSent,
      rxBytes: s.bytesReceived - base.bytesReceived,
      txBytes: s.bytesSent - base.bytesSent,
      tunnels: lns.tunnels.size,
    };
  };
  let up = 0;
  const onSessionUp = () => {
    up++;
    if (up >= expect && !finished) {
      finish(counts);
      saveRecording();
    }
  };
  lns.on('tunnel', (t) => t.on('session-up', onSessionUp));
  process.on('message', (m) => {
    if (m.type === 'start') {
      // A second 'start' (the warm round) measures the next `expect` sessions from here.
      expect = m.expect;
      up = 0;
      finished = false;
      base = transport.stats();
      recordStart = nodeClock.now();
      profileStart();
      main0 = mainThreadMs();
      c0 = process.cpuUsage();
      t0 = process.hrtime.bigint();
    } else if (m.type === 'exit') onExit();
  });
  onExit = () => {
    lns.destroy();
    transport.close();
    process.disconnect();
  };
  process.send({ type: 'ready', port: transport.local.port });
} else if (mode === 'raw') {
  const socket = createSocket('udp4');
  await new Promise((resolve) => socket.bind({ address: LOCAL, port: 0 }, resolve));
  socket.setRecvBufferSize(SOCKBUF);
  socket.setSendBufferSize(SOCKBUF);
  let reply = new Uint8Array(64);
  let rx = 0;
  let rxBytes = 0;
  let txBytes = 0;
  const counts = () => ({ rx, tx: rx, rxBytes, txBytes, tunnels: 0 });
  socket.on('message', (msg, rinfo) => {
    rx++;
    rxBytes += msg.length;
    txBytes += reply.length;
    socket.send(reply, rinfo.port, rinfo.address);
    if (rx >= expect) finish(counts);
  });
  process.on('message', (m) => {
    if (m.type === 'start') {
      expect = m.expect;
      reply = new Uint8Array(m.replySize).fill(0x5a);
      main0 = mainThreadMs();
      c0 = process.cpuUsage();
      t0 = process.hrtime.bigint();
    } else if (m.type === 'exit') onExit();
  });
  onExit = () => {
    socket.close();
    process.disconnect();
  };
  process.send({ type: 'ready', port: socket.address().port });
} else if (mode === 'minimal') {
  const socket = createSocket('udp4');
  await new Promise((resolve) => socket.bind({ address: LOCAL, port: 0 }, resolve));
  socket.setRecvBufferSize(SOCKBUF);
  socket.setSendBufferSize(SOCKBUF);
  let up = 0;
  let base = {};
  const { counts: served, close } = serveMinimalLns(socket, () => {
    up++;
    if (up >= expect && !finished) finish(counts);
  });
  const counts = () => ({
    rx: served.rx - base.rx,
    tx: served.tx - base.tx,
    rxBytes: served.rxBytes - base.rxBytes,
    txBytes: served.txBytes - base.txBytes,
    tunnels: served.tunnels,
  });
  process.on('message', (m) => {
    if (m.type === 'start') {
      expect = m.expect;
      up = 0;
      finished = false;
      base = { ...served };
      main0 = mainThreadMs();
      c0 = process.cpuUsage();
      t0 = process.hrtime.bigint();
    } else if (m.type === 'exit') onExit();
  });
  onExit = () => {
    close();
    process.disconnect();
  };
  process.send({ type: 'ready', port: socket.address().port });
} else {
  throw new Error(`usage: setup-child.mjs lns|raw|minimal, got ${mode}`);
}
