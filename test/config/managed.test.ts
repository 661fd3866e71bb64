// L2tpConfig with managed tunnels over real loopback UDP: an LNS endpoint and a LAC endpoint in
// one process; the LAC's Tunnel is registered, its sessions appear and leave with the control
// protocol, get reports the engine's counters after traffic, modify reaches the engine's runtime
// options, and delete sends CDN / StopCCN. Short real timers (retransmission 50 ms, one retry);
// waits are on events, never sleeps.
import { afterEach, describe, expect, it } from 'vitest';
import { type ConfigError, type ConfigEvent, L2tpConfig } from '../../src/config.js';
import { Endpoint, type TunnelOptions } from '../../src/endpoint.js';
import { nodeClock, nodeRandomBytes, nodeTimers } from '../../src/node/clock.js';
import { UdpTransport } from '../../src/node/udp.js';
import { toKernelStats } from '../../src/static.js';
import type { Session, Tunnel } from '../../src/tunnel.js';

const fast = { retransmitTimeoutMs: 50, maxRetransmitTimeoutMs: 1000, maxRetransmits: 1 } as const;
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
    ...(acceptTunnel ? { acceptTunnel } : {}),
  });
  opened.push({ close: () => ep.destroy() });
  return { ep, port: transport.local.port };
}

function until<T>(emitter: object, event: string): Promise<T> {
  const e = emitter as { once(event: string, listener: (value: T) => void): unknown };
  return new Promise<T>((resolve) => e.once(event, resolve));
}

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return `${(error as ConfigError).reason}/${(error as ConfigError).errno}`;
  }
  return 'no error';
}

async function pair(version: 2 | 3) {
  const v3 = (routerId: number) => (version === 3 ? { routerId } : {});
  const lns = await endpoint({ mode: 'lns', hostName: 'lns.test', version, ...v3(1), ...fast });
  const lac = await endpoint();
  const accepted = until<Tunnel>(lns.ep, 'tunnel');
  const tunnel = await lac.ep.connect(
    { address: '127.0.0.1', port: lns.port },
    { mode: 'lac', hostName: 'lac.test', version, ...v3(2), ...fast },
  );
  const server = await accepted;
  if (!server.isUp) await until(server, 'up');
  const config = new L2tpConfig({
    transportFactory: () => {
      throw new Error('no static tunnels here');
    },
    clock: nodeClock,
  });
  opened.push(config);
  const events: ConfigEvent[] = [];
  config.watch((e) => events.push(e));
  return { lns, lac, tunnel, server, config, events };
}

