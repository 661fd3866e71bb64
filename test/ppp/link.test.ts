// src/ppp/link.ts: the phases of RFC 1661 §3 over LCP, a stand-in authentication phase and the
// NCPs; what is accepted, discarded or Protocol-Rejected in each phase (§3.4–§3.7, §5.7); data
// frames once IPCP is Opened; closing and the lower layer going away.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { decodeControl, decodeFrame, encodeControl, encodeFrame } from '../../src/ppp/frame.js';
import {
  type AuthPhase,
  type AuthPhaseOutput,
  type AuthStart,
  PppLink,
  type PppLinkOptions,
} from '../../src/ppp/link.js';
import { hex } from '../helpers/hex.js';
import { linkStation, seededBytes, Wire } from './helpers.js';

const PAP = 0xc023;

/**
 * A PAP-shaped stand-in: the authenticated side sends Code 1 at start; the authenticator answers
 * 2 (success) or 3 (failure), or defers to the host (`notify`).
 */
class FakeAuth implements AuthPhase {
  readonly protocols = [PAP];
  started: AuthStart | undefined;
  stopped = 0;
  readonly mode: 'ok' | 'fail' | 'defer';

  constructor(mode: 'ok' | 'fail' | 'defer' = 'ok') {
    this.mode = mode;
  }

  start(_now: number, params: AuthStart): AuthPhaseOutput[] {
    this.started = params;
    if (params.authenticateSelf === undefined) return [];
    return [
      { type: 'transmit', protocol: PAP, packet: encodeControl(1, 1, hex`05 61 6c 69 63 65 00`) },
    ];
  }

  handle(_protocol: number, packet: Uint8Array): AuthPhaseOutput[] {
    let p: ReturnType<typeof decodeControl>;
    try {
      p = decodeControl(packet);
    } catch {
      return [];
    }
    if (p.code === 1) {
      if (this.mode === 'defer') return [{ type: 'notify', detail: { token: 7, id: p.id } }];
      const ok = this.mode === 'ok';
      return [
        { type: 'transmit', protocol: PAP, packet: encodeControl(ok ? 2 : 3, p.id, hex`00`) },
        ok ? { type: 'success', peerName: 'alice' } : { type: 'failure', message: 'bad password' },
      ];
    }
    if (p.code === 2) return [{ type: 'success' }];
    if (p.code === 3) return [{ type: 'failure', message: 'refused', by: 'peer' }];
    return [];
  }

  handleTimeout(): AuthPhaseOutput[] {
    return [];
  }

  nextDeadline(): number | undefined {
    return undefined;
  }

  stop(): void {
    this.stopped++;
  }
}

const SERVER: Omit<PppLinkOptions, 'randomBytes'> = {
  ipcp: { localAddress: '10.0.0.1', peerAddress: '10.0.0.2', dns: ['10.0.0.53'] },
};
const CLIENT: Omit<PppLinkOptions, 'randomBytes'> = { ipcp: { requestDns: true } };

function linkPair(a: Omit<PppLinkOptions, 'randomBytes'>, b: Omit<PppLinkOptions, 'randomBytes'>) {
  const A = new PppLink({ randomBytes: seededBytes(11), ...a });
  const B = new PppLink({ randomBytes: seededBytes(12), ...b });
  const w = new Wire([linkStation(A), linkStation(B)]);
  w.deliver(0, A.open(0));
  w.deliver(1, B.open(0));
  w.pump();
  return { A, B, w };
}

