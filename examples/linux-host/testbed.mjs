// A two-host testbed in Linux network namespaces for the static peers: namespaces A and B joined
// by a veth pair (192.168.1.1/24 ↔ 192.168.1.2/24, the seed's Host 1 / Host 2; also fd00:5::1/64
// ↔ fd00:5::2/64), static-peer.mjs
// started in each with `ip netns exec`, ping between the TAP addresses, counters on SIGTERM.
// Used by test/interop/tap-ping.test.ts and ip-encap.test.ts; runnable by hand as a demo:
//   node examples/linux-host/testbed.mjs [udp|ip] [4|6]   (root; run `npm run build` first)
// Every namespace is named l2tp-tb-<pid>-<n>-{a,b} and deleted by destroy(), even after failures.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const PEER = here('./static-peer.mjs');

/** The seed's Host 1 / Host 2 (Documentation/networking/l2tp.txt, "Unmanaged L2TPv3 Tunnels"). */
export const HOST1 = Object.freeze({
  tunnel_id: 42,
  peer_tunnel_id: 45,
  session_id: 128,
  peer_session_id: 5196755,
  udp_sport: 5000,
  udp_dport: 5001,
  local: '192.168.1.1',
  remote: '192.168.1.2',
  address: '10.5.1.2/32',
  peer_address: '10.5.1.1/32',
});
export const HOST2 = Object.freeze({
  tunnel_id: 45,
  peer_tunnel_id: 42,
  session_id: 5196755,
  peer_session_id: 128,
  udp_sport: 5001,
  udp_dport: 5000,
  local: '192.168.1.2',
  remote: '192.168.1.1',
  address: '10.5.1.1/32',
  peer_address: '10.5.1.2/32',
});

/** Host 1 / Host 2 with the tunnel over IPv6 (fd00:5::1 ↔ fd00:5::2 on the veth). */
export const HOST1_V6 = Object.freeze({ ...HOST1, local: 'fd00:5::1', remote: 'fd00:5::2' });
export const HOST2_V6 = Object.freeze({ ...HOST2, local: 'fd00:5::2', remote: 'fd00:5::1' });

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10_000 });
  if (r.error) return { ok: false, out: String(r.error.message) };
  return { ok: r.status === 0, out: `${r.stdout}${r.stderr}`.trim() };
}

/**
 * Whether namespaces and TAP devices work here (root, `ip netns`, /dev/net/tun). Missing pieces
 * that an install step provides (ping, the addon, raw-socket, dist/) are in `missing`: tests
 * should fail on those, not skip.
 */
export function testbedAvailability() {
  if (process.platform !== 'linux') return { available: false, reason: 'not Linux' };
  if (process.getuid?.() !== 0) return { available: false, reason: 'needs root (netns, TAP)' };
  if (!existsSync('/dev/net/tun')) return { available: false, reason: '/dev/net/tun is missing' };
  const probe = `l2tp-tb-probe-${process.pid}`;
  const add = run('ip', ['netns', 'add', probe]);
  if (!add.ok) return { available: false, reason: `ip netns add failed: ${add.out}` };
  run('ip', ['netns', 'del', probe]);
  const missing = [];
  if (!run('ping', ['-V']).ok) missing.push('ping (apt-get install iputils-ping)');
  if (!existsSync(here('./build/Release/tap.node'))) {
    missing.push('the TAP addon (npm ci --prefix examples/linux-host)');
  }
  if (!existsSync(here('./node_modules/raw-socket/build/Release/raw.node'))) {
    missing.push('raw-socket (npm ci --prefix examples/linux-host)');
  }
  if (!existsSync(here('../../dist/node/index.js'))) missing.push('dist/ (npm run build)');
  return { available: true, missing };
}

let counter = 0;

/** Two namespaces and a veth between them. Create with `Testbed.create()`; always `destroy()`. */
export class Testbed {
  a;
  b;
  #peers = new Set();

  constructor(a, b) {
    this.a = a;
    this.b = b;
  }

