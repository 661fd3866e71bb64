/**
 * An Endpoint owns one datagram transport (one UDP socket) and serves many tunnels on it, in
 * either role: an LNS on port 1701 with thousands of LACs, LACs dialling out, or both at once.
 *
 * Demultiplexing (RFC 2661 §3.1): every L2TPv2 datagram names the recipient's Tunnel ID, ours;
 * Tunnel ID 0 is only legal on an SCCRQ, which opens a new tunnel (after the `acceptTunnel`
 * hook) unless it collides with one of our own outstanding SCCRQs to the same peer, in which case
 * that tunnel's engine decides by Tie Breaker (RFC 2661 §4.4.3). Tunnel IDs are allocated so they
 * never collide across the endpoint. L2TPv3 over UDP (RFC 3931 §4.1.2) is routed the same way by
 * the 32-bit Control Connection ID, and its data by Session ID alone, so v3 Session IDs are kept
 * unique across the endpoint. With `encap: 'ip'` the endpoint serves L2TPv3 over IP protocol 115
 * (RFC 3931 §4.1.1) on a raw-IP transport (src/node/ip.ts): the same routing, with the zero
 * Session ID marking control messages and every peer's port 0. Not here: protocol logic (engine.ts), the per-tunnel loop (tunnel.ts).
 */
import createDebug from 'debug';
import { EventEmitter } from 'eventemitter3';
import { classify } from './codec/classify.js';
import { tunnelZeroKey, v2ControlTunnelId } from './codec/control-check.js';
import type { L2tpCrypto } from './crypto.js';
import { DeadlineHeap } from './engine/deadlines.js';
import { TunnelEngine } from './engine/index.js';
import { emitOrThrow, UsageError } from './errors.js';
import type { TunnelEngineOptions } from './options.js';
import { pooledRandomBytes } from './random-pool.js';
import type {
  Clock,
  DatagramData,
  DatagramTransport,
  PeerAddress,
  RandomBytes,
  TimerHandle,
  TimerHost,
} from './transport.js';
import { Tunnel, type TunnelHost, type TunnelTimerSlot } from './tunnel.js';

const log = createDebug('l2tp:endpoint');

/** Engine options an endpoint fills in itself (ids are unique across its tunnels). */
export type EndpointManaged = 'randomBytes' | 'crypto' | 'isIdInUse' | 'localTunnelId' | 'logLabel';

/** Tunnel options as given to an endpoint: the engine's, minus what the endpoint supplies. */
export type TunnelOptions = Omit<TunnelEngineOptions, EndpointManaged>;

/** What the host learns about a tunnel a peer opens, to accept or refuse it. */
export interface IncomingTunnelInfo {
  readonly peer: PeerAddress;
  /** The SCCRQ datagram (a view: copy to keep). */
  readonly sccrq: Uint8Array;
}

/** Options of {@link Endpoint}: its socket, clock, timers and how it treats tunnels peers open. */
export interface EndpointOptions {
  readonly transport: DatagramTransport;
  readonly clock: Clock;
  readonly timers: TimerHost;
  readonly randomBytes: RandomBytes;
  /** Needed when any tunnel uses a secret. */
  readonly crypto?: L2tpCrypto;
  /**
   * Options for tunnels peers open. Without it, incoming SCCRQs are ignored (a LAC-only
   * endpoint). May be a function of the peer, returning undefined to refuse silently.
   */
  readonly acceptTunnel?: TunnelOptions | ((info: IncomingTunnelInfo) => TunnelOptions | undefined);
  /** Most tunnels at once (half-open included); further SCCRQs are dropped. Default 4096. */
  readonly maxTunnels?: number;
  /**
   * Most tunnels peers opened that are not established yet (SCCRP sent, no SCCCN): a bound on
   * what a flood of SCCRQs can hold. At the bound, an SCCRQ from a source (address and port)
   * that holds fewer half-open tunnels than the source holding the most evicts that source's
   * oldest one (dropped without a word: its SCCRQ may have come from a forged address); an
   * SCCRQ from the source holding the most is dropped, and its peer retransmits it. So a flood
   * cannot lock a new peer out, and a LAC opening hundreds of tunnels at once is slowed, not
   * cut off. Default 256.
   */
  readonly maxHalfOpenTunnels?: number;
  /**
   * How long a tunnel a peer opened may stay half-open (SCCRP sent, no SCCCN) while other
   * SCCRQs arrive, in ms: older ones are dropped when the next SCCRQ comes, instead of
   * retransmitting the SCCRP for the whole cycle (about 31 s) to an address that may be forged.
   * Default 10,000 (the SCCCN's first three retransmissions fit in it).
   */
  readonly halfOpenTimeoutMs?: number;
  /**
   * What the transport carries: 'udp' (default; v2 and v3) or 'ip' (L2TPv3 over IP protocol
   * 115 through a raw-IP transport; every tunnel of the endpoint is then v3 over IP).
   */
  readonly encap?: 'udp' | 'ip';
}

