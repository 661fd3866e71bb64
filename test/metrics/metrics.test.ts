// l2tp-core/metrics against a LAC and an LNS Endpoint on loopback UDP: the Prometheus text a
// prom-client registry renders holds tunnels and sessions by state, the kernel's ten counters
// (endpoint-wide, per tunnel, per session when asked), control-channel retransmissions and RTT,
// and the transport's counters, with the values the endpoints' own stats() report; counters
// keep what closed tunnels counted; one snapshot per scrape. Timers are real but short.
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { Endpoint, type TunnelOptions } from '../../src/endpoint.js';
import {
  createL2tpRegistry,
  DEFAULT_METRICS_PREFIX,
  L2TP_METRICS,
  registerL2tpMetrics,
} from '../../src/metrics/index.js';
import { nodeClock, nodeRandomBytes, nodeTimers } from '../../src/node/clock.js';
import { nodeCrypto } from '../../src/node/crypto.js';
import { UdpTransport } from '../../src/node/udp.js';
import { KERNEL_STAT_NAMES } from '../../src/stats.js';
import type { Session, Tunnel } from '../../src/tunnel.js';
import { releasedUdpPort } from '../helpers/ports.js';

const fast = { retransmitTimeoutMs: 50, maxRetransmitTimeoutMs: 1000, maxRetransmits: 2 } as const;

const opened: { close(): unknown }[] = [];
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

async function endpoint(acceptTunnel?: TunnelOptions) {
  const transport = await UdpTransport.open({ address: '127.0.0.1' });
  opened.push(transport);
  const ep = new Endpoint({
    transport,
    clock: nodeClock,
    timers: nodeTimers,
    randomBytes: nodeRandomBytes,
    crypto: nodeCrypto,
    ...(acceptTunnel ? { acceptTunnel } : {}),
  });
  opened.push({ close: () => ep.destroy() });
  return { ep, transport, port: transport.local.port };
}

function until<T>(emitter: object, event: string): Promise<T> {
  const e = emitter as { once(event: string, listener: (value: T) => void): unknown };
  return new Promise<T>((resolve) => e.once(event, resolve));
}

/** Samples of a Prometheus text exposition: `name{a="x",b="y"}` (labels sorted) → value. */
function parse(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`not a sample line: ${line}`);
    const labels = [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)]
      .map((l) => `${l[1]}="${l[2]}"`)
      .sort();
    out.set(labels.length === 0 ? (m[1] as string) : `${m[1]}{${labels.join(',')}}`, Number(m[3]));
  }
  return out;
}

/** The key `parse` gives a sample. */
function key(name: string, labels: Record<string, string | number> = {}): string {
  const l = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort();
  return l.length === 0 ? name : `${name}{${l.join(',')}}`;
}

async function scrape(registry: Registry): Promise<Map<string, number>> {
  return parse(await registry.metrics());
}

/** A LAC tunnel to an LNS, `sessions` calls, `frames` frames per session echoed by the LNS. */
async function pair(sessions: number, frames: number) {
  const lns = await endpoint({ mode: 'lns', hostName: 'lns.test', ...fast });
  const lac = await endpoint();
  const accepted = until<Tunnel>(lns.ep, 'tunnel');
  const tunnel = await lac.ep.connect(
    { address: '127.0.0.1', port: lns.port },
    { mode: 'lac', hostName: 'lac.test', ...fast },
  );
  const server = await accepted;
  if (!server.isUp) await until(server, 'up');
  const serverSessions: Session[] = [];
  server.on('session-up', (s) => serverSessions.push(s));
  const calls = await Promise.all(Array.from({ length: sessions }, () => tunnel.openSession()));
  while (serverSessions.length < sessions) await until(server, 'session-up');
  let echoes = 0;
  const echoed = new Promise<void>((resolve) => {
    tunnel.on('frame', () => {
      if (++echoes === sessions * frames) resolve();
    });
  });
  server.on('frame', (s, frame) => s.send(Uint8Array.from(frame)));
  for (const s of calls) {
    for (let i = 0; i < frames; i++) s.send(new TextEncoder().encode(`frame ${s.id} ${i}`));
  }
  if (frames > 0) await echoed;
  return { lns, lac, tunnel, server, calls, serverSessions };
}

