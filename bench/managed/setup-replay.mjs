// The LNS's work of one `setup` round without sockets, for measuring changes with less noise
// than the UDP bench (no LAC process competing for the CPU, no I/O):
//   SETUP_RECORD=/tmp/setup.rec SETUP_ROUNDS=1 ONLY=setup node bench/managed-scale.mjs
//   node bench/managed/setup-replay.mjs /tmp/setup.rec          (after every build, same file)
// Feeds the recorded datagrams, at their recorded times, to a fresh Endpoint (acceptTunnel as in
// setup-child.mjs) over a transport that only counts sends, with a virtual clock and timers and
// the recording's seeded random bytes, so it allocates the same Tunnel and Session IDs the
// recorded LNS did and the peer's messages find them. Prints the process CPU of the replay
// (user + system, all threads: V8 compiles and collects garbage on helper threads) and, on
// Linux, the main thread's share. A build that draws random bytes differently makes other IDs:
// record again: the replay checks that a session came up for every ICCN recorded.
import { readFileSync } from 'node:fs';
import { Endpoint } from '../../dist/index.js';
import { SeededRandom } from '../../dist/testing/index.js';
import { mainThreadMs } from './common.mjs';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: setup-replay.mjs RECORDING');
const raw = readFileSync(file);
const view = new DataView(raw.buffer, raw.byteOffset, raw.length);
const records = [];
for (let at = 0; at < raw.length; ) {
  const length = view.getUint16(at + 10);
  records.push({
    time: view.getFloat64(at),
    port: view.getUint16(at + 8),
    bytes: new Uint8Array(raw.buffer, raw.byteOffset + at + 12, length),
  });
  at += 12 + length;
}

// Counted from the octets (v2 header with Length and Ns/Nr, then the Message Type AVP), so
// that the package's decoder is not run, and compiled, before the measured replay.
const ICCN = 12;
let iccns = 0;
for (const { bytes } of records) {
  const lengthAndSequence = bytes.length >= 20 && (bytes[0] & 0xcb) === 0xc8;
  const type = bytes[16] === 0 && bytes[17] === 0 ? (bytes[18] << 8) | bytes[19] : -1;
  if (lengthAndSequence && type === ICCN) iccns++;
}

let now = 0;
let timers = [];
let timerSeq = 0;
const timerHost = {
  set(delayMs, fire) {
    const timer = { at: now + Math.max(0, delayMs), seq: timerSeq++, fire, live: true };
    timers.push(timer);
    return timer;
  },
  clear(timer) {
    timer.live = false;
  },
};
// Fires the timers due by `until`, earliest first, the clock at each one's time.
function runTimers(until) {
  for (;;) {
    let next;
    for (const t of timers) {
      if (t.live && t.at <= until && (next === undefined || t.at < next.at)) next = t;
    }
    if (next === undefined) break;
    next.live = false;
    now = Math.max(now, next.at);
    next.fire();
  }
  if (timers.length > 64) timers = timers.filter((t) => t.live);
}

let handler;
let sent = 0;
const seeded = new SeededRandom(1); // as setup-child.mjs records
const lns = new Endpoint({
  transport: {
    send() {
      sent++;
    },
    onDatagram(h) {
      handler = h;
      return () => {};
    },
    close() {},
  },
  clock: { now: () => now },
  timers: timerHost,
  randomBytes: (n) => seeded.bytes(n),
  acceptTunnel: { mode: 'lns', hostName: 'lns.bench' },
});
let up = 0;
lns.on('tunnel', (t) =>
  t.on('session-up', () => {
    up++;
  }),
);

const main0 = mainThreadMs();
const c0 = process.cpuUsage();
for (const { time, port, bytes } of records) {
  runTimers(time);
  if (time > now) now = time;
  // A fresh view and peer object per datagram, as UdpTransport hands them over.
  handler(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length), {
    address: '127.0.0.1',
    port,
    family: 'IPv4',
  });
}
const c = process.cpuUsage(c0);
const main1 = mainThreadMs();
const tunnels = lns.tunnels.size;
const result = {
  cpuMs: Math.round((c.user + c.system) / 1000),
  userMs: Math.round(c.user / 1000),
  systemMs: Math.round(c.system / 1000),
  mainThreadMs: main0 === undefined ? undefined : main1 - main0,
  received: records.length,
  sent,
  tunnels,
  sessionsUp: up,
};
console.log(JSON.stringify(result));
if (up !== iccns) {
  console.error(`${up} sessions came up for ${iccns} ICCNs: record again (see the header)`);
  process.exitCode = 1;
}
// Exit without destroying the Endpoint: that would only add to an instruction count (callgrind).
process.exit();