/** Events of an {@link Endpoint} (eventemitter3 tuple style). */
export interface EndpointEvents {
  /** A peer opened a tunnel and the endpoint accepted it (it is not up yet). */
  tunnel: [tunnel: Tunnel];
  /**
   * Host faults (a send that threw) that no pending `connect()` / `openSession()` took. Without
   * a listener the fault is thrown from a microtask, as an unheard 'error' of node:events is:
   * a daemon should listen.
   */
  error: [error: Error];
}

/** Counters of the demultiplexer. */
export interface EndpointStats {
  readonly tunnels: number;
  readonly datagramsReceived: number;
  /** Not L2TP or unreadable. */
  readonly datagramsInvalid: number;
  /** For a Tunnel ID we do not have, or not from that tunnel's peer. */
  readonly datagramsUnknownTunnel: number;
  /** SCCRQs refused by `acceptTunnel`, `maxTunnels` or a lost tie. */
  readonly tunnelsRefused: number;
  /** Tunnels peers opened that are not established yet. */
  readonly halfOpenTunnels: number;
  /** Half-open tunnels dropped for a newer SCCRQ (maxHalfOpenTunnels) or for age (halfOpenTimeoutMs). */
  readonly halfOpenEvicted: number;
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new UsageError(`${name} must be a positive integer, got ${value}`);
  }
  return value;
}

// A peer no datagram could reach is refused before a tunnel exists (UDP: port 1…65535; IP: 0).
function checkPeer(peer: PeerAddress, encap: 'udp' | 'ip'): void {
  const { address, port } = peer ?? {};
  if (typeof address !== 'string' || address.length === 0) {
    throw new UsageError(`peer address must be a non-empty string, got ${String(address)}`);
  }
  const min = encap === 'udp' ? 1 : 0;
  const max = encap === 'udp' ? 0xffff : 0;
  if (!Number.isInteger(port) || port < min || port > max) {
    throw new UsageError(
      `peer port must be an integer in ${min}…${max} for ${encap} encapsulation, got ${String(port)}`,
    );
  }
}

const sourceKey = (p: PeerAddress) => `${p.address}|${p.port}`;

const sameAddress = (a: PeerAddress, b: PeerAddress) =>
  a.address === b.address && a.port === b.port;

/** One socket, many tunnels. */
export class Endpoint extends EventEmitter<EndpointEvents> {
  readonly #o: EndpointOptions;
  readonly #maxTunnels: number;
  readonly #maxHalfOpen: number;
  readonly #tunnels = new Map<number, Tunnel>();
  // L2TPv3 data carries no Control Connection ID: Session ID → its tunnel (RFC 3931 §4.1).
  readonly #v3Sessions = new Map<number, Tunnel>();
  // Tunnels peers opened, by tunnelZeroKey, so a retransmitted SCCRQ reaches the same engine.
  readonly #accepted = new Map<string, Tunnel>();
  // Half-open tunnels peers opened, oldest first, with the time each was accepted; and the
  // same by source address:port (each oldest first).
  readonly #halfOpen = new Map<Tunnel, number>();
  readonly #halfOpenBySource = new Map<string, Set<Tunnel>>();
  readonly #halfOpenTimeoutMs: number;
  #evicted = 0;
  // Every tunnel's next deadline in one heap; one host timer for all of them (issue #13).
  readonly #deadlines = new DeadlineHeap<TunnelTimerSlot>();
  #timer: TimerHandle | undefined;
  #timerAt: number | undefined;
  readonly #random: RandomBytes;
  // Tunnels we opened, by peer address:port, until up or closed.
  readonly #dialing = new Map<string, Set<Tunnel>>();
  // Tunnel IDs are unique per endpoint; v3 Session IDs too, as v3 data is routed by them. One
  // function each, shared by every tunnel.
  readonly #idInUseV2 = (kind: 'tunnel' | 'session', id: number) =>
    kind === 'tunnel' && this.#tunnels.has(id);
  readonly #idInUseV3 = (kind: 'tunnel' | 'session', id: number) =>
    kind === 'tunnel' ? this.#tunnels.has(id) : this.#v3Sessions.has(id);
  readonly #made = new WeakMap<TunnelOptions, TunnelEngineOptions>();
  /** The tunnel the data fast path routed to last. */
  #lastRx: Tunnel | undefined;
  readonly #unsubscribe: () => void;
  readonly #host: TunnelHost;
  #closed = false;
  #received = 0;
  #invalid = 0;
  #unknown = 0;
  #refused = 0;
  readonly #encap: 'udp' | 'ip';

