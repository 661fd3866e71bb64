// Static ATM pseudowires (RFC 4454): per-frame ATM-Specific Sublayer flags on 'atm-aal5'
// sessions (golden bytes after Figure 3, with Ns in the same octet), flags kept through the
// reorder buffer (`atmFlagsOf`), admin cells (T = 1), misuse, StaticTunnelHost's send options and
// onFrame's third argument, sequencing on the ATM sublayer of a cell-mode session, and a
// property: any flags round trip.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { SUBLAYER_BITS } from '../../src/codec/header.js';
import { UsageError } from '../../src/errors.js';
import { encodeAtmSublayerFlags } from '../../src/pw/atm.js';
import {
  StaticSession,
  type StaticSessionConfig,
  type StaticSessionStats,
  StaticTunnelHost,
} from '../../src/static.js';
import type { DatagramHandler, DatagramTransport, PeerAddress } from '../../src/transport.js';
import { hex } from '../helpers/hex.js';

const { S, T, G, C, U, B, E } = SUBLAYER_BITS;
const A = { tunnel_id: 42, peer_tunnel_id: 45, session_id: 128, peer_session_id: 5196755 };
const Z = { tunnel_id: 45, peer_tunnel_id: 42, session_id: 5196755, peer_session_id: 128 };
const SDU = hex`aaaa03 000000 0800 45000014`; // RFC 2684 LLC/SNAP-routed IPv4, first octets

function pair(common: Partial<StaticSessionConfig>): [StaticSession, StaticSession] {
  return [new StaticSession({ ...A, ...common }), new StaticSession({ ...Z, ...common })];
}

function wire(packet: readonly [Uint8Array, Uint8Array] | undefined): Uint8Array {
  if (packet === undefined) throw new Error('send refused the frame');
  return Uint8Array.from([...packet[0], ...packet[1]]);
}

const cell = (fill: number) => new Uint8Array(52).fill(fill);

