/**
 * l2tp-core's engine and shell (Endpoint, Tunnel, Session over UdpTransport, Node clock, timers
 * and crypto) against a live xl2tpd 1.3.18 on 127.0.0.1, in both roles, with `challenge = yes`
 * and a shared secret: tunnel authentication both ways (RFC 2661 §5.1.1), incoming calls
 * (§5.2.1, §7.4), PPP frames through a session (§5.3), CDN (§5.6), StopCCN and the post-close
 * hold (§5.7), refused secrets and hidden AVPs (§4.3). Each test asserts our events and xl2tpd's
 * log. Skipped with a message when xl2tpd is missing; fails on CI (`CI` set) instead.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { decodeControl } from '../../src/codec/control.js';
import { AvpType, MessageType } from '../../src/constants.js';
import { Endpoint, type TunnelOptions } from '../../src/endpoint.js';
import type { DownReason } from '../../src/engine/index.js';
import { nodeClock, nodeRandomBytes, nodeTimers } from '../../src/node/clock.js';
import { nodeCrypto } from '../../src/node/crypto.js';
import { UdpTransport } from '../../src/node/udp.js';
import type { DatagramTransport } from '../../src/transport.js';
import { type Session, type Tunnel, TunnelDownError } from '../../src/tunnel.js';
import { next, onCi, Xl2tpd, type Xl2tpdOptions, xl2tpdAvailability } from './xl2tpd-harness.js';

const AVAILABLE = xl2tpdAvailability();
if (!AVAILABLE.available) {
  console.warn(`xl2tpd-engine: skipping the xl2tpd interop tests: ${AVAILABLE.reason}`);
}

const SECRET = 'l2tp-core-engine-secret';

// Short timers so the post-close hold (RFC 2661 §5.7: one full retransmission cycle) ends in
// 100 + 200 + 400 + 800 = 1.5 s; xl2tpd acknowledges within a few ms on loopback.
const timers = {
  retransmitTimeoutMs: 100,
  maxRetransmitTimeoutMs: 1000,
  maxRetransmits: 3,
} as const;

const lacOptions: TunnelOptions = {
  mode: 'lac',
  hostName: 'l2tp-core-lac.test',
  vendorName: 'l2tp-core',
  secret: SECRET,
  authenticatePeer: true,
  ...timers,
};

const lnsOptions: TunnelOptions = {
  mode: 'lns',
  hostName: 'l2tp-core-lns.test',
  vendorName: 'l2tp-core',
  secret: SECRET,
  ...timers,
};

// Processes, tunnels and sockets of the current test, undone in reverse even when it failed.
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
}, 20_000);

async function startXl2tpd(options: Xl2tpdOptions): Promise<Xl2tpd> {
  const x = await Xl2tpd.start(options);
  cleanups.push(() => x.stop());
  return x;
}

/**
 * An Endpoint on its own loopback UDP socket; destroyed (nothing sent) and closed afterwards.
 * `sent` collects a copy of every datagram the endpoint sends.
 */
async function endpoint(
  acceptTunnel?: TunnelOptions,
  sent?: Uint8Array[],
): Promise<{ ep: Endpoint; port: number }> {
  const transport = await UdpTransport.open({ address: '127.0.0.1' });
  const tap: DatagramTransport = {
    send(data, peer) {
      sent?.push(data instanceof Uint8Array ? data.slice() : Buffer.concat([data[0], data[1]]));
      transport.send(data, peer);
    },
    onDatagram: (handler) => transport.onDatagram(handler),
    close: () => transport.close(),
  };
  const ep = new Endpoint({
    transport: tap,
    clock: nodeClock,
    timers: nodeTimers,
    randomBytes: nodeRandomBytes,
    crypto: nodeCrypto,
    ...(acceptTunnel === undefined ? {} : { acceptTunnel }),
  });
  cleanups.push(async () => {
    ep.destroy();
    await transport.close();
  });
  return { ep, port: transport.local.port };
}

/** All 'session-down' reasons of a tunnel, and its 'down' reason, as they happen. */
function record(tunnel: Tunnel) {
  const r = { sessionsDown: [] as DownReason[], down: [] as DownReason[] };
  tunnel.on('session-down', (_s, reason) => r.sessionsDown.push(reason));
  tunnel.on('down', (reason) => r.down.push(reason));
  return r;
}