describe('L2tpConfig: managed tunnels', () => {
  it('v2: register, sessions come and go with the protocol, stats, modify, CDN and StopCCN', async () => {
    const { lac, lns, tunnel, server, config, events } = await pair(2);
    const info = config.tunnelRegister(tunnel, { local: '127.0.0.1', udp_sport: lac.port });
    expect(info).toMatchObject({
      kind: 'managed',
      tunnel_id: tunnel.id,
      peer_tunnel_id: server.id,
      proto_version: 2,
      encap: 'udp',
      local: '127.0.0.1',
      remote: '127.0.0.1',
      udp_sport: lac.port,
      udp_dport: lns.port,
      debug: 0,
      state: 'established',
      sessions: 0,
    });
    expect(reason(() => config.tunnelRegister(tunnel))).toBe('TUNNEL_EXISTS/EEXIST');
    expect(
      reason(() => config.sessionCreate(tunnel.id, { session_id: 1, peer_session_id: 1 })),
    ).toBe('NOT_SUPPORTED/EPROTONOSUPPORT');
    expect(config.tunnelModify(tunnel.id, { debug: 2 }).debug).toBe(2);

    const serverSessions: Session[] = [];
    server.on('session-up', (s) => serverSessions.push(s));
    const [s1, s2] = (await Promise.all([tunnel.openSession(), tunnel.openSession()])) as [
      Session,
      Session,
    ];
    while (serverSessions.length < 2) await until(server, 'session-up');
    expect(events.filter((e) => e.cmd === 'session-create').map((e) => e.session_id)).toEqual(
      expect.arrayContaining([s1.id, s2.id]),
    );
    expect(config.sessionList(tunnel.id).map((s) => s.session_id)).toEqual(
      [s1.id, s2.id].sort((a, b) => a - b),
    );
    expect(config.sessionGet(tunnel.id, s1.id)).toMatchObject({
      kind: 'managed',
      tunnel_id: tunnel.id,
      peer_tunnel_id: server.id,
      session_id: s1.id,
      peer_session_id: s1.peerId,
      proto_version: 2,
      encap: 'udp',
      pw_type: 7, // L2TPv2 carries PPP
      l2spec_type: 'none',
      cookie: '',
      peer_cookie: '',
      seq: 'none',
      reorder_timeout: 0,
      lns_mode: false,
      debug: 0,
      state: 'up',
    });

    // Traffic: 3 frames out on s1, 1 echoed back.
    const echoed = until<Uint8Array>(s1, 'frame');
    server.once('frame', (s, frame) => s.send(Uint8Array.from(frame)));
    for (const m of ['ab', 'cde', 'f']) s1.send(new TextEncoder().encode(m));
    await echoed;
    const got = config.sessionGet(tunnel.id, s1.id).stats;
    expect(got).toEqual(toKernelStats(s1.stats()));
    expect(got).toMatchObject({ tx_packets: 3, rx_packets: 1, rx_errors: 0 });
    expect(config.tunnelGet(tunnel.id).stats).toEqual(toKernelStats(tunnel.stats().sessionTotals));
    expect(config.tunnelGet(tunnel.id).stats.tx_packets).toBe(3);

    // Modify: runtime options reach the engine; mtu drops and counts tx_errors.
    const modified = config.sessionModify(tunnel.id, s1.id, {
      seq: 'send',
      lns_mode: true,
      debug: 8,
      mtu: 2,
      mru: 1500,
    });
    expect(modified).toMatchObject({ seq: 'send', lns_mode: true, debug: 8, mtu: 2, mru: 1500 });
    expect(s1.options).toMatchObject({ sendSeq: true, lnsMode: true, debugMask: 8, mtu: 2 });
    s1.send(new TextEncoder().encode('too long'));
    expect(config.sessionGet(tunnel.id, s1.id).stats).toMatchObject({
      tx_packets: 3,
      tx_errors: 1,
    });
    expect(
      reason(() => config.sessionModify(tunnel.id, s1.id, { cookie: 'abcdabcd' } as never)),
    ).toBe('IMMUTABLE/EINVAL');
    // Out of range (REORDERTO ≤ 3,600,000 ms) comes back as BAD_VALUE, nothing applied.
    expect(
      reason(() =>
        config.sessionModify(tunnel.id, s1.id, { reorder_timeout: 3_600_001, debug: 1 }),
      ),
    ).toBe('BAD_VALUE/EINVAL');
    expect(config.sessionGet(tunnel.id, s1.id).debug).toBe(8);
    expect(reason(() => config.sessionGet(tunnel.id, 0))).toBe('NO_SESSION/ENODEV');

    // Session delete: a CDN; the session leaves the table when the engine reports it down.
    const peerDown = until<unknown>(
      serverSessions.find((s) => s.id === s1.peerId) as Session,
      'down',
    );
    config.sessionDelete(tunnel.id, s1.id);
    expect(await peerDown).toMatchObject({ by: 'peer', resultCode: 3 });
    expect(reason(() => config.sessionGet(tunnel.id, s1.id))).toBe('NO_SESSION/ENODEV');
    expect(events.at(-1)).toEqual({
      cmd: 'session-delete',
      kind: 'managed',
      tunnel_id: tunnel.id,
      session_id: s1.id,
    });
    // Its counters stay in the tunnel's (the engine keeps retired sessions' totals).
    expect(config.tunnelGet(tunnel.id).stats).toMatchObject({ tx_packets: 3, tx_errors: 1 });

    // Tunnel delete: StopCCN; gone from the table at once.
    const serverDown = until<unknown>(server, 'down');
    config.tunnelDelete(tunnel.id);
    expect(config.tunnelList()).toEqual([]);
    expect(await serverDown).toMatchObject({ by: 'peer', resultCode: 1 });
    expect(events.filter((e) => e.cmd === 'tunnel-delete')).toHaveLength(1);
    await until(tunnel, 'close');
    expect(events.filter((e) => e.cmd === 'tunnel-delete')).toHaveLength(1);
  });

  it('v3: a tunnel the peer closes leaves the table by itself; seq needs the sublayer', async () => {
    const { tunnel, server, config, events } = await pair(3);
    config.tunnelRegister(tunnel);
    const s = await tunnel.openSession({ cookieLength: 8 });
    const got = config.sessionGet(tunnel.id, s.id);
    expect(got.peer_cookie).toMatch(/^[0-9a-f]{16}$/); // ours, 8 octets; the server sends none
    expect(got.cookie).toBe('');
    expect(got).toMatchObject({ proto_version: 3, state: 'up', encap: 'udp', pw_type: 5 });
    expect(got.l2spec_type).toBe('none');
    // The kernel's view: cookie = what we send (the peer's), peer_cookie = what we expect (ours).
    // Cross-checked against the other end: what we send is what it expects, and vice versa.
    const far = server.engine.sessionWire(s.peerId);
    expect(got.cookie).toBe(cookieHexOf(far?.peerCookie));
    expect(got.peer_cookie).toBe(cookieHexOf(far?.cookie));
    // No Default L2-Specific Sublayer negotiated: RECVSEQ is refused (RFC 3931 §4.6).
    expect(reason(() => config.sessionModify(tunnel.id, s.id, { seq: 'recv' }))).toBe(
      'BAD_VALUE/EINVAL',
    );
    const closed = until<void>(tunnel, 'close');
    await server.close();
    await closed;
    expect(config.tunnelList()).toEqual([]);
    expect(events.map((e) => e.cmd)).toEqual([
      'tunnel-create',
      'session-create',
      'session-delete',
      'tunnel-delete',
    ]);
    expect(reason(() => config.tunnelRegister(tunnel))).toBe('BAD_VALUE/EINVAL');
  });

  it('maxTunnels counts managed tunnels; close() forgets them without closing them', async () => {
    const { tunnel, config } = await pair(2);
    const small = new L2tpConfig({
      transportFactory: () => {
        throw new Error('unused');
      },
      clock: nodeClock,
      maxTunnels: 1,
    });
    small.tunnelRegister(tunnel);
    config.tunnelRegister(tunnel); // two tables may both watch one tunnel
    await expect(
      small.tunnelCreate({ tunnel_id: 99, peer_tunnel_id: 1, remote: '127.0.0.1', udp_dport: 9 }),
    ).rejects.toMatchObject({ reason: 'TABLE_FULL' });
    small.close();
    expect(tunnel.isUp).toBe(true);
    expect(config.tunnelGet(tunnel.id).state).toBe('established');
  });
});

function cookieHexOf(bytes: Uint8Array | undefined): string {
  return Buffer.from(bytes ?? []).toString('hex');
}