  constructor(options: EndpointOptions) {
    super();
    this.#o = options;
    this.#maxTunnels = positive('maxTunnels', options.maxTunnels ?? 4096);
    this.#maxHalfOpen = positive('maxHalfOpenTunnels', options.maxHalfOpenTunnels ?? 256);
    this.#halfOpenTimeoutMs = positive('halfOpenTimeoutMs', options.halfOpenTimeoutMs ?? 10_000);
    this.#random = pooledRandomBytes(options.randomBytes);
    const encap = options.encap ?? 'udp';
    if (encap !== 'udp' && encap !== 'ip') {
      throw new UsageError(`encap must be 'udp' or 'ip', got ${String(encap)}`);
    }
    this.#encap = encap;
    const accept = options.acceptTunnel;
    if (accept !== undefined && typeof accept !== 'function') this.#engineOptions(accept); // fail early
    this.#host = {
      clock: options.clock,
      schedule: (slot, at) => {
        this.#deadlines.set(slot, at);
        this.#armTimer();
      },
      send: (data: DatagramData, peer: PeerAddress) => options.transport.send(data, peer),
      release: (tunnel: Tunnel) => {
        if (this.#tunnels.get(tunnel.id) === tunnel) this.#tunnels.delete(tunnel.id);
        if (this.#lastRx === tunnel) this.#lastRx = undefined;
        const key = tunnel.acceptKey;
        if (key !== undefined && this.#accepted.get(key) === tunnel) this.#accepted.delete(key);
        this.#forgetHalfOpen(tunnel);
      },
      fault: (error: Error, heard: boolean) => this.#fault(error, heard),
      sessionAdded: (tunnel: Tunnel, sessionId: number) => {
        if (tunnel.version === 3) this.#v3Sessions.set(sessionId, tunnel);
      },
      sessionRemoved: (tunnel: Tunnel, sessionId: number) => {
        if (this.#v3Sessions.get(sessionId) === tunnel) this.#v3Sessions.delete(sessionId);
      },
    };
    this.#unsubscribe = options.transport.onDatagram((bytes, from) => this.#receive(bytes, from));
  }

  /** Live tunnels by our Tunnel ID. */
  get tunnels(): ReadonlyMap<number, Tunnel> {
    return this.#tunnels;
  }

  /** A snapshot of the demultiplexer's counters (per-tunnel counters: `tunnel.stats()`). */
  stats(): EndpointStats {
    return {
      tunnels: this.#tunnels.size,
      datagramsReceived: this.#received,
      datagramsInvalid: this.#invalid,
      datagramsUnknownTunnel: this.#unknown,
      tunnelsRefused: this.#refused,
      halfOpenTunnels: this.#halfOpen.size,
      halfOpenEvicted: this.#evicted,
    };
  }

  /**
   * Creates a tunnel to `peer` (not yet connected: call `tunnel.connect()` or
   * `tunnel.openSession()`).
   */
  tunnel(peer: PeerAddress, options: TunnelOptions): Tunnel {
    if (this.#closed) throw new UsageError('endpoint is closed');
    checkPeer(peer, this.#encap);
    if (this.#tunnels.size >= this.#maxTunnels) {
      throw new UsageError(`maxTunnels (${this.#maxTunnels}) reached`);
    }
    const engine = new TunnelEngine(this.#engineOptions(options));
    engine.logLabel = peer;
    const tunnel = this.#add(engine, peer);
    this.#addDialing(tunnel);
    return tunnel;
  }

  /** Creates a tunnel to `peer` and resolves once it is up. */
  async connect(
    peer: PeerAddress,
    options: TunnelOptions,
    control: { readonly signal?: AbortSignal } = {},
  ): Promise<Tunnel> {
    const tunnel = this.tunnel(peer, options);
    await tunnel.connect(control);
    return tunnel;
  }

  /**
   * Closes every tunnel gracefully (StopCCN) and waits for their post-close holds (bounded by
   * one retransmission cycle each, in parallel), then stops listening. The transport is the
   * host's to close.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#tunnels.values()].map((t) => t.close()));
    this.#unsubscribe();
  }

  /** Drops every tunnel at once without sending anything, and stops listening. */
  destroy(): void {
    this.#closed = true;
    for (const t of [...this.#tunnels.values()]) t.destroy();
    this.#unsubscribe();
  }

  // -------------------------------------------------------------------------------------------

  // One engine-options object per tunnel-options object: the engine then resolves it once for
  // every tunnel made from it (an LNS's acceptTunnel: 100,000 tunnels, one resolution).
  #engineOptions(options: TunnelOptions): TunnelEngineOptions {
    let made = this.#made.get(options);
    if (made === undefined) {
      made = this.#makeEngineOptions(options);
      this.#made.set(options, made);
    }
    return made;
  }

  #makeEngineOptions(options: TunnelOptions): TunnelEngineOptions {
    const crypto = this.#o.crypto;
    if (this.#encap === 'ip' && options.version !== 3) {
      throw new UsageError('an IP endpoint carries L2TPv3 only (version: 3)');
    }
    if (options.encap !== undefined && options.encap !== this.#encap) {
      throw new UsageError(`tunnel encap ${options.encap} on an endpoint of encap ${this.#encap}`);
    }
    return {
      ...options,
      encap: this.#encap,
      randomBytes: this.#random,
      ...(crypto === undefined ? {} : { crypto }),
      isIdInUse: options.version === 3 ? this.#idInUseV3 : this.#idInUseV2,
    };
  }

  #add(engine: TunnelEngine, peer: PeerAddress): Tunnel {
    const tunnel = new Tunnel(engine, peer, this.#host);
    this.#tunnels.set(tunnel.id, tunnel);
    return tunnel;
  }

  // Our tunnels by peer until they are up or closed (collisions, replies to Tunnel ID 0/65535).
  #addDialing(tunnel: Tunnel): void {
    const key = sourceKey(tunnel.peer);
    let set = this.#dialing.get(key);
    if (set === undefined) {
      set = new Set();
      this.#dialing.set(key, set);
    }
    set.add(tunnel);
    const done = () => {
      set.delete(tunnel);
      if (set.size === 0 && this.#dialing.get(key) === set) this.#dialing.delete(key);
    };
    tunnel.once('up', done);
    tunnel.once('close', done);
  }

  // A control message to Tunnel ID 0 (or 65535) that is no SCCRQ, from a peer we sent an SCCRQ
  // to and that has not answered with an SCCRP: its refusal (xl2tpd sends ZLB + StopCCN there
  // when it cannot read our SCCRQ's Assigned Tunnel ID). Handed to those tunnels, so connect()
  // fails at once with the peer's Result Code instead of by timeout. False when there are none.
  #toDialing(bytes: Uint8Array, from: PeerAddress): boolean {
    const waiting = this.#awaitingSccrp(from);
    for (const t of waiting) t.handleDatagram(bytes);
    return waiting.length > 0;
  }

  // Our tunnels to `from` whose SCCRQ has no SCCRP yet (a copy: handling may close them).
  #awaitingSccrp(from: PeerAddress): Tunnel[] {
    const dialing = this.#dialing.get(sourceKey(from));
    if (dialing === undefined) return [];
    return [...dialing].filter((t) => t.engine.state === 'wait-ctl-reply');
  }

  // A host fault no promise took: to the endpoint's 'error' listeners; thrown when neither
  // they nor the tunnel's (`heard`) exist (emitOrThrow).
  #fault(error: Error, heard: boolean): void {
    if (heard && this.listenerCount('error') === 0) return;
    emitOrThrow(this, error);
  }

  #receive(bytes: Uint8Array, from: PeerAddress): void {
    if (this.#closed) return;
    this.#received++;
    // L2TPv2 data (T, L clear, version 2): the Tunnel ID is at octet 2; the tunnel that received
    // last is tried before the map. Everything else goes through classify.
    if (this.#encap === 'udp' && bytes.length >= 6 && (bytes[0] as number) < 0x40) {
      if (((bytes[1] as number) & 0x0f) === 2) {
        const id = ((bytes[2] as number) << 8) | (bytes[3] as number);
        let tunnel = this.#lastRx;
        if (tunnel === undefined || tunnel.id !== id) tunnel = this.#tunnels.get(id);
        if (
          tunnel !== undefined &&
          tunnel.version === 2 &&
          tunnel.peer.port === from.port &&
          tunnel.peer.address === from.address
        ) {
          this.#lastRx = tunnel;
          tunnel.receiveData(bytes);
          return;
        }
      }
    }
    // L2TPv2 control over UDP, checked as classify would, without its object.
    if (this.#encap === 'udp') {
      const id = v2ControlTunnelId(bytes);
      if (id > 0) {
        const tunnel = this.#tunnels.get(id);
        if (tunnel !== undefined && tunnel.version === 2 && sameAddress(tunnel.peer, from)) {
          tunnel.handleDatagram(bytes);
          return;
        }
      }
    }
    const c = classify(bytes, this.#encap);
    if (c.kind === 'invalid') {
      this.#invalid++;
      return;
    }
    let tunnel: Tunnel | undefined;
    if (c.kind === 'data' && c.version === 3) {
      tunnel = this.#v3Sessions.get(c.sessionId);
    } else {
      const id = c.version === 2 ? c.tunnelId : c.connectionId;
      if (id === 0) {
        if (c.kind === 'control') this.#incomingSccrq(bytes, from);
        else this.#unknown++;
        return;
      }
      tunnel = this.#tunnels.get(id);
    }
    if (tunnel === undefined || !sameAddress(tunnel.peer, from) || tunnel.version !== c.version) {
      // xl2tpd addresses its refusal of an SCCRQ it could not read to Tunnel ID 65535.
      const refusal = c.kind === 'control' && c.version === 2 && c.tunnelId === 0xffff;
      if (!refusal || !this.#toDialing(bytes, from)) this.#unknown++;
      return;
    }
    tunnel.handleDatagram(bytes);
  }

  // One host timer at the earliest tunnel deadline. A timer set earlier than needed stays (it
  // fires, finds nothing due and re-arms), so moving a deadline later costs no timer calls.
  #armTimer(): void {
    const at = this.#deadlines.peekDeadline();
    if (at === undefined) {
      // Nothing left to wait for: no timer keeps the process alive.
      if (this.#timer !== undefined) this.#o.timers.clear(this.#timer);
      this.#timer = undefined;
      this.#timerAt = undefined;
      return;
    }
    if (this.#timerAt !== undefined && this.#timerAt <= at) return;
    if (this.#timer !== undefined) this.#o.timers.clear(this.#timer);
    this.#timerAt = at;
    const delay = Math.max(0, at - this.#o.clock.now());
    this.#timer = this.#o.timers.set(delay, () => this.#fire());
  }

  // Runs the tunnels whose deadline has come, earliest first: work proportional to what is due.
  #fire(): void {
    this.#timer = undefined;
    this.#timerAt = undefined;
    const now = this.#o.clock.now();
    const due: TunnelTimerSlot[] = [];
    for (let s = this.#deadlines.popDue(now); s !== undefined; s = this.#deadlines.popDue(now)) {
      due.push(s);
    }
    // Fired after popping all, so a tunnel that files itself again for `now` waits a turn.
    for (let i = 0; i < due.length; i++) (due[i] as TunnelTimerSlot).fire();
    this.#armTimer();
  }

  // Makes room for one more half-open tunnel from `source`: drops those older than
  // halfOpenTimeoutMs; at the bound, the oldest of the source holding the most, unless that is
  // `source` itself (false: refuse this SCCRQ). Nothing is sent to the dropped (maybe forged).
  // The scan is bounded by maxHalfOpenTunnels, not by the number of tunnels.
  #roomForHalfOpen(source: string, now: number): boolean {
    for (const [tunnel, since] of this.#halfOpen) {
      if (now - since < this.#halfOpenTimeoutMs) break;
      this.#evictHalfOpen(tunnel);
    }
    if (this.#halfOpen.size < this.#maxHalfOpen) return true;
    const mine = this.#halfOpenBySource.get(source)?.size ?? 0;
    let biggest: Set<Tunnel> | undefined;
    for (const set of this.#halfOpenBySource.values()) {
      if (biggest === undefined || set.size > biggest.size) biggest = set;
    }
    if (biggest === undefined || biggest.size <= mine) return false;
    const [oldest] = biggest;
    if (oldest !== undefined) this.#evictHalfOpen(oldest);
    return true;
  }

  #evictHalfOpen(tunnel: Tunnel): void {
    this.#forgetHalfOpen(tunnel);
    this.#evicted++;
    log('half-open tunnel %d from %s:%d dropped', tunnel.id, tunnel.peer.address, tunnel.peer.port);
    tunnel.destroy();
  }

  #forgetHalfOpen(tunnel: Tunnel): void {
    if (!this.#halfOpen.delete(tunnel)) return;
    const key = sourceKey(tunnel.peer);
    const set = this.#halfOpenBySource.get(key);
    set?.delete(tunnel);
    if (set?.size === 0) this.#halfOpenBySource.delete(key);
  }

  // Tunnel ID 0: an SCCRQ, a retransmission of one we already accepted, or a collision with
  // our own SCCRQ to the same peer.
  #incomingSccrq(bytes: Uint8Array, from: PeerAddress): void {
    const now = this.#o.clock.now();
    const key = tunnelZeroKey(bytes, from.address, from.port, this.#encap);
    if (key === undefined) {
      // A ZLB (no AVPs) to Tunnel ID 0 can only be the peer acknowledging our SCCRQ.
      if (!this.#toDialing(bytes, from)) this.#invalid++;
      return;
    }
    const accepted = this.#accepted.get(key.id);
    if (accepted !== undefined) {
      // An SCCRQ retransmission, or a StopCCN sent before the peer learned our id.
      accepted.handleDatagram(bytes);
      return;
    }
    if (!key.sccrq) {
      if (!this.#toDialing(bytes, from)) this.#unknown++;
      return;
    }
    // Only our tunnels to this peer still waiting for an SCCRP can collide (RFC 2661 §4.4.3).
    for (const t of this.#awaitingSccrp(from)) {
      const { outcome, outputs } = t.engine.handleCollision(bytes, now);
      t.perform(outputs);
      if (outcome === 'local-wins' || outcome === 'both-lose') {
        this.#refused++;
        return;
      }
    }
    const accept = this.#o.acceptTunnel;
    const options = typeof accept === 'function' ? accept({ peer: from, sccrq: bytes }) : accept;
    if (
      options === undefined ||
      !this.#roomForHalfOpen(sourceKey(from), now) ||
      this.#tunnels.size >= this.#maxTunnels
    ) {
      this.#refused++;
      log('SCCRQ from %s:%d refused', from.address, from.port);
      return;
    }
    const { engine, outputs } = TunnelEngine.accept(bytes, now, this.#engineOptions(options), from);
    if (engine.state === 'closed') {
      // The engine dropped it (e.g. Nr ≠ 0, or Ns ≠ 0 held out of order): no tunnel, no slot, and
      // the key stays free for the real SCCRQ.
      for (const o of outputs) if (o.type === 'transmit') this.#o.transport.send(o.packet, from);
      this.#invalid++;
      return;
    }
    const tunnel = this.#add(engine, from);
    this.#accepted.set(key.id, tunnel);
    if (engine.state === 'wait-ctl-conn') {
      this.#halfOpen.set(tunnel, now);
      const source = sourceKey(from);
      let set = this.#halfOpenBySource.get(source);
      if (set === undefined) {
        set = new Set();
        this.#halfOpenBySource.set(source, set);
      }
      set.add(tunnel);
      tunnel.once('up', () => this.#forgetHalfOpen(tunnel));
    }
    tunnel.acceptKey = key.id; // forgotten in release (no listener per tunnel)
    log('tunnel %d accepted from %s:%d', tunnel.id, from.address, from.port);
    this.emit('tunnel', tunnel);
    tunnel.perform(outputs);
  }
}
