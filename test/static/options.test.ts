// StaticSession additions: pw_type framers end to end (round trip through a session pair for
// every pseudowire, PPP with and without FF 03, framing drops counted), offset / peer_offset
// padding (golden bytes), runtime options (configure/options: SENDSEQ/RECVSEQ mid-stream,
// REORDERTO with held frames, LNSMODE, mtu/mru drops counted exactly), the DEBUG mask on the data
// path, and StaticTunnelHost's kernel counters summed over its sessions (deleted ones included).

import { format } from 'node:util';
import createDebug from 'debug';
import fc from 'fast-check';
import { afterEach, describe, expect, test } from 'vitest';
import { SUBLAYER_BITS } from '../../src/codec/header.js';
import { DebugCategory } from '../../src/debug.js';
import { UsageError } from '../../src/errors.js';
import { PSEUDOWIRE_TYPES, type PseudowireName } from '../../src/pw/framer.js';
import {
  StaticSession,
  type StaticSessionConfig,
  type StaticSessionStats,
  StaticTunnelHost,
} from '../../src/static.js';
import type { DatagramHandler, DatagramTransport, PeerAddress } from '../../src/transport.js';
import { hex } from '../helpers/hex.js';

const ZERO: StaticSessionStats = {
  txPackets: 0,
  txBytes: 0,
  txErrors: 0,
  rxPackets: 0,
  rxBytes: 0,
  rxSeqDiscards: 0,
  rxOosPackets: 0,
  rxErrors: 0,
  rxCookieDiscards: 0,
  rxInvalid: 0,
};

const A = { tunnel_id: 42, peer_tunnel_id: 45, session_id: 128, peer_session_id: 5196755 };
const B = { tunnel_id: 45, peer_tunnel_id: 42, session_id: 5196755, peer_session_id: 128 };

function pair(
  common: Partial<StaticSessionConfig>,
  b: Partial<StaticSessionConfig> = {},
): [StaticSession, StaticSession] {
  return [new StaticSession({ ...A, ...common }), new StaticSession({ ...B, ...common, ...b })];
}

function wire(packet: readonly [Uint8Array, Uint8Array] | undefined): Uint8Array {
  if (packet === undefined) throw new Error('send refused the frame');
  const [h, p] = packet;
  const out = new Uint8Array(h.length + p.length);
  out.set(h);
  out.set(p, h.length);
  return out;
}

/** An Ethernet frame of `n` ≥ 14 octets whose first octet is `tag`. */
function eth(tag: number, n = 60): Uint8Array {
  const f = new Uint8Array(n).fill(0x11);
  f[0] = tag;
  f[12] = 0x08; // EtherType IPv4
  f[13] = 0x00;
  return f;
}

// A valid frame for each pseudowire (the payload is `n` varying octets after the fixed part).
function frameFor(name: PseudowireName, body: Uint8Array): Uint8Array {
  const join = (head: Uint8Array) => {
    const out = new Uint8Array(head.length + body.length);
    out.set(head);
    out.set(body, head.length);
    return out;
  };
  switch (name) {
    case 'ethernet':
      return join(hex`02 00 00 00 00 01  02 00 00 00 00 02  88 b5`);
    case 'ethernet-vlan':
      return join(hex`02 00 00 00 00 01  02 00 00 00 00 02  81 00 00 64  88 b5`);
    case 'ppp':
      return join(hex`00 21  // IPv4`);
    case 'ip': {
      const total = 20 + body.length;
      return join(
        hex`45 00 ${(total >> 8).toString(16).padStart(2, '0')}${(total & 0xff)
          .toString(16)
          .padStart(2, '0')} 00 00 00 00  40 11 00 00  0a 00 00 01  0a 00 00 02`,
      );
    }
    case 'hdlc':
      return join(hex`0f 00`);
    case 'frame-relay':
      return join(hex`18 41`);
    case 'atm-aal5':
      return body;
    default: {
      const cell = new Uint8Array(52).fill(body.length & 0xff);
      cell.set(hex`00 10 00 10`);
      return cell;
    }
  }
}

