// An in-memory datagram network on a virtual clock for switching tests: every transport is an
// address:port on one hub; deliveries and timers run in time order; links may lose, duplicate
// and reorder with a seeded generator. Delivered datagrams are fresh buffers (as node:dgram's).

import { Endpoint, type EndpointOptions } from '../../src/endpoint.js';
import { nodeRandomBytes } from '../../src/node/clock.js';
import {
  type SwitchRoute,
  TunnelSwitch,
  type TunnelSwitchOptions,
} from '../../src/switch/switch.js';
import { VirtualClock } from '../../src/testing/clock.js';
import { SeededRandom } from '../../src/testing/random.js';
import type {
  DatagramData,
  DatagramHandler,
  DatagramTransport,
  PeerAddress,
  TimerHost,
} from '../../src/transport.js';

interface Job {
  readonly at: number;
  readonly seq: number;
  fn: (() => void) | undefined;
}

export interface LinkFaults {
  /** Probability a datagram is lost. */
  loss?: number;
  /** Probability a datagram is delivered twice. */
  duplicate?: number;
  /** Extra random delay up to this many ms (reorders). */
  jitterMs?: number;
}

export class VirtualNet {
  readonly clock = new VirtualClock();
  readonly rng: SeededRandom;
  readonly #jobs: Job[] = [];
  #seq = 0;
  readonly #nodes = new Map<string, MemTransport>();
  /** Faults per sending address:port (default none). */
  readonly faults = new Map<string, LinkFaults>();
  /** Everything delivered, for checks: [from, to, bytes]. */
  readonly log: { from: string; to: string; bytes: Uint8Array }[] = [];
  logging = false;
  latencyMs = 1;

  constructor(seed = 1) {
    this.rng = new SeededRandom(seed);
  }

  readonly timers: TimerHost = {
    set: (delayMs, fire) =>
      this.#schedule(Number.isFinite(delayMs) ? Math.max(0, delayMs) : 0, fire),
    clear: (handle) => {
      (handle as Job).fn = undefined;
    },
  };

  transport(address: string, port: number): MemTransport {
    const t = new MemTransport(this, { address, port });
    this.#nodes.set(key(t.local), t);
    return t;
  }

  /** @internal */
  send(from: MemTransport, data: DatagramData, to: PeerAddress): void {
    const bytes =
      data instanceof Uint8Array
        ? data.slice()
        : concat(data[0] as Uint8Array, data[1] as Uint8Array);
    const f = this.faults.get(key(from.local));
    const copies = f?.duplicate !== undefined && this.rng.next() < f.duplicate ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      if (f?.loss !== undefined && this.rng.next() < f.loss) continue;
      const delay = this.latencyMs + (f?.jitterMs ? this.rng.next() * f.jitterMs : 0);
      this.#schedule(delay, () => {
        const target = this.#nodes.get(key(to));
        if (target === undefined) return;
        if (this.logging)
          this.log.push({ from: key(from.local), to: key(to), bytes: bytes.slice() });
        target.deliver(i === 0 ? bytes : bytes.slice(), from.local);
      });
    }
  }

  /** @internal */
  remove(t: MemTransport): void {
    if (this.#nodes.get(key(t.local)) === t) this.#nodes.delete(key(t.local));
  }

  /** Runs deliveries and timers (and the microtasks they queue) for `ms` of virtual time. */
  async run(ms: number): Promise<void> {
    const end = this.clock.now() + ms;
    for (;;) {
      await flush();
      const job = this.#pop(end);
      if (job === undefined) break;
      this.clock.advanceTo(Math.max(job.at, this.clock.now()));
      job.fn?.();
    }
    this.clock.advanceTo(Math.max(end, this.clock.now()));
    await flush();
  }

  /** Runs until `done()` holds or `ms` of virtual time passed; returns done(). */
  async until(done: () => boolean, ms = 120_000): Promise<boolean> {
    const end = this.clock.now() + ms;
    while (!done() && this.clock.now() < end) await this.run(Math.min(10, end - this.clock.now()));
    return done();
  }

  /** Runs the network until `promise` settles (at most `ms` of virtual time); its value. */
  async settle<T>(promise: Promise<T>, ms = 120_000): Promise<T> {
    let done = false;
    const watched = promise.finally(() => {
      done = true;
    });
    watched.catch(() => {});
    await this.until(() => done, ms);
    if (!done) throw new Error(`not settled within ${ms} ms of virtual time`);
    return watched;
  }

  #schedule(delay: number, fn: () => void): Job {
    const job: Job = { at: this.clock.now() + delay, seq: this.#seq++, fn };
    this.#jobs.push(job);
    return job;
  }

  // Earliest live job due by `end` (a linear scan: tests hold few jobs).
  #pop(end: number): Job | undefined {
    let best = -1;
    for (let i = 0; i < this.#jobs.length; i++) {
      const j = this.#jobs[i] as Job;
      if (j.fn === undefined || j.at > end) continue;
      const b = this.#jobs[best];
      if (b === undefined || j.at < b.at || (j.at === b.at && j.seq < b.seq)) best = i;
    }
    // drop cancelled jobs now and then
    if (this.#jobs.length > 256) {
      const live = this.#jobs.filter((j) => j.fn !== undefined);
      const chosen = this.#jobs[best];
      this.#jobs.length = 0;
      this.#jobs.push(...live);
      if (chosen === undefined) return undefined;
      this.#jobs.splice(this.#jobs.indexOf(chosen), 1);
      return chosen;
    }
    if (best < 0) return undefined;
    return this.#jobs.splice(best, 1)[0];
  }
}

export class MemTransport implements DatagramTransport {
  readonly local: PeerAddress;
  readonly #net: VirtualNet;
  #handler: DatagramHandler | undefined;
  #closed = false;

  constructor(net: VirtualNet, local: PeerAddress) {
    this.#net = net;
    this.local = local;
  }
  send(data: DatagramData, peer: PeerAddress): void {
    if (this.#closed) throw new Error('closed');
    this.#net.send(this, data, peer);
  }
  onDatagram(handler: DatagramHandler): () => void {
    this.#handler = handler;
    return () => {
      if (this.#handler === handler) this.#handler = undefined;
    };
  }
  deliver(bytes: Uint8Array, from: PeerAddress): void {
    this.#handler?.(bytes, from);
  }
  close(): void {
    this.#closed = true;
    this.#net.remove(this);
  }
}

type At = { readonly address: string; readonly port: number };

/** An Endpoint at `at` on the network; `accept` as its acceptTunnel. */
export function endpointAt(net: VirtualNet, at: At, accept?: EndpointOptions['acceptTunnel']) {
  return new Endpoint({
    transport: net.transport(at.address, at.port),
    clock: net.clock,
    timers: net.timers,
    randomBytes: nodeRandomBytes,
    ...(accept === undefined ? {} : { acceptTunnel: accept }),
  });
}

/** A TunnelSwitch at `at` accepting L2TPv2 tunnels as LNS; `extra` overrides any option. */
export function switchAt(
  net: VirtualNet,
  at: At,
  route: SwitchRoute,
  extra: Partial<TunnelSwitchOptions> = {},
) {
  return new TunnelSwitch({
    transport: net.transport(at.address, at.port),
    clock: net.clock,
    timers: net.timers,
    randomBytes: nodeRandomBytes,
    accept: { version: 2, mode: 'lns', hostName: 'tsa' },
    route,
    ...extra,
  });
}

function key(p: PeerAddress): string {
  return `${p.address}:${p.port}`;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

async function flush(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}
