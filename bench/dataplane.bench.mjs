// Data-plane benchmarks (issue #5, "Speed"). Run after a build:
//   npx tsc -p tsconfig.build.json && node bench/dataplane.bench.mjs
// 1. Loopback UDP echo, frames/s: a raw node:dgram socket pair (A sends, B echoes the datagram back)
//    next to two StaticTunnelHosts over UdpTransport (L2TPv3/UDP, 8-byte cookies, Default L2SS,
//    sequencing off and on; B echoes each delivered frame on its session), and a hand-written
//    L2TPv3 echo of the same wire format as the floor any implementation on node:dgram sits on
//    (see floorPair). The same again over connected sockets (each transport connected to the
//    other, as the kernel connects a static tunnel's socket) next to a connected raw echo with
//    and without a send callback. Same payloads, same in-flight window, same socket options,
//    one process.
//    The cases take turns in short rounds (order reversed every other round) so that load from
//    other processes hits all of them; each round gives a ratio l2tp/raw by wall time and one by
//    process CPU time (user + system), and the medians over the rounds are reported. CPU time is
//    the steadier figure on a shared machine.
// 2. Per-packet cost of routing + receive in a StaticTunnelHost (classify, Session ID Map lookup,
//    cookie, sequencing, delivery) at 10 and at 100,000 sessions, plus the bare Map lookup and an
//    in-order ReorderBuffer.push over 10 / 100,000 buffers and a one-object floor. Timed by an
//    hrtime loop (GC included), median of rounds.
// Env: ONLY=echo|cost, ROUNDS, FRAMES, CHUNK, ECHO_KINDS=raw,rawsg,floor,none,both,inone,iboth,
// rawc,rawccb,cnone,cboth,csg, VERBOSE=1.
// Before timing it asserts that a 1400-byte payload is not copied on its way to the socket and
// that receiving hands out a view.

import { createSocket } from 'node:dgram';
import { do_not_optimize } from 'mitata';
import { headroomOf, plainView, withHeadroom } from '../dist/codec/view.js';
import { nodeClock } from '../dist/node/clock.js';
import { UdpTransport } from '../dist/node/udp.js';
import { ReorderBuffer } from '../dist/seq/reorder.js';
import { StaticSession, StaticTunnelHost } from '../dist/static.js';

const ROUNDS = Number(process.env.ROUNDS ?? 15);
const FRAMES = Number(process.env.FRAMES ?? 10_000); // echoed frames per round and case
const WINDOW = 64; // frames in flight
const CHUNK = Number(process.env.CHUNK ?? 0); // see the round loop
const SIZES = [1400, 64];
const LOCAL = '127.0.0.1';
const SOCKBUF = 4 * 1024 * 1024;
const COOKIE_A = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
const COOKIE_B = new Uint8Array([9, 10, 11, 12, 13, 14, 15, 16]);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function check(ok, what) {
  if (!ok) throw new Error(`assertion failed: ${what}`);
}

// --- zero-copy checks --------------------------------------------------------------------------

{
  const a = new StaticSession({
    tunnel_id: 1,
    peer_tunnel_id: 2,
    session_id: 0x80000001,
    peer_session_id: 0x80000002,
    cookie: COOKIE_A,
    peer_cookie: COOKIE_B,
    seq: 'both',
  });
  const b = new StaticSession({
    tunnel_id: 2,
    peer_tunnel_id: 1,
    session_id: 0x80000002,
    peer_session_id: 0x80000001,
    cookie: COOKIE_B,
    peer_cookie: COOKIE_A,
    seq: 'both',
  });
  const payload = new Uint8Array(1400).fill(0x5a);
  const [header, out] = a.send(payload, 0);
  check(out === payload, 'send returns the caller’s payload array itself (no copy)');
  check(header.length === 20, 'v3/UDP header with 8-byte cookie and L2SS is 20 bytes');
  // What UdpTransport hands to dgram (checked with a stub socket): the 1400-byte payload array
  // itself after the header; a 64-byte frame joined with its header into one small array.
  const seen = [];
  const stub = {
    address: () => ({ address: LOCAL, port: 1, family: 'IPv4' }),
    on() {},
    send: (msg) => seen.push(msg),
  };
  const udp = UdpTransport.fromSocket(stub);
  udp.send([header, out], { address: LOCAL, port: 2 });
  check(seen[0][1] === payload, 'UdpTransport passes a 1400-byte payload on without a copy');
  check(seen[0][0].join() === header.join(), 'the header goes first, unchanged');
  const small = new Uint8Array(64).fill(0x33);
  udp.send(a.send(small, 0), { address: LOCAL, port: 2 });
  check(seen[1].length === 84 && seen[1][83] === 0x33, 'a 64-byte frame goes out joined');
  const datagram = new Uint8Array(header.length + payload.length);
  datagram.set(header);
  datagram.set(payload, header.length);
  const frames = b.receive(datagram, 0);
  check(frames.length === 1, 'one frame delivered');
  check(frames[0].buffer === datagram.buffer, 'received frame is a view into the datagram');
  check(frames[0].byteOffset === 20 && frames[0].length === 1400, 'view covers the payload');
}