describe('registerL2tpMetrics on a live LAC/LNS pair', () => {
  it('exports tunnels and sessions by state, kernel counters, RTT and transport counters', async () => {
    const { lns, server, serverSessions } = await pair(3, 4);
    const registry = new Registry();
    const m = registerL2tpMetrics(registry, { endpoint: lns.ep, transport: lns.transport });
    expect(m.names.every((n) => n.startsWith('l2tp_'))).toBe(true);
    const text = await registry.metrics();
    expect(text).toContain('# TYPE l2tp_tunnels_up gauge');
    expect(text).toContain('# TYPE l2tp_tx_packets_total counter');
    expect(text).toContain('# HELP l2tp_control_retransmissions_total ');
    const v = parse(text);

    expect(v.get('l2tp_tunnels_up')).toBe(1);
    expect(v.get(key('l2tp_tunnels', { state: 'established' }))).toBe(1);
    expect(v.get(key('l2tp_tunnels', { state: 'wait-ctl-conn' }))).toBe(0);
    expect(v.get('l2tp_sessions_up')).toBe(3);
    expect(v.get(key('l2tp_sessions', { state: 'established' }))).toBe(3);
    expect(v.get(key('l2tp_sessions', { state: 'wait-connect' }))).toBe(0);

    // The kernel's ten, over the endpoint: 12 frames in, 12 echoed out.
    const bytes = serverSessions.reduce((n, s) => n + s.stats().rxBytes, 0);
    expect(bytes).toBeGreaterThan(12 * 8);
    expect(v.get('l2tp_rx_packets_total')).toBe(12);
    expect(v.get('l2tp_tx_packets_total')).toBe(12);
    expect(v.get('l2tp_rx_bytes_total')).toBe(bytes);
    expect(v.get('l2tp_tx_bytes_total')).toBe(bytes);
    for (const name of Object.values(KERNEL_STAT_NAMES)) {
      expect(v.has(`l2tp_${name}_total`), name).toBe(true);
    }
    expect(v.get('l2tp_rx_errors_total')).toBe(0);
    expect(v.get('l2tp_frames_received_total')).toBe(12);
    expect(v.get('l2tp_frames_sent_total')).toBe(12);

    // Per tunnel, labelled by our Tunnel ID, the peer and the version.
    const t = { tunnel: server.id, peer: `127.0.0.1:${server.peer.port}`, version: 2 };
    expect(v.get(key('l2tp_tunnel_up', t))).toBe(1);
    expect(v.get(key('l2tp_tunnel_sessions', t))).toBe(3);
    expect(v.get(key('l2tp_tunnel_frames_received_total', t))).toBe(12);
    expect(v.get(key('l2tp_tunnel_tx_packets_total', t))).toBe(12);
    expect(
      v.get(
        key('l2tp_tunnel_info', {
          ...t,
          state: 'established',
          peer_tunnel: server.peerId,
          peer_host_name: 'lac.test',
        }),
      ),
    ).toBe(1);
    const channel = server.stats().channel;
    expect(v.get(key('l2tp_tunnel_control_messages_sent_total', t))).toBe(channel.messagesSent);
    expect(v.get(key('l2tp_tunnel_control_retransmissions_total', t))).toBe(0);
    // SCCRP and three ICRPs were acknowledged without retransmission: an RTT in seconds.
    const rtt = v.get(key('l2tp_tunnel_control_rtt_seconds', t)) as number;
    expect(rtt).toBeCloseTo((channel.srttMs as number) / 1000, 6);
    expect(rtt).toBeGreaterThanOrEqual(0);
    expect(rtt).toBeLessThan(1);
    // No per-session series unless asked.
    expect([...v.keys()].filter((k) => k.startsWith('l2tp_session_'))).toEqual([]);

    // The endpoint's and the transport's own counters.
    const ep = lns.ep.stats();
    expect(v.get('l2tp_endpoint_datagrams_received_total')).toBe(ep.datagramsReceived);
    expect(v.get('l2tp_endpoint_datagrams_unknown_tunnel_total')).toBe(0);
    expect(v.get('l2tp_endpoint_half_open_tunnels')).toBe(0);
    const udp = lns.transport.stats();
    expect(v.get('l2tp_transport_datagrams_received_total')).toBe(udp.datagramsReceived);
    expect(v.get('l2tp_transport_datagrams_sent_total')).toBe(udp.datagramsSent);
    expect(v.get('l2tp_transport_received_bytes_total')).toBe(udp.bytesReceived);
    expect(v.get('l2tp_transport_sent_bytes_total')).toBe(udp.bytesSent);
    expect(v.get('l2tp_transport_errors_total')).toBe(0);
    // A UDP transport has no IP header to check.
    expect(v.has('l2tp_transport_bad_headers_total')).toBe(false);
    m.unregister();
  });

  it('perSession: the ten counters and the state of each session', async () => {
    const { lac, tunnel, calls } = await pair(2, 3);
    const registry = createL2tpRegistry({ endpoint: lac.ep, perSession: true });
    const v = await scrape(registry);
    for (const s of calls) {
      const l = {
        tunnel: tunnel.id,
        peer: `127.0.0.1:${tunnel.peer.port}`,
        version: 2,
        session: s.id,
      };
      expect(v.get(key('l2tp_session_tx_packets_total', l))).toBe(3);
      expect(v.get(key('l2tp_session_rx_packets_total', l))).toBe(3);
      expect(v.get(key('l2tp_session_rx_bytes_total', l))).toBe(s.stats().rxBytes);
      expect(v.get(key('l2tp_session_rx_seq_discards_total', l))).toBe(0);
      expect(
        v.get(key('l2tp_session_info', { ...l, state: 'established', peer_session: s.peerId })),
      ).toBe(1);
    }
    expect([...v.keys()].filter((k) => k.startsWith('l2tp_session_tx_packets_total'))).toHaveLength(
      2,
    );
  });

  it('a closed tunnel: its series end, the endpoint-wide counters keep its counts', async () => {
    const { lac, tunnel } = await pair(2, 5);
    const registry = new Registry();
    registerL2tpMetrics(registry, { endpoint: lac.ep });
    const before = await scrape(registry);
    expect(before.get('l2tp_tx_packets_total')).toBe(10);
    expect(before.get('l2tp_tunnels_closed_total')).toBe(0);
    await tunnel.close();
    expect(lac.ep.tunnels.size).toBe(0);
    const after = await scrape(registry);
    expect(after.get('l2tp_tunnels_up')).toBe(0);
    expect(after.get('l2tp_sessions_up')).toBe(0);
    expect(after.get(key('l2tp_tunnels', { state: 'established' }))).toBe(0);
    expect(after.get('l2tp_tunnels_closed_total')).toBe(1);
    expect([...after.keys()].filter((k) => k.startsWith('l2tp_tunnel_'))).toEqual([]);
    expect(after.get('l2tp_tx_packets_total')).toBe(10);
    expect(after.get('l2tp_rx_packets_total')).toBe(10);
    // The StopCCN was sent after the first scrape: counted from the tunnel's final stats.
    expect(after.get('l2tp_control_messages_sent_total')).toBe(tunnel.stats().channel.messagesSent);
    expect(tunnel.stats().channel.messagesSent).toBeGreaterThan(
      before.get('l2tp_control_messages_sent_total') as number,
    );
  });

  it('retransmissions: a tunnel to a silent port, while it tries and once it gave up', async () => {
    const lac = await endpoint();
    const registry = new Registry();
    registerL2tpMetrics(registry, { endpoint: lac.ep, transport: lac.transport });
    const silent = await releasedUdpPort();
    const tunnel = lac.ep.tunnel(
      { address: '127.0.0.1', port: silent },
      { mode: 'lac', hostName: 'lac.test', ...fast },
    );
    const failed = tunnel.connect().catch((e: unknown) => e);
    const t = { tunnel: tunnel.id, peer: `127.0.0.1:${silent}`, version: 2 };
    // The first retransmission comes after 50 ms.
    let v = await scrape(registry);
    for (
      let i = 0;
      i < 100 && (v.get(key('l2tp_tunnel_control_retransmissions_total', t)) ?? 0) < 1;
      i++
    ) {
      await new Promise((r) => setTimeout(r, 10));
      v = await scrape(registry);
    }
    expect(v.get(key('l2tp_tunnels', { state: 'wait-ctl-reply' }))).toBe(1);
    expect(v.get(key('l2tp_tunnel_control_retransmissions_total', t))).toBeGreaterThanOrEqual(1);
    expect(v.get(key('l2tp_tunnel_control_in_flight', t))).toBe(1);
    expect(v.get('l2tp_tunnels_up')).toBe(0);
    // No acknowledgement, no RTT sample.
    expect(v.has(key('l2tp_tunnel_control_rtt_seconds', t))).toBe(false);
    await failed;
    if (!tunnel.closed) await until(tunnel, 'close');
    v = await scrape(registry);
    expect(v.get('l2tp_control_retransmissions_total')).toBe(2);
    expect(v.get('l2tp_control_messages_sent_total')).toBe(1);
    expect(v.get('l2tp_tunnels_closed_total')).toBe(1);
    // SCCRQ and two retransmissions.
    expect(v.get('l2tp_transport_datagrams_sent_total')).toBe(3);
  });
});

