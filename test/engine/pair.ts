// EnginePair: two mini-endpoints ("a" and "b") joined by a SimNetwork on a VirtualClock, each
// hosting TunnelEngines the way an endpoint would: control messages are routed by Tunnel ID, an
// SCCRQ (Tunnel ID 0) creates a responder via TunnelEngine.accept (after asking a waiting
// initiator's handleCollision), and data goes to the engine owning the Tunnel ID. L2TPv3 nodes
// (options.version 3, over UDP or IP) route control by Control Connection ID and data by the
// 32-bit Session ID alone, which is unique across the node. Every output is recorded with its
// time. drive/driveBounded turn a livelock into a test failure.

import { classify } from '../../src/codec/classify.js';
import { parseControl } from '../../src/codec/control.js';
import {
  type EngineEvent,
  type EngineOutput,
  TunnelEngine,
  type TunnelEngineOptions,
} from '../../src/engine/index.js';
import { nodeCrypto } from '../../src/node/crypto.js';
import {
  type LinkOptions,
  SeededRandom,
  SimNetwork,
  type SimNode,
} from '../../src/testing/index.js';

export interface Sent {
  readonly at: number;
  /** Position among everything this node recorded (sent, events, frames). */
  readonly seq: number;
  readonly bytes: Uint8Array;
  /** The engine's output (a pair for data frames). */
  readonly packet: Uint8Array | readonly [Uint8Array, Uint8Array];
  readonly tunnelId: number;
}

export interface Seen<T> {
  readonly at: number;
  readonly seq: number;
  readonly tunnelId: number;
  readonly value: T;
}

/** Options for one side; randomBytes defaults to a SeededRandom of the pair's seed. */
export type SideOptions = Omit<TunnelEngineOptions, 'randomBytes'> &
  Partial<Pick<TunnelEngineOptions, 'randomBytes'>>;

function flatten(packet: Uint8Array | readonly [Uint8Array, Uint8Array]): Uint8Array {
  if (packet instanceof Uint8Array) return packet;
  const [h, p] = packet;
  const out = new Uint8Array(h.length + p.length);
  out.set(h, 0);
  out.set(p, h.length);
  return out;
}

/** One side: a set of engines behind one simulated address. */
export class EngineNode implements SimNode<Uint8Array> {
  readonly id: string;
  readonly peerId: string;
  readonly options: TunnelEngineOptions;
  /** Live and finished engines by our Tunnel ID. */
  readonly engines = new Map<number, TunnelEngine>();
  /** Responders by the peer's Tunnel ID (absorbs SCCRQ retransmissions). */
  readonly #byPeerTunnel = new Map<number, TunnelEngine>();
  readonly sent: Sent[] = [];
  readonly events: Seen<EngineEvent>[] = [];
  readonly frames: Seen<{ sessionId: number; frame: Uint8Array }>[] = [];
  /** `tunnelId:sessionId` of calls the test opened here (for model checks). */
  readonly opened = new Set<string>();
  /** Collision outcomes seen. */
  readonly collisions: string[] = [];
  /** Returns false to drop an outgoing datagram before it reaches the link. */
  outFilter: ((bytes: Uint8Array, now: number) => boolean) | undefined;
  /** Incoming SCCRQs make responders (default true). */
  acceptTunnels = true;
  readonly #net: SimNetwork<Uint8Array>;
  #main: TunnelEngine | undefined;
  #seq = 0;

  constructor(
    id: string,
    peerId: string,
    options: TunnelEngineOptions,
    net: SimNetwork<Uint8Array>,
  ) {
    this.id = id;
    this.peerId = peerId;
    this.options = options;
    this.#net = net;
  }