describe('pw_type: framers on the data path', () => {
  const names = Object.keys(PSEUDOWIRE_TYPES) as PseudowireName[];

  test('every pseudowire round-trips through a session pair, sequenced or not', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...names),
        fc.array(fc.uint8Array({ maxLength: 30 }), { minLength: 1, maxLength: 5 }),
        fc.boolean(),
        (name, bodies, seq) => {
          const l2spec_type = name === 'atm-aal5' ? 'atm' : 'default';
          const [x, y] = pair({ pw_type: name, l2spec_type, seq: seq ? 'both' : 'none' });
          expect(x.framer.name).toBe(name);
          const frames = bodies.map((b) => frameFor(name, b));
          const got = frames.flatMap((f) => [...y.receive(wire(x.send(f, 0)), 0)]);
          expect(got).toEqual(frames);
          const octets = frames.reduce((n, f) => n + f.length, 0);
          expect(y.stats()).toEqual({ ...ZERO, rxPackets: frames.length, rxBytes: octets });
        },
      ),
      { numRuns: 200 },
    );
  });

  test('PW type by number; l2spec_type must suit the pseudowire (RFC 4454 §4)', () => {
    expect(new StaticSession({ ...A, pw_type: 7 }).framer.name).toBe('ppp');
    expect(new StaticSession({ ...A }).framer.name).toBe('ethernet'); // iproute2's only type
    expect(new StaticSession({ ...A, pw_type: 'atm-aal5' }).l2specType).toBe('atm');
    expect(new StaticSession({ ...A, pw_type: 'atm-cell-vcc' }).l2specType).toBe('default');
    expect(
      new StaticSession({ ...A, pw_type: 'atm-cell-vcc', l2spec_type: 'atm' }).l2specType,
    ).toBe('atm');
    expect(() => new StaticSession({ ...A, pw_type: 'atm-aal5', l2spec_type: 'default' })).toThrow(
      /not allowed/,
    );
    expect(() => new StaticSession({ ...A, l2spec_type: 'atm' })).toThrow(UsageError);
    expect(() => new StaticSession({ ...A, pw_type: 99 })).toThrow(UsageError);
  });

  test('PPP: FF 03 sent only with addressControl; both forms received, handed on without', () => {
    const lcp = hex`c0 21 09 01 00 08 00 00 00 01`;
    const [plain, withAc] = pair({ pw_type: 'ppp' }, { pw_options: { addressControl: true } });
    const out = wire(withAc.send(lcp, 0));
    expect(out.subarray(12)).toEqual(hex`ff 03 c0 21 09 01 00 08 00 00 00 01`);
    expect(plain.receive(out, 0)).toEqual([lcp]);
    const bare = wire(plain.send(lcp, 0));
    expect(bare.subarray(12)).toEqual(lcp);
    expect(withAc.receive(bare, 0)).toEqual([lcp]);
    // Both count the frame without the FF 03 (the octets handed to the host).
    expect(plain.stats()).toMatchObject({ rxPackets: 1, rxBytes: lcp.length });
  });

  test('tx: a frame the framer refuses is not sent and counts tx_errors', () => {
    const [x] = pair({});
    expect(x.send(new Uint8Array(13), 0)).toBeUndefined();
    expect(x.send(eth(1), 0)).toBeDefined();
    expect(x.stats()).toEqual({ ...ZERO, txPackets: 1, txBytes: 60, txErrors: 1 });
  });

  test('rx: a frame the framer refuses counts rx_errors and does not disturb the Ns sequence', () => {
    const [x, y] = pair({ seq: 'both' });
    const [w] = pair({ pw_type: 'hdlc', seq: 'both' }); // same ids, lax framer: sends 2 octets
    const d0 = wire(x.send(eth(0), 0));
    const short = wire(w.send(hex`0f 00`, 0)); // Ns 0 from w…
    short.set(hex`40 000001`, 8); // …renumbered as Ns 1, between x's 0 and 2
    x.send(eth(9), 0); // x's Ns 1 is never delivered
    const d2 = wire(x.send(eth(2), 0));
    expect(y.receive(d0, 0)).toEqual([eth(0)]);
    expect(y.receive(short, 0)).toEqual([]); // in sequence, but not an Ethernet frame
    expect(y.receive(d2, 0)).toEqual([eth(2)]); // Ns 2 follows at once: nothing to resync
    expect(y.stats()).toEqual({ ...ZERO, txPackets: 0, rxPackets: 2, rxBytes: 120, rxErrors: 1 });
  });

  test('ATM sublayer: an admin cell (T = 1) of the wrong length is rx_invalid', () => {
    const [x, y] = pair({ pw_type: 'atm-aal5' });
    const sdu = new Uint8Array(40);
    const p = wire(x.send(sdu, 0));
    p[8] = SUBLAYER_BITS.T;
    expect(y.receive(p, 0)).toEqual([]);
    const cell = wire(x.send(new Uint8Array(52), 0));
    cell[8] = SUBLAYER_BITS.T;
    expect(y.receive(cell, 0)).toHaveLength(1);
    expect(y.stats()).toEqual({ ...ZERO, rxInvalid: 1, rxPackets: 1, rxBytes: 52 });
  });
});

