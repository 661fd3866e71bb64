// The imperative shell end to end on real loopback UDP: an LNS endpoint and a LAC endpoint in one
// process, with tunnel authentication and hidden AVPs, several sessions, frames both ways, and a
// graceful close. Timers are real but short (retransmission 50 ms, one retry) so the post-close
// hold (RFC 2661 §5.7) ends within a few hundred ms.
import { afterEach, describe, expect, it } from 'vitest';
import { stringValue } from '../../src/avp/values.js';
import { buildControl } from '../../src/codec/control.js';
import { Endpoint, type TunnelOptions } from '../../src/endpoint.js';
import { UsageError } from '../../src/errors.js';
import { nodeClock, nodeRandomBytes, nodeTimers } from '../../src/node/clock.js';
import { nodeCrypto } from '../../src/node/crypto.js';
import { UdpTransport } from '../../src/node/udp.js';
import type { Session, Tunnel } from '../../src/tunnel.js';
import { releasedUdpPort } from '../helpers/ports.js';

const fast = { retransmitTimeoutMs: 50, maxRetransmitTimeoutMs: 1000, maxRetransmits: 1 } as const;
const secret = 'shell-test-secret';

const opened: { close(): unknown }[] = [];
// Closed in reverse: endpoints (destroyed) before their transports, so no tunnel is left
// retransmitting into a closed socket (a host fault the endpoint would throw, unheard).
afterEach(async () => {
  for (const o of opened.splice(0).reverse()) await o.close();
});

async function endpoint(acceptTunnel?: TunnelOptions, address = '127.0.0.1') {
  const transport = await UdpTransport.open({ address });
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
  return { ep, port: transport.local.port };
}

function until<T>(emitter: object, event: string): Promise<T> {
  const e = emitter as { once(event: string, listener: (value: T) => void): unknown };
  return new Promise<T>((resolve) => e.once(event, resolve));
}

