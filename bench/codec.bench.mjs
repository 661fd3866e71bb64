// Header codec benchmarks (mitata). Run after a build:
//   npx tsc -p tsconfig.build.json && node bench/codec.bench.mjs
// Each codec operation is measured next to baselines in the same process: hand-written DataView
// code for exactly this one layout (no flag dispatch, no range checks) that reads or writes the
// same fields and produces the same result (same object shape + payload view on decode; the same
// header bytes on encode). "DataView" reuses one DataView (best case); "new DataView" builds one
// per packet, as a receiver of a fresh datagram must. Ratios are against the reused one.
// This VM is noisy, so codec and baselines are measured interleaved in ROUNDS rounds (mitata
// `measure`, median of each round's samples) and the median over rounds is reported.
// Importable too: `await import('./codec.bench.mjs')` runs it and prints the table.

import { do_not_optimize, measure } from 'mitata';
import { decodeDataV2, decodeDataV3, encodeDataHeader } from '../dist/codec/header.js';

// --- packets and fields --------------------------------------------------------------------------
// Four sessions per layout, used round-robin, and Ns bumped on every encode (as a data path does):
// with one constant object, TurboFan folds the field loads and the baseline writes constants.

const PAYLOAD = 1400;
const SESSIONS = [0, 1, 2, 3];
const COOKIE = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);

// v2 data, S set: flags 0x0802, tunnel 0x1234+k, session 0x5678+k, Ns 7, Nr 0, then payload.
const v2Packets = SESSIONS.map((k) => {
  const p = new Uint8Array(10 + PAYLOAD);
  p.set([0x08, 0x02, 0x12, 0x34 + k, 0x56, 0x78 + k, 0x00, 0x07, 0x00, 0x00]);
  return p;
});
// v3 over UDP: 0x0003 + Reserved, session 0x80000001+k, 8-byte cookie, default sublayer S=1 Ns 42.
const v3Packets = SESSIONS.map((k) => {
  const p = new Uint8Array(20 + PAYLOAD);
  p.set([0x00, 0x03, 0x00, 0x00, 0x80, 0x00, 0x00, 0x01 + k, ...COOKIE, 0x40, 0x00, 0x00, 0x2a]);
  return p;
});
const v2Views = v2Packets.map((p) => new DataView(p.buffer, p.byteOffset, p.byteLength));
const v3Views = v3Packets.map((p) => new DataView(p.buffer, p.byteOffset, p.byteLength));
const v3Params = { version: 3, encap: 'udp', cookieLength: 8, sublayer: 'default' };

const v2Fields = SESSIONS.map((k) => ({
  version: 2,
  tunnelId: 0x1234 + k,
  sessionId: 0x5678 + k,
  ns: 0,
  nr: 0,
}));
const v3Fields = SESSIONS.map((k) => ({
  version: 3,
  encap: 'udp',
  sessionId: 0x80000001 + k,
  cookie: COOKIE,
  sublayer: 'default',
  ns: 0,
}));

let turn = 0;
function nextV2() {
  const f = v2Fields[turn++ & 3];
  f.ns = (f.ns + 1) & 0xffff;
  return f;
}
function nextV3() {
  const f = v3Fields[turn++ & 3];
  f.ns = (f.ns + 1) & 0xffffff;
  return f;
}

const target = new Uint8Array(64);
const targetView = new DataView(target.buffer);

// --- baselines: bare DataView code for exactly these layouts ------------------------------------

function baselineDecodeV2(dv, bytes) {
  const w = dv.getUint16(0);
  if ((w & 0x800f) !== 2) throw new Error('bad');
  return {
    version: 2,
    tunnelId: dv.getUint16(2),
    sessionId: dv.getUint16(4),
    length: undefined,
    ns: dv.getUint16(6),
    nr: dv.getUint16(8),
    offsetSize: undefined,
    priority: (w & 0x0100) !== 0,
    payload: bytes.subarray(10),
  };
}

function baselineDecodeV3(dv, bytes) {
  if ((dv.getUint16(0) & 0x800f) !== 3) throw new Error('bad');
  const sl = dv.getUint32(16);
  return {
    version: 3,
    sessionId: dv.getUint32(4),
    cookieOffset: 8,
    cookieLength: 8,
    ns: (sl & 0x40000000) !== 0 ? sl & 0xffffff : undefined,
    atmFlags: 0,
    payload: bytes.subarray(20),
  };
}

function baselineEncodeV2(dv, f) {
  dv.setUint16(0, 0x0802);
  dv.setUint16(2, f.tunnelId);
  dv.setUint16(4, f.sessionId);
  dv.setUint16(6, f.ns);
  dv.setUint16(8, f.nr);
  return 10;
}