  static create() {
    const base = `l2tp-tb-${process.pid}-${++counter}`;
    const bed = new Testbed(`${base}-a`, `${base}-b`);
    try {
      for (const ns of [bed.a, bed.b]) {
        run('ip', ['netns', 'del', ns]); // a leftover of a crashed run with the same pid
        execFileSync('ip', ['netns', 'add', ns]);
        execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
        // No IPv6 on interfaces created from now on (the TAPs): no router solicitations or MLD
        // reports, so the only frames through the pseudowire are ARP and the pings.
        execFileSync('ip', [
          ...['netns', 'exec', ns, 'sh', '-c'],
          'echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6',
        ]);
      }
      // Created inside the namespaces, so the names never clash with the host's interfaces.
      execFileSync('ip', [
        ...['link', 'add', 'veth0', 'netns', bed.a, 'type', 'veth'],
        ...['peer', 'name', 'veth0', 'netns', bed.b],
      ]);
      for (const [ns, addr] of [
        [bed.a, `${HOST1.local}/24`],
        [bed.b, `${HOST2.local}/24`],
      ]) {
        execFileSync('ip', ['-n', ns, 'addr', 'add', addr, 'dev', 'veth0']);
      }
      // IPv6 on the veth only (for tunnels over IPv6), without duplicate address detection.
      for (const [ns, addr] of [
        [bed.a, `${HOST1_V6.local}/64`],
        [bed.b, `${HOST2_V6.local}/64`],
      ]) {
        execFileSync('ip', [
          ...['netns', 'exec', ns, 'sh', '-c'],
          'echo 0 > /proc/sys/net/ipv6/conf/veth0/disable_ipv6',
        ]);
        execFileSync('ip', ['-n', ns, 'addr', 'add', addr, 'dev', 'veth0', 'nodad']);
      }
      for (const ns of [bed.a, bed.b]) execFileSync('ip', ['-n', ns, 'link', 'set', 'veth0', 'up']);
      // Static IPv6 neighbours: otherwise the first packets wait about 1 s for neighbour
      // discovery while the link-local addresses are still tentative.
      const mac = (ns) =>
        JSON.parse(
          execFileSync('ip', ['-n', ns, '-j', 'link', 'show', 'veth0'], { encoding: 'utf8' }),
        )[0].address;
      for (const [ns, addr, other] of [
        [bed.a, HOST2_V6.local, bed.b],
        [bed.b, HOST1_V6.local, bed.a],
      ]) {
        execFileSync('ip', [
          ...['-n', ns, 'neigh', 'replace', addr, 'lladdr', mac(other)],
          ...['dev', 'veth0', 'nud', 'permanent'],
        ]);
      }
    } catch (error) {
      bed.destroy();
      throw error;
    }
    return bed;
  }

