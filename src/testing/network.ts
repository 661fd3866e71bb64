/**
 * SimNetwork: a deterministic discrete-event network simulator for sans-I/O engines. Directional
 * links with latency, jitter, loss, duplication and reordering driven by a seeded random source;
 * nodes that expose `nextDeadline()` / `handleTimeout(now)` / `receive(from, packet, now)`; and a
 * bounded driver that jumps a VirtualClock to the next arrival or deadline and gives up after a
 * fixed number of steps. Same seed, same run. No real time, sockets or timers.
 * Part of the `l2tp-core/testing` kit; generic over the packet type `P`.
 */

import { UsageError } from '../errors.js';
import { VirtualClock } from './clock.js';
import { SeededRandom } from './random.js';

/** Conditions of one direction of a link. Rates are probabilities in 0…1. */
export interface LinkOptions {
  /** Fixed one-way delay in ms. Default 10. */
  readonly latencyMs?: number;
  /** Extra delay drawn uniformly from 0…jitterMs (integer ms); reorders packets. Default 0. */
  readonly jitterMs?: number;
  /** Probability that a packet is lost. Default 0. */
  readonly lossRate?: number;
  /** Probability that a packet is delivered twice (each copy delayed independently). Default 0. */
  readonly duplicateRate?: number;
  /** Probability that a packet is held back by up to reorderDelayMs extra. Default 0. */
  readonly reorderRate?: number;
  /** Largest extra delay for a held-back packet in ms. Default 100. */
  readonly reorderDelayMs?: number;
}

/** Counters of one direction of a link. */
export interface LinkStats {
  /** Packets handed to the link. */
  readonly sent: number;
  readonly lost: number;
  /** Extra copies created. */
  readonly duplicated: number;
  /** Packets given the extra reorder delay. */
  readonly reordered: number;
  /** Copies handed to the receiving node. */
  readonly delivered: number;
  /** Copies scheduled and not yet delivered. */
  readonly inFlight: number;
}

/** Something attached to the network: usually a thin adapter around an engine. */
export interface SimNode<P> {
  /** Unique name used by {@link SimNetwork.connect} and {@link SimNetwork.transmit}. */
  readonly id: string;
  /** When the node next wants {@link SimNode.handleTimeout}; undefined when idle. */
  nextDeadline(): number | undefined;
  /** Called by the network when the node's deadline has come. */
  handleTimeout(now: number): void;
  /** Called by the network to deliver `packet` sent by node `from`. */
  receive(from: string, packet: P, now: number): void;
}

/** Options of {@link SimNetwork}. */
export interface SimNetworkOptions<P> {
  /** Seed of every random choice the network makes. */
  readonly seed: number;
  /** Clock to drive; a new one starting at 0 by default. */
  readonly clock?: VirtualClock;
  /** Copies a packet for duplication; by default both copies are the same reference. */
  readonly clone?: (packet: P) => P;
}

/** Limits of {@link SimNetwork.run}. */
export interface RunOptions {
  /** Give up after this many steps (each step is one delivery, action or node timeout). */
  readonly maxSteps: number;
  /** Stop before any event later than this time; the clock is left at untilMs. */
  readonly untilMs?: number;
  /** Checked after every step; stop when it returns true. */
  readonly stopWhen?: () => boolean;
}

/** Why {@link SimNetwork.run} returned. */
export type StopReason = 'idle' | 'max-steps' | 'until' | 'stopped';

/** Outcome of {@link SimNetwork.run}. */
export interface RunResult {
  readonly reason: StopReason;
  readonly steps: number;
  /** Clock time when the run stopped, ms. */
  readonly nowMs: number;
}

interface Link {
  latencyMs: number;
  jitterMs: number;
  lossRate: number;
  duplicateRate: number;
  reorderRate: number;
  reorderDelayMs: number;
  readonly random: SeededRandom;
  sent: number;
  lost: number;
  duplicated: number;
  reordered: number;
  delivered: number;
  inFlight: number;
}

interface Event<P> {
  readonly time: number;
  readonly seq: number; // FIFO among equal times: determinism
  readonly from: string;
  readonly to: string;
  readonly packet: P | undefined;
  readonly action: ((now: number) => void) | undefined;
}

function checkRate(name: string, v: number): void {
  if (!(v >= 0 && v <= 1)) throw new UsageError(`${name} must be in 0…1, got ${v}`);
}

function checkMs(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) {
    throw new UsageError(`${name} must be a non-negative integer, got ${v}`);
  }
}