describe('Endpoint + Tunnel over loopback UDP', () => {
  it('LAC and LNS: challenge both ways, hidden AVPs, 3 sessions, frames both ways, StopCCN', async () => {
    const lns = await endpoint({
      mode: 'lns',
      hostName: 'lns.test',
      secret,
      hiddenFields: ['assignedTunnelId', 'assignedSessionId'],
      ...fast,
    });
    const lac = await endpoint();
    const accepted = until<Tunnel>(lns.ep, 'tunnel');
    const tunnel = await lac.ep.connect(
      { address: '127.0.0.1', port: lns.port },
      { mode: 'lac', hostName: 'lac.test', secret, hiddenFields: ['assignedTunnelId'], ...fast },
    );
    const server = await accepted;
    expect(tunnel.isUp).toBe(true);
    expect(tunnel.info?.peerHostName).toBe('lns.test');
    expect(tunnel.info?.peerAuthenticated).toBe(true);
    if (!server.isUp) await until(server, 'up');
    expect(server.info?.peerAuthenticated).toBe(true);
    expect(server.peerId).toBe(tunnel.id);

    const serverSessions: Session[] = [];
    server.on('session-up', (s) => serverSessions.push(s));
    const sessions = await Promise.all([
      tunnel.openSession(),
      tunnel.openSession(),
      tunnel.openSession({ sendSequenceNumbers: true }),
    ]);
    expect(new Set(sessions.map((s) => s.id)).size).toBe(3);
    while (serverSessions.length < 3) await until(server, 'session-up');

    // LAC → LNS on every session, and LNS → LAC echoes.
    const got: string[] = [];
    const echoed = new Promise<void>((resolve) => {
      tunnel.on('frame', (s, frame) => {
        got.push(`${s.id}:${Buffer.from(frame).toString()}`);
        if (got.length === 3) resolve();
      });
    });
    server.on('frame', (s, frame) => s.send(Uint8Array.from(frame)));
    for (const s of sessions) s.send(new TextEncoder().encode(`hello ${s.id}`));
    await echoed;
    expect(got.sort()).toEqual(sessions.map((s) => `${s.id}:hello ${s.id}`).sort());

    // One CDN, then the tunnel: StopCCN brings the rest down on both sides.
    const firstDown = until<unknown>(sessions[0] as Session, 'down');
    (sessions[0] as Session).close();
    expect(await firstDown).toMatchObject({ by: 'local', resultCode: 3 });
    const serverDown = until<unknown>(server, 'down');
    await tunnel.close();
    expect(tunnel.downReason).toMatchObject({ by: 'local', resultCode: 1 });
    expect(await serverDown).toMatchObject({ by: 'peer', resultCode: 1 });
    expect(sessions.every((s) => s.downReason !== undefined)).toBe(true);
    expect(tunnel.closed).toBe(true);
    expect(lac.ep.tunnels.size).toBe(0);
    const stats = tunnel.stats();
    expect(stats.framesSent).toBe(3);
    expect(stats.framesReceived).toBe(3);
  });

  it('a wrong secret: the LNS refuses the tunnel and connect() rejects with the codes', async () => {
    const lns = await endpoint({ mode: 'lns', hostName: 'lns.test', secret, ...fast });
    const lac = await endpoint();
    const err = await lac.ep
      .connect(
        { address: '127.0.0.1', port: lns.port },
        { mode: 'lac', hostName: 'lac.test', secret: 'not-the-secret', ...fast },
      )
      .catch((e: unknown) => e);
    // The LAC found the LNS's Challenge Response wrong and sent StopCCN 4 (RFC 2661 §5.1.1).
    expect(err).toMatchObject({ code: 'L2TP_ERR_PROTOCOL', reason: { by: 'error' } });
    expect((err as { reason: { resultCode?: number } }).reason.resultCode).toBe(4);
  });

  it('a wrong secret with a hidden Assigned Tunnel ID: refused at once, the hidden AVP named (#14)', async () => {
    const lns = await endpoint({ mode: 'lns', hostName: 'lns.test', secret, ...fast });
    const lac = await endpoint();
    const started = performance.now();
    const err = await lac.ep
      .connect(
        { address: '127.0.0.1', port: lns.port },
        {
          mode: 'lac',
          hostName: 'lac.test',
          secret: 'not-the-secret',
          hiddenFields: ['assignedTunnelId'],
          ...fast,
        },
      )
      .catch((e: unknown) => e);
    // The LNS cannot read our Assigned Tunnel ID, so its StopCCN goes to Tunnel ID 0: the
    // endpoint hands it to the tunnel waiting for that peer, which fails with the LNS's reason.
    expect(err).toMatchObject({
      code: 'L2TP_ERR_REFUSED',
      reason: {
        by: 'peer',
        resultCode: 2,
        message: expect.stringMatching(/hidden AVP 9.*wrong secret/),
      },
    });
    expect(performance.now() - started).toBeLessThan(1000); // not the retransmission budget
  });

  it('an aborted connect closes the tunnel and rejects with the abort reason', async () => {
    const lac = await endpoint();
    const controller = new AbortController();
    // Nobody listens on this port: the SCCRQ goes unanswered.
    const port = await releasedUdpPort();
    const pending = lac.ep.connect(
      { address: '127.0.0.1', port },
      { mode: 'lac', hostName: 'lac.test', ...fast },
      { signal: controller.signal },
    );
    controller.abort(new Error('give up'));
    await expect(pending).rejects.toThrow('give up');
  });
});