describe('offset / peer_offset', () => {
  test('offset zero octets follow the sublayer; peer_offset octets are skipped (golden)', () => {
    const [x, y] = pair({ offset: 3, peer_offset: 3 });
    const f = eth(5, 14);
    const p = wire(x.send(f, 0));
    expect(p.subarray(0, 15)).toEqual(
      hex`0003 0000  004f4bd3  00 000000  // flags, session, Default L2SS
          00 00 00                      // offset padding (3 zero octets)`,
    );
    expect(y.receive(p, 0)).toEqual([f]);
    const [, z] = pair({}, { peer_offset: 20 });
    expect(z.receive(wire(x.send(f, 0)).subarray(0, 12 + 10), 0)).toEqual([]);
    expect(z.stats()).toMatchObject({ rxInvalid: 1, rxPackets: 0 });
    expect(z.peerOffset).toBe(20);
  });

  test('offset with PPP addressControl: padding before FF 03', () => {
    const [x] = pair({ pw_type: 'ppp', offset: 2, pw_options: { addressControl: true } });
    expect(wire(x.send(hex`21 45`, 0)).subarray(12)).toEqual(hex`00 00  ff 03  21 45`);
  });

  test('offsets are 0 … 255', () => {
    expect(() => new StaticSession({ ...A, offset: 256 })).toThrow(/offset/);
    expect(() => new StaticSession({ ...A, peer_offset: -1 })).toThrow(/peer_offset/);
    expect(new StaticSession({ ...A, offset: 255 }).offset).toBe(255);
  });
});