// --- 1. loopback echo --------------------------------------------------------------------------

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

// Drives one round: `sendOne()` emits a frame from A; `arrived()` is called by the case for every
// echo that reaches A. Frames lost on loopback (rare) are replaced after 200 ms without progress.
function makeRunner() {
  let state;
  const runner = {
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
  return runner;
}

// Two bound sockets A and B with a runner, for the cases on node:dgram directly; `connected`:
// each connected to the other (sends then name no address).
async function socketPair(connected = false) {
  const a = await bindSocket();
  const b = await bindSocket();
  if (connected) {
    await new Promise((resolve) => a.connect(b.address().port, LOCAL, resolve));
    await new Promise((resolve) => b.connect(a.address().port, LOCAL, resolve));
  }
  return {
    a,
    b,
    portA: a.address().port,
    portB: b.address().port,
    runner: makeRunner(),
    close: () => {
      a.close();
      b.close();
    },
  };
}

// Frames of `payload`'s length read 64 octets into their own buffers, as a TAP host reads them
// (room for a header in front); a ring of them, rebuilt when the size changes.
function headroomFrames() {
  const ring = [];
  let next = 0;
  return (payload) => {
    if (ring.length === 0 || ring[0].length !== payload.length) {
      ring.length = 0;
      for (let i = 0; i < 4 * WINDOW; i++)
        ring.push(new Uint8Array(64 + payload.length).subarray(64).fill(0xa5));
    }
    return ring[next++ % ring.length];
  };
}

async function rawPair() {
  const { a, b, portA, portB, runner, close } = await socketPair();
  b.on('message', (msg) => b.send(msg, portA, LOCAL));
  a.on('message', () => runner.arrived());
  return { run: (payload, n) => runner.run(n, () => a.send(payload, portB, LOCAL)), close };
}

// The raw echo over connected sockets: the like-for-like baseline of the connected l2tp cases.
// `withCallback`: every send passes a callback, as any sender must that wants to hear of failed
// sends (node defers it by a process.nextTick).
async function rawConnectedPair(withCallback = false) {
  const { a, b, runner, close } = await socketPair(true);
  let failed = 0;
  const sent = (error) => {
    if (error) failed++;
  };
  if (withCallback) {
    b.on('message', (msg) => b.send(msg, sent));
    a.on('message', () => runner.arrived());
    return {
      run: (payload, n) => runner.run(n, () => a.send(payload, sent)),
      close,
      failed: () => failed,
    };
  }
  b.on('message', (msg) => b.send(msg));
  a.on('message', () => runner.arrived());
  return { run: (payload, n) => runner.run(n, () => a.send(payload)), close, failed: () => failed };
}

// The raw echo again, but sending [20-byte header, payload] by scatter/gather as the L2TP path
// does: separates node:dgram's cost of array sends from l2tp-core's own.
async function rawSgPair() {
  const { a, b, portA, portB, runner, close } = await socketPair();
  const headerA = new Uint8Array(20);
  const headerB = new Uint8Array(20);
  b.on('message', (msg) => b.send([headerB, msg.subarray(20)], portA, LOCAL));
  a.on('message', () => runner.arrived());
  return {
    run: (payload, n) => runner.run(n, () => a.send([headerA, payload], portB, LOCAL)),
    close,
  };
}

// The floor of any L2TP implementation on node:dgram: a hand-written echo with the l2tp cases' wire
// format (20-byte header: Session ID, 8-byte cookie, Default L2SS with S = 0). Each side checks the
// source, the version, the Session ID and the cookie and takes a plain view of the payload (the
// views through src/codec/view.ts, as l2tp-core makes them); B
// writes its header over the received one and sends the datagram back; A sends frames read 64
// octets into their buffers with the header written before them. Like the raw echo: node's own
// address lookup, no send callback (failed sends are not seen), no counters, no sequencing.
async function floorPair() {
  const { a, b, portA, portB, runner, close } = await socketPair();
  const header = (sessionId, cookie) => {
    const h = new Uint8Array(20);
    const view = new DataView(h.buffer);
    view.setUint32(0, 0x00030000);
    view.setUint32(4, sessionId);
    h.set(cookie, 8);
    return h;
  };
  const toB = header(0x80000002, COOKIE_A);
  const toA = header(0x80000001, COOKIE_B);
  const word = (x, i) => x[i] * 0x1000000 + ((x[i + 1] << 16) | (x[i + 2] << 8) | x[i + 3]);
  // The payload of a datagram carrying `expected`'s Session ID and cookie, else undefined.
  const payloadOf = (msg, expected) => {
    if (msg.length < 34 || (msg[0] & 0x80) !== 0 || (msg[1] & 0x0f) !== 3) return undefined;
    for (let i = 4; i < 16; i += 4) if (word(msg, i) !== word(expected, i)) return undefined;
    return plainView(msg, 20, msg.length - 20);
  };
  let octets = 0;
  b.on('message', (msg, rinfo) => {
    if (rinfo.port !== portA || rinfo.address !== LOCAL) return;
    const payload = payloadOf(msg, toB);
    if (payload === undefined) return;
    octets += payload.length;
    msg.set(toA);
    b.send(msg, portA, LOCAL);
  });
  a.on('message', (msg, rinfo) => {
    if (rinfo.port !== portB || rinfo.address !== LOCAL) return;
    const payload = payloadOf(msg, toA);
    if (payload === undefined) return;
    octets += payload.length;
    runner.arrived();
  });
  const frames = headroomFrames();
  return {
    run: (payload, n) =>
      runner.run(n, () => {
        const frame = frames(payload);
        const packet = withHeadroom(frame, 20, headroomOf(frame));
        packet.set(toB);
        a.send(packet, portB, LOCAL);
      }),
    octets: () => octets,
    close,
  };
}

// inPlace: A sends frames read at an offset into their own buffers (64 octets of headroom, like
// a TAP host reading at an offset), B forwards received frames in place; both send one array.
// connected: each transport connected to the other (as the kernel connects a static tunnel's
// socket).
async function l2tpPair(inPlace = false, connected = false) {
  const open = (port = 0, connect = undefined) =>
    UdpTransport.open({
      address: LOCAL,
      port,
      receiveBufferSize: SOCKBUF,
      sendBufferSize: SOCKBUF,
      ...(connect === undefined ? {} : { connect }),
    });
  let ta = await open();
  let tb = await open();
  if (connected) {
    // Each side's port must be known before the other connects: bind both, then re-open both
    // on the same ports, connected.
    const [portA, portB] = [ta.local.port, tb.local.port];
    await Promise.all([ta.close(), tb.close()]);
    ta = await open(portA, { address: LOCAL, port: portB });
    tb = await open(portB, { address: LOCAL, port: portA });
    check(ta.remote?.port === portB && tb.remote?.port === portA, 'the transports are connected');
  }
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
    onFrame: (frame, session) => hostB.send(session, frame, { inPlace }),
  });
  const sessions = {};
  let id = 0x80000001;
  for (const seq of ['none', 'both']) {
    const idA = id++;
    const idB = id++;
    sessions[seq] = hostA.addSession({
      session_id: idA,
      peer_session_id: idB,
      cookie: COOKIE_A,
      peer_cookie: COOKIE_B,
      seq,
    });
    hostB.addSession({
      session_id: idB,
      peer_session_id: idA,
      cookie: COOKIE_B,
      peer_cookie: COOKIE_A,
      seq,
    });
  }
  const frames = headroomFrames();
  return {
    run: (payload, n, seq) => {
      const s = sessions[seq];
      if (!inPlace) return runner.run(n, () => hostA.send(s, payload));
      return runner.run(n, () => hostA.send(s, frames(payload), { inPlace: true }));
    },
    stats: (seq) => sessions[seq].stats(),
    close: () => {
      hostA.close();
      hostB.close();
    },
  };
}