describe('Endpoint demultiplexing and bounds', () => {
  async function rawPeer() {
    const t = await UdpTransport.open({ address: '127.0.0.1' });
    opened.push(t);
    const received: Uint8Array[] = [];
    t.onDatagram((bytes) => received.push(Uint8Array.from(bytes)));
    return { t, received };
  }
  const sccrq = (assignedTunnelId: number, ns = 0, nr = 0) =>
    buildControl(
      { version: 2, tunnelId: 0, sessionId: 0, ns, nr },
      {
        type: 'SCCRQ',
        version: 2,
        protocolVersion: { version: 1, revision: 0 },
        hostName: stringValue('raw-lac'),
        framingCapabilities: 3,
        assignedTunnelId,
      },
    );
  const settle = () => new Promise((r) => setTimeout(r, 50));

  it('a retransmitted SCCRQ reaches the tunnel it created, not a new one', async () => {
    const lns = await endpoint({ mode: 'lns', hostName: 'lns.test', ...fast });
    const peer = await rawPeer();
    const to = { address: '127.0.0.1', port: lns.port };
    peer.t.send(sccrq(77), to);
    peer.t.send(sccrq(77), to);
    await settle();
    expect(lns.ep.tunnels.size).toBe(1);
    expect(lns.ep.stats().tunnelsRefused).toBe(0);
    // The same peer opening a second tunnel (another Assigned Tunnel ID) is a new tunnel.
    peer.t.send(sccrq(78), to);
    await settle();
    expect(lns.ep.tunnels.size).toBe(2);
    lns.ep.destroy();
  });

  it('an SCCRQ the engine drops (Ns ≠ 0 or Nr ≠ 0) takes no tunnel slot and does not shadow the real one', async () => {
    const transport = await UdpTransport.open({ address: '127.0.0.1' });
    opened.push(transport);
    const ep = new Endpoint({
      transport,
      clock: nodeClock,
      timers: nodeTimers,
      randomBytes: nodeRandomBytes,
      maxTunnels: 1,
      acceptTunnel: { mode: 'lns', hostName: 'lns.test', ...fast },
    });
    const peer = await rawPeer();
    const to = { address: '127.0.0.1', port: transport.local.port };
    for (let i = 0; i < 5; i++) peer.t.send(sccrq(90, 1 + i), to); // held out of order
    peer.t.send(sccrq(90, 0, 7), to); // acknowledges a message never sent
    await settle();
    expect(ep.tunnels.size).toBe(0);
    expect(ep.stats().datagramsInvalid).toBe(6);
    // The real SCCRQ with the same Assigned Tunnel ID still gets its tunnel (and the one slot).
    peer.t.send(sccrq(90), to);
    await settle();
    expect(ep.tunnels.size).toBe(1);
    // One SCCRP (a 50 ms retransmission of it may arrive too under load), to tunnel 90.
    const sccrps = peer.received.filter((b) => b.length > 12);
    expect(new Set(sccrps.map((b) => ((b[4] as number) << 8) | (b[5] as number)))).toEqual(
      new Set([90]),
    );
    ep.destroy();
  });

  it('maxHalfOpenTunnels bounds SCCRQs that never complete: the busiest source is refused, another source evicts its oldest', async () => {
    const transport = await UdpTransport.open({ address: '127.0.0.1' });
    opened.push(transport);
    const ep = new Endpoint({
      transport,
      clock: nodeClock,
      timers: nodeTimers,
      randomBytes: nodeRandomBytes,
      maxHalfOpenTunnels: 2,
      acceptTunnel: { mode: 'lns', hostName: 'lns.test' }, // SCCRPs held for the whole test
    });
    const to = { address: '127.0.0.1', port: transport.local.port };
    const peer = await rawPeer();
    for (const id of [1, 2, 3, 4]) peer.t.send(sccrq(id), to);
    await settle();
    // One source holding the whole table: its further SCCRQs are dropped (it retransmits).
    expect(ep.tunnels.size).toBe(2);
    expect(ep.stats()).toMatchObject({ halfOpenTunnels: 2, halfOpenEvicted: 0, tunnelsRefused: 2 });
    const answered = new Set(
      peer.received
        .filter((b) => b.length > 12)
        .map((b) => ((b[4] as number) << 8) | (b[5] as number)),
    );
    expect(answered).toEqual(new Set([1, 2]));
    // A second source gets in: the busiest source's oldest half-open tunnel makes room.
    const other = await rawPeer();
    other.t.send(sccrq(9), to);
    await settle();
    expect(ep.stats()).toMatchObject({ halfOpenTunnels: 2, halfOpenEvicted: 1 });
    expect([...ep.tunnels.values()].map((t) => t.peerId).sort()).toEqual([2, 9]);
    ep.destroy();
  });

  it('datagrams for unknown tunnels, from the wrong address, or not L2TP are counted and dropped', async () => {
    const lns = await endpoint({ mode: 'lns', hostName: 'lns.test', ...fast });
    const peer = await rawPeer();
    const to = { address: '127.0.0.1', port: lns.port };
    peer.t.send(
      buildControl(
        { version: 2, tunnelId: 4242, sessionId: 0, ns: 0, nr: 0 },
        { type: 'HELLO', version: 2 },
      ),
      to,
    );
    peer.t.send(Uint8Array.of(1, 2, 3), to);
    await settle();
    expect(lns.ep.stats()).toMatchObject({
      datagramsUnknownTunnel: 1,
      datagramsInvalid: 1,
      tunnels: 0,
    });
  });
});