// xl2tpd's log lines: "Call established with 127.0.0.1, PID: 12941, Local: 18734, Remote: 1126,
// Serial: 11339" (LNS role; the LAC has no PID), Local being its Session ID, Remote ours; and
// "control_finish: Connection closed to 127.0.0.1, port …" when it got our StopCCN, "Connection
// <id> closed to 127.0.0.1, port …" when it sent its own.
const callEstablished = (s: Session) =>
  new RegExp(
    `Call established with 127\\.0\\.0\\.1, (PID: \\d+, )?Local: ${s.peerId}, Remote: ${s.id}\\b`,
  );
const CLOSED = /Connection (\d+ )?closed to 127\.0\.0\.1, port \d+/;

/**
 * The next tunnel a peer opens on `ep`, with listeners attached as soon as the endpoint creates
 * it: xl2tpd may bring up the tunnel and its call before its `c peer` result line reaches us.
 */
function accept(ep: Endpoint) {
  return new Promise<{
    tunnel: Tunnel;
    seen: ReturnType<typeof record>;
    sessionUp: Promise<Session>;
  }>((resolve) => {
    ep.once('tunnel', (tunnel) => {
      const sessionUp = next<Session>(tunnel, 'session-up');
      sessionUp.catch(() => {}); // not every test waits for it
      resolve({ tunnel, seen: record(tunnel), sessionUp });
    });
  });
}

const ms = (t: number) => `${t.toFixed(1)} ms`;
const xl2tpdAt = (x: Xl2tpd) => ({ address: '127.0.0.1', port: x.port });
const lcp = (code: number, id: number, ...data: number[]) =>
  Uint8Array.of(0xff, 0x03, 0xc0, 0x21, code, id, 0, 4 + data.length, ...data);

describe('xl2tpd engine interop', () => {
  it('xl2tpd is installed on CI (scripts/install-peers.sh), so the interop really runs there', () => {
    expect(AVAILABLE.available || !onCi(), `xl2tpd missing on CI: ${AVAILABLE.reason}`).toBe(true);
  });
});

