/**
 * The L2TP VPN of issue #16, both ends l2tp-core, with no kernel L2TP or PPP: two network
 * namespaces joined by a veth (examples/linux-host/testbed.mjs), `l2tp-core lns --ppp` in A
 * (pool 10.77.0.0/24, a users file, TUN l2tp0 with 10.77.0.1/24, IPv6CP and the IPv6 pool
 * 2001:db8:77::/48 with 2001:db8:77::1/48 on l2tp0) and `l2tp-core connect` in B (MS-CHAPv2, a
 * route to 10.99.0.0/24 — an address on A's loopback —, IPv6CP, a route to 2001:db8:77::/48),
 * both the built CLI as a user runs it. Then: the addresses, DNS server and link-local addresses
 * that IPCP / IPv6CP agreed on, the global address 2001:db8:77:1::<id> the LNS's Router
 * Advertisement gave; `ping` both ways over IPv4 (and through the route), over IPv6 link-local
 * and between the global addresses; iperf3 TCP from B to A for 3 s (the rate is printed); SIGINT on connect
 * terminates PPP, the call and the tunnel and removes the TUN; a wrong password makes connect
 * exit 1 at once with the LNS's own message. Skipped with the reason when not root or without
 * namespaces / /dev/net/tun; fails instead on CI, and whenever ping, iperf3 or the TUN addon
 * (scripts/install-peers.sh) is missing.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Testbed, testbedAvailability } from '../../examples/linux-host/testbed.mjs';
import { buildCli, removeCliBuild } from '../cli/cli-process.js';
import { onCi } from './xl2tpd-harness.js';

const ROOT = resolve(import.meta.dirname, '../..');
const TUN_MODULE = join(ROOT, 'examples/linux-host/tun.mjs');
const ADDON = join(ROOT, 'examples/linux-host/build/Release/tap.node');

const AV = testbedAvailability();
const SKIP = !AV.available && !onCi();
if (SKIP) console.warn(`ppp-vpn: skipping the PPP VPN tests: ${AV.reason}`);

function missingTools(): string[] {
  const missing: string[] = [];
  const has = (cmd: string, arg: string) => spawnSync(cmd, [arg]).status === 0;
  if (!has('ping', '-V')) missing.push('ping (apt-get install iputils-ping)');
  if (!has('iperf3', '--version')) missing.push('iperf3 (apt-get install iperf3)');
  if (!existsSync(ADDON)) missing.push('the TUN addon (npm ci --prefix examples/linux-host)');
  return missing;
}

/** A CLI process in a namespace, its output as JSON events. */
class NsCli {
  readonly child: ChildProcess;
  readonly started = performance.now();
  out = '';
  err = '';
  readonly exited: Promise<number | null>;
  exitedAt: number | undefined;

  constructor(ns: string, args: readonly string[]) {
    this.child = spawn('ip', ['netns', 'exec', ns, process.execPath, buildCli(), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, L2TP_CORE_TUN_MODULE: TUN_MODULE },
    });
    this.child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      this.out += d;
    });
    this.child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      this.err += d;
    });
    this.exited = new Promise((res) =>
      this.child.on('close', (code) => {
        this.exitedAt = performance.now();
        res(code);
      }),
    );
  }

  events(): Record<string, unknown>[] {
    return this.out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** The first event named `name`, waiting for it (never for a fixed time). */
  async event(name: string, timeoutMs = 15_000): Promise<Record<string, unknown>> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const e = this.events().find((x) => x.event === name);
      if (e !== undefined) return e;
      if (this.exitedAt !== undefined || performance.now() > deadline) {
        throw new Error(`no ${name} event\nstdout:\n${this.out}\nstderr:\n${this.err}`);
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
    }
  }
}