describe('L2TPv3 over UDP through the Endpoint (RFC 3931 §4.1.2)', () => {
  it('digest-authenticated control connection, sessions with 8-byte cookies and sequencing, frames by Session ID', async () => {
    const lns = await endpoint({
      version: 3,
      mode: 'lns',
      hostName: 'lcce-b',
      routerId: 0x0a000002,
      secret,
      ...fast,
    });
    const lac = await endpoint();
    const accepted = until<Tunnel>(lns.ep, 'tunnel');
    const tunnel = await lac.ep.connect(
      { address: '127.0.0.1', port: lns.port },
      {
        version: 3,
        mode: 'lac',
        hostName: 'lcce-a',
        routerId: 0x0a000001,
        secret,
        session: { cookieLength: 8, l2SpecificSublayer: 'default', sendSequenceNumbers: true },
        ...fast,
      },
    );
    const server = await accepted;
    expect(tunnel.version).toBe(3);
    expect(tunnel.info?.peerRouterId).toBe(0x0a000002);
    if (!server.isUp) await until(server, 'up');
    server.on('frame', (s, frame) => s.send(Uint8Array.from(frame)));

    const sessions = await Promise.all([tunnel.openSession(), tunnel.openSession()]);
    const echoes = new Map<number, number>();
    const done = new Promise<void>((resolve) => {
      tunnel.on('frame', (s) => {
        echoes.set(s.id, (echoes.get(s.id) ?? 0) + 1);
        if ([...echoes.values()].reduce((a, b) => a + b, 0) === 20) resolve();
      });
    });
    // An Ethernet frame (RFC 4719): 14-byte header + payload.
    const frame = Uint8Array.from({ length: 64 }, (_, i) => i);
    for (let i = 0; i < 10; i++) for (const s of sessions) s.send(frame);
    await done;
    expect([...echoes.values()]).toEqual([10, 10]);
    expect(tunnel.stats()).toMatchObject({ cookieMismatches: 0, digestFailures: 0 });
    expect(server.stats()).toMatchObject({ cookieMismatches: 0, digestFailures: 0 });

    // Circuit status (SLI) reaches the peer as an event.
    const status = until<{ active: boolean }>(server, 'circuit-status');
    tunnel.setCircuitStatus((sessions[0] as Session).id, false);
    expect(await status).toMatchObject({ active: false });

    const serverDown = until<unknown>(server, 'down');
    await tunnel.close();
    expect(await serverDown).toMatchObject({ by: 'peer', resultCode: 1 });
    expect(lac.ep.stats().datagramsUnknownTunnel).toBe(0);
    expect(lns.ep.stats().datagramsUnknownTunnel).toBe(0);
  });
});

describe('one socket, many tunnels', () => {
  it('an LNS endpoint serves 200 tunnels from one LAC socket, each with a session, then closes them all', {
    timeout: 20_000,
  }, async () => {
    // 200 handshakes at once keep the event loop busy for longer than `fast`'s 50 ms timeout:
    // 500 ms, two retries (a 2.5 s post-close hold).
    const timers = { retransmitTimeoutMs: 500, maxRetransmitTimeoutMs: 1000, maxRetransmits: 2 };
    const lns = await endpoint({ mode: 'lns', hostName: 'lns.test', secret, ...timers });
    const lac = await endpoint();
    const peer = { address: '127.0.0.1', port: lns.port };
    const options = { mode: 'lac', hostName: 'lac.test', secret, ...timers } as const;
    const tunnels = await Promise.all(
      Array.from({ length: 200 }, () => lac.ep.connect(peer, options)),
    );
    expect(new Set(tunnels.map((t) => t.id)).size).toBe(200);
    expect(lns.ep.tunnels.size).toBe(200);
    const sessions = await Promise.all(tunnels.map((t) => t.openSession()));
    expect(sessions.every((s) => s.isUp)).toBe(true);
    await Promise.all(tunnels.map((t) => t.close()));
    expect(lac.ep.tunnels.size).toBe(0);
    expect(lns.ep.stats()).toMatchObject({ datagramsUnknownTunnel: 0, datagramsInvalid: 0 });
    lns.ep.destroy();
  });
});