describe('runtime options: configure / options', () => {
  test('defaults and a full read-back', () => {
    const s = new StaticSession(A);
    expect(s.options()).toEqual({
      sendSeq: false,
      recvSeq: false,
      reorderTimeoutMs: 0,
      lnsMode: false,
      debug: 0,
      mtu: 0,
      mru: 0,
    });
    s.configure({ lnsMode: true, debug: 0xff, mtu: 1500, mru: 1400 }, 0);
    expect(s.options()).toMatchObject({ lnsMode: true, debug: 0x0f, mtu: 1500, mru: 1400 });
  });

  test('bad values change nothing (validated before anything applies)', () => {
    const s = new StaticSession({ ...A, l2spec_type: 'none' });
    const before = s.options();
    expect(() => s.configure({ mtu: 1400, sendSeq: true }, 0)).toThrow(/SENDSEQ/);
    expect(() => s.configure({ mru: 70000 }, 0)).toThrow(/mru/);
    expect(() => s.configure({ reorderTimeoutMs: 3_600_001 }, 0)).toThrow(/reorder/);
    expect(() => s.configure({ lnsMode: 1 as unknown as boolean }, 0)).toThrow(/lnsMode/);
    expect(() => s.configure({ debug: -1 }, 0)).toThrow(/debug/);
    expect(s.options()).toEqual(before);
  });

  test('sequencing switched on and off mid-stream on both ends', () => {
    const [x, y] = pair({});
    expect(y.receive(wire(x.send(eth(0), 0)), 0)).toEqual([eth(0)]);
    x.configure({ sendSeq: true }, 0);
    y.configure({ recvSeq: true }, 0);
    const sequenced = wire(x.send(eth(1), 0));
    expect(sequenced[8]).toBe(SUBLAYER_BITS.S);
    expect(y.receive(sequenced, 0)).toEqual([eth(1)]);
    x.configure({ sendSeq: false }, 0);
    expect(y.receive(wire(x.send(eth(2), 0)), 0)).toEqual([]); // RECVSEQ: no Ns, dropped
    y.configure({ recvSeq: false }, 0);
    expect(y.receive(wire(x.send(eth(3), 0)), 0)).toEqual([eth(3)]);
    x.configure({ sendSeq: true }, 0);
    const resumed = wire(x.send(eth(4), 0));
    expect(resumed.subarray(8, 12)).toEqual(hex`40 000001`); // numbering resumes
    expect(y.receive(resumed, 0)).toEqual([eth(4)]);
    expect(y.stats()).toMatchObject({ rxPackets: 4, rxSeqDiscards: 1, rxErrors: 1 });
  });

  test('REORDERTO change releases held frames; unchanged value releases nothing', () => {
    const [x, y] = pair({ seq: 'both' }, { reorderTimeoutMs: 500 });
    const d = [0, 1, 2, 3].map((n) => wire(x.send(eth(n), 0)));
    expect(y.receive(d[0] as Uint8Array, 0)).toEqual([eth(0)]);
    expect(y.receive(d[2] as Uint8Array, 1)).toEqual([]);
    expect(y.receive(d[3] as Uint8Array, 2)).toEqual([]);
    expect(y.configure({ reorderTimeoutMs: 500, mtu: 100 }, 3)).toEqual([]);
    expect(y.nextDeadline()).toBe(501);
    expect(y.configure({ reorderTimeoutMs: 0 }, 4)).toEqual([eth(2), eth(3)]);
    expect(y.nextDeadline()).toBeUndefined();
    expect(y.options().reorderTimeoutMs).toBe(0);
    expect(y.stats()).toMatchObject({ rxPackets: 3, rxBytes: 180, rxErrors: 0 });
  });

  test('mtu: longer frames dropped and counted tx_errors exactly; 0 lifts the limit', () => {
    const s = new StaticSession({ ...A, mtu: 100 });
    const sizes = [14, 99, 100, 101, 1500, 100];
    const sent = sizes.map((n) => s.send(eth(1, n), 0) !== undefined);
    expect(sent).toEqual([true, true, true, false, false, true]);
    expect(s.stats()).toEqual({ ...ZERO, txPackets: 4, txBytes: 313, txErrors: 2 });
    s.configure({ mtu: 0 }, 0);
    expect(s.send(eth(1, 1500), 0)).toBeDefined();
  });

  test('mru: longer frames dropped and counted rx_errors exactly, in sequence', () => {
    const [x, y] = pair({ seq: 'both' }, { mru: 64 });
    const got = [60, 64, 65, 64, 200].map((n) => y.receive(wire(x.send(eth(n, n), 0)), 0));
    expect(got.map((f) => f.length)).toEqual([1, 1, 0, 1, 0]);
    expect(y.stats()).toEqual({ ...ZERO, rxPackets: 3, rxBytes: 188, rxErrors: 2 });
    y.configure({ mru: 0 }, 0);
    expect(y.receive(wire(x.send(eth(1, 200), 0)), 0)).toHaveLength(1);
  });
});

describe('DEBUG mask on the data path', () => {
  let lines: string[] = [];
  const savedLog = createDebug.log;
  afterEach(() => {
    createDebug.log = savedLog;
    createDebug.disable();
    lines = [];
  });

  test('per-packet logs under l2tp:data / l2tp:seq only when mask bit and namespace are on', () => {
    createDebug.log = (...args: unknown[]) => {
      lines.push(format(...args));
    };
    createDebug.enable('l2tp:data,l2tp:seq');
    const [x, y] = pair({ seq: 'both' });
    y.receive(wire(x.send(eth(0), 0)), 0);
    expect(lines).toEqual([]); // namespaces on, masks 0
    x.configure({ debug: DebugCategory.Data }, 0);
    y.configure({ debug: DebugCategory.Seq | DebugCategory.Data }, 0);
    y.receive(wire(x.send(eth(1), 0)), 0);
    expect(x.send(new Uint8Array(3), 0)).toBeUndefined();
    const text = lines.join('\n');
    expect(text).toContain('tunnel 42 session 128: tx 60 octets');
    expect(text).toContain('tunnel 45 session 5196755: rx Ns 1');
    expect(text).toContain('tunnel 45 session 5196755: rx 60 octets');
    expect(text).toContain('tx drop 3 octets: Ethernet frame shorter than 14 octets');
    expect(text).not.toContain('tx Ns'); // x has no SEQ bit
    const count = lines.length;
    createDebug.disable();
    y.receive(wire(x.send(eth(2), 0)), 0);
    expect(lines).toHaveLength(count); // namespaces off: silent despite the masks
  });
});

