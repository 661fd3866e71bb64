/**
 * Static (unmanaged) L2TPv3 sessions: header bytes, cookies, sequencing options (SENDSEQ, RECVSEQ,
 * REORDERTO) on a virtual `now`, kernel counters, validation like the kernel's, and the seed's
 * Host 1 / Host 2 example (tunnel 42 ↔ 45, sessions 128 ↔ 5196755) over real loopback UDP.
 * No real-time sleeps: the UDP test waits on datagrams.
 */
import { fc, test as fcTest } from '@fast-check/vitest';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageError } from '../src/errors.js';
import { nodeClock } from '../src/node/clock.js';
import { UdpTransport } from '../src/node/udp.js';
import { decodeEthernet } from '../src/pw/ethernet.js';
import {
  KERNEL_STAT_NAMES,
  StaticSession,
  type StaticSessionConfig,
  type StaticSessionStats,
  StaticTunnelHost,
  toKernelStats,
} from '../src/static.js';
import type {
  DatagramHandler,
  DatagramTransport,
  PeerAddress,
  TimerHost,
} from '../src/transport.js';
import { releasedUdpPort } from './helpers/ports.js';

function hex(s: string): Uint8Array {
  const clean = s.replace(/#[^\n]*/g, '').replace(/\s+/g, '');
  return Uint8Array.from(clean.match(/../g) ?? [], (b) => Number.parseInt(b, 16));
}

/**
 * A test frame: `values`, zero-padded to the 14 octets of an Ethernet header (the default
 * pw_type is 'ethernet', whose framer drops shorter frames). Distinct values, distinct frames.
 */
function bytes(...values: number[]): Uint8Array {
  const out = new Uint8Array(Math.max(ETH_MIN, values.length));
  out.set(values);
  return out;
}
const ETH_MIN = 14;

/**
 * Random frames the Ethernet framer accepts: 14 to 40 octets, but one whose EtherType field holds
 * a VLAN TPID must also hold the tag (and a second tag's), else `send` refuses it as truncated.
 */
const ethernetFrame = fc.uint8Array({ minLength: ETH_MIN, maxLength: 40 }).filter((f) => {
  try {
    decodeEthernet(f);
    return true;
  } catch {
    return false;
  }
});

/** The header of a packet `send` must have built (fails the test when it refused the frame). */
function hdr(packet: readonly [Uint8Array, Uint8Array] | undefined): Uint8Array {
  if (packet === undefined) throw new Error('send refused the frame');
  return packet[0];
}

function join(packet: readonly [Uint8Array, Uint8Array] | undefined): Uint8Array {
  if (packet === undefined) throw new Error('send refused the frame');
  const [h, p] = packet;
  const out = new Uint8Array(h.length + p.length);
  out.set(h);
  out.set(p, h.length);
  return out;
}

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

// The seed's table (Documentation/networking/l2tp.txt, "Unmanaged L2TPv3 Tunnels").
const HOST1 = {
  tunnel_id: 42,
  peer_tunnel_id: 45,
  session_id: 128,
  peer_session_id: 5196755,
} as const;
const HOST2 = {
  tunnel_id: 45,
  peer_tunnel_id: 42,
  session_id: 5196755,
  peer_session_id: 128,
} as const;

function pair(
  a: Partial<StaticSessionConfig> = {},
  b: Partial<StaticSessionConfig> = {},
): [StaticSession, StaticSession] {
  return [new StaticSession({ ...HOST1, ...a }), new StaticSession({ ...HOST2, ...b })];
}

describe('StaticSession: wire format', () => {
  it('Host 1 sends to session 5196755 with the default L2SS, no cookie (golden bytes)', () => {
    const [h1] = pair();
    const frame = bytes(0xaa, 0xbb);
    const packet = h1.send(frame, 0);
    const header = hdr(packet);
    const payload = packet?.[1];
    expect(payload).toBe(frame); // scatter/gather: the payload is the caller's array
    expect(header).toEqual(
      hex(`
        0003 0000   # T=0, Ver=3, Reserved (RFC 3931 §4.1.2.1)
        004f4bd3    # Session ID 5196755
        00 000000   # Default L2SS: S=0, Sequence Number 0 (RFC 3931 §4.6)
      `),
    );
  });

  it('encap ip, 8-octet cookie, seq send, ids ≥ 2^31 (golden bytes)', () => {
    const s = new StaticSession({
      ...HOST1,
      encap: 'ip',
      peer_session_id: 0xfffffffe,
      cookie: '0123456789abcdef',
      seq: 'send',
    });
    const first = hdr(s.send(bytes(1), 0));
    const second = hdr(s.send(bytes(2), 0));
    expect(first).toEqual(
      hex(`
        fffffffe           # Session ID 4294967294 (no UDP flags word over IP, RFC 3931 §4.1.1.1)
        0123456789abcdef   # Cookie
        40 000000          # L2SS: S=1, Ns 0
      `),
    );
    expect(second).toEqual(hex('fffffffe 0123456789abcdef 40 000001'));
  });

  it('l2spec_type none: no sublayer at all', () => {
    const s = new StaticSession({
      ...HOST1,
      l2spec_type: 'none',
      cookie: Uint8Array.of(9, 8, 7, 6),
    });
    expect(hdr(s.send(bytes(), 0))).toEqual(hex('0003 0000 004f4bd3 09080706'));
  });

  it('does not let later changes to a cookie array reach the wire', () => {
    const cookie = Uint8Array.of(1, 2, 3, 4);
    const s = new StaticSession({ ...HOST1, cookie });
    cookie[0] = 0xff;
    expect(hdr(s.send(bytes(), 0)).subarray(8, 12)).toEqual(Uint8Array.of(1, 2, 3, 4));
  });
});

describe('StaticSession: Host 1 ↔ Host 2 sans-I/O', () => {
  it('carries frames both ways as views, counting like the kernel', () => {
    const [h1, h2] = pair(
      { cookie: 'deadbeef', peer_cookie: 'cafebabe00112233' },
      {
        cookie: 'cafebabe00112233',
        peer_cookie: 'deadbeef',
      },
    );
    const d1 = join(h1.send(bytes(1, 2, 3), 0));
    const got = h2.receive(d1, 0);
    expect(got).toEqual([bytes(1, 2, 3)]);
    expect(got[0]?.buffer).toBe(d1.buffer); // zero-copy view
    expect(h1.receive(join(h2.send(bytes(4, 5), 0)), 0)).toEqual([bytes(4, 5)]);
    expect(h1.receive(join(h2.send(bytes(6), 0)), 0)).toEqual([bytes(6)]);
    expect(h1.stats()).toEqual({ ...ZERO, txPackets: 1, txBytes: 14, rxPackets: 2, rxBytes: 28 });
    expect(h2.stats()).toEqual({ ...ZERO, txPackets: 2, txBytes: 28, rxPackets: 1, rxBytes: 14 });
  });

  it('drops and counts a wrong cookie (RFC 3931 §4.5), then accepts the right one', () => {
    const [h1, h2] = pair({ cookie: '11111111' }, { peer_cookie: '22222222' });
    expect(h2.receive(join(h1.send(bytes(7), 0)), 0)).toEqual([]);
    const good = new StaticSession({ ...HOST1, cookie: '22222222' });
    expect(h2.receive(join(good.send(bytes(8), 0)), 0)).toEqual([bytes(8)]);
    expect(h2.stats()).toEqual({
      ...ZERO,
      rxPackets: 1,
      rxBytes: 14,
      rxCookieDiscards: 1,
      rxErrors: 1,
    });
  });

  it('counts datagrams that are not data for this session as rx_invalid', () => {
    const [h1, h2] = pair();
    const ok = join(h1.send(bytes(1, 2), 0));
    expect(h2.receive(ok.subarray(0, 10), 0)).toEqual([]); // truncated sublayer
    expect(h2.receive(hex('c803 000c 0000002a 0000 0000'), 0)).toEqual([]); // a v3 ZLB control header
    expect(h2.receive(hex('0003 0000 00000080 00000000'), 0)).toEqual([]); // session 128, not ours
    expect(h2.receive(hex('0002 0000 00000000'), 0)).toEqual([]); // L2TPv2
    expect(h2.receive(new Uint8Array(0), 0)).toEqual([]);
    expect(h2.stats()).toEqual({ ...ZERO, rxInvalid: 5 });
  });

  it('RECVSEQ (seq recv) drops unsequenced frames and accepts sequenced ones', () => {
    const [h1, h2] = pair({}, { seq: 'recv' });
    expect(h2.receive(join(h1.send(bytes(1), 0)), 0)).toEqual([]);
    h1.setSendSeq(true);
    expect(h2.receive(join(h1.send(bytes(2), 0)), 0)).toEqual([bytes(2)]);
    expect(h2.stats()).toEqual({
      ...ZERO,
      rxPackets: 1,
      rxBytes: 14,
      rxSeqDiscards: 1,
      rxErrors: 1,
    });
    h2.setRecvSeq(false);
    h1.setSendSeq(false);
    expect(h2.receive(join(h1.send(bytes(3), 0)), 0)).toEqual([bytes(3)]);
  });

  it('seq both with REORDERTO reorders on the virtual clock', () => {
    const [h1, h2] = pair({ seq: 'both' }, { seq: 'both', reorderTimeoutMs: 100 });
    const d = [0, 1, 2, 3].map((n) => join(h1.send(bytes(n), 0)));
    expect(h2.receive(d[0] as Uint8Array, 0)).toEqual([bytes(0)]);
    expect(h2.receive(d[2] as Uint8Array, 10)).toEqual([]);
    expect(h2.receive(d[3] as Uint8Array, 20)).toEqual([]);
    expect(h2.nextDeadline()).toBe(110);
    expect(h2.receive(d[1] as Uint8Array, 30)).toEqual([bytes(1), bytes(2), bytes(3)]);
    expect(h2.nextDeadline()).toBeUndefined();
    expect(h2.stats()).toMatchObject({ rxPackets: 4, rxBytes: 56, rxOosPackets: 1, rxErrors: 0 });
  });

  it('REORDERTO expiry: a frame never filled in is skipped at the deadline', () => {
    const [h1, h2] = pair({ seq: 'send' }, { seq: 'recv', reorderTimeoutMs: 50 });
    const d = [0, 1, 2].map((n) => join(h1.send(bytes(n, n), 0)));
    expect(h2.receive(d[0] as Uint8Array, 0)).toEqual([bytes(0, 0)]);
    expect(h2.receive(d[2] as Uint8Array, 5)).toEqual([]);
    expect(h2.handleTimeout(54)).toEqual([]); // early: harmless
    expect(h2.nextDeadline()).toBe(55);
    // Linux drops a frame that waited longer than REORDERTO (l2tp_recv_dequeue).
    expect(h2.handleTimeout(55)).toEqual([]);
    expect(h2.stats()).toMatchObject({ rxPackets: 1, rxBytes: 14, rxSeqDiscards: 1, rxErrors: 1 });
    expect(h2.nextDeadline()).toBeUndefined();
    // …and resynchronises to whatever comes next.
    expect(h2.receive(join(h1.send(bytes(3, 3), 60)), 60)).toEqual([bytes(3, 3)]);
  });

  it('REORDERTO 0 drops an early frame (rx_seq_discards)', () => {
    const [h1, h2] = pair({ seq: 'send' }, { seq: 'recv' });
    const d = [0, 1, 2].map((n) => join(h1.send(bytes(n), 0)));
    expect(h2.receive(d[0] as Uint8Array, 0)).toEqual([bytes(0)]);
    expect(h2.receive(d[2] as Uint8Array, 0)).toEqual([]); // Ns 1 expected: 2 is discarded
    expect(h2.receive(d[1] as Uint8Array, 0)).toEqual([bytes(1)]);
    expect(h2.stats()).toMatchObject({ rxPackets: 2, rxSeqDiscards: 1, rxErrors: 1 });
  });

  it('setReorderTimeout releases held frames and keeps numbering and counters', () => {
    const [h1, h2] = pair({ seq: 'send' }, { seq: 'recv', reorderTimeoutMs: 1000 });
    const d = [0, 1, 2, 3].map((n) => join(h1.send(bytes(n), 0)));
    h2.receive(d[0] as Uint8Array, 0);
    h2.receive(d[2] as Uint8Array, 0);
    expect(h2.setReorderTimeout(0, 1)).toEqual([bytes(2)]);
    expect(h2.reorderTimeoutMs).toBe(0);
    expect(h2.receive(d[3] as Uint8Array, 2)).toEqual([bytes(3)]); // expected Ns carried over
    // Now behind the window: the kernel counts that in rx_errors only (l2tp_seq_check_rx_window).
    expect(h2.receive(d[1] as Uint8Array, 3)).toEqual([]);
    expect(h2.stats()).toMatchObject({ rxPackets: 3, rxBytes: 42, rxSeqDiscards: 0, rxErrors: 1 });
    expect(() => h2.setReorderTimeout(-1, 4)).toThrow(UsageError);
    expect(h2.reorderTimeoutMs).toBe(0);
  });

  it('setSendSeq resumes numbering where it stopped', () => {
    const s = new StaticSession({ ...HOST1, seq: 'send' });
    s.send(bytes(), 0);
    s.setSendSeq(false);
    expect(hdr(s.send(bytes(), 0)).subarray(8)).toEqual(hex('00 000000'));
    s.setSendSeq(true);
    expect(hdr(s.send(bytes(), 0)).subarray(8)).toEqual(hex('40 000001'));
    expect(s.sendSeq).toBe(true);
  });

  it('counts tx_errors the host reports and maps counters to the kernel names', () => {
    const s = new StaticSession(HOST1);
    s.send(bytes(1, 2, 3, 4), 0);
    s.countTxError();
    const k = toKernelStats(s.stats());
    expect(k).toEqual({
      tx_packets: 1,
      tx_bytes: 14,
      tx_errors: 1,
      rx_packets: 0,
      rx_bytes: 0,
      rx_seq_discards: 0,
      rx_oos_packets: 0,
      rx_errors: 0,
      rx_cookie_discards: 0,
      rx_invalid: 0,
    });
    expect(Object.keys(KERNEL_STAT_NAMES).sort()).toEqual(Object.keys(ZERO).sort());
  });
});

describe('StaticSession: validation like the kernel', () => {
  const bad: [string, Partial<StaticSessionConfig>][] = [
    ['zero tunnel_id', { tunnel_id: 0 }],
    ['zero peer_tunnel_id', { peer_tunnel_id: 0 }],
    ['zero session_id', { session_id: 0 }],
    ['zero peer_session_id', { peer_session_id: 0 }],
    ['id above 2^32 − 1', { session_id: 2 ** 32 }],
    ['negative id', { peer_session_id: -1 }],
    ['fractional id', { tunnel_id: 1.5 }],
    ['odd cookie', { cookie: '123' }],
    ['12-digit cookie', { peer_cookie: '0123456789ab' }],
    ['non-hex cookie', { cookie: 'xyzxyzxy' }],
    ['6-octet cookie', { cookie: new Uint8Array(6) }],
    ['bad encap', { encap: 'gre' as 'ip' }],
    ['bad l2spec_type', { l2spec_type: 'atm' as 'none' }],
    ['bad seq', { seq: 'maybe' as 'none' }],
    ['seq without sublayer', { seq: 'both', l2spec_type: 'none' }],
    ['negative REORDERTO', { reorderTimeoutMs: -5 }],
  ];
  it.each(bad)('refuses %s with UsageError', (_name, patch) => {
    expect(() => new StaticSession({ ...HOST1, ...patch })).toThrow(UsageError);
  });

  it('refuses runtime sequencing without the sublayer', () => {
    const s = new StaticSession({ ...HOST1, l2spec_type: 'none' });
    expect(() => s.setSendSeq(true)).toThrow(UsageError);
    expect(() => s.setRecvSeq(true)).toThrow(UsageError);
    s.setSendSeq(false); // switching off is always fine
  });

  it('refuses a frame whose VLAN tag is cut short (tx_errors), and sends it whole', () => {
    const s = new StaticSession({ ...HOST1 });
    const cut = bytes(...new Array(12).fill(0), 0x81, 0x00, 0x00, 0x05); // 16 octets, tag needs 18
    expect(s.send(cut, 0)).toBeUndefined();
    expect(s.stats()).toMatchObject({ txPackets: 0, txErrors: 1 });
    const whole = bytes(...new Array(12).fill(0), 0x81, 0x00, 0x00, 0x05, 0x08, 0x00);
    expect(s.send(whole, 0)).toBeDefined();
    expect(s.stats()).toMatchObject({ txPackets: 1, txErrors: 1 });
  });

  it('accepts ids 1 and 2^32 − 1 and empty cookies', () => {
    const s = new StaticSession({
      tunnel_id: 1,
      peer_tunnel_id: 0xffffffff,
      session_id: 0xffffffff,
      peer_session_id: 1,
      cookie: '',
      peer_cookie: new Uint8Array(0),
    });
    expect([s.tunnelId, s.peerTunnelId, s.sessionId, s.peerSessionId]).toEqual([
      1, 0xffffffff, 0xffffffff, 1,
    ]);
  });

  const id = fc.integer({ min: 1, max: 0xffffffff });
  const cookie = fc.oneof(
    fc.constant(undefined),
    fc.uint8Array({ minLength: 4, maxLength: 4 }),
    fc.uint8Array({ minLength: 8, maxLength: 8 }),
  );
  fcTest.prop([
    id,
    id,
    cookie,
    cookie,
    fc.constantFrom('udp' as const, 'ip' as const),
    fc.constantFrom('none' as const, 'default' as const),
    fc.boolean(),
    fc.array(ethernetFrame, { minLength: 1, maxLength: 6 }),
  ])(
    'any 32-bit ids, cookies, encap and sublayer: frames arrive intact, in order, counted',
    (a, b, ca, cb, encap, l2spec_type, seq, frames) => {
      const useSeq = seq && l2spec_type === 'default';
      const x = new StaticSession({
        tunnel_id: 7,
        peer_tunnel_id: 9,
        session_id: a,
        peer_session_id: b,
        cookie: ca,
        peer_cookie: cb,
        encap,
        l2spec_type,
        seq: useSeq ? 'send' : 'none',
      });
      const y = new StaticSession({
        tunnel_id: 9,
        peer_tunnel_id: 7,
        session_id: b,
        peer_session_id: a,
        cookie: cb,
        peer_cookie: ca,
        encap,
        l2spec_type,
        seq: useSeq ? 'recv' : 'none',
      });
      const got = frames.flatMap((f) => [...y.receive(join(x.send(f, 0)), 0)]);
      expect(got).toEqual(frames);
      const octets = frames.reduce((n, f) => n + f.length, 0);
      expect(y.stats()).toEqual({ ...ZERO, rxPackets: frames.length, rxBytes: octets });
      expect(x.stats()).toEqual({ ...ZERO, txPackets: frames.length, txBytes: octets });
    },
  );
});

// ---------------------------------------------------------------------------------------------
// StaticTunnelHost with an in-memory transport and manual timers

class MemoryTransport implements DatagramTransport {
  readonly sent: { data: readonly [Uint8Array, Uint8Array] | Uint8Array; peer: PeerAddress }[] = [];
  handlers: DatagramHandler[] = [];
  closed = false;
  send(data: Uint8Array | readonly [Uint8Array, Uint8Array], peer: PeerAddress): void {
    this.sent.push({ data, peer });
  }
  onDatagram(handler: DatagramHandler): () => void {
    this.handlers.push(handler);
    return () => {
      this.handlers = this.handlers.filter((h) => h !== handler);
    };
  }
  close(): void {
    this.closed = true;
  }
  inject(bytes: Uint8Array, from: PeerAddress): void {
    for (const h of this.handlers) h(bytes, from);
  }
}

function manualTimers() {
  let seq = 0;
  const pending = new Map<number, { at: number; fire: () => void }>();
  let now = 0;
  const host: TimerHost = {
    set(delayMs, fire) {
      const id = ++seq;
      pending.set(id, { at: now + Math.max(0, delayMs), fire });
      return id;
    },
    clear(handle) {
      pending.delete(handle as number);
    },
  };
  return {
    host,
    clock: { now: () => now },
    pending,
    advance(to: number) {
      now = to;
      for (const [id, t] of [...pending]) {
        if (t.at <= now && pending.delete(id)) t.fire();
      }
    },
  };
}

describe('StaticTunnelHost (in memory)', () => {
  const remote = { address: '192.0.2.2', port: 5001 };

  function host(timers = manualTimers()) {
    const transport = new MemoryTransport();
    const frames: [Uint8Array, number][] = [];
    const h = new StaticTunnelHost({
      tunnel: { tunnel_id: 42, peer_tunnel_id: 45, remote: remote.address, udp_dport: 5001 },
      transport,
      clock: timers.clock,
      timers: timers.host,
      onFrame: (frame, session) => frames.push([frame, session.sessionId]),
    });
    return { h, transport, frames, timers };
  }

  it('routes by Session ID, counts foreign, control and unknown datagrams', () => {
    const { h, transport, frames } = host();
    const s128 = h.addSession({ session_id: 128, peer_session_id: 5196755 });
    h.addSession({ session_id: 129, peer_session_id: 5196756 });
    expect(() => h.addSession({ session_id: 128, peer_session_id: 1 })).toThrow(UsageError);
    const peer = new StaticSession({ ...HOST2, session_id: 5196756, peer_session_id: 129 });
    const peer128 = new StaticSession(HOST2);
    transport.inject(join(peer.send(bytes(1), 0)), remote);
    transport.inject(join(peer128.send(bytes(2), 0)), remote);
    transport.inject(join(peer128.send(bytes(3), 0)), { ...remote, port: 5002 }); // foreign
    transport.inject(join(peer128.send(bytes(4), 0)), { address: '::ffff:192.0.2.2', port: 5001 });
    transport.inject(hex('c803 000c 0000002a 0000 0000'), remote); // control ZLB
    transport.inject(hex('0003 0000 00000005 00000000'), remote); // unknown session 5
    transport.inject(hex('01'), remote);
    expect(frames).toEqual([
      [bytes(1), 129],
      [bytes(2), 128],
      [bytes(4), 128],
    ]);
    expect(h.stats()).toEqual({
      ...ZERO,
      rxPackets: 3, // summed over both sessions, like the kernel's tunnel counters
      rxBytes: 3 * 14,
      rxInvalid: 2,
      rxNoSession: 2,
      rxControlIgnored: 1,
      rxForeign: 1,
      sessions: 2,
    });
    h.send(s128, bytes(9));
    expect(transport.sent).toHaveLength(1);
    expect(transport.sent[0]?.peer).toEqual({ address: '192.0.2.2', port: 5001 });
    expect(() => h.send(peer, bytes(1))).toThrow(UsageError);
    expect(h.removeSession(129)).toBe(true);
    expect(h.removeSession(129)).toBe(false);
    h.close();
    expect(transport.closed).toBe(true);
    expect(transport.handlers).toHaveLength(0);
    expect(() => h.send(s128, bytes(1))).toThrow(UsageError);
  });

  it('arms one timer per session for REORDERTO and delivers on expiry', () => {
    const { h, transport, frames, timers } = host();
    h.addSession({ session_id: 128, peer_session_id: 5196755, seq: 'recv', reorderTimeoutMs: 40 });
    const peer = new StaticSession({ ...HOST2, seq: 'send' });
    const d = [0, 1, 2, 3].map((n) => join(peer.send(bytes(n), 0)));
    transport.inject(d[0] as Uint8Array, remote);
    transport.inject(d[2] as Uint8Array, remote); // held until 40
    timers.advance(10);
    transport.inject(d[3] as Uint8Array, remote); // held until 50
    expect(timers.pending.size).toBe(1);
    timers.advance(39);
    expect(frames.map(([f]) => f[0])).toEqual([0]);
    timers.advance(40); // 2 expires and is dropped (Linux); 3 is next in line
    expect(frames.map(([f]) => f[0])).toEqual([0, 3]);
    expect(timers.pending.size).toBe(0);
    expect(h.session(128)?.stats()).toMatchObject({ rxPackets: 2, rxSeqDiscards: 1 });
    h.close();
  });

  it('refuses bad tunnel parameters', () => {
    const transport = new MemoryTransport();
    const base = { transport, clock: nodeClock, onFrame: () => {} };
    expect(
      () =>
        new StaticTunnelHost({
          ...base,
          tunnel: { tunnel_id: 0, peer_tunnel_id: 1, remote: 'x', udp_dport: 1 },
        }),
    ).toThrow(UsageError);
    expect(
      () =>
        new StaticTunnelHost({ ...base, tunnel: { tunnel_id: 1, peer_tunnel_id: 1, remote: 'x' } }),
    ).toThrow(UsageError);
  });
});

// ---------------------------------------------------------------------------------------------
// The seed's Host 1 / Host 2 example over real loopback UDP

const opened: UdpTransport[] = [];
afterEach(() => {
  for (const t of opened.splice(0)) t.close();
});

/** Binds 127.0.0.1:preferred, or a free port when it is taken (tests run in parallel). */
async function bind(preferred: number): Promise<UdpTransport> {
  let t: UdpTransport;
  try {
    t = await UdpTransport.open({ address: '127.0.0.1', port: preferred });
  } catch {
    t = await UdpTransport.open({ address: '127.0.0.1', port: 0 });
  }
  opened.push(t);
  return t;
}

describe('Host 1 / Host 2 over loopback UDP', () => {
  it('tunnel 42 ↔ 45, sessions 128 ↔ 5196755: frames both ways, counters exact', async () => {
    const t1 = await bind(5000);
    const t2 = await bind(5001);
    const got1: Uint8Array[] = [];
    const got2: Uint8Array[] = [];
    const views: Uint8Array[] = [];
    let wake: () => void = () => {};
    const total = () => got1.length + got2.length;
    const host1 = new StaticTunnelHost({
      tunnel: { tunnel_id: 42, peer_tunnel_id: 45, remote: '127.0.0.1', udp_dport: t2.local.port },
      transport: t1,
      clock: nodeClock,
      onFrame: (f) => {
        views.push(f);
        got1.push(f.slice());
        wake();
      },
    });
    const host2 = new StaticTunnelHost({
      tunnel: { tunnel_id: 45, peer_tunnel_id: 42, remote: '127.0.0.1', udp_dport: t1.local.port },
      transport: t2,
      clock: nodeClock,
      onFrame: (f) => {
        views.push(f);
        got2.push(f.slice());
        wake();
      },
    });
    const s1 = host1.addSession({
      session_id: 128,
      peer_session_id: 5196755,
      cookie: '0011223344556677',
      peer_cookie: '8899aabb',
      seq: 'both',
    });
    const s2 = host2.addSession({
      session_id: 5196755,
      peer_session_id: 128,
      cookie: '8899aabb',
      peer_cookie: '0011223344556677',
      seq: 'both',
    });
    const n = 20;
    for (let i = 0; i < n; i++) {
      host1.send(s1, new Uint8Array(100 + i).fill(i));
      host2.send(s2, new Uint8Array(50).fill(0x80 + i));
    }
    await new Promise<void>((resolve) => {
      wake = () => {
        if (total() === 2 * n) resolve();
      };
      wake();
    });
    // Frames are plain Uint8Array views just past the header in node's per-datagram buffer
    // (zero copy; the host takes node's Buffer as is, decodeDataV3 makes the plain view).
    expect(new Set(views.map((f) => f.constructor))).toEqual(new Set([Uint8Array]));
    expect(new Set(views.map((f) => f.byteOffset))).toEqual(
      new Set([s1.headerLength, s2.headerLength]),
    );
    // Loopback does not reorder or lose; sequencing saw 0…19 in order on both sides.
    expect(got2.map((f) => [f.length, f[0]])).toEqual(
      Array.from({ length: n }, (_, i) => [100 + i, i]),
    );
    expect(got1.map((f) => [f.length, f[0]])).toEqual(
      Array.from({ length: n }, (_, i) => [50, 0x80 + i]),
    );
    const bytes1 = n * 100 + (n * (n - 1)) / 2;
    expect(s1.stats()).toEqual({
      ...ZERO,
      txPackets: n,
      txBytes: bytes1,
      rxPackets: n,
      rxBytes: n * 50,
    });
    expect(s2.stats()).toEqual({
      ...ZERO,
      txPackets: n,
      txBytes: n * 50,
      rxPackets: n,
      rxBytes: bytes1,
    });
    expect(host1.stats()).toEqual({
      ...s1.stats(), // one session: the tunnel's kernel counters are its counters
      rxNoSession: 0,
      rxControlIgnored: 0,
      rxForeign: 0,
      sessions: 1,
    });
    expect(t1.stats()).toMatchObject({ datagramsReceived: n });
    host1.close();
    host2.close();
  });

  it('cookies and sequencing under reordering: REORDERTO puts frames back in order', async () => {
    const t1 = await bind(0);
    const t2 = await bind(0);
    const got: number[] = [];
    let wake: () => void = () => {};
    const host2 = new StaticTunnelHost({
      tunnel: { tunnel_id: 45, peer_tunnel_id: 42, remote: '127.0.0.1', udp_dport: t1.local.port },
      transport: t2,
      clock: nodeClock,
      timers: { set: () => 0, clear: () => {} }, // deadlines never reached: every gap fills
      onFrame: (f) => got.push(f[0] as number),
    });
    const s2 = host2.addSession({
      session_id: 5196755,
      peer_session_id: 128,
      peer_cookie: 'a1b2c3d4',
      seq: 'recv',
      reorderTimeoutMs: 60_000,
    });
    // Host 1 as a bare sans-I/O session; the test plays a reordering network in front of t1.
    const s1 = new StaticSession({ ...HOST1, cookie: 'a1b2c3d4', seq: 'send' });
    const wrong = new StaticSession({ ...HOST1, cookie: 'ffffffff', seq: 'send' });
    const d = Array.from({ length: 6 }, (_, i) => s1.send(bytes(i), 0));
    let arrived = 0;
    t2.onDatagram(() => {
      arrived++; // runs after host2's handler (registration order)
      wake();
    });
    const to = { address: '127.0.0.1', port: t2.local.port };
    for (const i of [0, 2, 1, 4, 5, 3]) t1.send(d[i] as [Uint8Array, Uint8Array], to);
    t1.send(wrong.send(bytes(99), 0) as [Uint8Array, Uint8Array], to);
    await new Promise<void>((resolve) => {
      wake = () => {
        if (arrived === 7) resolve();
      };
      wake();
    });
    expect(got).toEqual([0, 1, 2, 3, 4, 5]);
    expect(s2.stats()).toEqual({
      ...ZERO,
      rxPackets: 6,
      rxBytes: 6 * 14,
      rxOosPackets: 2, // 1 after 2 was held; 3 after 4 and 5
      rxCookieDiscards: 1,
      rxErrors: 1,
    });
    host2.close();
  });
});

describe('Static tunnels over connected sockets (as the kernel sets up `encap udp`)', () => {
  /** Two transports on 127.0.0.1, each connected to the other. */
  async function connectedPair(): Promise<[UdpTransport, UdpTransport]> {
    const portA = await releasedUdpPort();
    const b = await UdpTransport.open({
      address: '127.0.0.1',
      connect: { address: '127.0.0.1', port: portA },
    });
    opened.push(b);
    const a = await UdpTransport.open({
      address: '127.0.0.1',
      port: portA,
      connect: { address: '127.0.0.1', port: b.local.port },
    });
    opened.push(a);
    return [a, b];
  }

  it('Host 1 / Host 2 exchange frames; a third socket is never heard', async () => {
    const [t1, t2] = await connectedPair();
    const intruder = await bind(0);
    const got: number[] = [];
    let wake: () => void = () => {};
    const tunnel = (id: number, peer: number, port: number) => ({
      tunnel_id: id,
      peer_tunnel_id: peer,
      remote: '127.0.0.1',
      udp_dport: port,
    });
    const host1 = new StaticTunnelHost({
      tunnel: tunnel(42, 45, t2.local.port),
      transport: t1,
      clock: nodeClock,
      onFrame: (f) => {
        got.push(f[0] as number);
        wake();
      },
    });
    const host2 = new StaticTunnelHost({
      tunnel: tunnel(45, 42, t1.local.port),
      transport: t2,
      clock: nodeClock,
      onFrame: (f, session) => host2.send(session, f.slice()), // echo
    });
    const s1 = host1.addSession({ session_id: 128, peer_session_id: 5196755, seq: 'both' });
    host2.addSession({ session_id: 5196755, peer_session_id: 128, seq: 'both' });
    // The intruder sends a valid packet for session 128: the kernel drops it at t1's socket.
    const forged = new StaticSession({ ...HOST2, seq: 'both' });
    intruder.send(forged.send(bytes(0xee), 0) as [Uint8Array, Uint8Array], t1.local);
    for (let i = 0; i < 10; i++) host1.send(s1, bytes(i));
    await new Promise<void>((resolve) => {
      wake = () => {
        if (got.length === 10) resolve();
      };
      wake();
    });
    expect(got).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(host1.stats()).toMatchObject({ rxPackets: 10, txPackets: 10, rxForeign: 0 });
    expect(t1.stats()).toMatchObject({ datagramsReceived: 10, errors: 0 });
    host1.close();
    host2.close();
  });

  it('refuses a transport connected elsewhere than the tunnel remote / udp_dport', async () => {
    const [t1, t2] = await connectedPair();
    const options = (remote: string, udp_dport: number) => ({
      tunnel: { tunnel_id: 1, peer_tunnel_id: 2, remote, udp_dport },
      transport: t1,
      clock: nodeClock,
      onFrame: () => {},
    });
    expect(() => new StaticTunnelHost(options('127.0.0.1', t2.local.port + 1))).toThrow(
      /connected to 127\.0\.0\.1 port/,
    );
    expect(() => new StaticTunnelHost(options('127.0.0.2', t2.local.port))).toThrow(UsageError);
    // The same peer spelled IPv4-mapped is the same peer.
    new StaticTunnelHost(options('::ffff:127.0.0.1', t2.local.port)).close();
  });
});
