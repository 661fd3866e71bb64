/**
 * StaticSession.receiveOne, the per-datagram path StaticTunnelHost takes (and `receive` tries
 * first): it parses the session's fixed header layout itself, so it is checked here against the
 * codec (decodeDataV3) on valid and damaged packets, and for falling back (null, nothing
 * changed) whenever the general path has something to sort out.
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decodeDataV3 } from '../../src/codec/header.js';
import { StaticSession, type StaticSessionConfig } from '../../src/static.js';

const ETH = [2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00];

interface Pair {
  readonly tx: StaticSession;
  readonly rx: StaticSession;
  readonly config: StaticSessionConfig;
}

function pair(overrides: Partial<StaticSessionConfig>, cookie?: Uint8Array): Pair {
  const config: StaticSessionConfig = {
    tunnel_id: 2,
    peer_tunnel_id: 1,
    session_id: 0x80000002,
    peer_session_id: 0x80000001,
    ...(cookie === undefined ? {} : { peer_cookie: cookie }),
    ...overrides,
  };
  const tx = new StaticSession({
    tunnel_id: 1,
    peer_tunnel_id: 2,
    session_id: 0x80000001,
    peer_session_id: 0x80000002,
    ...(cookie === undefined ? {} : { cookie }),
    ...overrides,
  });
  return { tx, rx: new StaticSession(config), config };
}

function packet(tx: StaticSession, frame: Uint8Array): Uint8Array {
  const sent = tx.send(frame, 0);
  if (sent === undefined) throw new Error('refused');
  return Uint8Array.from([...sent[0], ...sent[1]]);
}

/** The codec's reading of a packet for this session, or undefined where receive must refuse it. */
function oracle(bytes: Uint8Array, rx: StaticSession, config: StaticSessionConfig) {
  const cookie = (config.peer_cookie as Uint8Array | undefined) ?? new Uint8Array(0);
  try {
    const msg = decodeDataV3(bytes, {
      version: 3,
      encap: rx.encap,
      cookieLength: cookie.length as 0 | 4 | 8,
      sublayer: rx.l2specType,
    });
    if (msg.sessionId !== rx.sessionId) return undefined;
    const got = bytes.subarray(msg.cookieOffset, msg.cookieOffset + msg.cookieLength);
    if (got.join() !== cookie.join()) return undefined;
    return msg;
  } catch {
    return undefined;
  }
}

const configs = fc.record({
  encap: fc.constantFrom('udp' as const, 'ip' as const),
  l2spec_type: fc.constantFrom('none' as const, 'default' as const),
  seq: fc.constantFrom('none' as const, 'send' as const, 'recv' as const, 'both' as const),
  cookieLength: fc.constantFrom(0, 4, 8),
});

