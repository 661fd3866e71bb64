// Issue #16, speed: "iperf3 TCP throughput through the l2tp-core VPN between two namespaces vs the
// same iperf3 through a plain Node TUN ↔ UDP forwarder with no L2TP or PPP (same addon, same
// sockets): ≥ 0.9×", and the CPU per packet of the PPP layer.
//
// 1. cost (no root needed): the PPP layer alone, in memory. Two PppLinks (src/ppp/link.ts) opened
//    against each other (LCP with MRU 1400 as the CLI asks, IPCP), then per packet of 1400 B and
//    52 B (a TCP ACK with timestamps): `encapsulate(0x0021, packet)` (what PppSession.send does
//    before handing the frame to L2TP) and `handleFrame(frame)` (what a received frame goes
//    through before PppSession's 'packet' event, on a frame in a node Buffer as UDP delivers
//    it); next to a raw copy of the same bytes behind a 2-octet protocol field (new Uint8Array +
//    set), the least a framing layer that copies does. Process CPU per operation, median of COST_ROUNDS rounds, order alternating.
// 2. vpn / plain (root, iperf3, the TUN addon of examples/linux-host, dist/): two network
//    namespaces joined by a veth (examples/linux-host/testbed.mjs: A 192.168.1.1, B
//    192.168.1.2), fresh ones for every case and round.
//      vpn    A: `l2tp-core lns --ppp --pool 10.77.0.0/24 --users … --local 192.168.1.1`,
//             B: `l2tp-core connect --peer 192.168.1.1 --user alice …` (the built CLI, TUN
//             module examples/linux-host/tun.mjs, MS-CHAPv2, MTU 1400 — the defaults);
//      plain  A and B: bench/ppp-vpn-plain.mjs, a TUN ↔ node:dgram forwarder through the same
//             TUN module, the same addresses and MTU (A 10.77.0.1/24, B 10.77.0.2 peer
//             10.77.0.1), the same UDP addresses (A binds 192.168.1.1:1701, B an ephemeral
//             port), no socket buffer sizes set (the CLI asks for 4 MiB since `--sockbuf`;
//             before it, none: both got the system's defaults).
//    Then `iperf3 -s -B 10.77.0.1` in A, a WARMUP-second iperf3 from B (JIT warm-up, not
//    counted), and the measured `iperf3 -c 10.77.0.1 -t DURATION -J` in B (TCP, B → A): the
//    receiver's bits/s; around it, each Node process's CPU time (/proc/PID/stat utime + stime),
//    the packets through each TUN (`ip -s link`: read by the process + written by it) and each
//    namespace's UDP counters (/proc/net/snmp: RcvbufErrors, …). CPU µs per packet = a
//    process's CPU time / the packets through its TUN (one UDP datagram each, the other way).
//    ROUNDS rounds, the order alternating; medians, and the median of the per-round ratios.
// Env: ONLY=cost|vpn, ROUNDS (5), DURATION (5 s), WARMUP (1 s), COST_ROUNDS (9), SOCKBUF (an
// experiment: SO_RCVBUF and SO_SNDBUF of N bytes on every UDP socket of both cases, through the
// preload bench/ppp-vpn-sockbuf.mjs; default 0: none set by the preload — the CLI itself asks for
// 4 MiB since `--sockbuf` (builds before it: the system's), the plain forwarder for none),
// COST_N (200000), L2TP_CORE_DIST (the build to run, default dist/), PROFILE_DIR (a directory:
// every Node child runs with --cpu-prof --cpu-prof-dir under it and the top self-time functions of each
// profile are printed; the numbers of such a run include the profiler's overhead).
// Namespaces are named l2tp-tb-<pid>-<n>-{a,b}; they and every child are removed on exit, on
// SIGINT / SIGTERM and on failure. Not part of `npm test`: `npm run bench:vpn` (root).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Testbed } from '../examples/linux-host/testbed.mjs';
import { check, cpuMs, envNumber, median, table } from './managed/common.mjs';