/** Deterministic network of {@link SimNode}s joined by lossy directional links. */
export class SimNetwork<P> {
  /** The clock the driver moves. */
  readonly clock: VirtualClock;
  /** Seeded source; links fork their own streams from it when connected. */
  readonly random: SeededRandom;
  readonly #clone: ((packet: P) => P) | undefined;
  readonly #nodes: SimNode<P>[] = [];
  readonly #byId = new Map<string, SimNode<P>>();
  readonly #links = new Map<string, Link>();
  readonly #heap: Event<P>[] = [];
  #seq = 0;
  #undeliverable = 0;

  constructor(options: SimNetworkOptions<P>) {
    this.clock = options.clock ?? new VirtualClock();
    this.random = new SeededRandom(options.seed);
    this.#clone = options.clone;
  }

  /** Attaches a node. @throws UsageError on a duplicate id. */
  addNode(node: SimNode<P>): void {
    if (this.#byId.has(node.id)) throw new UsageError(`node ${node.id} already added`);
    this.#nodes.push(node);
    this.#byId.set(node.id, node);
  }

  /**
   * Creates (or reconfigures) the one-way link `from` → `to`. Reconfiguring keeps the link's random
   * stream and counters, so conditions can change mid-run (e.g. lossRate 1 for a partition).
   */
  connect(from: string, to: string, options: LinkOptions = {}): void {
    const latencyMs = options.latencyMs ?? 10;
    const jitterMs = options.jitterMs ?? 0;
    const reorderDelayMs = options.reorderDelayMs ?? 100;
    const lossRate = options.lossRate ?? 0;
    const duplicateRate = options.duplicateRate ?? 0;
    const reorderRate = options.reorderRate ?? 0;
    checkMs('latencyMs', latencyMs);
    checkMs('jitterMs', jitterMs);
    checkMs('reorderDelayMs', reorderDelayMs);
    checkRate('lossRate', lossRate);
    checkRate('duplicateRate', duplicateRate);
    checkRate('reorderRate', reorderRate);
    const key = `${from}\u0000${to}`;
    const existing = this.#links.get(key);
    const conditions = {
      latencyMs,
      jitterMs,
      lossRate,
      duplicateRate,
      reorderRate,
      reorderDelayMs,
    };
    if (existing !== undefined) {
      Object.assign(existing, conditions);
      return;
    }
    this.#links.set(key, {
      ...conditions,
      random: this.random.fork(),
      sent: 0,
      lost: 0,
      duplicated: 0,
      reordered: 0,
      delivered: 0,
      inFlight: 0,
    });
  }

  /** {@link SimNetwork.connect} in both directions with the same conditions. */
  connectBoth(a: string, b: string, options: LinkOptions = {}): void {
    this.connect(a, b, options);
    this.connect(b, a, options);
  }

  /**
   * Puts `packet` on the link `from` → `to` at the current clock time; it may be lost, duplicated
   * or delayed per the link's conditions.
   * @throws UsageError when the link does not exist.
   */
  transmit(from: string, to: string, packet: P): void {
    const link = this.#links.get(`${from}\u0000${to}`);
    if (link === undefined) throw new UsageError(`no link ${from} → ${to}`);
    link.sent++;
    const r = link.random;
    if (r.chance(link.lossRate)) {
      link.lost++;
      return;
    }
    const copies = r.chance(link.duplicateRate) ? 2 : 1;
    if (copies === 2) link.duplicated++;
    for (let i = 0; i < copies; i++) {
      let delay = link.latencyMs + (link.jitterMs > 0 ? r.int(link.jitterMs + 1) : 0);
      if (r.chance(link.reorderRate)) {
        link.reordered++;
        delay += 1 + r.int(link.reorderDelayMs + 1);
      }
      const copy = i === 1 && this.#clone !== undefined ? this.#clone(packet) : packet;
      link.inFlight++;
      this.#pushEvent(this.clock.now() + delay, from, to, copy, undefined);
    }
  }

  /** Runs `action(now)` when the clock reaches `atMs` (e.g. "send message 3 at t = 250 ms"). */
  schedule(atMs: number, action: (now: number) => void): void {
    if (!Number.isFinite(atMs)) throw new UsageError(`atMs must be finite, got ${atMs}`);
    this.#pushEvent(Math.max(atMs, this.clock.now()), '', '', undefined, action);
  }

  /** Counters of the link `from` → `to`. @throws UsageError when it does not exist. */
  linkStats(from: string, to: string): LinkStats {
    const l = this.#links.get(`${from}\u0000${to}`);
    if (l === undefined) throw new UsageError(`no link ${from} → ${to}`);
    return {
      sent: l.sent,
      lost: l.lost,
      duplicated: l.duplicated,
      reordered: l.reordered,
      delivered: l.delivered,
      inFlight: l.inFlight,
    };
  }

  /** Packets addressed to a node id that was never added (dropped at arrival). */
  get undeliverable(): number {
    return this.#undeliverable;
  }

  /** Scheduled arrivals and actions not yet run. */
  get pendingEvents(): number {
    return this.#heap.length;
  }

  /** Time of the next thing that will happen (arrival, action or node deadline), or undefined. */
  nextEventTime(): number | undefined {
    const e = this.#heap[0]?.time;
    const d = this.#earliestNode()?.deadline;
    if (e === undefined) return d;
    if (d === undefined) return e;
    return Math.min(e, d);
  }

  /**
   * Performs one step: the earliest arrival/action, or else the earliest node timeout (arrivals
   * win ties, so a message arriving exactly at a deadline is seen first). Returns false when idle.
   */
  step(): boolean {
    const ev = this.#heap[0];
    const node = this.#earliestNode();
    if (ev !== undefined && (node === undefined || ev.time <= node.deadline)) {
      this.#popEvent();
      const now = this.clock.advanceTo(Math.max(ev.time, this.clock.now()));
      if (ev.action !== undefined) {
        ev.action(now);
        return true;
      }
      const link = this.#links.get(`${ev.from}\u0000${ev.to}`);
      if (link !== undefined) link.inFlight--;
      const target = this.#byId.get(ev.to);
      if (target === undefined) {
        this.#undeliverable++;
        return true;
      }
      if (link !== undefined) link.delivered++;
      target.receive(ev.from, ev.packet as P, now);
      return true;
    }
    if (node === undefined) return false;
    const now = this.clock.advanceTo(Math.max(node.deadline, this.clock.now()));
    node.node.handleTimeout(now);
    return true;
  }

  /**
   * Steps until idle, `stopWhen`, `untilMs`, or `maxSteps` (whichever first). A node whose
   * deadline never moves shows up as 'max-steps', never as a hang.
   */
  run(options: RunOptions): RunResult {
    if (!Number.isInteger(options.maxSteps) || options.maxSteps < 0) {
      throw new UsageError(`maxSteps must be a non-negative integer, got ${options.maxSteps}`);
    }
    let steps = 0;
    for (;;) {
      if (options.stopWhen?.()) return this.#result('stopped', steps);
      const t = this.nextEventTime();
      if (t === undefined) return this.#result('idle', steps);
      if (options.untilMs !== undefined && t > options.untilMs) {
        this.clock.advanceTo(Math.max(options.untilMs, this.clock.now()));
        return this.#result('until', steps);
      }
      if (steps >= options.maxSteps) return this.#result('max-steps', steps);
      this.step();
      steps++;
    }
  }

  #result(reason: StopReason, steps: number): RunResult {
    return { reason, steps, nowMs: this.clock.now() };
  }

  #earliestNode(): { node: SimNode<P>; deadline: number } | undefined {
    let best: { node: SimNode<P>; deadline: number } | undefined;
    for (const node of this.#nodes) {
      const d = node.nextDeadline();
      if (d !== undefined && (best === undefined || d < best.deadline))
        best = { node, deadline: d };
    }
    return best;
  }

  #less(a: Event<P>, b: Event<P>): boolean {
    return a.time < b.time || (a.time === b.time && a.seq < b.seq);
  }

  #pushEvent(
    time: number,
    from: string,
    to: string,
    packet: P | undefined,
    action: ((now: number) => void) | undefined,
  ): void {
    const h = this.#heap;
    const e: Event<P> = { time, seq: this.#seq++, from, to, packet, action };
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p] as Event<P>;
      if (!this.#less(e, parent)) break;
      h[i] = parent;
      i = p;
    }
    h[i] = e;
  }

  #popEvent(): void {
    const h = this.#heap;
    const last = h.pop() as Event<P>;
    if (h.length === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= h.length) break;
      const r = l + 1;
      const c = r < h.length && this.#less(h[r] as Event<P>, h[l] as Event<P>) ? r : l;
      if (!this.#less(h[c] as Event<P>, last)) break;
      h[i] = h[c] as Event<P>;
      i = c;
    }
    h[i] = last;
  }
}