  /** The most recently created engine. */
  get engine(): TunnelEngine {
    if (this.#main === undefined) throw new Error(`${this.id} has no engine yet`);
    return this.#main;
  }

  get hasEngine(): boolean {
    return this.#main !== undefined;
  }

  /** Creates an initiator engine (not yet connected). */
  create(overrides: Partial<TunnelEngineOptions> = {}): TunnelEngine {
    const engine = new TunnelEngine({
      ...this.options,
      ...overrides,
      isIdInUse: this.#isIdInUse,
    });
    this.engines.set(engine.localTunnelId, engine);
    this.#main = engine;
    return engine;
  }

  /** Performs the outputs of `engine` at `now`. */
  perform(engine: TunnelEngine, outputs: readonly EngineOutput[], now: number): void {
    for (const o of outputs) {
      if (o.type === 'transmit') {
        const bytes = flatten(o.packet);
        this.sent.push({
          at: now,
          seq: this.#seq++,
          bytes,
          packet: o.packet,
          tunnelId: engine.localTunnelId,
        });
        if (this.outFilter === undefined || this.outFilter(bytes, now)) {
          this.#net.transmit(this.id, this.peerId, bytes);
        }
      } else if (o.type === 'frame') {
        this.frames.push({
          at: now,
          seq: this.#seq++,
          tunnelId: engine.localTunnelId,
          value: { sessionId: o.sessionId, frame: o.frame },
        });
      } else {
        this.events.push({
          at: now,
          seq: this.#seq++,
          tunnelId: engine.localTunnelId,
          value: o.event,
        });
      }
    }
  }

  nextDeadline(): number | undefined {
    let d: number | undefined;
    for (const e of this.engines.values()) {
      const x = e.nextDeadline();
      if (x !== undefined && (d === undefined || x < d)) d = x;
    }
    return d;
  }

  handleTimeout(now: number): void {
    for (const e of [...this.engines.values()]) {
      const d = e.nextDeadline();
      if (d !== undefined && d <= now) this.perform(e, e.handleTimeout(now), now);
    }
  }

  // v3 session ids name a session across the whole node (RFC 3931 §4.1): no two engines share one.
  readonly #isIdInUse = (kind: 'tunnel' | 'session', id: number): boolean =>
    kind === 'tunnel'
      ? this.engines.has(id)
      : this.options.version === 3 &&
        [...this.engines.values()].some((e) => e.sessionState(id) !== undefined);

  receive(_from: string, packet: Uint8Array, now: number): void {
    const c = classify(packet, this.options.encap ?? 'udp');
    if (c.kind === 'invalid' || c.version !== (this.options.version ?? 2)) return;
    let engine: TunnelEngine | undefined;
    if (c.version === 2) {
      if (c.kind === 'control' && c.tunnelId === 0) {
        this.#sccrq(packet, now);
        return;
      }
      engine = this.engines.get(c.tunnelId);
    } else if (c.kind === 'control') {
      if (c.connectionId === 0) {
        this.#sccrq(packet, now);
        return;
      }
      engine = this.engines.get(c.connectionId);
    } else {
      const sid = c.sessionId;
      engine = [...this.engines.values()].find((e) => e.sessionState(sid) !== undefined);
    }
    if (engine !== undefined) this.perform(engine, engine.handleDatagram(packet, now), now);
  }

  #sccrq(packet: Uint8Array, now: number): void {
    let peerTunnelId = 0;
    let isSccrq = true;
    try {
      const m = parseControl(packet, { encap: this.options.encap ?? 'udp' }).message;
      isSccrq = m.type === 'SCCRQ';
      const ids = m as { assignedTunnelId?: number; assignedControlConnectionId?: number };
      const assigned = ids.assignedTunnelId ?? ids.assignedControlConnectionId;
      if (assigned !== undefined) peerTunnelId = assigned;
    } catch {
      // a broken message to Tunnel 0 is taken as an SCCRQ: the responder answers with StopCCN
    }
    // Tunnel 0 but not an SCCRQ (e.g. a StopCCN sent before the peer knew our id, or an SCCRQ
    // retransmission): route by the sender's Assigned Tunnel ID, as an endpoint would.
    const existing = this.#byPeerTunnel.get(peerTunnelId);
    if (existing !== undefined && peerTunnelId !== 0) {
      this.perform(existing, existing.handleDatagram(packet, now), now);
      return;
    }
    if (!isSccrq) return;
    for (const e of [...this.engines.values()]) {
      if (e.state !== 'wait-ctl-reply') continue;
      const { outcome, outputs } = e.handleCollision(packet, now);
      this.collisions.push(outcome);
      this.perform(e, outputs, now);
      if (outcome === 'local-wins' || outcome === 'both-lose') return; // silently discard theirs
    }
    if (!this.acceptTunnels) return;
    const { engine, outputs } = TunnelEngine.accept(packet, now, {
      ...this.options,
      isIdInUse: this.#isIdInUse,
    });
    this.engines.set(engine.localTunnelId, engine);
    if (peerTunnelId !== 0) this.#byPeerTunnel.set(peerTunnelId, engine);
    this.#main = engine;
    this.perform(engine, outputs, now);
  }