describe('IPv6', () => {
  it('LAC and LNS over UDP on ::1: tunnel, session, a frame each way, StopCCN', async () => {
    const lns = await endpoint({ mode: 'lns', hostName: 'lns6', secret, ...fast }, '::1');
    const lac = await endpoint(undefined, '::1');
    const accepted = until<Tunnel>(lns.ep, 'tunnel');
    const tunnel = await lac.ep.connect(
      { address: '::1', port: lns.port },
      { mode: 'lac', hostName: 'lac6', secret, ...fast },
    );
    const server = await accepted;
    server.on('frame', (s, frame) => s.send(Uint8Array.from(frame)));
    const session = await tunnel.openSession();
    const echo = until<Uint8Array>(session, 'frame');
    session.send(Uint8Array.of(0xff, 0x03, 0xc0, 0x21));
    // FF 03 is removed on delivery (RFC 2661 PPP: peers differ on sending it); LCP remains.
    expect([...(await echo)]).toEqual([0xc0, 0x21]);
    await tunnel.close();
    expect(tunnel.downReason).toMatchObject({ by: 'local', resultCode: 1 });
  });
});

describe('Tunnel commands on a finished tunnel', () => {
  it('openSession() and connect() reject (never throw) once the tunnel is closed', async () => {
    const lns = await endpoint({ mode: 'lns', hostName: 'lns.test', ...fast });
    const lac = await endpoint();
    const tunnel = await lac.ep.connect(
      { address: '127.0.0.1', port: lns.port },
      { mode: 'lac', hostName: 'lac.test', ...fast },
    );
    await tunnel.close();
    let thrown: unknown;
    let result: Promise<unknown> | undefined;
    try {
      result = tunnel.openSession();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeUndefined();
    await expect(result).rejects.toMatchObject({ code: 'L2TP_ERR_USAGE' });
    await expect(tunnel.connect()).rejects.toMatchObject({ code: 'L2TP_ERR_CLOSED' });
  });
});

describe('Session data plane through the shell', () => {
  it('session.configure / options / stats; final counters after down; tunnel totals', async () => {
    const lns = await endpoint({ mode: 'lns', hostName: 'lns.test', ...fast });
    const lac = await endpoint();
    const accepted = until<Tunnel>(lns.ep, 'tunnel');
    const tunnel = await lac.ep.connect(
      { address: '127.0.0.1', port: lns.port },
      { mode: 'lac', hostName: 'lac.test', ...fast },
    );
    const server = await accepted;
    const session = await tunnel.openSession();
    const got: number[][] = [];
    let done: () => void = () => {};
    const all = new Promise<void>((resolve) => {
      done = resolve;
    });
    server.on('frame', (_s, frame) => {
      got.push([...frame]);
      if (got.length === 2) done();
    });
    session.configure({ sendSeq: true, mtu: 3 });
    expect(session.options).toMatchObject({ sendSeq: true, mtu: 3, pppAddressControl: true });
    expect(() => session.configure({ mtu: -1 })).toThrow(UsageError);
    session.send(Uint8Array.of(0x00, 0x21, 1));
    session.send(Uint8Array.of(0x00, 0x21, 1, 2)); // over the MTU: dropped
    session.send(Uint8Array.of(0x00, 0x21, 3), { priority: true });
    await all;
    expect(got).toEqual([
      [0x00, 0x21, 1],
      [0x00, 0x21, 3],
    ]);
    expect(session.stats()).toMatchObject({ txPackets: 2, txBytes: 6, txErrors: 1 });
    const serverSession = [...server.sessions.values()][0] as Session;
    expect(serverSession.stats()).toMatchObject({ rxPackets: 2, rxBytes: 6 });
    await tunnel.close();
    expect(session.isUp).toBe(false);
    expect(session.options).toBeUndefined();
    expect(session.stats()).toMatchObject({ txPackets: 2, txErrors: 1 }); // final counters kept
    expect(tunnel.stats().sessionTotals).toMatchObject({ txPackets: 2, txBytes: 6 });
  });
});