const ONLY = process.env.ONLY ?? 'echo,cost'; // for profiling one part
const ECHO_KINDS = (
  process.env.ECHO_KINDS ?? 'raw,rawsg,floor,none,both,inone,iboth,rawc,rawccb,cnone,cboth,csg'
).split(',');
// The connected l2tp cases are also compared with the connected raw echo, with and without a
// send callback (like for like: UdpTransport passes one, to learn of failed sends).
const isConnected = (kind) => kind.startsWith('c') || kind === 'rawccb';
if (ONLY.includes('echo')) {
  const raw = await rawPair();
  const rawSg = await rawSgPair();
  const floor = await floorPair();
  const l2tp = await l2tpPair();
  const l2tpInPlace = await l2tpPair(true);
  const rawConnected = await rawConnectedPair();
  const rawConnectedCallback = await rawConnectedPair(true);
  const l2tpConnected = await l2tpPair(true, true);
  const l2tpConnectedSg = await l2tpPair(false, true);
  const echoCases = [];
  for (const size of SIZES) {
    const payload = new Uint8Array(size).fill(0xa5);
    echoCases.push([`raw dgram echo, ${size} B`, size, 'raw', (n) => raw.run(payload, n)]);
    echoCases.push([`raw s/g echo, ${size} B`, size, 'rawsg', (n) => rawSg.run(payload, n)]);
    echoCases.push([
      `floor (hand-written), ${size} B`,
      size,
      'floor',
      (n) => floor.run(payload, n),
    ]);
    echoCases.push([`l2tp seq off, ${size} B`, size, 'none', (n) => l2tp.run(payload, n, 'none')]);
    echoCases.push([`l2tp seq on, ${size} B`, size, 'both', (n) => l2tp.run(payload, n, 'both')]);
    echoCases.push([
      `l2tp in place, seq off, ${size} B`,
      size,
      'inone',
      (n) => l2tpInPlace.run(payload, n, 'none'),
    ]);
    echoCases.push([
      `l2tp in place, seq on, ${size} B`,
      size,
      'iboth',
      (n) => l2tpInPlace.run(payload, n, 'both'),
    ]);
    echoCases.push([
      `raw connected echo, ${size} B`,
      size,
      'rawc',
      (n) => rawConnected.run(payload, n),
    ]);
    echoCases.push([
      `raw connected + callback, ${size} B`,
      size,
      'rawccb',
      (n) => rawConnectedCallback.run(payload, n),
    ]);
    echoCases.push([
      `l2tp connected, seq off, ${size} B`,
      size,
      'cnone',
      (n) => l2tpConnected.run(payload, n, 'none'),
    ]);
    echoCases.push([
      `l2tp connected, seq on, ${size} B`,
      size,
      'cboth',
      (n) => l2tpConnected.run(payload, n, 'both'),
    ]);
    echoCases.push([
      `l2tp connected s/g, seq on, ${size} B`,
      size,
      'csg',
      (n) => l2tpConnectedSg.run(payload, n, 'both'),
    ]);
  }
  for (let j = echoCases.length - 1; j >= 0; j--) {
    if (!ECHO_KINDS.includes(echoCases[j][2])) echoCases.splice(j, 1);
  }
  const echoRates = new Map(echoCases.map(([name]) => [name, []]));
  const cpuRates = new Map(echoCases.map(([name]) => [name, []]));
  const ratios = new Map(echoCases.filter((c) => c[2] !== 'raw').map(([name]) => [name, []]));
  const cpuRatios = new Map(echoCases.filter((c) => c[2] !== 'raw').map(([name]) => [name, []]));
  const connectedCpuRatios = new Map(
    echoCases.filter((c) => isConnected(c[2])).map(([name]) => [name, []]),
  );
  const callbackCpuRatios = new Map(
    echoCases.filter((c) => c[2].startsWith('c')).map(([name]) => [name, []]),
  );
  let lostTotal = 0;
  for (const [, , , run] of echoCases) await run(2000); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    const results = new Map();
    // Reverse the order every other round, so that no case always runs right after another.
    const order = round % 2 === 0 ? echoCases : [...echoCases].reverse();
    // CHUNK > 0: the cases take turns every CHUNK frames within the round, so that the raw echo
    // and the l2tp cases see the same moments of a shared machine (ratios then vary less).
    const chunk = CHUNK > 0 ? Math.min(CHUNK, FRAMES) : FRAMES;
    for (const [name] of order) results.set(name, { ms: 0, cpuMs: 0, lost: 0 });
    for (let done = 0; done < FRAMES; done += chunk) {
      const n = Math.min(chunk, FRAMES - done);
      for (const [name, , , run] of order) {
        const r = await run(n);
        lostTotal += r.lost;
        const sum = results.get(name);
        sum.ms += r.ms;
        sum.cpuMs += r.cpuMs;
      }
    }
    for (const size of SIZES) {
      const raw = results.get(`raw dgram echo, ${size} B`);
      const rawConnected = results.get(`raw connected echo, ${size} B`);
      const rawCallback = results.get(`raw connected + callback, ${size} B`);
      for (const [name, sz, kind] of echoCases) {
        if (sz !== size) continue;
        const r = results.get(name);
        echoRates.get(name).push(FRAMES / (r.ms / 1000));
        cpuRates.get(name).push(FRAMES / (r.cpuMs / 1000));
        if (isConnected(kind) && rawConnected !== undefined) {
          connectedCpuRatios.get(name).push(rawConnected.cpuMs / r.cpuMs);
        }
        if (kind.startsWith('c') && rawCallback !== undefined) {
          callbackCpuRatios.get(name).push(rawCallback.cpuMs / r.cpuMs);
        }
        if (kind === 'raw' || raw === undefined) continue;
        ratios.get(name).push(raw.ms / r.ms);
        cpuRatios.get(name).push(raw.cpuMs / r.cpuMs);
      }
    }
  }
  raw.close();
  rawSg.close();
  rawConnected.close();
  check(rawConnectedCallback.failed() === 0, 'no send failed on loopback');
  rawConnectedCallback.close();
  l2tpConnected.close();
  l2tpConnectedSg.close();
  if (ECHO_KINDS.includes('floor'))
    check(floor.octets() > 0, 'the hand-written floor echoed frames');
  floor.close();
  l2tp.close();
  l2tpInPlace.close();

  console.log(
    `\nloopback echo: ${FRAMES} frames per round, window ${WINDOW}, median of ${ROUNDS} rounds` +
      ' (ratio: median of per-round ratios to the raw echo of the same size; wall | CPU time)',
  );
  for (const [name, , kind] of echoCases) {
    const rate = median(echoRates.get(name));
    const cpu = median(cpuRates.get(name));
    const ratio =
      kind === 'raw' || ratios.get(name).length === 0
        ? ''
        : `  ratio ${median(ratios.get(name)).toFixed(2)} | ${median(cpuRatios.get(name)).toFixed(2)}`;
    const vs = (ratios, what) =>
      ratios.get(name)?.length > 0 ? `, ${what} ${median(ratios.get(name)).toFixed(2)}` : '';
    const connected =
      vs(connectedCpuRatios, 'to the connected raw echo (CPU)') +
      vs(callbackCpuRatios, 'to it with a callback');
    const spread = process.env.VERBOSE
      ? `  [${
          cpuRatios
            .get(name)
            ?.map((x) => x.toFixed(2))
            .join(' ') ?? ''
        }]`
      : '';
    console.log(
      `${name.padEnd(38)} ${(rate / 1000).toFixed(1).padStart(8)} k frames/s` +
        ` (${(cpu / 1000).toFixed(1).padStart(5)} k per CPU-second)${ratio}${connected}${spread}`,
    );
  }
  if (lostTotal > 0) console.log(`(${lostTotal} frames re-sent after loopback loss)`);
}

