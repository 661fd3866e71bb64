// Sequencing benchmarks (mitata). Run after a build: `npm run bench` (or
//   npx tsc -p tsconfig.build.json && node bench/seq.bench.mjs).
// 1. Control messages through a ReliableChannel pair, no codec: lock-step (every message answered
//    by an immediate ZLB) and windowed (4 messages in flight, one ZLB per window).
// 2. ReorderBuffer.push per data packet: in order, and under reordering (adjacent pairs swapped;
//    random order within blocks of 8), with REORDERTO > 0 so the buffer really holds packets.
// Measurements are interleaved over ROUNDS rounds and the median p50 is reported (noisy VM).

import { do_not_optimize, measure } from 'mitata';
import { ReliableChannel } from '../dist/seq/reliable.js';
import { ReorderBuffer } from '../dist/seq/reorder.js';
import { SeededRandom } from '../dist/testing/random.js';

const ROUNDS = 5;
const body = { type: 'HELLO' };

function lockStep() {
  const a = new ReliableChannel({ ackDelayMs: 0 });
  const b = new ReliableChannel({ ackDelayMs: 0 });
  let now = 0;
  return () => {
    now++;
    let delivered = 0;
    for (const t of a.send(body, now)) {
      if (t.type !== 'transmit') continue;
      for (const o of b.receive(t, now)) {
        if (o.type === 'deliver') delivered++;
        else if (o.type === 'ack') a.receive({ ns: o.ns, nr: o.nr, body: undefined }, now);
      }
    }
    if (delivered !== 1) throw new Error('lock-step lost a message');
    return delivered;
  };
}

function windowed() {
  const a = new ReliableChannel({ peerReceiveWindow: 4, ackDelayMs: 10 });
  const b = new ReliableChannel({ receiveWindow: 4, ackDelayMs: 10 });
  let now = 0;
  const wire = [];
  // Grow CWND to the window of 4 first.
  const step = () => {
    for (let i = 0; i < 4; i++)
      for (const t of a.send(body, now)) if (t.type === 'transmit') wire.push(t);
    let delivered = 0;
    for (const t of wire) for (const o of b.receive(t, now)) if (o.type === 'deliver') delivered++;
    wire.length = 0;
    now += 10;
    for (const o of b.handleTimeout(now)) {
      if (o.type === 'ack') {
        for (const t of a.receive({ ns: o.ns, nr: o.nr, body: undefined }, now)) {
          if (t.type === 'transmit') wire.push(t);
        }
      }
    }
    return delivered;
  };
  for (let i = 0; i < 8; i++) step();
  if (a.stats().cwnd !== 4) throw new Error('window did not open');
  return () => {
    const d = step();
    if (d !== 4) throw new Error(`windowed delivered ${d}`);
    return d;
  };
}

function reorderInOrder() {
  const buf = new ReorderBuffer({ reorderTimeoutMs: 100, initialNr: 0 });
  let ns = 0;
  let now = 0;
  return () => {
    const out = buf.push(ns, ns, now++);
    ns = (ns + 1) & 0xffff;
    return out;
  };
}

function reorderPattern(offsets) {
  // offsets: a permutation of 0…n−1 applied block by block to consecutive Ns.
  const buf = new ReorderBuffer({ reorderTimeoutMs: 100, initialNr: 0, maxHeld: 64 });
  let base = 0;
  let i = 0;
  let now = 0;
  return () => {
    const ns = (base + offsets[i]) & 0xffff;
    const out = buf.push(ns, ns, now++);
    if (++i === offsets.length) {
      i = 0;
      base = (base + offsets.length) & 0xffff;
    }
    return out;
  };
}

const pairs = [];
for (let k = 0; k < 4096; k += 2) pairs.push(k + 1, k);
const r = new SeededRandom(1);
const blocks8 = [];
for (let k = 0; k < 4096; k += 8) {
  const block = [0, 1, 2, 3, 4, 5, 6, 7].map((x) => x + k);
  for (let j = 7; j > 0; j--) {
    const m = r.int(j + 1);
    [block[j], block[m]] = [block[m], block[j]];
  }
  blocks8.push(...block);
}

const cases = [
  ['channel pair, lock-step: send → deliver → ZLB', lockStep(), 1],
  ['channel pair, windowed: 4 messages per ZLB', windowed(), 4],
  ['reorder push, in order', reorderInOrder(), 1],
  ['reorder push, adjacent pairs swapped', reorderPattern(pairs), 1],
  ['reorder push, random order within blocks of 8', reorderPattern(blocks8), 1],
];

const results = new Map(cases.map(([name]) => [name, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, fn] of cases) {
    const stats = await measure(() => do_not_optimize(fn()), { min_cpu_time: 200e6 });
    results.get(name).push(stats.p50);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`\nsequencing — median p50 of ${ROUNDS} rounds`);
for (const [name, , perOp] of cases) {
  const ns = median(results.get(name)) / perOp;
  const rate = (1e9 / ns / 1e6).toFixed(2);
  console.log(
    `${name.padEnd(50)} ${ns.toFixed(1).padStart(8)} ns/msg   ${rate.padStart(7)} M msg/s`,
  );
}