class MemoryTransport implements DatagramTransport {
  readonly sent: unknown[] = [];
  handler: DatagramHandler | undefined;
  send(data: unknown): void {
    this.sent.push(data);
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

describe('StaticTunnelHost: tunnel counters and configure', () => {
  const remote = { address: '192.0.2.2', port: 5001 };

  function host() {
    const transport = new MemoryTransport();
    const frames: Uint8Array[] = [];
    const h = new StaticTunnelHost({
      tunnel: { tunnel_id: 42, peer_tunnel_id: 45, remote: remote.address, udp_dport: 5001 },
      transport,
      clock: { now: () => 0 },
      onFrame: (frame) => frames.push(frame),
    });
    return { h, transport, frames };
  }

  test('sums the sessions, keeps deleted sessions in the totals, adds tunnel-level invalid', () => {
    const { h, transport } = host();
    const s1 = h.addSession({ session_id: 1, peer_session_id: 11, peer_cookie: 'aabbccdd' });
    const s2 = h.addSession({ session_id: 2, peer_session_id: 12, mtu: 100 });
    const p1 = new StaticSession({ ...B, session_id: 11, peer_session_id: 1, cookie: 'aabbccdd' });
    const bad = new StaticSession({ ...B, session_id: 11, peer_session_id: 1, cookie: '00000000' });
    const p2 = new StaticSession({ ...B, session_id: 12, peer_session_id: 2 });
    transport.inject(wire(p1.send(eth(1), 0)), remote);
    transport.inject(wire(bad.send(eth(2), 0)), remote);
    transport.inject(wire(p2.send(eth(3, 80), 0)), remote);
    transport.inject(hex`0003 0000 00000063 00000000`, remote); // no session 99
    h.send(s1, eth(4));
    h.send(s2, eth(5, 101)); // above mtu: refused
    expect(transport.sent).toHaveLength(1);
    const expected = {
      ...ZERO,
      txPackets: 1,
      txBytes: 60,
      txErrors: 1,
      rxPackets: 2,
      rxBytes: 140,
      rxCookieDiscards: 1,
      rxErrors: 1,
      rxInvalid: 1,
    };
    expect(h.stats()).toEqual({
      ...expected,
      rxNoSession: 1,
      rxControlIgnored: 0,
      rxForeign: 0,
      sessions: 2,
    });
    expect(h.removeSession(1)).toBe(true);
    expect(h.stats()).toMatchObject({ ...expected, sessions: 1 }); // the kernel keeps them too
    expect(s2.stats().txErrors).toBe(1);
  });

  test('configure delivers frames a REORDERTO change releases; refuses foreign sessions', () => {
    const { h, transport, frames } = host();
    const s = h.addSession({
      session_id: 1,
      peer_session_id: 11,
      seq: 'recv',
      reorderTimeoutMs: 1000,
    });
    const p = new StaticSession({ ...B, session_id: 11, peer_session_id: 1, seq: 'send' });
    const d = [0, 1, 2].map((n) => wire(p.send(eth(n), 0)));
    transport.inject(d[0] as Uint8Array, remote);
    transport.inject(d[2] as Uint8Array, remote);
    expect(frames).toEqual([eth(0)]);
    h.configure(s, { reorderTimeoutMs: 0 });
    expect(frames).toEqual([eth(0), eth(2)]);
    expect(s.options().reorderTimeoutMs).toBe(0);
    expect(() => h.configure(p, { mtu: 1 })).toThrow(UsageError);
  });
});
