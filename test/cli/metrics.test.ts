/**
 * `l2tp-core lns --metrics`: the built command serves the Prometheus text over HTTP on loopback
 * while a LAC runs against it; scraped with fetch: tunnels and sessions up, the kernel's counters
 * for the frames the LAC sent, per-tunnel series, the transport's counters; after the LAC closes,
 * the tunnels in their post-close hold; the server ends with the process. Also: parsing of
 * `--metrics [ADDR:]PORT`, and a port already in use (exit 1).
 */
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLnsArgs } from '../../src/cli/run.js';
import { buildCli, jsonEvents, removeCliBuild, startCli } from './cli-process.js';

beforeAll(() => {
  buildCli();
}, 120_000);
afterAll(() => {
  removeCliBuild();
});

/** Samples of a Prometheus text exposition: `name{labels as printed}` → value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

async function scrape(url: string): Promise<{ type: string | null; v: Map<string, number> }> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return { type: res.headers.get('content-type'), v: samples(await res.text()) };
}

describe('lns --metrics', () => {
  it('serves the metrics on loopback while a LAC runs; they follow the tunnels', async () => {
    const lns = startCli([
      'lns',
      '--local',
      '127.0.0.1',
      '--port',
      '0',
      '--metrics',
      '0',
      '--json',
    ]);
    const listening = JSON.parse(await lns.waitFor(/"event":"listening"/)) as { local: string };
    const port = Number(listening.local.split(':')[1]);
    const url = (jsonEvents(lns.stdout()).find((e) => e.event === 'metrics') as { url: string })
      .url;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);

    const idle = await scrape(url);
    expect(idle.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(idle.v.get('l2tp_tunnels_up')).toBe(0);
    expect(idle.v.get('l2tp_transport_datagrams_received_total')).toBe(0);

    const lac = startCli([
      'lac',
      '--peer',
      '127.0.0.1',
      '--peer-port',
      String(port),
      '--tunnels',
      '2',
      '--sessions',
      '3',
      '--frames',
      '4',
      '--json',
    ]);
    await lac.waitFor(/"event":"frames"/);
    const { v } = await scrape(url);
    expect(v.get('l2tp_tunnels_up')).toBe(2);
    expect(v.get('l2tp_tunnels{state="established"}')).toBe(2);
    expect(v.get('l2tp_sessions_up')).toBe(6);
    expect(v.get('l2tp_sessions{state="established"}')).toBe(6);
    // 2 × 3 × 4 test frames received and echoed.
    expect(v.get('l2tp_rx_packets_total')).toBe(24);
    expect(v.get('l2tp_tx_packets_total')).toBe(24);
    expect(v.get('l2tp_frames_received_total')).toBe(24);
    expect(v.get('l2tp_control_retransmissions_total')).toBe(0);
    const ups = jsonEvents(lns.stdout()).filter((e) => e.event === 'tunnel-up');
    expect(ups).toHaveLength(2);
    for (const up of ups) {
      const labels = `tunnel="${up.tunnel}",peer="${up.peer}",version="2"`;
      expect(v.get(`l2tp_tunnel_up{${labels}}`)).toBe(1);
      expect(v.get(`l2tp_tunnel_sessions{${labels}}`)).toBe(3);
      expect(v.get(`l2tp_tunnel_rx_packets_total{${labels}}`)).toBe(12);
      expect(v.get(`l2tp_tunnel_control_rtt_seconds{${labels}}`)).toBeGreaterThanOrEqual(0);
    }
    // Every datagram: per tunnel SCCRQ, SCCCN, 3 ICRQ and 3 ICCN (acknowledgements ride on
    // them, a ZLB may follow), and the 24 frames.
    expect(v.get('l2tp_transport_datagrams_received_total')).toBeGreaterThanOrEqual(2 * 8 + 24);
    expect(v.get('l2tp_endpoint_datagrams_received_total')).toBe(
      v.get('l2tp_transport_datagrams_received_total'),
    );
    // No per-session series from the command.
    expect([...v.keys()].some((k) => k.startsWith('l2tp_session_'))).toBe(false);

    lac.signal('SIGINT');
    expect(await lac.exited).toBe(0);
    await lns.waitFor(/"event":"tunnel-down".*"by":"peer"/);
    // The LAC cleared both tunnels: the LNS holds them in the post-close hold (RFC 2661 §5.7).
    let after = (await scrape(url)).v;
    for (let i = 0; i < 50 && after.get('l2tp_tunnels_up') !== 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
      after = (await scrape(url)).v;
    }
    expect(after.get('l2tp_tunnels_up')).toBe(0);
    expect(after.get('l2tp_sessions_up')).toBe(0);
    expect(after.get('l2tp_tunnels{state="closing"}')).toBe(2);
    expect(after.get('l2tp_rx_packets_total')).toBe(24);

    lns.signal('SIGINT');
    expect(await lns.exited).toBe(0);
    await expect(fetch(url)).rejects.toThrow();
  }, 30_000);

  it('a metrics port already in use: exit 1, saying so', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const address = taken.address();
    const used = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const lns = startCli(['lns', '--local', '127.0.0.1', '--port', '0', '--metrics', `${used}`]);
      expect(await lns.exited).toBe(1);
      expect(lns.stderr()).toContain(`cannot serve metrics on 127.0.0.1:${used}: `);
      expect(lns.stderr()).toContain('EADDRINUSE');
    } finally {
      taken.close();
    }
  }, 20_000);
});

describe('--metrics [ADDR:]PORT (in-process)', () => {
  const metrics = (value: string) => {
    const o = parseLnsArgs(['--metrics', value]);
    return o === 'help' ? o : o.metrics;
  };

  it('a port alone listens on loopback; an IPv4 or bracketed IPv6 address may precede it', () => {
    expect(metrics('9101')).toEqual({ address: '127.0.0.1', port: 9101 });
    expect(metrics('0')).toEqual({ address: '127.0.0.1', port: 0 });
    expect(metrics('0.0.0.0:9101')).toEqual({ address: '0.0.0.0', port: 9101 });
    expect(metrics('[::1]:9101')).toEqual({ address: '::1', port: 9101 });
    const none = parseLnsArgs([]);
    expect(none !== 'help' && none.metrics).toBeUndefined();
  });

  it('anything else is a usage error naming the option', () => {
    for (const bad of [
      '',
      'abc',
      '70000',
      'localhost:9101',
      '::1:9101',
      '[1.2.3.4]:80',
      '1.2.3:80',
    ]) {
      expect(() => metrics(bad), bad).toThrow(/^--metrics: /);
    }
  });
});