const ROOT = resolve(import.meta.dirname, '..');
const DIST = resolve(process.env.L2TP_CORE_DIST ?? join(ROOT, 'dist'));
const CLI = join(DIST, 'cli', 'main.js');
const TUN_MODULE = join(ROOT, 'examples/linux-host/tun.mjs');
const ADDON = join(ROOT, 'examples/linux-host/build/Release/tap.node');
const PLAIN = join(ROOT, 'bench/ppp-vpn-plain.mjs');
const SOCKBUF_PRELOAD = pathToFileURL(join(ROOT, 'bench/ppp-vpn-sockbuf.mjs')).href;
const ONLY = process.env.ONLY;
const ROUNDS = envNumber('ROUNDS', 5);
const DURATION = envNumber('DURATION', 5);
const WARMUP = envNumber('WARMUP', 1);
const COST_ROUNDS = envNumber('COST_ROUNDS', 9);
const COST_N = envNumber('COST_N', 200_000);
const PROFILE_DIR = process.env.PROFILE_DIR ? resolve(process.env.PROFILE_DIR) : undefined;
const SOCKBUF = envNumber('SOCKBUF', 0);
const MTU = 1400;
const SERVER = '10.77.0.1';

const fmt = (n, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

// --- 1. the PPP layer in memory ------------------------------------------------------------------

async function pppCost() {
  const { PppLink, PppProtocol } = await import(pathToFileURL(join(DIST, 'ppp/index.js')).href);
  const { nodeRandomBytes } = await import(pathToFileURL(join(DIST, 'node/index.js')).href);
  const lcp = { mru: MTU, echoIntervalMs: 0 };
  const server = new PppLink({
    randomBytes: nodeRandomBytes,
    lcp,
    ipcp: { localAddress: '10.77.0.1', peerAddress: '10.77.0.2' },
  });
  const client = new PppLink({ randomBytes: nodeRandomBytes, lcp, ipcp: {} });
  const queue = [];
  const post = (to, outputs) => {
    for (const o of outputs) if (o.type === 'transmit') queue.push([to, o.frame]);
  };
  post(client, server.open(0));
  post(server, client.open(0));
  for (let i = 0; queue.length > 0 && i < 1000; i++) {
    const [to, frame] = queue.shift();
    post(to === client ? server : client, to.handleFrame(frame, 0));
  }
  check(client.ipcp.state === 'opened' && server.ipcp.state === 'opened', 'IPCP opened');
  const IPV4 = PppProtocol.Ipv4;

  const packetOf = (size) => {
    const p = new Uint8Array(size).fill(0x5a);
    p[0] = 0x45; // IPv4, as the TUN gives
    return p;
  };
  // Each loop returns a number derived from its results, so nothing is optimized away.
  const loops = {
    encapsulate: (pkt, n) => {
      let x = 0;
      for (let i = 0; i < n; i++) x += client.encapsulate(IPV4, pkt).length;
      return x;
    },
    handleFrame: (frame, n) => {
      let x = 0;
      for (let i = 0; i < n; i++) {
        const out = server.handleFrame(frame, 0);
        x += out[0].data.length;
      }
      return x;
    },
    // The shortcuts of PppSession (builds that have them): the header written into the TUN
    // packet's headroom (`send(packet, { inPlace: true })`), and the receive fast path.
    ...(typeof client.encapsulateInPlace === 'function'
      ? {
          'in place': (pkt, n) => {
            let x = 0;
            for (let i = 0; i < n; i++) x += client.encapsulateInPlace(IPV4, pkt).length;
            return x;
          },
          'fast receive': (frame, n) => {
            let x = 0;
            for (let i = 0; i < n; i++) {
              const at = server.dataOffset(frame);
              x += frame.subarray(at).length + frame[at - 1];
            }
            return x;
          },
        }
      : {}),
    'raw copy': (pkt, n) => {
      let x = 0;
      for (let i = 0; i < n; i++) {
        const f = new Uint8Array(pkt.length + 2);
        f[0] = IPV4 >> 8;
        f[1] = IPV4 & 0xff;
        f.set(pkt, 2);
        x += f.length;
      }
      return x;
    },
  };
  const results = [];
  for (const size of [1400, 52]) {
    const pkt = packetOf(size);
    // Received frames are views of node's datagram Buffers, outside the V8 heap (a view of a
    // small on-heap array would make V8 move its bytes out once, at the first subarray).
    const frame = Buffer.from(client.encapsulate(IPV4, pkt));
    check(server.handleFrame(frame, 0)[0]?.type === 'data', 'a data output');
    const roomy = new Uint8Array(288 + size).subarray(288); // as tun.mjs hands packets out
    roomy.set(pkt);
    const input = {
      encapsulate: pkt,
      handleFrame: frame,
      'in place': roomy,
      'fast receive': frame,
      'raw copy': pkt,
    };
    const names = Object.keys(loops);
    const ns = Object.fromEntries(names.map((k) => [k, []]));
    for (const k of names) loops[k](input[k], COST_N / 4); // warm-up
    let sink = 0;
    for (let round = 0; round < COST_ROUNDS; round++) {
      const order = round % 2 === 0 ? names : [...names].reverse();
      for (const k of order) {
        const t0 = cpuMs();
        sink += loops[k](input[k], COST_N);
        ns[k].push(((cpuMs() - t0) * 1e6) / COST_N);
      }
    }
    check(sink > 0, 'loops ran');
    const m = Object.fromEntries(names.map((k) => [k, median(ns[k])]));
    results.push({ size, ...m });
  }
  console.log(
    `\nPPP layer in memory (${COST_ROUNDS} rounds × ${fmt(COST_N)} packets, process CPU ns per packet, medians):`,
  );
  const fast = results[0]?.['in place'] !== undefined;
  table([
    [
      'packet',
      'encapsulate',
      'handleFrame',
      'PPP both',
      ...(fast ? ['in place', 'fast receive'] : []),
      'raw copy',
      'PPP − copy',
    ],
    ...results.map((r) => [
      `${r.size} B`,
      fmt(r.encapsulate),
      fmt(r.handleFrame),
      fmt(r.encapsulate + r.handleFrame),
      ...(fast ? [fmt(r['in place']), fmt(r['fast receive'])] : []),
      fmt(r['raw copy']),
      fmt(r.encapsulate + r.handleFrame - r['raw copy']),
    ]),
  ]);
  return results;
}

// --- 2. iperf3 through namespaces ------------------------------------------------------------------

const children = new Set();
const beds = new Set();

function cleanupSync() {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  }
  children.clear();
  for (const bed of beds) bed.destroy();
  beds.clear();
}
process.on('exit', cleanupSync);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`ppp-vpn: ${sig}: cleaning up`);
    cleanupSync();
    process.exit(130);
  });
}

