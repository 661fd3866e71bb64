/**
 * The keepalive of a static tunnel (go-l2tp's quiescent mode): HELLOs on the reliable channel,
 * acknowledged by explicit ACKs, after each silent interval; a peer that stops answering (or sends
 * StopCCN) takes the tunnel down and its sessions with it. Two hosts on a virtual clock and a
 * simulated link that can drop datagrams.
 */
import { describe, expect, test } from 'vitest';
import { buildControl } from '../../src/codec/control.js';
import { UsageError } from '../../src/errors.js';
import { type KeepaliveDownReason, StaticTunnelHost } from '../../src/index.js';
import { retransmissionCycleMs } from '../../src/seq/reliable.js';
import type {
  DatagramData,
  DatagramHandler,
  DatagramTransport,
  PeerAddress,
  TimerHandle,
  TimerHost,
} from '../../src/transport.js';
import { hex } from '../helpers/hex.js';

/** Virtual time: timers and link deliveries run in deadline order. */
class World implements TimerHost {
  t = 0;
  now(): number {
    return this.t;
  }
  #next = 0;
  readonly #events = new Map<number, { at: number; fire: () => void }>();
  set(delayMs: number, fire: () => void): TimerHandle {
    const id = this.#next++;
    this.#events.set(id, { at: this.t + Math.max(0, delayMs || 0), fire });
    return id as unknown as TimerHandle;
  }
  clear(handle: TimerHandle): void {
    this.#events.delete(handle as unknown as number);
  }
  /** Timers and deliveries still scheduled. */
  get pending(): number {
    return this.#events.size;
  }
  runUntil(endMs: number): void {
    for (;;) {
      let first: [number, { at: number; fire: () => void }] | undefined;
      for (const e of this.#events) if (first === undefined || e[1].at < first[1].at) first = e;
      if (first === undefined || first[1].at > endMs) break;
      this.#events.delete(first[0]);
      this.t = first[1].at;
      first[1].fire();
    }
    this.t = endMs;
  }
}

/** One end of a 1 ms link; `drop` decides per datagram (control or data) whether it is lost. */
class Link implements DatagramTransport {
  readonly sent: Uint8Array[] = [];
  other: Link | undefined;
  handler: DatagramHandler | undefined;
  drop: (bytes: Uint8Array) => boolean = () => false;
  readonly world: World;
  readonly address: string;
  constructor(world: World, address: string) {
    this.world = world;
    this.address = address;
  }
  send(data: DatagramData, _peer: PeerAddress): void {
    const bytes =
      data instanceof Uint8Array ? data.slice() : Uint8Array.from([...data[0], ...data[1]]);
    this.sent.push(bytes);
    if (this.drop(bytes)) return;
    const to = this.other;
    this.world.set(1, () => to?.handler?.(bytes, { address: this.address, port: 1701 }));
  }
  onDatagram(handler: DatagramHandler): () => void {
    this.handler = handler;
    return () => {
      this.handler = undefined;
    };
  }
  close(): void {}
}

const isControl = (bytes: Uint8Array) => ((bytes[0] as number) & 0x80) !== 0;

function pair(
  options: {
    keepaliveA?: boolean;
    keepaliveB?: boolean;
    intervalMs?: number;
    encap?: 'udp' | 'ip';
  } = {},
) {
  const world = new World();
  const la = new Link(world, '192.0.2.1');
  const lb = new Link(world, '192.0.2.2');
  la.other = lb;
  lb.other = la;
  const downs: { side: string; reason: KeepaliveDownReason; at: number }[] = [];
  const frames: string[] = [];
  const keepalive = { helloIntervalMs: options.intervalMs ?? 60_000 };
  const host = (side: string, link: Link, id: number, peerId: number, on: boolean) =>
    new StaticTunnelHost({
      tunnel: {
        tunnel_id: id,
        peer_tunnel_id: peerId,
        encap: options.encap ?? 'udp',
        remote: side === 'A' ? '192.0.2.2' : '192.0.2.1',
        udp_dport: 1701,
      },
      transport: link,
      clock: world,
      timers: world,
      ...(on ? { keepalive } : {}),
      onDown: (reason) => downs.push({ side, reason, at: world.t }),
      onFrame: (f) => frames.push(`${side}:${f[14]}`),
    });
  const a = host('A', la, 42, 45, options.keepaliveA ?? true);
  const b = host('B', lb, 45, 42, options.keepaliveB ?? true);
  const sa = a.addSession({ session_id: 128, peer_session_id: 5196755 });
  const sb = b.addSession({ session_id: 5196755, peer_session_id: 128 });
  const frame = (n: number) => Uint8Array.from([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 8, 0, n]);
  return { world, la, lb, a, b, sa, sb, downs, frames, frame };
}

describe('static tunnel keepalive', () => {
  test('HELLO after each silent interval, acknowledged; data unaffected; golden HELLO', () => {
    const { world, la, a, b, sa, sb, downs, frames, frame } = pair();
    a.send(sa, frame(1));
    world.runUntil(59_999);
    expect(la.sent.filter(isControl)).toEqual([]); // nothing before the first interval
    world.runUntil(300_000);
    // Each interval counts from the last control message heard (the peer's ACK: 100 ms ack
    // delay + 1 ms link), so HELLOs go out at 60 s, 120.101 s, 180.202 s, 240.303 s.
    // RFC 3931 §3.2.1 / §6.5: T L S Ver 3, Length 20, Control Connection ID 45 (the peer's
    // tunnel_id), Ns 0, Nr 0, then the Message Type AVP (M, length 8) = 6 (HELLO).
    expect(la.sent.find(isControl)).toEqual(
      hex`c8 03 00 14 00 00 00 2d 00 00 00 00 80 08 00 00 00 00 00 06`,
    );
    b.send(sb, frame(2));
    world.runUntil(300_010);
    expect(frames).toEqual(['B:1', 'A:2']);
    for (const host of [a, b]) {
      expect(host.keepalive()).toEqual({
        state: 'up',
        reason: undefined,
        hellosSent: 4,
        hellosReceived: 4,
        retransmissions: 0,
        acksReceived: 4,
        controlIgnored: 0,
      });
      expect(host.stats()).toMatchObject({ rxControlIgnored: 0, rxNoSession: 0, sessions: 1 });
    }
    expect(downs).toEqual([]);
    a.close();
    b.close();
    // Closed hosts leave no timer behind (a real one would keep the process alive).
    world.runUntil(300_100); // deliver what is in flight
    expect(world.pending).toBe(0);
  });

  test('over IP (protocol 115): the HELLO follows a zero Session ID, and is answered', () => {
    const { world, la, a, b } = pair({ encap: 'ip', intervalMs: 1000 });
    world.runUntil(1500);
    // RFC 3931 §4.1.1.2: 4 zero octets, then the control header (Length without them: 20).
    expect(la.sent.find((x) => x[0] === 0 && x[4] === 0xc8)).toEqual(
      hex`00 00 00 00 c8 03 00 14 00 00 00 2d 00 00 00 00 80 08 00 00 00 00 00 06`,
    );
    expect(a.keepalive()).toMatchObject({ state: 'up', hellosSent: 1, acksReceived: 1 });
    expect(b.keepalive()).toMatchObject({ state: 'up', hellosReceived: 1 });
  });

  test('a silent peer: down after the retransmission budget, sessions removed', () => {
    const { world, a, b, sa, downs, frame } = pair({ keepaliveB: false });
    a.send(sa, frame(1));
    world.runUntil(600_000);
    // One HELLO at 60 s, five retransmissions (1, 2, 4, 8, 8 s), then the last timeout runs out.
    expect(downs).toEqual([
      { side: 'A', reason: 'retries-exhausted', at: 60_000 + retransmissionCycleMs() },
    ]);
    expect(a.keepalive()).toMatchObject({ state: 'down', hellosSent: 1, retransmissions: 5 });
    expect(a.sessions()).toEqual([]);
    // The tunnel's counters keep what the removed session did.
    expect(a.stats()).toMatchObject({ txPackets: 1, sessions: 0 });
    // B has no keepalive: it counted the 6 copies of the HELLO as control it ignores.
    expect(b.stats()).toMatchObject({ rxControlIgnored: 6, rxPackets: 1 });
    expect(b.keepalive()).toBeUndefined();
    // Nothing more is sent once down.
    const sent = a.stats().txPackets;
    world.runUntil(2_000_000);
    expect(a.stats().txPackets).toBe(sent);
    expect(downs).toHaveLength(1);
  });

  test('10 % of control datagrams lost both ways: retransmissions keep it up for an hour', () => {
    const { world, la, lb, a, b } = pair({ intervalMs: 10_000 });
    let seed = 7;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    la.drop = lb.drop = (bytes) => isControl(bytes) && random() < 0.1;
    world.runUntil(3_600_000);
    for (const host of [a, b]) {
      const k = host.keepalive();
      expect(k?.state).toBe('up');
      expect(k?.retransmissions).toBeGreaterThan(0);
      expect(k?.hellosReceived).toBeGreaterThan(100);
    }
  });

  test('StopCCN from the peer takes the tunnel down at once', () => {
    const { world, la, lb, a, downs } = pair({ keepaliveB: false });
    const stop = buildControl({ version: 3, connectionId: 42, ns: 0, nr: 0 }, {
      type: 'StopCCN',
      version: 3,
      resultCode: { resultCode: 1 },
    } as never);
    lb.send(stop, { address: '192.0.2.1', port: 1701 });
    world.runUntil(1_000);
    expect(downs).toEqual([{ side: 'A', reason: 'peer-stopccn', at: 1 }]);
    expect(a.sessions()).toEqual([]);
    // A acknowledged it (an explicit ACK, Message Type 20).
    const acks = la.sent.filter(isControl);
    expect(acks.map((x) => x[19])).toEqual([20]);
  });

  test('control for another tunnel, unreadable control, bad options', () => {
    const { world, lb, a } = pair({ keepaliveB: false });
    const hello = (ccid: number) =>
      buildControl({ version: 3, connectionId: ccid, ns: 0, nr: 0 }, {
        type: 'HELLO',
        version: 3,
      } as never);
    lb.send(hello(99), { address: '192.0.2.1', port: 1701 });
    // Ours, but its Message Type AVP claims 9 octets where 8 remain.
    lb.send(hex`c8 03 00 14 00 00 00 2a 00 00 00 00 80 09 00 00 00 00 00 06`, {
      address: '192.0.2.1',
      port: 1701,
    });
    world.runUntil(10);
    expect(a.stats().rxControlIgnored).toBe(1); // not our Control Connection ID
    expect(a.keepalive()?.controlIgnored).toBe(1); // ours, but unreadable
    const base = {
      tunnel: { tunnel_id: 1, peer_tunnel_id: 2, remote: '192.0.2.2', udp_dport: 1701 },
      transport: new Link(new World(), 'x'),
      clock: { now: () => 0 },
      onFrame: () => {},
    };
    expect(() => new StaticTunnelHost({ ...base, keepalive: { helloIntervalMs: 60_000 } })).toThrow(
      UsageError,
    );
    for (const helloIntervalMs of [999, 1.5, 3_600_001]) {
      expect(
        () =>
          new StaticTunnelHost({ ...base, timers: new World(), keepalive: { helloIntervalMs } }),
      ).toThrow(UsageError);
    }
  });
});