describe('phases (RFC 1661 §3)', () => {
  test('no authentication: Establish → Network, LCP then IPCP up, addresses assigned', () => {
    const { A, B, w } = linkPair(SERVER, CLIENT);
    expect([A.phase, B.phase]).toEqual(['network', 'network']);
    expect(w.events(1, 'phase').map((e) => (e.type === 'phase' ? e.phase : ''))).toEqual([
      'establish',
      'network',
    ]);
    expect(w.events(1, 'up').map((e) => (e.type === 'up' ? e.protocol : ''))).toEqual([
      'lcp',
      'ipcp',
    ]);
    expect(B.ipcp?.values).toMatchObject({ localAddress: '10.0.0.2', primaryDns: '10.0.0.53' });
  });

  test('data: IPv4 packets both ways once IPCP is Opened, PFC as negotiated', () => {
    const { A, B, w } = linkPair(SERVER, { ...CLIENT, lcp: { pfc: true } });
    const packet = hex`45 00 00 14 00 00 00 00 40 01 00 00 0a 00 00 02 0a 00 00 01`;
    const fromA = A.encapsulate(0x21, packet);
    expect(fromA.length).toBe(1 + packet.length); // B asked for PFC: A may compress
    const fromB = B.encapsulate(0x21, packet);
    expect(Array.from(fromB.subarray(0, 2))).toEqual([0x00, 0x21]);
    w.deliver(0, [{ type: 'transmit', protocol: 0x21, frame: fromA }]);
    w.deliver(1, [{ type: 'transmit', protocol: 0x21, frame: fromB }]);
    w.pump();
    expect(w.logs[1].data).toEqual([{ protocol: 0x21, data: packet }]);
    expect(w.logs[0].data).toEqual([{ protocol: 0x21, data: packet }]);
    expect(() => A.encapsulate(0x57, packet)).toThrow(UsageError);
    expect(() => A.encapsulate(0x8021, packet)).toThrow(UsageError);
  });

  test('with authentication: Establish → Authenticate → Network, both directions told', () => {
    const sa = new FakeAuth();
    const ca = new FakeAuth();
    const { A, B, w } = linkPair(
      { ...SERVER, lcp: { authenticate: ['pap'] }, auth: sa },
      { ...CLIENT, lcp: { authSupported: ['pap'] }, auth: ca },
    );
    expect(sa.started).toMatchObject({ authenticatePeer: 'pap', authenticateSelf: undefined });
    expect(ca.started).toMatchObject({ authenticatePeer: undefined, authenticateSelf: 'pap' });
    expect(sa.started?.lcp.mtu).toBe(1500);
    expect(w.events(0, 'phase').map((e) => (e.type === 'phase' ? e.phase : ''))).toEqual([
      'establish',
      'authenticate',
      'network',
    ]);
    expect(w.events(0, 'auth')).toEqual([{ type: 'auth', ok: true, peerName: 'alice' }]);
    expect([A.ipcp?.state, B.ipcp?.state]).toEqual(['opened', 'opened']);
  });

  test('authentication failure: LCP closes with auth-failed, the link ends', () => {
    const { A, B, w } = linkPair(
      { ...SERVER, lcp: { authenticate: ['pap'] }, auth: new FakeAuth('fail') },
      { ...CLIENT, lcp: { authSupported: ['pap'] }, auth: new FakeAuth() },
    );
    w.run(30_000);
    expect(w.events(0, 'finished')).toMatchObject([
      { protocol: 'lcp', reason: { by: 'local', code: 'auth-failed', message: 'bad password' } },
    ]);
    expect(w.events(1, 'auth')).toMatchObject([{ ok: false, message: 'refused' }]);
    expect([A.phase, B.phase]).toEqual(['dead', 'dead']);
    expect(A.ipcp?.state).not.toBe('opened');
  });

  test('a deferred decision comes back through handleAuthOutputs', () => {
    const sa = new FakeAuth('defer');
    const { A, w } = linkPair(
      { ...SERVER, lcp: { authenticate: ['pap'] }, auth: sa },
      { ...CLIENT, lcp: { authSupported: ['pap'] }, auth: new FakeAuth() },
    );
    expect(A.phase).toBe('authenticate');
    expect(w.events(0, 'auth-notify')).toEqual([
      { type: 'auth-notify', detail: { token: 7, id: 1 } },
    ]);
    w.deliver(
      0,
      A.handleAuthOutputs(
        [
          { type: 'transmit', protocol: PAP, packet: encodeControl(2, 1, hex`00`) },
          { type: 'success' },
        ],
        5,
      ),
    );
    w.pump();
    expect(A.phase).toBe('network');
    expect(A.ipcp?.state).toBe('opened');
  });

  test('an auth requirement without an AuthPhase is a usage error', () => {
    expect(
      () => new PppLink({ randomBytes: seededBytes(1), lcp: { authenticate: ['pap'] } }),
    ).toThrow(UsageError);
  });
});

