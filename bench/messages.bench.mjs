// Control-message benchmarks (mitata). Run after a build: `npm run bench` (or
//   npx tsc -p tsconfig.build.json && node bench/messages.bench.mjs).
// Decode + validate of a 9-AVP L2TPv2 SCCRQ (what an LNS does for every new tunnel), next to a
// baseline measured in the same run: a bare loop that walks the same AVP headers with a DataView
// and reads the Message Type (the least any decoder must do). Encode of the same message too.
// Measurements are interleaved over ROUNDS rounds and the median is reported (this VM is noisy).

import { do_not_optimize, measure } from 'mitata';
import { stringValue } from '../dist/avp/values.js';
import { buildControl, decodeControl, parseControl } from '../dist/codec/control.js';

const ROUNDS = 5;

// 9 AVPs: Message Type, Protocol Version, Host Name, Framing Capabilities, Assigned Tunnel ID,
// Bearer Capabilities, Receive Window Size, Firmware Revision, Vendor Name.
const sccrq = {
  type: 'SCCRQ',
  version: 2,
  protocolVersion: { version: 1, revision: 0 },
  hostName: stringValue('lac.example.net'),
  framingCapabilities: 3,
  assignedTunnelId: 4660,
  bearerCapabilities: 3,
  receiveWindowSize: 8,
  firmwareRevision: 0x0100,
  vendorName: stringValue('l2tp-core'),
};
const header = { version: 2, tunnelId: 0, sessionId: 0, ns: 0, nr: 0 };
const bytes = buildControl(header, sccrq);
const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const avpCount = decodeControl(bytes).avps.length;
if (avpCount !== 9) throw new Error(`expected 9 AVPs, got ${avpCount}`);

function baselineWalk(dv, length) {
  let off = 12;
  let count = 0;
  let messageType = -1;
  while (off + 6 <= length) {
    const len = dv.getUint16(off) & 0x3ff;
    if (len < 6 || off + len > length) throw new Error('bad');
    if (count === 0) messageType = dv.getUint16(off + 6);
    count++;
    off += len;
  }
  return messageType + count;
}

const cases = {
  'baseline: DataView walk of the 9 AVP headers': () =>
    do_not_optimize(baselineWalk(view, bytes.length)),
  'decodeControl (raw: header + 9 AVP views)': () => do_not_optimize(decodeControl(bytes)),
  'parseControl (decode + validate + typed values)': () => do_not_optimize(parseControl(bytes)),
  'buildControl (typed → bytes)': () => do_not_optimize(buildControl(header, sccrq)),
};

const results = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, fn] of Object.entries(cases)) {
    const stats = await measure(fn, { min_cpu_time: 200e6 });
    results[name].push(stats.p50);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const base = median(results['baseline: DataView walk of the 9 AVP headers']);
console.log(
  `\nSCCRQ, ${bytes.length} bytes, 9 AVPs — median of ${ROUNDS} rounds (ns/op, ratio to baseline)`,
);
for (const [name, xs] of Object.entries(results)) {
  const ns = median(xs);
  console.log(`${name.padEnd(52)} ${ns.toFixed(1).padStart(8)} ns   ${(ns / base).toFixed(2)}×`);
}