describe('StaticSession.receiveOne', () => {
  test('agrees with the codec on valid and damaged packets; falls back without side effects', () => {
    fc.assert(
      fc.property(
        configs,
        fc.array(
          fc.record({
            body: fc.integer({ min: -14, max: 30 }), // < 0: a runt the framer refuses
            damage: fc.option(fc.tuple(fc.nat(40), fc.integer({ min: 1, max: 255 })), {
              freq: 2,
            }),
            cut: fc.option(fc.nat(40), { freq: 4 }),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        ({ cookieLength, ...rest }, packets) => {
          const seq = rest.l2spec_type === 'none' ? 'none' : rest.seq;
          const cookie =
            cookieLength === 0
              ? undefined
              : Uint8Array.from({ length: cookieLength }, (_, i) => 0x10 + i);
          const { tx, rx, config } = pair({ ...rest, seq }, cookie);
          for (const { body, damage, cut } of packets) {
            const frame = Uint8Array.from([...ETH, ...new Array(Math.max(0, body)).fill(0x5a)]);
            let bytes = packet(tx, frame);
            if (body < 0) bytes = bytes.subarray(0, bytes.length + body); // tx refuses runts
            if (damage !== null) {
              const [at, xor] = damage;
              bytes[at % bytes.length] = (bytes[at % bytes.length] as number) ^ xor;
            }
            if (cut !== null) bytes = bytes.subarray(0, Math.min(cut, bytes.length));
            const before = rx.stats();
            const expected = oracle(bytes, rx, config);
            const got = rx.receiveOne(bytes);
            if (expected === undefined) {
              expect(got).toBeNull();
              expect(rx.stats()).toEqual(before);
            }
            if (got === null) {
              rx.receive(bytes, 0); // the general path keeps the session in step
              continue;
            }
            expect(expected).toBeDefined();
            if (rx.recvSeq) expect(expected?.ns).toBeDefined(); // RECVSEQ drops are receive's
            const after = rx.stats();
            expect(after.rxPackets + after.rxErrors).toBeGreaterThan(
              before.rxPackets + before.rxErrors,
            );
            if (got === undefined) {
              expect(expected?.payload.length).toBeLessThan(14); // only runts are dropped here
            } else {
              expect([...got]).toEqual([...(expected?.payload ?? [])]);
              expect(got.buffer).toBe(bytes.buffer); // a view, not a copy
              expect(after.rxBytes).toBe(before.rxBytes + got.length);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  test('takes the common case: in order, unsequenced, and frames the framer drops', () => {
    const { tx, rx } = pair({ seq: 'both' }, new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]));
    const frame = Uint8Array.from([...ETH, 1, 2, 3]);
    const p0 = packet(tx, frame);
    const p1 = packet(tx, frame);
    // A fresh session without initialNr resyncs on its first sequenced packet: receive does that.
    expect(rx.receiveOne(p0)).toBeNull();
    expect(rx.receive(p0, 0)).toHaveLength(1);
    const got = rx.receiveOne(p1);
    expect(got?.byteOffset).toBe(20);
    expect(got?.length).toBe(frame.length);
    const runt = packet(tx, frame).subarray(0, 20 + 13); // 13 octets: no Ethernet header
    expect(rx.receiveOne(runt)).toBeUndefined();
    expect(rx.stats()).toMatchObject({ rxPackets: 2, rxErrors: 1, rxBytes: 2 * 17 });
  });

  test.each<[string, Partial<StaticSessionConfig>]>([
    ['peer_offset', { peer_offset: 2 }],
    ['the ATM sublayer', { pw_type: 'atm-aal5' }],
  ])('sessions with %s always take the general path', (_, overrides) => {
    const { tx, rx } = pair(overrides);
    const bytes = packet(tx, new Uint8Array(52));
    expect(rx.receiveOne(bytes)).toBeNull();
    expect(rx.stats().rxPackets).toBe(0);
  });

  test('declines what receive must count: wrong cookie, gap, RECVSEQ without Ns', () => {
    const cookie = new Uint8Array([1, 2, 3, 4]);
    const { tx, rx } = pair({ seq: 'both', reorderTimeoutMs: 100 }, cookie);
    const frame = Uint8Array.from(ETH);
    const packets = [0, 1, 2].map(() => packet(tx, frame));
    expect(rx.receive(packets[0] as Uint8Array, 0)).toHaveLength(1);
    expect(rx.receiveOne(packets[2] as Uint8Array)).toBeNull(); // a gap: held by receive
    expect(rx.receive(packets[2] as Uint8Array, 0)).toHaveLength(0);
    expect(rx.receiveOne(packets[1] as Uint8Array)).toBeNull(); // fills it: receive releases two
    expect(rx.receive(packets[1] as Uint8Array, 0)).toHaveLength(2);
    const bad = packet(tx, frame);
    bad[8] = (bad[8] as number) ^ 1;
    expect(rx.receiveOne(bad)).toBeNull();
    const unsequenced = packet(pair({ seq: 'none' }, cookie).tx, frame);
    expect(rx.receiveOne(unsequenced)).toBeNull(); // RECVSEQ: receive drops and counts it
    expect(rx.stats()).toMatchObject({ rxPackets: 3, rxCookieDiscards: 0, rxSeqDiscards: 0 });
  });
});