describe('what each phase accepts (§3.4–§3.7, §5.7)', () => {
  const ipcpReq = encodeFrame(0x8021, encodeControl(1, 1, hex`03 06 00 00 00 00`), {
    addressControl: true,
    acfc: false,
    pfc: false,
    mtu: 1500,
  });

  test('before LCP is Opened: anything but LCP is discarded', () => {
    const A = new PppLink({ randomBytes: seededBytes(1) });
    A.open(0);
    expect(A.handleFrame(ipcpReq, 1)).toEqual([]);
    expect(A.handleFrame(hex`00 21 45`, 1)).toEqual([]);
    expect(A.handleFrame(hex`ff`, 1)).toEqual([]);
    expect(A.discarded).toBe(3);
  });

  test('authenticating: NCP and unknown packets discarded, not rejected', () => {
    const { A } = linkPair(
      { ...SERVER, lcp: { authenticate: ['pap'] }, auth: new FakeAuth('defer') },
      { ...CLIENT, lcp: { authSupported: ['pap'] }, auth: new FakeAuth() },
    );
    expect(A.phase).toBe('authenticate');
    const before = A.discarded;
    expect(A.handleFrame(ipcpReq, 1)).toEqual([]);
    expect(A.handleFrame(hex`80 fd 01 01 00 04`, 1)).toEqual([]);
    expect(A.discarded - before).toBe(2);
  });

  test('network phase: an unknown protocol is Protocol-Rejected; a disabled NCP too', () => {
    const { A } = linkPair({ ...SERVER, ipv6cp: false }, CLIENT);
    const [o] = A.handleFrame(hex`80 fd 01 01 00 04`, 1);
    expect(o?.type).toBe('transmit');
    const p = decodeControl(decodeFrame(o?.type === 'transmit' ? o.frame : hex``).information);
    expect([p.code, Array.from(p.data)]).toEqual([8, [0x80, 0xfd, 1, 1, 0, 4]]);
    const [r] = A.handleFrame(hex`80 57 01 01 00 04`, 1);
    expect(r?.type === 'transmit' && decodeFrame(r.frame).information[0]).toBe(8);
  });

  test('IPv4 before IPCP is Opened is discarded', () => {
    const { A, B } = linkPair(SERVER, CLIENT);
    B.lowerDown(1);
    expect(B.handleFrame(A.encapsulate(0x21, hex`45`), 2)).toEqual([]);
  });

  test('a Protocol-Reject of IPCP stops it; with no NCP left LCP closes (no-network)', () => {
    const { A, B, w } = linkPair(SERVER, CLIENT);
    const pr = encodeFrame(0xc021, encodeControl(8, 9, hex`80 21 01 01 00 04`), A.framing);
    w.deliver(0, A.handleFrame(pr, 5));
    w.run(60_000);
    expect(
      w.events(0, 'finished').map((e) => (e.type === 'finished' ? e.reason.code : '')),
    ).toEqual(['protocol-rejected', 'no-network']);
    expect(A.phase).toBe('dead');
    expect(['stopped', 'closed']).toContain(B.lcp.state);
  });
});