describe("StaticSession 'atm-aal5': per-frame ATM sublayer flags (RFC 4454 §4.1)", () => {
  test('golden (Figure 3): G and U without Ns, then with SENDSEQ beside S; the peer reads them back', () => {
    const [x, y] = pair({ pw_type: 'atm-aal5' });
    expect(x.l2specType).toBe('atm');
    const flags = encodeAtmSublayerFlags({ g: true, u: true });
    const p1 = wire(x.send(SDU, 0, { atmFlags: flags }));
    expect(p1).toEqual(
      hex`0003 0000      // T=0, Ver 3 (RFC 3931 §4.1.2.1)
          004f4bd3       // peer Session ID 5196755
          05 000000      // x S=0 x x T=0 G=1 C=0 U=1, Sequence Number 0
          ${Buffer.from(SDU).toString('hex')}`,
    );
    x.setSendSeq(true);
    const p2 = wire(x.send(SDU, 0, { atmFlags: C }));
    expect(p2.subarray(8, 12)).toEqual(hex`42 000000 // S=1 C=1, Ns 0`);
    const p3 = wire(x.send(SDU, 0));
    expect(p3.subarray(8, 12)).toEqual(hex`40 000001 // S=1, no flags, Ns 1`);
    const got = [p1, p2, p3].map((p) => y.receive(p, 0)[0] as Uint8Array);
    expect(got.map((f) => y.atmFlagsOf(f))).toEqual([G | U, C, 0]);
    expect(got.every((f) => f.length === SDU.length)).toBe(true);
    // A frame the session never delivered has no flags.
    expect(y.atmFlagsOf(SDU)).toBe(0);
  });

  test('flags stay with their frame through the reorder buffer', () => {
    const [x, y] = pair({ pw_type: 'atm-aal5', seq: 'both', reorderTimeoutMs: 100 });
    const p0 = wire(x.send(SDU, 0, { atmFlags: G }));
    const p1 = wire(x.send(SDU.subarray(0, 5), 0, { atmFlags: C | U }));
    const p2 = wire(x.send(SDU.subarray(0, 6), 0, { atmFlags: B }));
    expect(y.receive(p0, 0).map((f) => y.atmFlagsOf(f))).toEqual([G]);
    expect(y.receive(p2, 1)).toEqual([]); // held: Ns 1 missing
    const out = y.receive(p1, 2);
    expect(out.map((f) => [f.length, y.atmFlagsOf(f)])).toEqual([
      [5, C | U],
      [6, B],
    ]);
  });

  test('T = 1: exactly one 52-octet admin cell; others are refused (tx_errors) or rx_invalid', () => {
    const [x, y] = pair({ pw_type: 'atm-aal5' });
    const p = wire(x.send(cell(0x6a), 0, { atmFlags: T | G }));
    expect(p.subarray(8, 12)).toEqual(hex`0c 000000 // T=1 G=1`);
    expect(x.send(SDU, 0, { atmFlags: T })).toBeUndefined();
    expect(x.stats()).toMatchObject({ txPackets: 1, txErrors: 1 });
    const [f] = y.receive(p, 0);
    expect(f?.length).toBe(52);
    expect(y.atmFlagsOf(f as Uint8Array)).toBe(T | G);
    const bad = Uint8Array.from([...p.subarray(0, 12), ...SDU]);
    expect(y.receive(bad, 0)).toEqual([]);
    expect(y.stats()).toMatchObject({ rxPackets: 1, rxInvalid: 1 });
  });

  test('misuse is a UsageError: bits outside 0x3f, any flags on other pseudowires', () => {
    const [x] = pair({ pw_type: 'atm-aal5' });
    expect(() => x.send(SDU, 0, { atmFlags: S })).toThrow(/0x3f/);
    expect(() => x.send(SDU, 0, { atmFlags: -1 })).toThrow(UsageError);
    expect(x.send(SDU, 0, { atmFlags: B | E })?.[0][8]).toBe(B | E); // RFC 4623 marks: as given
    const eth = new StaticSession(A);
    expect(() => eth.send(new Uint8Array(60), 0, { atmFlags: G })).toThrow(/atm-aal5/);
    const vcc = new StaticSession({ ...A, pw_type: 'atm-cell-vcc', l2spec_type: 'atm' });
    expect(() => vcc.send(cell(1), 0, { atmFlags: C })).toThrow(UsageError);
    expect(vcc.send(cell(1), 0, { atmFlags: 0 })).toBeDefined();
    expect(x.stats().txErrors).toBe(0); // refused arguments are not tx_errors
  });

  test('property: any flags (a cell when T = 1) round trip, sequenced or not', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0x3f }),
        fc.uint8Array({ maxLength: 200 }),
        fc.boolean(),
        (flags, sdu, seq) => {
          const [x, y] = pair({ pw_type: 'atm-aal5', seq: seq ? 'both' : 'none' });
          const frame = (flags & T) === 0 ? sdu : cell(sdu[0] ?? 0);
          const p = wire(x.send(frame, 0, { atmFlags: flags }));
          expect((p[8] as number) & 0x3f).toBe(flags);
          expect(((p[8] as number) & S) !== 0).toBe(seq);
          const out = y.receive(p, 0);
          expect(out).toEqual([frame]);
          expect(y.atmFlagsOf(out[0] as Uint8Array)).toBe(flags);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('ATM cell mode with the ATM sublayer: sequencing as on the Default one (RFC 4454 §4.2)', () => {
  test('Ns in the ATM sublayer: S bit and 24-bit number; late cells dropped', () => {
    const [x, y] = pair({ pw_type: 'atm-cell-vcc', l2spec_type: 'atm', seq: 'both' });
    const p0 = wire(x.send(cell(1), 0));
    const p1 = wire(x.send(cell(2), 0));
    expect(p0.subarray(8, 12)).toEqual(hex`40 000000`);
    expect(p1.subarray(8, 12)).toEqual(hex`40 000001`);
    expect(y.receive(p1, 0)).toEqual([cell(2)]);
    expect(y.receive(p0, 0)).toEqual([]); // reorder timeout 0: late Ns dropped
    // Counted as the Default sublayer's late frames are (test/static.test.ts): an rx error.
    const stats: Partial<StaticSessionStats> = { rxPackets: 1, rxErrors: 1 };
    expect(y.stats()).toMatchObject(stats);
    // Reserved x bits of the cell-mode sublayer are ignored on receive (no flags reported).
    const p2 = wire(x.send(cell(3), 0));
    p2[8] = (p2[8] as number) | G;
    const [f] = y.receive(p2, 0);
    expect(f).toEqual(cell(3));
    expect(y.atmFlagsOf(f as Uint8Array)).toBe(0);
  });
});

class MemoryTransport implements DatagramTransport {
  readonly sent: (readonly Uint8Array[])[] = [];
  handler: DatagramHandler | undefined;
  send(data: unknown): void {
    this.sent.push(data as readonly Uint8Array[]);
  }
  onDatagram(handler: DatagramHandler): () => void {
    this.handler = handler;
    return () => {
      this.handler = undefined;
    };
  }
  close(): void {}
  inject(bytes: Uint8Array, from: PeerAddress): void {
    this.handler?.(bytes, from);
  }
}

describe('StaticTunnelHost with ATM sessions', () => {
  test('send passes atmFlags; onFrame gets them as a third argument on atm-aal5 sessions only', () => {
    const remote = { address: '192.0.2.2', port: 5001 };
    const transport = new MemoryTransport();
    const calls: unknown[][] = [];
    const h = new StaticTunnelHost({
      tunnel: { tunnel_id: 42, peer_tunnel_id: 45, remote: remote.address, udp_dport: 5001 },
      transport,
      clock: { now: () => 0 },
      onFrame: (...args) => calls.push(args),
    });
    const aal5 = h.addSession({ session_id: 1, peer_session_id: 11, pw_type: 'atm-aal5' });
    const eth = h.addSession({ session_id: 2, peer_session_id: 12 });
    h.send(aal5, SDU, { atmFlags: G | C });
    expect(wire(transport.sent[0] as [Uint8Array, Uint8Array]).subarray(8, 12)).toEqual(
      hex`06 000000`,
    );
    expect(() => h.send(eth, new Uint8Array(60), { atmFlags: G })).toThrow(UsageError);
    const peer = new StaticSession({
      ...Z,
      session_id: 11,
      peer_session_id: 1,
      pw_type: 'atm-aal5',
    });
    const peerEth = new StaticSession({ ...Z, session_id: 12, peer_session_id: 2 });
    transport.inject(wire(peer.send(SDU, 0, { atmFlags: U })), remote);
    transport.inject(wire(peer.send(SDU, 0)), remote);
    transport.inject(wire(peerEth.send(new Uint8Array(60), 0)), remote);
    expect(calls.map((c) => [c.length, c[1], c[2]])).toEqual([
      [3, aal5, U],
      [3, aal5, 0],
      [2, eth, undefined],
    ]);
  });
});