describe('registration', () => {
  it('prefix, perTunnel: false, a clash leaves the registry as it was, unregister', async () => {
    const { ep } = await endpoint();
    const registry = new Registry();
    const a = registerL2tpMetrics(registry, { endpoint: ep, perTunnel: false });
    expect(a.names).toEqual(
      L2TP_METRICS.filter((d) => d.scope === 'endpoint').map((d) => `l2tp_${d.name}`),
    );
    expect(() => registerL2tpMetrics(registry, { endpoint: ep })).toThrow(
      /already been registered/,
    );
    expect(registry.getMetricsAsArray().map((x) => x.name)).toEqual(a.names);
    const b = registerL2tpMetrics(registry, { endpoint: ep, prefix: 'lns2_', perSession: true });
    expect(b.names).toContain('lns2_session_info');
    expect(b.names).toContain('lns2_tunnel_control_rtt_seconds');
    a.unregister();
    expect(registry.getMetricsAsArray().map((x) => x.name)).toEqual(b.names);
    b.unregister();
    expect(await registry.metrics()).toBe('\n');
    expect(DEFAULT_METRICS_PREFIX).toBe('l2tp_');
  });

  it('reads stats() once per scrape, however many metrics and tunnels', async () => {
    const { lns, server } = await pair(1, 0);
    const registry = createL2tpRegistry({
      endpoint: lns.ep,
      transport: lns.transport,
      perSession: true,
    });
    let endpointReads = 0;
    let tunnelReads = 0;
    const epStats = lns.ep.stats.bind(lns.ep);
    const tStats = server.stats.bind(server);
    lns.ep.stats = () => {
      endpointReads++;
      return epStats();
    };
    server.stats = () => {
      tunnelReads++;
      return tStats();
    };
    await registry.metrics();
    expect([endpointReads, tunnelReads]).toEqual([1, 1]);
    await registry.metrics();
    expect([endpointReads, tunnelReads]).toEqual([2, 2]);
  });
});

describe('docs/metrics.md', () => {
  it('lists every metric with its type and labels', () => {
    const doc = readFileSync(new URL('../../docs/metrics.md', import.meta.url), 'utf8');
    const missing = L2TP_METRICS.filter((d) => {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`l2tp_${d.name}\``));
      return row === undefined || !row.includes(d.type) || !d.labels.every((l) => row.includes(l));
    }).map((d) => d.name);
    expect(missing).toEqual([]);
  });
});