describe('ending', () => {
  test('close(): Terminate phase, then Dead on both ends; NCPs down with LCP', () => {
    const { A, B, w } = linkPair(SERVER, CLIENT);
    w.deliver(0, A.close(100, 'admin'));
    expect(A.phase).toBe('terminate');
    w.run(30_000);
    expect([A.phase, B.phase]).toEqual(['dead', 'dead']);
    expect(w.events(0, 'down').map((e) => (e.type === 'down' ? e.protocol : ''))).toEqual([
      'lcp',
      'ipcp',
    ]);
    expect(w.events(1, 'down')).toMatchObject([
      { protocol: 'lcp', reason: { code: 'peer-terminate', message: 'admin' } },
      { protocol: 'ipcp', reason: { code: 'lower-down' } },
    ]);
    expect(A.nextDeadline()).toBeUndefined();
  });

  test('lowerDown: LCP and NCPs go down, back to Establish; lowerUp renegotiates', () => {
    const { A, B, w } = linkPair(SERVER, CLIENT);
    w.deliver(0, A.lowerDown(10));
    expect(A.phase).toBe('establish');
    expect(A.lcp.state).toBe('starting');
    expect(A.ipcp?.state).toBe('starting');
    w.deliver(0, A.lowerUp(20));
    w.run(60_000);
    expect([A.ipcp?.state, B.ipcp?.state]).toEqual(['opened', 'opened']);
  });

  test('IPv6CP alongside IPCP: both up, IPv6 packets flow', () => {
    const { A, B, w } = linkPair({ ...SERVER, ipv6cp: {} }, { ...CLIENT, ipv6cp: {} });
    expect([A.ipv6cp?.state, B.ipv6cp?.state]).toEqual(['opened', 'opened']);
    w.deliver(0, [{ type: 'transmit', protocol: 0x57, frame: A.encapsulate(0x57, hex`60 00`) }]);
    w.pump();
    expect(w.logs[1].data).toEqual([{ protocol: 0x57, data: hex`60 00` }]);
  });
});

describe('robustness: arbitrary frames never make an engine throw', () => {
  const protocols = [0xc021, 0x8021, 0x8057, 0xc023, 0x0021, 0x0057, 0x80fd, 0x0001];
  const frameArb = fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    // Well-formed headers with arbitrary codes, identifiers and option soup.
    fc
      .record({
        protocol: fc.constantFrom(...protocols),
        ac: fc.boolean(),
        code: fc.integer({ min: 0, max: 16 }),
        id: fc.integer({ min: 0, max: 255 }),
        data: fc.uint8Array({ maxLength: 40 }),
        lengthDelta: fc.integer({ min: -6, max: 3 }),
      })
      .map(({ protocol, ac, code, id, data, lengthDelta }) => {
        const info = encodeControl(code, id, data);
        const len = Math.max(0, info.length + lengthDelta);
        info[2] = len >>> 8;
        info[3] = len & 0xff;
        return encodeFrame(protocol, info, {
          addressControl: ac,
          acfc: false,
          pfc: false,
          mtu: 1500,
        });
      }),
  );

  test('in every phase, with or without authentication', () => {
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 12 }), fc.boolean(), (frames, auth) => {
        const { A, B, w } = auth
          ? linkPair(
              {
                ...SERVER,
                ipv6cp: {},
                lcp: { authenticate: ['pap'] },
                auth: new FakeAuth('defer'),
              },
              { ...CLIENT, ipv6cp: {}, lcp: { authSupported: ['pap'] }, auth: new FakeAuth() },
            )
          : linkPair({ ...SERVER, ipv6cp: {} }, { ...CLIENT, ipv6cp: {} });
        const fresh = new PppLink({ randomBytes: seededBytes(3) });
        fresh.open(0);
        let now = 10;
        for (const f of frames) {
          for (const link of [A, B, fresh]) {
            link.handleFrame(f, now);
            link.handleTimeout(now + 4000);
          }
          now += 4000;
        }
        w.run(now + 60_000);
      }),
      { numRuns: 300 },
    );
  });
});
