// SCCRQ flood against an LNS (issue #13, "Flood resistance"). Run after a build:
//   npx tsc -p tsconfig.build.json && node --expose-gc bench/flood.mjs
// An LNS Endpoint on 127.0.0.1 receives SCCRQs that never complete — random Assigned Tunnel
// IDs, from 64 source ports, RATE per second, TOTAL in all (default 2,000/s, 100,000) — while a
// real LAC connects every PROBE_MS (default 5 s; the first after 1 s), opens a session, and
// closes. Reported: each real LAC's time to tunnel-up and to session-up, the LNS heap growth
// (after a full GC, against the heap before the flood: the baseline of this run), the LNS
// endpoint counters (half-open held, evicted, refused) and the CPU per flood SCCRQ.
// Loopback only; nothing leaves the machine.
import { randomInt } from 'node:crypto';
import { buildControl, Endpoint, stringValue } from '../dist/index.js';
import { nodeClock, nodeRandomBytes, nodeTimers, UdpTransport } from '../dist/node/index.js';

const RATE = Number(process.env.RATE ?? 2000);
const TOTAL = Number(process.env.TOTAL ?? 100_000);
const PROBE_MS = Number(process.env.PROBE_MS ?? 5000);
const gc = globalThis.gc ?? (() => {});
const heapMb = () => {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};
const sccrq = (assignedTunnelId) =>
  buildControl(
    { version: 2, tunnelId: 0, sessionId: 0, ns: 0, nr: 0 },
    {
      type: 'SCCRQ',
      version: 2,
      protocolVersion: { version: 1, revision: 0 },
      hostName: stringValue('flood'),
      framingCapabilities: 3,
      assignedTunnelId,
    },
  );

const lnsSocket = await UdpTransport.open({ address: '127.0.0.1', receiveBufferSize: 8 << 20 });
const lns = new Endpoint({
  transport: lnsSocket,
  clock: nodeClock,
  timers: nodeTimers,
  randomBytes: nodeRandomBytes,
  maxTunnels: 100_000,
  acceptTunnel: { mode: 'lns', hostName: 'lns.bench' },
});
lns.on('error', (err) => console.error('lns fault', err.message));
const to = lnsSocket.local;
const flooders = await Promise.all(
  Array.from({ length: 64 }, () => UdpTransport.open({ address: '127.0.0.1' })),
);
for (const f of flooders) f.onDatagram(() => {}); // SCCRPs to the "forged" sources
const lacSocket = await UdpTransport.open({ address: '127.0.0.1' });
const lac = new Endpoint({
  transport: lacSocket,
  clock: nodeClock,
  timers: nodeTimers,
  randomBytes: nodeRandomBytes,
});
lac.on('error', (err) => console.error('lac fault', err.message));

const heap0 = heapMb();
const cpu0 = process.cpuUsage();
const t0 = performance.now();
let sent = 0;
const perTick = Math.max(1, Math.round(RATE / 100)); // every 10 ms
const flood = setInterval(() => {
  for (let i = 0; i < perTick && sent < TOTAL; i++) {
    flooders[sent % flooders.length].send(sccrq(randomInt(1, 0x10000)), to);
    sent++;
  }
  if (sent >= TOTAL) clearInterval(flood);
}, 10);

const probes = [];
let heapPeak = heap0;
async function probe() {
  const start = performance.now();
  try {
    const tunnel = await lac.connect(to, { mode: 'lac', hostName: 'real-lac' });
    const up = performance.now() - start;
    await tunnel.openSession();
    const session = performance.now() - start;
    probes.push({ at: Math.round(start - t0), up, session, sent });
    await tunnel.close();
  } catch (err) {
    probes.push({ at: Math.round(start - t0), failed: err.code ?? err.message, sent });
  }
}
await new Promise((r) => setTimeout(r, 1000));
while (sent < TOTAL) {
  await probe();
  heapPeak = Math.max(heapPeak, heapMb());
  await new Promise((r) => setTimeout(r, PROBE_MS));
}
await probe();
const cpu = process.cpuUsage(cpu0);
const heapEnd = heapMb();
heapPeak = Math.max(heapPeak, heapEnd);
const wall = (performance.now() - t0) / 1000;
const s = lns.stats();

console.log(
  `flood: ${sent} SCCRQs at ${RATE}/s from 64 ports in ${wall.toFixed(1)} s; node ${process.version}`,
);
console.table(
  probes.map((p) => ({
    'at (ms)': p.at,
    'flood sent': p.sent,
    'tunnel up (ms)': p.up === undefined ? p.failed : p.up.toFixed(1),
    'session up (ms)': p.session === undefined ? '-' : p.session.toFixed(1),
  })),
);
const ok = probes.filter((p) => p.up !== undefined);
console.log(
  `real LAC: ${ok.length} of ${probes.length} up, slowest tunnel-up ${Math.max(...ok.map((p) => p.up)).toFixed(1)} ms`,
);
console.log(
  `LNS heap: ${heap0.toFixed(1)} MB before, peak ${heapPeak.toFixed(1)} MB, end ${heapEnd.toFixed(1)} MB → growth ${(heapPeak - heap0).toFixed(1)} MB`,
);
console.log(
  `LNS counters: half-open ${s.halfOpenTunnels}, evicted ${s.halfOpenEvicted}, refused ${s.tunnelsRefused}, tunnels ${s.tunnels}, received ${s.datagramsReceived}`,
);
console.log(
  `process CPU ${((cpu.user + cpu.system) / 1e6).toFixed(2)} s (LNS + flooders + LAC) = ${((cpu.user + cpu.system) / sent).toFixed(1)} µs per flood SCCRQ`,
);
clearInterval(flood);
lac.destroy();
lns.destroy();
for (const t of [lnsSocket, lacSocket, ...flooders]) t.close();