  /**
   * Starts static-peer.mjs in namespace `ns` with `flags` ({name: value}); resolves with the
   * peer once it printed its ready line (rejects with its output if it exits or hangs first).
   */
  startPeer(ns, flags) {
    const args = [PEER];
    for (const [k, v] of Object.entries(flags)) if (v !== undefined) args.push(`--${k}`, String(v));
    const child = spawn('ip', ['netns', 'exec', ns, process.execPath, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const peer = new Peer(child);
    this.#peers.add(peer);
    return peer.ready();
  }

  /** `ping -c count` from `ns`, 0.2 s apart; resolves with the parsed summary (never rejects). */
  ping(ns, target, count = 3) {
    return new Promise((resolve) => {
      const child = spawn(
        'ip',
        ['netns', 'exec', ns, 'ping', '-n', '-c', String(count), '-i', '0.2', '-W', '2', target],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let output = '';
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      child.on('close', (code) => resolve({ code, output, ...parsePing(output) }));
    });
  }

  /** Kills peers still running and deletes both namespaces (and with them the veth and TAPs). */
  destroy() {
    for (const p of this.#peers) p.kill();
    this.#peers.clear();
    for (const ns of [this.a, this.b]) run('ip', ['netns', 'del', ns]);
  }
}

/**
 * What is wrong with the counters of two peers after `pings` answered pings from `a` to `b` over
 * a lossless veth: an empty list when nothing is. Each side sent at least pings + 1 ARP frame,
 * every frame sent arrived (tx of one = rx of the other), no error or discard counter moved,
 * and within each peer TAP frames = session packets.
 */
export function counterProblems(a, b, pings) {
  const problems = [];
  const check = (ok, what) => {
    if (!ok) problems.push(what);
  };
  for (const [name, c, other] of [
    ['A', a, b],
    ['B', b, a],
  ]) {
    const s = c.session;
    check(s.tx_packets >= pings + 1, `${name}: tx_packets ${s.tx_packets} < ${pings + 1}`);
    check(s.rx_packets >= pings + 1, `${name}: rx_packets ${s.rx_packets} < ${pings + 1}`);
    check(
      s.rx_packets === other.session.tx_packets,
      `${name}: rx_packets ${s.rx_packets} != peer tx_packets ${other.session.tx_packets}`,
    );
    check(
      s.rx_bytes === other.session.tx_bytes,
      `${name}: rx_bytes ${s.rx_bytes} != peer tx_bytes ${other.session.tx_bytes}`,
    );
    for (const k of [
      'tx_errors',
      'rx_errors',
      'rx_invalid',
      'rx_cookie_discards',
      'rx_seq_discards',
      'rx_oos_packets',
    ]) {
      check(s[k] === 0, `${name}: ${k} = ${s[k]}`);
    }
    for (const k of ['rxInvalid', 'rxForeign', 'rxControlIgnored']) {
      check(c.tunnel[k] === 0, `${name}: tunnel ${k} = ${c.tunnel[k]}`);
    }
    check(c.transport.errors === 0, `${name}: transport errors = ${c.transport.errors}`);
    check((c.transport.badHeaders ?? 0) === 0, `${name}: bad IP headers`);
    check(c.tap.errors === 0 && c.tap.txDropped === 0, `${name}: TAP errors or drops`);
    check(c.tap.rxFrames === s.tx_packets, `${name}: TAP rxFrames != session tx_packets`);
    check(c.tap.txFrames === s.rx_packets, `${name}: TAP txFrames != session rx_packets`);
  }
  return problems;
}

/** Parses iputils ping's summary: transmitted, received, loss (%) and rtt (ms). */
export function parsePing(output) {
  const stats = /(\d+) packets transmitted, (\d+) received,.*?([\d.]+)% packet loss/.exec(output);
  const rtt = /rtt min\/avg\/max\/mdev = ([\d.]+)\/([\d.]+)\/([\d.]+)\/([\d.]+) ms/.exec(output);
  return {
    transmitted: stats ? Number(stats[1]) : undefined,
    received: stats ? Number(stats[2]) : undefined,
    lossPercent: stats ? Number(stats[3]) : undefined,
    rtt: rtt
      ? { min: Number(rtt[1]), avg: Number(rtt[2]), max: Number(rtt[3]), mdev: Number(rtt[4]) }
      : undefined,
  };
}

class Peer {
  #child;
  #stdout = '';
  #stderr = '';
  #exit;
  info;

  constructor(child) {
    this.#child = child;
    child.stdout.setEncoding('utf8').on('data', (d) => (this.#stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (this.#stderr += d));
    this.#exit = new Promise((resolve) =>
      child.on('close', (code, signal) => resolve({ code, signal })),
    );
  }

  get output() {
    return `stdout:\n${this.#stdout}\nstderr:\n${this.#stderr}`;
  }

  async ready(timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const line = /^ready (.*)$/m.exec(this.#stdout);
      if (line) {
        this.info = JSON.parse(line[1]);
        return this;
      }
      const exited = await Promise.race([
        this.#exit,
        new Promise((r) => setTimeout(() => r(undefined), 20)),
      ]);
      if (exited !== undefined) throw new Error(`static-peer exited early\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`static-peer not ready\n${this.output}`);
    }
  }

  /**
   * SIGTERM, then waits for the process to exit by itself (up to `timeoutMs`; SIGKILL after).
   * Resolves with the exit code, signal, the counters it printed, and `cleanExit`.
   */
  async stop(timeoutMs = 5000) {
    this.#child.kill('SIGTERM');
    let timer;
    const timeout = new Promise((r) => {
      timer = setTimeout(() => r(undefined), timeoutMs);
    });
    const exited = await Promise.race([this.#exit, timeout]);
    clearTimeout(timer);
    if (exited === undefined) this.kill();
    const { code, signal } = await this.#exit;
    const line = /^counters (.*)$/m.exec(this.#stdout);
    return {
      code,
      signal,
      cleanExit: exited !== undefined && code === 0 && signal === null,
      counters: line ? JSON.parse(line[1]) : undefined,
      stderr: this.#stderr,
      output: this.output,
    };
  }

  kill() {
    if (this.#child.exitCode === null && this.#child.signalCode === null) {
      this.#child.kill('SIGKILL');
    }
  }
}

// Demo: node testbed.mjs [udp|ip] [4|6]
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const encap = process.argv[2] ?? 'udp';
  const [h1, h2] = process.argv[3] === '6' ? [HOST1_V6, HOST2_V6] : [HOST1, HOST2];
  const av = testbedAvailability();
  if (!av.available || av.missing.length > 0) {
    console.error(`testbed: ${av.reason ?? `missing: ${av.missing.join(', ')}`}`);
    process.exit(1);
  }
  const bed = Testbed.create();
  try {
    const p1 = await bed.startPeer(bed.a, { ...h1, encap });
    const p2 = await bed.startPeer(bed.b, { ...h2, encap });
    const ping = await bed.ping(bed.a, '10.5.1.1');
    console.log(ping.output);
    for (const [name, p] of [
      ['host1', p1],
      ['host2', p2],
    ]) {
      console.log(name, JSON.stringify((await p.stop()).counters));
    }
  } finally {
    bed.destroy();
  }
}