// --- 2. per-packet cost vs number of sessions --------------------------------------------------

// Distinct random 32-bit Session IDs (xorshift, fixed seed), like kernel-assigned ones.
function randomIds(count, seed) {
  let x = seed >>> 0 || 1;
  const ids = new Set();
  while (ids.size < count) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    if (x !== 0) ids.add(x);
  }
  return [...ids];
}

function shuffled(xs, seed) {
  const out = [...xs];
  let x = seed;
  for (let i = out.length - 1; i > 0; i--) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    const j = x % (i + 1);
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const FROM = { address: LOCAL, port: 1701, family: 'IPv4' };

// A host with `count` sequenced sessions behind a stub transport; returns a function that feeds
// one datagram (cycling over `active` sessions in shuffled order, Ns advancing per session).
function hostCase(count, active) {
  let handler;
  const transport = {
    send() {},
    onDatagram(h) {
      handler = h;
      return () => {};
    },
    close() {},
  };
  let delivered = 0;
  let now = 0;
  const host = new StaticTunnelHost({
    tunnel: { tunnel_id: 1, peer_tunnel_id: 2, remote: LOCAL, udp_dport: 1701 },
    transport,
    clock: { now: () => now },
    onFrame: () => delivered++,
  });
  const ids = randomIds(count, count);
  for (const id of ids) {
    host.addSession({
      session_id: id,
      peer_session_id: id,
      cookie: COOKIE_A,
      peer_cookie: COOKIE_B,
      seq: 'both',
    });
  }
  const targets = shuffled(ids, 7).slice(0, active);
  // One datagram buffer, rewritten per packet: a just-received datagram is hot in the cache, so
  // only the session state is cold when traffic is spread over all sessions.
  const p = new Uint8Array(20 + 64);
  const dv = new DataView(p.buffer);
  dv.setUint16(0, 0x0003);
  p.set(COOKIE_B, 8);
  p[16] = 0x40; // S bit; Ns in 17..19
  const ns = new Int32Array(targets.length);
  let i = 0;
  const feed = () => {
    const k = i;
    i = i + 1 === targets.length ? 0 : i + 1;
    dv.setUint32(4, targets[k]);
    const n = ns[k];
    p[17] = n >>> 16;
    p[18] = n >>> 8;
    p[19] = n;
    ns[k] = (n + 1) & 0xffffff;
    now++;
    handler(p, FROM);
    return delivered;
  };
  // Every packet must be delivered, or the bench measures a drop path.
  const before = delivered;
  for (let j = 0; j < targets.length; j++) feed();
  check(delivered - before === targets.length, `host with ${count} sessions delivers`);
  return feed;
}

function mapCase(count, active) {
  const ids = randomIds(count, count);
  const map = new Map(ids.map((id) => [id, { id }]));
  const keys = shuffled(ids, 7).slice(0, active);
  let i = 0;
  return () => {
    const k = keys[i];
    i = i + 1 === keys.length ? 0 : i + 1;
    return map.get(k);
  };
}

function reorderCase(count, active) {
  const buffers = [];
  for (let j = 0; j < count; j++) {
    buffers.push(new ReorderBuffer({ bits: 24, reorderTimeoutMs: 100, initialNr: 0 }));
  }
  const order = shuffled(
    buffers.map((_, j) => j),
    7,
  ).slice(0, active);
  const ns = new Int32Array(count);
  let i = 0;
  let now = 0;
  return () => {
    const k = order[i];
    i = i + 1 === order.length ? 0 : i + 1;
    const n = ns[k];
    ns[k] = (n + 1) & 0xffffff;
    return buffers[k].push(n, k, now++);
  };
}

if (ONLY.includes('cost')) {
  const BIG = 100_000;

  // Memory floor: one small object per session, bumped per packet. Any per-session state pays this
  // when traffic is spread over more sessions than the caches hold.
  function objectCase(count, active) {
    const objects = [];
    for (let j = 0; j < count; j++) objects.push({ id: j, packets: 0, bytes: 0 });
    const order = shuffled(
      objects.map((_, j) => j),
      7,
    ).slice(0, active);
    let i = 0;
    return () => {
      const o = objects[order[i]];
      i = i + 1 === order.length ? 0 : i + 1;
      o.packets++;
      return o;
    };
  }
  const costCases = [];
  for (const [label, make] of [
    ['host receive (classify+lookup+cookie+seq+deliver)', hostCase],
    ['Map.get by Session ID', mapCase],
    ['ReorderBuffer.push in order', reorderCase],
    ['floor: bump a counter in a per-session object', objectCase],
  ]) {
    costCases.push([`${label}, 10 sessions`, make(10, 10)]);
    costCases.push([`${label}, 100k sessions, 10 active`, make(BIG, 10)]);
    costCases.push([`${label}, 100k sessions, all active`, make(BIG, BIG)]);
  }
  // Own timing loop rather than mitata's p50: a per-packet cost should include the garbage
  // collection its allocations cause. CALLS packets per case and round (3 passes over 100k).
  const CALLS = 300_000;
  const COST_ROUNDS = 7;
  const costs = new Map(costCases.map(([name]) => [name, []]));
  for (let round = 0; round < COST_ROUNDS; round++) {
    for (const [name, fn] of costCases) {
      const t0 = process.hrtime.bigint();
      for (let j = 0; j < CALLS; j++) do_not_optimize(fn());
      costs.get(name).push(Number(process.hrtime.bigint() - t0) / CALLS);
    }
  }
  console.log(
    `\nper-packet cost — median of ${COST_ROUNDS} rounds of ${CALLS} packets (random 32-bit Session IDs)`,
  );
  for (const [name] of costCases) {
    const xs = costs.get(name);
    const spread = process.env.VERBOSE ? `  [${xs.map((x) => x.toFixed(0)).join(' ')}]` : '';
    console.log(`${name.padEnd(72)} ${median(xs).toFixed(1).padStart(8)} ns${spread}`);
  }
}