  /** Events of one type, in order. */
  eventsOf<T extends EngineEvent['type']>(type: T): Seen<Extract<EngineEvent, { type: T }>>[] {
    return this.events.filter((e) => e.value.type === type) as Seen<
      Extract<EngineEvent, { type: T }>
    >[];
  }
}

export interface PairOptions {
  readonly seed?: number;
  readonly a?: Partial<SideOptions>;
  readonly b?: Partial<SideOptions>;
  /** Conditions of both directions (default: 10 ms latency, no loss). */
  readonly link?: LinkOptions;
}

export const SECRET = 'tunnel-secret';

/** Base options of a side: a LAC ("a") or an LNS ("b"), both with node crypto. */
export function sideOptions(
  mode: 'lac' | 'lns',
  random: SeededRandom,
  extra: Partial<SideOptions> = {},
): TunnelEngineOptions {
  return {
    mode,
    hostName: mode === 'lac' ? 'lac.example' : 'lns.example',
    randomBytes: (n) => random.bytes(n),
    crypto: nodeCrypto,
    ...extra,
  } as TunnelEngineOptions;
}

/** A LAC ("a", the initiator by default) and an LNS ("b") on a simulated link. */
export class EnginePair {
  readonly net: SimNetwork<Uint8Array>;
  readonly a: EngineNode;
  readonly b: EngineNode;

  constructor(options: PairOptions = {}) {
    const seed = options.seed ?? 1;
    this.net = new SimNetwork<Uint8Array>({ seed, clone: (p) => p.slice() });
    const ra = new SeededRandom(seed * 7 + 1);
    const rb = new SeededRandom(seed * 13 + 2);
    this.a = new EngineNode('a', 'b', sideOptions('lac', ra, options.a), this.net);
    this.b = new EngineNode('b', 'a', sideOptions('lns', rb, options.b), this.net);
    this.net.addNode(this.a);
    this.net.addNode(this.b);
    this.net.connectBoth('a', 'b', options.link ?? { latencyMs: 10 });
  }

  get now(): number {
    return this.net.clock.now();
  }

  /** Creates a's engine and sends its SCCRQ. */
  connect(overrides: Partial<TunnelEngineOptions> = {}): TunnelEngine {
    const engine = this.a.create(overrides);
    this.a.perform(engine, engine.connect(this.now), this.now);
    return engine;
  }

  /** Runs a command on a node's engine at the current time and performs its outputs. */
  run(node: EngineNode, command: (engine: TunnelEngine, now: number) => readonly EngineOutput[]) {
    const outputs = command(node.engine, this.now);
    node.perform(node.engine, outputs, this.now);
    return outputs;
  }

  /** Opens a session on a node's engine now; returns our Session ID. */
  openSession(node: EngineNode, options?: Parameters<TunnelEngine['openSession']>[1]): number {
    const { sessionId, outputs } = node.engine.openSession(this.now, options);
    node.perform(node.engine, outputs, this.now);
    return sessionId;
  }

  /** Drives the simulation for `ms` of simulated time (fails on a livelock). */
  drive(ms = 5000, maxSteps = 100_000): void {
    const r = this.net.run({ maxSteps, untilMs: this.now + ms });
    if (r.reason === 'max-steps') throw new Error(`drive: no progress after ${maxSteps} steps`);
  }

  /** Steps until `done()` holds; throws after `maxSteps` steps (quinn's drive_bounded). */
  driveBounded(done: () => boolean, maxSteps = 100, untilMs = this.now + 600_000): void {
    const r = this.net.run({ maxSteps, untilMs, stopWhen: done });
    if (r.reason !== 'stopped') {
      throw new Error(`driveBounded: stopped by ${r.reason} after ${r.steps} steps at ${r.nowMs}`);
    }
  }

  /** Both tunnels up. */
  established(): boolean {
    return (
      this.a.hasEngine &&
      this.b.hasEngine &&
      this.a.engine.state === 'established' &&
      this.b.engine.state === 'established'
    );
  }

  /** Connects and drives until both sides are established. */
  establish(overrides: Partial<TunnelEngineOptions> = {}): void {
    this.connect(overrides);
    this.driveBounded(() => this.established());
  }
}