function baselineEncodeV3(dv, f) {
  dv.setUint32(0, 0x00030000);
  dv.setUint32(4, f.sessionId);
  const c = f.cookie;
  for (let k = 0; k < 8; k++) dv.setUint8(8 + k, c[k]);
  dv.setUint32(16, 0x40000000 | f.ns);
  return 20;
}

// --- sanity: baselines and codec agree before anything is timed --------------------------------

{
  const a = decodeDataV2(v2Packets[1]);
  const b = baselineDecodeV2(v2Views[1], v2Packets[1]);
  const c = decodeDataV3(v3Packets[2], v3Params);
  const d = baselineDecodeV3(v3Views[2], v3Packets[2]);
  const e1 = new Uint8Array(64);
  const e2 = new Uint8Array(64);
  const e3 = new Uint8Array(64);
  const e4 = new Uint8Array(64);
  encodeDataHeader(v3Fields[1], e1, 0);
  baselineEncodeV3(new DataView(e2.buffer), v3Fields[1]);
  encodeDataHeader(v2Fields[3], e3, 0);
  baselineEncodeV2(new DataView(e4.buffer), v2Fields[3]);
  if (
    JSON.stringify({ ...a, payload: a.payload.length }) !==
      JSON.stringify({ ...b, payload: b.payload.length }) ||
    JSON.stringify({ ...c, payload: c.payload.length }) !==
      JSON.stringify({ ...d, payload: d.payload.length }) ||
    e1.join() !== e2.join() ||
    e3.join() !== e4.join()
  ) {
    throw new Error('baseline and codec disagree');
  }
}

// --- benchmarks ----------------------------------------------------------------------------------

const PAIRS = [
  {
    name: 'decode v2 data (S)',
    codec: () => do_not_optimize(decodeDataV2(v2Packets[turn++ & 3], 0)),
    base: () => {
      const k = turn++ & 3;
      return do_not_optimize(baselineDecodeV2(v2Views[k], v2Packets[k]));
    },
    fresh: () => {
      const p = v2Packets[turn++ & 3];
      return do_not_optimize(
        baselineDecodeV2(new DataView(p.buffer, p.byteOffset, p.byteLength), p),
      );
    },
  },
  {
    name: 'encode v2 data (S)',
    codec: () => do_not_optimize(encodeDataHeader(nextV2(), target, 0)),
    base: () => do_not_optimize(baselineEncodeV2(targetView, nextV2())),
    fresh: () => do_not_optimize(baselineEncodeV2(new DataView(target.buffer), nextV2())),
  },
  {
    name: 'decode v3 data (cookie 8, default sublayer)',
    codec: () => do_not_optimize(decodeDataV3(v3Packets[turn++ & 3], v3Params, 0)),
    base: () => {
      const k = turn++ & 3;
      return do_not_optimize(baselineDecodeV3(v3Views[k], v3Packets[k]));
    },
    fresh: () => {
      const p = v3Packets[turn++ & 3];
      return do_not_optimize(
        baselineDecodeV3(new DataView(p.buffer, p.byteOffset, p.byteLength), p),
      );
    },
  },
  {
    name: 'encode v3 data (cookie 8, default sublayer)',
    codec: () => do_not_optimize(encodeDataHeader(nextV3(), target, 0)),
    base: () => do_not_optimize(baselineEncodeV3(targetView, nextV3())),
    fresh: () => do_not_optimize(baselineEncodeV3(new DataView(target.buffer), nextV3())),
  },
];

const ROUNDS = Number(process.env.ROUNDS ?? 7);
const OPTS = { min_cpu_time: 40e6 }; // 40 ms per measurement

const median = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  return v[Math.floor(v.length / 2)];
};

const rows = [];
for (const p of PAIRS) {
  const codec = [];
  const base = [];
  const fresh = [];
  const ratio = [];
  for (let r = 0; r < ROUNDS; r++) {
    const c = (await measure(p.codec, OPTS)).p50;
    const b = (await measure(p.base, OPTS)).p50;
    const f = (await measure(p.fresh, OPTS)).p50;
    codec.push(c);
    base.push(b);
    fresh.push(f);
    ratio.push(c / b);
  }
  rows.push({
    operation: p.name,
    'codec ns': median(codec).toFixed(1),
    'DataView ns': median(base).toFixed(1),
    'new DataView ns': median(fresh).toFixed(1),
    'ratio vs DataView': median(ratio).toFixed(2),
    'ratio vs new DataView': (median(codec) / median(fresh)).toFixed(2),
  });
}
console.log(
  `node ${process.version}, ${ROUNDS} interleaved rounds, median ns/op; target ratio <= 1.30`,
);
console.table(rows);