/** A process in namespace `ns` (`ip netns exec` execs it: the child's pid is its own). */
function startIn(ns, cmd, args, env = process.env) {
  const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  });
  children.add(child);
  const p = { child, out: '', err: '' };
  child.stdout.setEncoding('utf8').on('data', (d) => {
    p.out += d;
  });
  child.stderr.setEncoding('utf8').on('data', (d) => {
    p.err += d;
  });
  p.exited = new Promise((res) =>
    child.on('close', (code) => {
      children.delete(child);
      res(code);
    }),
  );
  return p;
}

async function waitFor(p, test, what, timeoutMs = 20_000) {
  const deadline = performance.now() + timeoutMs;
  while (!test(p.out)) {
    if (p.child.exitCode !== null || performance.now() > deadline) {
      throw new Error(`${what}: not seen\nstdout:\n${p.out}\nstderr:\n${p.err}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

const hasEvent = (name) => (out) =>
  out.split('\n').some((l) => l.startsWith('{') && JSON.parse(l).event === name);

/** SIGINT (so a --cpu-prof child writes its profile), SIGKILL after 5 s. */
async function stop(p) {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill('SIGINT');
  const timer = setTimeout(() => p.child.kill('SIGKILL'), 5000);
  await p.exited;
  clearTimeout(timer);
}

async function runIn(ns, cmd, args, timeoutMs) {
  const p = startIn(ns, cmd, args);
  const timer = setTimeout(() => p.child.kill('SIGKILL'), timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, out: p.out, err: p.err };
}

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

/** CPU time (user + system, every thread) of a process in ms. */
function procCpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}

function linkStats(ns, dev) {
  const [l] = JSON.parse(
    execFileSync('ip', ['-n', ns, '-j', '-s', 'link', 'show', 'dev', dev], { encoding: 'utf8' }),
  );
  const s = l.stats64;
  return {
    // rx: written into the TUN by the process; tx: handed to the process to read.
    packets: s.rx.packets + s.tx.packets,
    rxDropped: s.rx.dropped,
    txDropped: s.tx.dropped,
    mtu: l.mtu,
  };
}

function udpCounters(ns) {
  const text = execFileSync('ip', ['netns', 'exec', ns, 'cat', '/proc/net/snmp'], {
    encoding: 'utf8',
  });
  const [names, values] = text.split('\n').filter((l) => l.startsWith('Udp:'));
  const k = names.split(/\s+/).slice(1);
  const v = values.split(/\s+/).slice(1).map(Number);
  return Object.fromEntries(k.map((key, i) => [key, v[i]]));
}

function snapshot(side) {
  return {
    cpu: procCpuMs(side.proc.child.pid),
    link: linkStats(side.ns, side.tun),
    udp: udpCounters(side.ns),
    at: performance.now(),
  };
}

const ENV = { ...process.env, L2TP_CORE_TUN_MODULE: TUN_MODULE, PPP_VPN_SOCKBUF: String(SOCKBUF) };

/**
 * Node flags of a child: with SOCKBUF, the preload that sets its sockets' buffers; with
 * PROFILE_DIR, --cpu-prof into a directory of its own (not allowed in NODE_OPTIONS).
 */
function nodeFlags(kind, round, sideName) {
  const flags = SOCKBUF > 0 ? ['--import', SOCKBUF_PRELOAD] : [];
  if (PROFILE_DIR === undefined) return flags;
  const dir = join(PROFILE_DIR, `${kind}-r${round}-${sideName}`);
  mkdirSync(dir, { recursive: true });
  return [...flags, '--cpu-prof', `--cpu-prof-dir=${dir}`];
}

async function iperf(ns, seconds) {
  const r = await runIn(ns, 'iperf3', ['-c', SERVER, '-t', String(seconds), '-J'], 60_000);
  let report;
  try {
    report = JSON.parse(r.out);
  } catch {
    throw new Error(`iperf3: no JSON (exit ${r.code})\n${r.out}\n${r.err}`);
  }
  if (report.error !== undefined) throw new Error(`iperf3: ${report.error}`);
  return report;
}

async function runCase(kind, round, users) {
  const bed = Testbed.create();
  beds.add(bed);
  const procs = [];
  // A Node process in a namespace: the CLI or the plain forwarder.
  const nodeIn = (ns, side, args) => {
    const p = startIn(ns, process.execPath, [...nodeFlags(kind, round, side), ...args], ENV);
    procs.push(p);
    return p;
  };
  try {
    let a;
    let b;
    if (kind === 'vpn') {
      const pool = ['--pool', '10.77.0.0/24', '--users', users];
      a = nodeIn(bed.a, 'lns', [CLI, 'lns', '--ppp', ...pool, '--local', '192.168.1.1', '--json']);
      await waitFor(a, hasEvent('listening'), 'lns listening');
      const login = ['--user', 'alice', '--password', 'wonderland'];
      b = nodeIn(bed.b, 'connect', [
        ...[CLI, 'connect', '--peer', '192.168.1.1', ...login],
        ...['--tun', 'vpn0', '--json'],
      ]);
      await waitFor(b, hasEvent('ppp-up'), 'connect ppp-up');
    } else {
      const mtu = String(MTU);
      a = nodeIn(bed.a, 'a', [PLAIN, 'l2tp0', '10.77.0.1/24', mtu, '192.168.1.1', '1701']);
      await waitFor(a, (o) => o.includes('"ready"'), 'plain A ready');
      b = nodeIn(bed.b, 'b', [
        ...[PLAIN, 'vpn0', '10.77.0.2 peer 10.77.0.1', mtu],
        ...['0.0.0.0', '0', '192.168.1.1', '1701'],
      ]);
      await waitFor(b, (o) => o.includes('"ready"'), 'plain B ready');
    }
    const server = startIn(bed.a, 'iperf3', ['-s', '--forceflush', '-B', SERVER]);
    procs.push(server);
    await waitFor(server, (o) => /listening/i.test(o), 'iperf3 server listening');
    if (WARMUP > 0) await iperf(bed.b, WARMUP);
    const sides = [
      { name: 'A', ns: bed.a, tun: 'l2tp0', proc: a },
      { name: 'B', ns: bed.b, tun: 'vpn0', proc: b },
    ];
    const before = sides.map(snapshot);
    const report = await iperf(bed.b, DURATION);
    const after = sides.map(snapshot);
    const per = before.map((x, i) => {
      const y = after[i];
      const cpu = y.cpu - x.cpu;
      const packets = y.link.packets - x.link.packets;
      return {
        cpuMs: cpu,
        load: cpu / (y.at - x.at),
        packets,
        usPerPacket: (cpu * 1000) / packets,
        rcvbufErrors: y.udp.RcvbufErrors - x.udp.RcvbufErrors,
        inErrors: y.udp.InErrors - x.udp.InErrors,
        sndbufErrors: y.udp.SndbufErrors - x.udp.SndbufErrors,
        tunDrops: y.link.rxDropped - x.link.rxDropped + (y.link.txDropped - x.link.txDropped),
        mtu: y.link.mtu,
      };
    });
    check(per[0].mtu === MTU && per[1].mtu === MTU, `TUN MTUs ${per[0].mtu}/${per[1].mtu}`);
    return {
      bps: report.end.sum_received.bits_per_second,
      retransmits: report.end.sum_sent.retransmits,
      a: per[0],
      b: per[1],
    };
  } finally {
    for (const p of procs.reverse()) await stop(p);
    bed.destroy();
    beds.delete(bed);
  }
}

function missing() {
  const out = [];
  if (process.getuid?.() !== 0) out.push('root (network namespaces, TUN devices)');
  if (!existsSync('/dev/net/tun')) out.push('/dev/net/tun');
  if (spawnSync('iperf3', ['--version']).status !== 0) out.push('iperf3 (apt-get install iperf3)');
  if (!existsSync(ADDON)) out.push('the TUN addon (scripts/install-peers.sh)');
  if (!existsSync(CLI)) out.push(`the built CLI ${CLI} (npm run build)`);
  return out;
}

async function vpnVsPlain() {
  const lacking = missing();
  if (lacking.length > 0) throw new Error(`ppp-vpn: needs ${lacking.join(', ')}`);
  const dir = mkdtempSync(join(tmpdir(), 'l2tp-bench-vpn-'));
  const users = join(dir, 'users');
  writeFileSync(users, 'alice wonderland\n');
  const rmem = readFileSync('/proc/sys/net/core/rmem_default', 'utf8').trim();
  const wmem = readFileSync('/proc/sys/net/core/wmem_default', 'utf8').trim();
  console.log(
    `\niperf3 TCP B → A, ${DURATION} s (+${WARMUP} s warm-up) per case and round, ${ROUNDS} rounds; ` +
      (SOCKBUF > 0
        ? `UDP socket buffers: SO_RCVBUF = SO_SNDBUF = ${SOCKBUF} on both (bench/ppp-vpn-sockbuf.mjs)`
        : `UDP socket buffers: the CLI's own (4 MiB since --sockbuf, else the system's), the plain forwarder's system defaults (rmem_default ${rmem}, wmem_default ${wmem})`),
  );
  const got = { vpn: [], plain: [] };
  const ratios = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? ['vpn', 'plain'] : ['plain', 'vpn'];
      const r = {};
      for (const kind of order) {
        r[kind] = await runCase(kind, round, users);
        const x = r[kind];
        console.log(
          `  round ${round + 1} ${kind.padEnd(5)} ${fmt(x.bps / 1e6, 1)} Mbit/s, ` +
            `${x.retransmits} retransmits; A ${fmt(x.a.usPerPacket, 1)} µs/pkt ` +
            `(${fmt(100 * x.a.load)} % CPU, RcvbufErrors ${x.a.rcvbufErrors}), ` +
            `B ${fmt(x.b.usPerPacket, 1)} µs/pkt (${fmt(100 * x.b.load)} % CPU, ` +
            `RcvbufErrors ${x.b.rcvbufErrors}); load ${loadavg()[0].toFixed(1)}`,
        );
      }
      got.vpn.push(r.vpn);
      got.plain.push(r.plain);
      ratios.push(r.vpn.bps / r.plain.bps);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const m = (xs, f) => median(xs.map(f));
  // "A / B": the medians of one measure at each end.
  const pair = (xs, f, digits = 0, unit = '') =>
    `${fmt(
      m(xs, (x) => f(x.a)),
      digits,
    )}${unit} / ${fmt(
      m(xs, (x) => f(x.b)),
      digits,
    )}${unit}`;
  const row = (kind) => {
    const xs = got[kind];
    const mbit = xs.map((x) => x.bps / 1e6);
    return [
      kind,
      fmt(median(mbit), 1),
      `${fmt(Math.min(...mbit), 0)}–${fmt(Math.max(...mbit), 0)}`,
      fmt(m(xs, (x) => x.retransmits)),
      pair(xs, (s) => s.usPerPacket, 1),
      pair(xs, (s) => 100 * s.load),
      pair(xs, (s) => s.packets / 1000, 0, 'k'),
      pair(xs, (s) => s.rcvbufErrors),
      pair(xs, (s) => s.tunDrops),
    ];
  };
  console.log('\nmedians (A = the LNS / server end, B = the client end):');
  table([
    [
      'case',
      'Mbit/s',
      'range',
      'retransmits',
      'CPU µs/pkt A / B',
      'CPU % A / B',
      'TUN pkts A / B',
      'RcvbufErrors A / B',
      'TUN drops A / B',
    ],
    row('vpn'),
    row('plain'),
  ]);
  console.log(
    `\nvpn / plain: ${median(ratios).toFixed(2)} (median of per-round ratios; ` +
      `${ratios.map((x) => x.toFixed(2)).join(', ')})`,
  );
}

// --- profiles ------------------------------------------------------------------------------------

/** The functions with the most self time in a .cpuprofile, as [name, share]. */
function topSelf(path, n = 15) {
  const prof = JSON.parse(readFileSync(path, 'utf8'));
  const byId = new Map(prof.nodes.map((x) => [x.id, x]));
  const counts = new Map();
  for (const id of prof.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  const self = new Map();
  for (const [id, c] of counts) {
    const cf = byId.get(id).callFrame;
    const file = cf.url.replace(/^.*\/(dist|node_modules|examples|bench)\//, '$1/');
    const key = `${cf.functionName || '(anonymous)'} ${file ? `${file}:${cf.lineNumber + 1}` : ''}`;
    self.set(key, (self.get(key) ?? 0) + c);
  }
  const total = prof.samples.length;
  return [...self.entries()]
    .sort((x, y) => y[1] - x[1])
    .slice(0, n)
    .map(([k, c]) => [k, c / total]);
}

function printProfiles() {
  for (const sub of readdirSync(PROFILE_DIR).sort()) {
    const dir = join(PROFILE_DIR, sub);
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.cpuprofile'))) {
      console.log(`\nprofile ${sub} (${f}), top self time:`);
      for (const [k, share] of topSelf(join(dir, f))) {
        console.log(`  ${(100 * share).toFixed(1).padStart(5)} %  ${k}`);
      }
    }
  }
}

// --- main --------------------------------------------------------------------------------------------

console.log(
  `ppp-vpn: node ${process.version}, Linux ${release()}, ${cpus().length} CPUs, ` +
    `load ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}; build ${DIST}`,
);
if (ONLY !== 'vpn') await pppCost();
if (ONLY !== 'cost') await vpnVsPlain();
if (PROFILE_DIR !== undefined && ONLY !== 'cost') printProfiles();
process.exit(0);