describe.skipIf(!AVAILABLE.available)(`l2tp-core engine ↔ ${AVAILABLE.version ?? 'xl2tpd'}`, () => {
  it('our LAC → xl2tpd LNS (hold): both sides authenticated, session up and kept, StopCCN', async ({
    annotate,
  }) => {
    const x = await startXl2tpd({ role: 'lns', secret: SECRET, challenge: true, pppd: 'hold' });
    const lac = await endpoint();
    const tunnel = lac.ep.tunnel(xl2tpdAt(x), lacOptions);
    const seen = record(tunnel);
    const started = performance.now();
    const info = await tunnel.connect();
    const connectMs = performance.now() - started;

    // RFC 2661 §5.1.1 both ways: xl2tpd's SCCRP answered our Challenge, and it accepted our
    // SCCCN's answer to its own (it would have sent StopCCN otherwise).
    expect(info).toMatchObject({
      peerAuthenticated: true,
      initiator: true,
      peerHostName: 'xl2tpd-lns.test',
      peerVendorName: 'xelerance.com',
      peerTunnelId: tunnel.peerId,
    });
    expect(tunnel.isUp).toBe(true);
    await x.waitForLog(/Connection established to 127\.0\.0\.1, \d+\.\s+Local: \d+, Remote: \d+/);
    expect(x.grep(/Invalid (challenge )?authentication/)).toEqual([]);
    const established = x.grep(/Connection established to 127\.0\.0\.1/)[0] as string;
    expect(established).toMatch(new RegExp(`Remote: ${tunnel.id}\\b`));

    // ICRQ → ICRP → ICCN: the session is up as soon as we sent ICCN (RFC 2661 §7.4.1).
    const opening = performance.now();
    const session = await tunnel.openSession();
    const openMs = performance.now() - opening;
    expect(session.isUp).toBe(true);
    expect(session.peerId).toBeGreaterThan(0);
    await x.waitForLog(callEstablished(session));
    // xl2tpd started its "pppd" (the stand-in that waits): with the real pppd this is where it
    // would exit and xl2tpd would send CDN; here the call stays.
    await x.waitForLog(/pppd-standin: hold pid \d+/);
    expect(session.isUp).toBe(true);
    expect(seen.sessionsDown).toEqual([]);

    // StopCCN (Result 1): the session goes down with the tunnel, by us; xl2tpd logs the reason.
    const mark = x.mark();
    const sessionDown = next<DownReason>(session, 'down');
    const t0 = performance.now();
    const outcome = await tunnel.close({ message: 'bye from l2tp-core' });
    const closeMs = performance.now() - t0;
    expect(outcome).toBe('acknowledged');
    expect(await sessionDown).toMatchObject({ by: 'local' });
    expect(seen.down).toEqual([expect.objectContaining({ by: 'local', resultCode: 1 })]);
    await x.waitForLog(/peer closing for reason 1 .*bye from l2tp-core/, { from: mark });
    await x.waitForLog(CLOSED, { from: mark });
    expect(tunnel.closed).toBe(true);
    expect(lac.ep.tunnels.size).toBe(0);
    // RFC 2661 §5.7: the sender of the StopCCN is done once xl2tpd acknowledged it (the full
    // retransmission cycle of hold is the receiver's): one round trip, not the 1.5 s cycle.
    expect(closeMs).toBeLessThan(1000);
    const stats = tunnel.stats();
    expect(stats.protocolErrors).toBe(0);
    expect(stats.datagramsDropped).toBe(0);
    expect(stats.channel.retransmissions).toBe(0);
    await annotate(
      `SCCRQ→up ${ms(connectMs)}, ICRQ→session up ${ms(openMs)}, close until acknowledged ${ms(closeMs)}`,
    );
  });

  it("our LAC → xl2tpd LNS (real pppd): xl2tpd's CDN Result 1 ends the session, the tunnel stays", async ({
    annotate,
  }) => {
    const x = await startXl2tpd({ role: 'lns', secret: SECRET, challenge: true, pppd: 'real' });
    const lac = await endpoint();
    const tunnel = await lac.ep.connect(xl2tpdAt(x), lacOptions);
    const seen = record(tunnel);
    const session = await tunnel.openSession();
    const upAt = performance.now();
    const reason = await next<DownReason>(session, 'down');
    const cdnMs = performance.now() - upAt;
    // pppd exits at once without /dev/ppp; xl2tpd then hangs up with CDN Result 1, Error 0.
    expect(reason).toMatchObject({ by: 'peer', resultCode: 1 });
    expect(reason.errorCode ?? 0).toBe(0);
    expect(session.isUp).toBe(false);
    expect(seen.sessionsDown).toHaveLength(1);
    expect(tunnel.sessions.size).toBe(0);
    expect(cdnMs).toBeLessThan(2000);
    await annotate(`xl2tpd's CDN ${ms(cdnMs)} after our session came up (ICCN sent)`);
    await x.waitForLog(/Call established with 127\.0\.0\.1/);
    await x.waitForLog(/pppd exited for call \d+ with code 4/);

    // The tunnel survives the call: it is still up and carries a second call.
    expect(tunnel.isUp).toBe(true);
    expect(seen.down).toEqual([]);
    const second = await tunnel.openSession();
    expect(await next<DownReason>(second, 'down')).toMatchObject({ by: 'peer', resultCode: 1 });
    expect(tunnel.isUp).toBe(true);

    const mark = x.mark();
    await tunnel.close();
    expect(tunnel.downReason).toMatchObject({ by: 'local', resultCode: 1 });
    await x.waitForLog(/peer closing for reason 1 /, { from: mark });
    await x.waitForLog(CLOSED, { from: mark });
    expect(tunnel.stats()).toMatchObject({ protocolErrors: 0, datagramsDropped: 0 });
  });

  it('our LAC → xl2tpd LNS (lcp stand-in): PPP frames through the session both ways', async ({
    annotate,
  }) => {
    const x = await startXl2tpd({ role: 'lns', secret: SECRET, challenge: true, pppd: 'lcp' });
    const lac = await endpoint();
    const tunnel = await lac.ep.connect(xl2tpdAt(x), lacOptions);
    const session = await tunnel.openSession();
    await x.waitForLog(/pppd-standin: lcp pid \d+/); // the pty is open: frames are not lost

    const frames: Uint8Array[] = [];
    const waiters: { match: (f: Uint8Array) => boolean; resolve: (f: Uint8Array) => void }[] = [];
    session.on('frame', (f) => {
      const copy = f.slice(); // a view into the datagram
      frames.push(copy);
      for (const w of waiters.splice(0)) {
        if (w.match(copy)) w.resolve(copy);
        else waiters.push(w);
      }
    });
    const frame = (match: (f: Uint8Array) => boolean) =>
      new Promise<Uint8Array>((resolve, reject) => {
        const seen = frames.find(match);
        if (seen !== undefined) return resolve(seen);
        const timer = setTimeout(() => reject(new Error('no such frame')), 10_000);
        waiters.push({
          match,
          resolve: (f) => {
            clearTimeout(timer);
            resolve(f);
          },
        });
      });

    // LCP Configure-Request (RFC 1661 §5.1) → the stand-in's Configure-Ack with the same id,
    // then its own Configure-Request (id 0x42).
    const sentAt = performance.now();
    session.send(lcp(1, 0x07));
    expect(await frame((f) => f[2] === 2)).toEqual(lcp(2, 0x07).subarray(2));
    await annotate(
      `LCP Configure-Request → Configure-Ack round trip ${ms(performance.now() - sentAt)}`,
    );
    expect(await frame((f) => f[2] === 1)).toEqual(lcp(1, 0x42).subarray(2));
    await x.waitForLog(/pppd-standin: rx LCP Configure-Request id=7 len=4/);
    // Echo-Request with magic 01020304 and data → Echo-Reply with magic 0 and the same data.
    session.send(lcp(9, 0x08, 1, 2, 3, 4, 0xab, 0xcd));
    expect(await frame((f) => f[2] === 10)).toEqual(
      lcp(10, 0x08, 0, 0, 0, 0, 0xab, 0xcd).subarray(2),
    );
    await x.waitForLog(/pppd-standin: rx LCP Echo-Request id=8 len=10/);
    expect(tunnel.stats()).toMatchObject({ framesSent: 2, framesReceived: 3, framesDropped: 0 });

    // Our CDN (Result 3), then StopCCN: xl2tpd stops its pppd and closes.
    const mark = x.mark();
    const down = next<DownReason>(session, 'down');
    session.close();
    expect(await down).toMatchObject({ by: 'local', resultCode: 3 });
    await x.waitForLog(/peer closing for reason 3 /, { from: mark });
    await x.waitForLog(/Terminating pppd: sending TERM signal/, { from: mark });
    await tunnel.close();
    await x.waitForLog(CLOSED, { from: mark });
  });

  it('xl2tpd LAC → our LNS: challenges both ways, its ICRQ → our session, frames, its StopCCN', async ({
    annotate,
  }) => {
    const lns = await endpoint(lnsOptions);
    const x = await startXl2tpd({
      role: 'lac',
      lnsPort: lns.port,
      secret: SECRET,
      challenge: true,
      pppd: 'lcp',
    });
    const accepted = accept(lns.ep);
    const dialled = performance.now();
    expect(await x.connect()).toBe('00 OK');
    const { tunnel, seen, sessionUp } = await accepted;
    const info = tunnel.isUp
      ? (tunnel.info as NonNullable<Tunnel['info']>)
      : await tunnel.connect();
    expect(info).toMatchObject({
      peerAuthenticated: true,
      initiator: false,
      peerHostName: 'xl2tpd-lac.test',
      peerVendorName: 'xelerance.com',
    });
    await x.waitForLog(/Connection established to 127\.0\.0\.1/);

    // xl2tpd places the incoming call of `c peer`: ICRQ → our ICRP → its ICCN.
    const session = await sessionUp;
    await annotate(`'c peer' → our session up ${ms(performance.now() - dialled)}`);
    expect(session.isUp).toBe(true);
    expect(session.peerId).toBeGreaterThan(0);
    await x.waitForLog(callEstablished(session));
    await x.waitForLog(/pppd-standin: lcp pid \d+/);

    // PPP through our LNS session: Configure-Request → Configure-Ack from xl2tpd's side.
    const ack = new Promise<Uint8Array>((resolve) => {
      session.on('frame', (f) => {
        if (f[2] === 2) resolve(f.slice());
      });
    });
    session.send(lcp(1, 0x21));
    expect(await ack).toEqual(lcp(2, 0x21).subarray(2));

    // `d peer`: StopCCN Result 1 "Goodbye!"; the session goes down first, by the peer.
    const down = next<DownReason>(tunnel, 'down');
    expect(await x.disconnect()).toBe('00 OK');
    expect(await down).toMatchObject({ by: 'peer', resultCode: 1, message: 'Goodbye!' });
    expect(seen.sessionsDown).toEqual([expect.objectContaining({ by: 'peer' })]);
    expect(session.isUp).toBe(false);
    await x.waitForLog(/Connection \d+ closed to 127\.0\.0\.1, port \d+ \(Goodbye!\)/);
    // The post-close hold (RFC 2661 §5.7) ends and the endpoint forgets the tunnel.
    if (!tunnel.closed) await next<void>(tunnel, 'close');
    expect(lns.ep.tunnels.size).toBe(0);
    expect(tunnel.stats()).toMatchObject({ protocolErrors: 0, datagramsDropped: 0 });
  });

  it('wrong secret, our LAC authenticating: we refuse xl2tpd with StopCCN Result 4, connect() rejects', async () => {
    const x = await startXl2tpd({ role: 'lns', secret: 'not-our-secret', challenge: true });
    const lac = await endpoint();
    const err = await lac.ep.connect(xl2tpdAt(x), lacOptions).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TunnelDownError);
    // xl2tpd's SCCRP carries a Challenge Response made with its secret, not ours.
    expect((err as TunnelDownError).reason).toMatchObject({
      by: 'error',
      resultCode: 4,
      message: 'wrong Challenge Response',
    });
    await x.waitForLog(/peer closing for reason 4 .*wrong Challenge Response/);
    await x.waitForLog(/Connection closed to 127\.0\.0\.1, port \d+ \(wrong Challenge Response\)/);
  });

  it('wrong secret, our LAC not authenticating: xl2tpd refuses our SCCCN with StopCCN 2/6', async () => {
    const x = await startXl2tpd({ role: 'lns', secret: 'not-our-secret', challenge: true });
    const lac = await endpoint();
    const tunnel = lac.ep.tunnel(xl2tpdAt(x), { ...lacOptions, authenticatePeer: false });
    const down = next<DownReason>(tunnel, 'down');
    // RFC 2661 §7.2.1: after sending SCCCN the initiator is established, so connect() resolves;
    // xl2tpd's refusal of our Challenge Response arrives as a StopCCN right after.
    const info = await tunnel.connect();
    expect(info.peerAuthenticated).toBe(false);
    // Pinned: xl2tpd 1.3.18 answers with Result 2 (general error) + Error 6 (vendor specific),
    // not RFC 2661's Result 4.
    expect(await down).toMatchObject({ by: 'peer', resultCode: 2, errorCode: 6 });
    await x.waitForLog(/Invalid authentication for host 'l2tp-core-lac\.test'/);
    await x.waitForLog(/closed to 127\.0\.0\.1.*\(Invalid challenge authentication\)/);
    // A later connect() rejects with the codes.
    const err = await tunnel.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TunnelDownError);
    expect((err as TunnelDownError).reason).toMatchObject({ resultCode: 2, errorCode: 6 });
  });

  it('wrong secret, xl2tpd LAC not challenging: our LNS refuses its SCCCN with StopCCN Result 4', async () => {
    const lns = await endpoint(lnsOptions);
    const x = await startXl2tpd({
      role: 'lac',
      lnsPort: lns.port,
      secret: 'not-our-secret',
      challenge: false,
    });
    const accepted = accept(lns.ep);
    expect(await x.connect()).toBe('00 OK');
    const { tunnel } = await accepted;
    const err = await tunnel.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TunnelDownError);
    expect((err as TunnelDownError).reason).toMatchObject({
      by: 'error',
      resultCode: 4,
      message: 'wrong Challenge Response',
    });
    expect(tunnel.info).toBeUndefined(); // never up
    // xl2tpd's LAC counted the tunnel as established once it had sent SCCCN.
    await x.waitForLog(/Connection established to 127\.0\.0\.1/);
    await x.waitForLog(/peer closing for reason 4 .*wrong Challenge Response/);
    await x.waitForLog(/Connection closed to 127\.0\.0\.1, port \d+ \(wrong Challenge Response\)/);
  });

  it('wrong secret, xl2tpd LAC challenging: it refuses our SCCRP with StopCCN 2/6', async () => {
    const lns = await endpoint(lnsOptions);
    const x = await startXl2tpd({
      role: 'lac',
      lnsPort: lns.port,
      secret: 'not-our-secret',
      challenge: true,
    });
    const accepted = accept(lns.ep);
    expect(await x.connect()).toBe('00 OK');
    const { tunnel } = await accepted;
    const err = await tunnel.connect().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TunnelDownError);
    expect((err as TunnelDownError).reason).toMatchObject({
      by: 'peer',
      resultCode: 2,
      errorCode: 6,
    });
    expect(tunnel.info).toBeUndefined();
    await x.waitForLog(/Invalid authentication for host 'l2tp-core-lns\.test'/);
    await x.waitForLog(/closed to 127\.0\.0\.1.*\(Invalid challenge authentication\)/);
  });

  it('hidden AVPs from our LAC (after our Challenge): xl2tpd unhides them, session up', async () => {
    const x = await startXl2tpd({ role: 'lns', secret: SECRET, challenge: true, pppd: 'hold' });
    const sent: Uint8Array[] = [];
    const lac = await endpoint(undefined, sent);
    // Only fields of messages after the SCCRQ: xl2tpd looks the secret up when it sees our
    // Challenge, so an AVP hidden in the SCCRQ itself (Assigned Tunnel ID, Host Name) is not
    // readable to it (docs/interop.md).
    const tunnel = await lac.ep.connect(xl2tpdAt(x), {
      ...lacOptions,
      hiddenFields: ['assignedSessionId', 'callSerialNumber', 'txConnectSpeed', 'framingType'],
      session: { connectSpeedBps: 12_345_678 },
    });
    const session = await tunnel.openSession();
    // On the wire: nothing hidden in the SCCRQ; the ICRQ and ICCN carry the chosen AVPs hidden
    // (H bit), after a Random Vector (RFC 2661 §4.3).
    const hiddenOf = (type: number) => {
      const m = sent
        .filter((d) => ((d[0] as number) & 0x80) !== 0)
        .map((d) => decodeControl(d).avps)
        .find(
          (avps) => avps[0]?.attributeType === AvpType.MessageType && avps[0].value[1] === type,
        );
      expect(m, `message type ${type} sent`).toBeDefined();
      const avps = m ?? [];
      const hidden = avps.filter((a) => a.hidden).map((a) => a.attributeType);
      if (hidden.length > 0) {
        const rv = avps.findIndex((a) => a.attributeType === AvpType.RandomVector);
        expect(rv).toBeGreaterThanOrEqual(0);
        expect(rv).toBeLessThan(avps.findIndex((a) => a.hidden));
      }
      return hidden.sort((a, b) => a - b);
    };
    expect(hiddenOf(MessageType.SCCRQ)).toEqual([]);
    expect(hiddenOf(MessageType.ICRQ)).toEqual([
      AvpType.AssignedSessionId,
      AvpType.CallSerialNumber,
    ]);
    expect(hiddenOf(MessageType.ICCN)).toEqual([AvpType.FramingType, AvpType.TxConnectSpeed]);

    // ICRP came back to our Assigned Session ID, and xl2tpd logs the unhidden values.
    await x.waitForLog(callEstablished(session));
    await x.waitForLog(new RegExp(`using peer's call ${session.id}\\b`));
    await x.waitForLog(/serial number is \d+/);
    await x.waitForLog(/transmit baud rate is 12345678/);
    await x.waitForLog(/frame_type_avp: peer uses:sync frames/);
    await x.waitForLog(/pppd-standin: hold/);

    const mark = x.mark();
    const down = next<DownReason>(session, 'down');
    session.close(); // CDN with the hidden Assigned Session ID
    expect(await down).toMatchObject({ by: 'local', resultCode: 3 });
    await x.waitForLog(/peer closing for reason 3 /, { from: mark });
    await tunnel.close();
    await x.waitForLog(CLOSED, { from: mark });
    expect(tunnel.stats()).toMatchObject({ protocolErrors: 0, datagramsDropped: 0 });
  });
});