/** Runs a command in a namespace to completion. */
function inNs(ns: string, cmd: string, args: readonly string[], timeoutMs = 20_000) {
  return new Promise<{ code: number | null; out: string }>((res) => {
    const child = spawn('ip', ['netns', 'exec', ns, cmd, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      res({ code, out });
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'l2tp-ppp-vpn-'));
const USERS = join(dir, 'users');
writeFileSync(USERS, '# name password\nalice wonderland\n"bob smith" "the builder"\n');
let bed: Testbed | undefined;
const procs: NsCli[] = [];
const start = (ns: string, args: readonly string[]) => {
  const p = new NsCli(ns, args);
  procs.push(p);
  return p;
};

afterAll(() => {
  for (const p of procs) p.kill();
  bed?.destroy();
  rmSync(dir, { recursive: true, force: true });
  removeCliBuild();
});

describe.skipIf(SKIP)('L2TP/PPP VPN: l2tp-core lns --ppp ↔ l2tp-core connect in namespaces', () => {
  let lns: NsCli;
  let client: NsCli;
  let up: Record<string, unknown>;
  let global6: Record<string, unknown>;

  beforeAll(() => {
    buildCli();
  }, 120_000);

  it('has what it needs (netns, /dev/net/tun, ping, iperf3, the TUN addon)', () => {
    expect(AV.reason).toBeUndefined();
    expect(missingTools()).toEqual([]);
  });

  it('connect with MS-CHAPv2: address, DNS, link-local and global IPv6 addresses from the LNS', async () => {
    bed = Testbed.create();
    // Behind the LNS: an address only reachable through the --route the client adds.
    spawnSync('ip', ['-n', bed.a, 'addr', 'add', '10.99.0.1/32', 'dev', 'lo']);
    lns = start(bed.a, [
      ...['lns', '--ppp', '--pool', '10.77.0.0/24', '--users', USERS],
      ...['--dns', '10.77.0.53', '--ipv6-pool', '2001:db8:77::/48'],
      ...['--local', '192.168.1.1', '--json'],
    ]);
    const ready = await lns.event('ppp-ready');
    expect(ready).toMatchObject({
      tun: 'l2tp0',
      address: '10.77.0.1/24',
      users: 2,
      global6: '2001:db8:77::1/48',
    });
    await lns.event('listening');
    client = start(bed.b, [
      ...['connect', '--peer', '192.168.1.1', '--user', 'alice', '--password', 'wonderland'],
      ...['--auth', 'mschapv2', '--route', '10.99.0.0/24', '--ipv6', '--tun', 'vpn0', '--json'],
      ...['--route', '2001:db8:77::/48'],
    ]);
    up = await client.event('ppp-up');
    expect(up).toMatchObject({
      tun: 'vpn0',
      local: '10.77.0.2',
      peer: '10.77.0.1',
      dns: ['10.77.0.53'],
      auth: 'mschapv2',
      routes: ['10.99.0.0/24', '2001:db8:77::/48'],
      mtu: 1400,
    });
    expect(up.peer6).toBe(ready.address6);
    expect(up.local6).toMatch(/^fe80::/);
    const serverSide = await lns.event('ppp-up');
    expect(serverSide).toMatchObject({ user: 'alice', address: '10.77.0.2', auth: 'mschapv2' });
    expect(serverSide.address6).toBe(up.local6);
    expect(serverSide.prefix6).toBe('2001:db8:77:1::/64');
    global6 = await client.event('ipv6-address');
    const iid = String(up.local6).slice('fe80::'.length);
    expect(global6).toMatchObject({
      address: `2001:db8:77:1:${iid}`,
      prefix: '2001:db8:77:1::/64',
      router: up.peer6,
    });
    const addr = await inNs(bed.b, 'ip', ['-o', 'addr', 'show', 'dev', 'vpn0']);
    expect(addr.out).toContain('inet 10.77.0.2 peer 10.77.0.1/32');
    expect(addr.out).toContain(`inet6 ${up.local6}/64`);
    expect(addr.out).toContain(`inet6 ${global6.address}/64`);
    const route6 = await inNs(bed.b, 'ip', ['-6', 'route', 'show', '2001:db8:77::/48']);
    expect(route6.out).toContain(`via ${up.peer6} dev vpn0`);
    const route = await inNs(bed.b, 'ip', ['route', 'show', '10.99.0.0/24']);
    expect(route.out).toContain('dev vpn0');
  });

  it('ping both ways over IPv4 (and through the route), IPv6 link-local and global', async () => {
    const b = bed as Testbed;
    const results = {
      'client → 10.77.0.1': await b.ping(b.b, '10.77.0.1', 5),
      'client → 10.99.0.1 (route)': await b.ping(b.b, '10.99.0.1', 3),
      'lns → 10.77.0.2': await b.ping(b.a, '10.77.0.2', 5),
      [`client → ${up.peer6}`]: await b.ping(b.b, `${up.peer6}%vpn0`, 3),
      [`lns → ${up.local6}`]: await b.ping(b.a, `${up.local6}%l2tp0`, 3),
      'client → 2001:db8:77::1': await b.ping(b.b, '2001:db8:77::1', 3),
      [`lns → ${global6.address}`]: await b.ping(b.a, String(global6.address), 3),
    };
    for (const [what, r] of Object.entries(results)) {
      expect(r.received, `${what}\n${r.output}`).toBe(r.transmitted);
      console.log(
        `ppp-vpn: ping ${what}: rtt min/avg/max ${r.rtt?.min}/${r.rtt?.avg}/${r.rtt?.max} ms`,
      );
    }
  });

  it('iperf3 TCP through the tunnel for 3 s', async () => {
    const b = bed as Testbed;
    const server = spawn(
      'ip',
      ['netns', 'exec', b.a, 'iperf3', '-s', '-1', '--forceflush', '-B', '10.77.0.1'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      let said = '';
      server.stdout.on('data', (d) => {
        said += d;
      });
      for (let i = 0; i < 250 && !/listening/i.test(said); i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const run = await inNs(b.b, 'iperf3', ['-c', '10.77.0.1', '-t', '3', '-J'], 30_000);
      const report = JSON.parse(run.out) as {
        error?: string;
        end: {
          sum_sent: { bits_per_second: number; retransmits: number; bytes: number };
          sum_received: { bits_per_second: number; bytes: number };
        };
      };
      expect(report.error).toBeUndefined();
      const rx = report.end.sum_received;
      console.log(
        `ppp-vpn: iperf3 TCP client → lns through the tunnel: ` +
          `${(rx.bits_per_second / 1e6).toFixed(1)} Mbit/s received ` +
          `(${(rx.bytes / 1e6).toFixed(1)} MB in 3 s, ${report.end.sum_sent.retransmits} retransmits)`,
      );
      expect(rx.bits_per_second).toBeGreaterThan(0);
      expect(rx.bytes).toBeGreaterThan(0);
    } finally {
      server.kill('SIGKILL');
    }
  });

  it('SIGINT on connect: PPP terminated, the call and the tunnel closed, the TUN removed', async () => {
    const b = bed as Testbed;
    client.child.kill('SIGINT');
    expect(await client.exited, `${client.out}\n${client.err}`).toBe(0);
    const events = client.events().map((e) => e.event);
    expect(events).toEqual(
      expect.arrayContaining(['ppp-down', 'session-down', 'tunnel-down', 'disconnected']),
    );
    expect(client.events().find((e) => e.event === 'ppp-down')).toMatchObject({
      code: 'admin-close',
    });
    expect((await inNs(b.b, 'ip', ['link', 'show', 'vpn0'])).code).not.toBe(0);
    // The LNS heard the Terminate-Request: the peer ended it, not a lost call.
    expect(await lns.event('ppp-down')).toMatchObject({ by: 'peer', code: 'peer-terminate' });
    await lns.event('tunnel-down');
  });

  it('a wrong password: connect exits 1 at once with the LNS’s message', async () => {
    const b = bed as Testbed;
    const bad = start(b.b, [
      ...['connect', '--peer', '192.168.1.1', '--user', 'alice', '--password', 'not-it'],
      ...['--auth', 'mschapv2', '--tun', 'vpn1', '--json'],
    ]);
    await bad.event('connecting');
    const running = performance.now(); // node is up: from here, the protocol's time
    expect(await bad.exited, `${bad.out}\n${bad.err}`).toBe(1);
    const took = (bad.exitedAt as number) - running;
    console.log(
      `ppp-vpn: wrong password: exit 1 after ${took.toFixed(0)} ms ` +
        `(${((bad.exitedAt as number) - bad.started).toFixed(0)} ms with node's start)`,
    );
    expect(took).toBeLessThan(2000);
    const failed = bad.events().find((e) => e.event === 'auth-failed');
    expect(String(failed?.message)).toContain('wrong password for alice'); // the LNS's text
    expect(bad.err).toMatch(/authentication failed: .*wrong password for alice/);
    expect((await inNs(b.b, 'ip', ['link', 'show', 'vpn1'])).code).not.toBe(0);
    const refused = await lns.event('ppp-auth-failed');
    expect(String(refused.message)).toContain('wrong password for alice');
  });

  it('SIGINT on the LNS: exit 0, the PPP counters', async () => {
    lns.child.kill('SIGINT');
    expect(await lns.exited, `${lns.out}\n${lns.err}`).toBe(0);
    const summary = await lns.event('ppp-summary');
    expect(summary.toPort).toBeGreaterThan(0);
    expect(summary.fromPort).toBeGreaterThan(0);
    bed?.destroy();
    bed = undefined;
  });
});
