// Test helpers for src/ppp: a seeded randomBytes, and a lossless in-order wire between two
// engines with a manual clock (each frame delivered when `pump` runs; `run` also fires timers).

import type { Endpoint } from '../../src/endpoint.js';
import { nodeRandomBytes } from '../../src/node/clock.js';
import { nodePppAuthCrypto } from '../../src/node/ppp-crypto.js';
import { decodeFrame } from '../../src/ppp/frame.js';
import { type IpPacketPort, PppServer, type PppServerOptions } from '../../src/ppp/server.js';
import { PppSession, type PppSessionOptions } from '../../src/ppp/session.js';
import type { PppEvent, PppOutput } from '../../src/ppp/types.js';
import { SeededRandom } from '../../src/testing/random.js';
import { endpointAt, type VirtualNet } from '../switch/net.js';

/** A deterministic randomBytes. */
export function seededBytes(seed: number): (n: number) => Uint8Array {
  const r = new SeededRandom(seed);
  return (n) => r.bytes(n);
}

/** randomBytes returning the given 4-octet words in turn (then repeating the last). */
export function scriptedBytes(...words: number[]): (n: number) => Uint8Array {
  let i = 0;
  return (n) => {
    const w = words[Math.min(i++, words.length - 1)] as number;
    const out = new Uint8Array(n);
    for (let k = 0; k < n; k++) out[k] = (w >>> (8 * (3 - (k % 4)))) & 0xff;
    return out;
  };
}

/** A PppLink-like engine made a Station. */
export function linkStation(link: {
  handleFrame(frame: Uint8Array, now: number): PppOutput[];
  handleTimeout(now: number): PppOutput[];
  nextDeadline(): number | undefined;
}): Station {
  return {
    frame: (f, now) => link.handleFrame(f, now),
    timeout: (now) => link.handleTimeout(now),
    deadline: () => link.nextDeadline(),
  };
}

/** Something that takes frames (whole PPP frames) and time. */
export interface Station {
  frame(frame: Uint8Array, now: number): PppOutput[];
  timeout(now: number): PppOutput[];
  deadline(): number | undefined;
}

/** An engine handling one protocol's packets, made a Station (frames are unwrapped). */
export function packetStation(engine: {
  handlePacket(information: Uint8Array, now: number): PppOutput[];
  handleTimeout(now: number): PppOutput[];
  nextDeadline(): number | undefined;
}): Station {
  return {
    frame: (f, now) => engine.handlePacket(decodeFrame(f).information, now),
    timeout: (now) => engine.handleTimeout(now),
    deadline: () => engine.nextDeadline(),
  };
}

/** What one side did: its frames (in order), its events. */
export interface Log {
  readonly sent: Uint8Array[];
  readonly events: PppEvent[];
  /** Network-layer packets the station delivered (`data` outputs). */
  readonly data: { protocol: number; data: Uint8Array }[];
}

/**
 * Two stations joined by a wire. `deliver(from, outputs)` queues transmits for the other side;
 * `pump()` delivers until quiet; `run(untilMs)` also fires deadlines. `drop` may discard frames.
 */
export class Wire {
  now = 0;
  readonly logs: [Log, Log] = [
    { sent: [], events: [], data: [] },
    { sent: [], events: [], data: [] },
  ];
  readonly #q: { to: 0 | 1; frame: Uint8Array }[] = [];
  drop: (from: 0 | 1, frame: Uint8Array) => boolean = () => false;

  readonly stations: [Station, Station];

  constructor(stations: [Station, Station]) {
    this.stations = stations;
  }

  deliver(from: 0 | 1, outputs: readonly PppOutput[]): void {
    for (const o of outputs) {
      if (o.type === 'transmit') {
        this.logs[from].sent.push(o.frame);
        if (!this.drop(from, o.frame)) this.#q.push({ to: from === 0 ? 1 : 0, frame: o.frame });
      } else if (o.type === 'event') {
        this.logs[from].events.push(o.event);
      } else {
        this.logs[from].data.push({ protocol: o.protocol, data: o.data });
      }
    }
  }

  pump(maxFrames = 10_000): void {
    for (let n = 0; n < maxFrames; n++) {
      const next = this.#q.shift();
      if (next === undefined) return;
      this.deliver(next.to, this.stations[next.to].frame(next.frame, this.now));
    }
    throw new Error('wire: too many frames');
  }

  /** Pumps, then jumps to deadlines up to `untilMs` (inclusive), pumping after each. */
  run(untilMs: number, maxSteps = 10_000): void {
    this.pump();
    for (let n = 0; n < maxSteps; n++) {
      const d = [this.stations[0].deadline(), this.stations[1].deadline()];
      let t: number | undefined;
      for (const x of d) if (x !== undefined && (t === undefined || x < t)) t = x;
      if (t === undefined || t > untilMs) {
        this.now = Math.max(this.now, untilMs);
        return;
      }
      this.now = Math.max(this.now, t);
      for (const i of [0, 1] as const) {
        const di = this.stations[i].deadline();
        if (di !== undefined && di <= this.now) this.deliver(i, this.stations[i].timeout(this.now));
      }
      this.pump();
    }
    throw new Error('wire: too many steps');
  }

  events(side: 0 | 1, type?: PppEvent['type']): PppEvent[] {
    return this.logs[side].events.filter((e) => type === undefined || e.type === type);
  }
}

/** Lower-case hex of bytes with spaces. */
export function hexOf(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** An IpPacketPort in memory: what the server writes is kept; `inject` plays the host. */
export class MemPort implements IpPacketPort {
  readonly written: Uint8Array[] = [];
  #handler: ((p: Uint8Array) => void) | undefined;
  write(packet: Uint8Array): void {
    this.written.push(packet.slice());
  }
  onPacket(handler: (p: Uint8Array) => void): () => void {
    this.#handler = handler;
    return () => {
      this.#handler = undefined;
    };
  }
  inject(p: Uint8Array): void {
    this.#handler?.(p);
  }
}

/** What pppLns and pppClient take care of: the network's time, randomness and crypto. */
type Provided = 'clock' | 'timers' | 'randomBytes' | 'crypto';

/**
 * An LNS on the virtual network at `at` (L2TPv2, accepting every tunnel) with a PppServer
 * serving its calls and a MemPort as the host side.
 */
export function pppLns(
  net: VirtualNet,
  at: { readonly address: string; readonly port: number },
  options: Omit<PppServerOptions, Provided | 'port'>,
): { readonly lns: Endpoint; readonly server: PppServer; readonly port: MemPort } {
  const port = new MemPort();
  const lns = endpointAt(net, at, { version: 2, mode: 'lns', hostName: 'lns' });
  const server = new PppServer({
    port,
    clock: net.clock,
    timers: net.timers,
    randomBytes: nodeRandomBytes,
    crypto: nodePppAuthCrypto,
    ...options,
  });
  server.serve(lns);
  return { lns, server, port };
}

/**
 * A LAC at `at` with one call to `lns` and a client PppSession on it, made before the call is up
 * so that the LNS's first Configure-Request is heard.
 */
export function pppClient(
  net: VirtualNet,
  at: { readonly address: string; readonly port: number },
  lns: { readonly address: string; readonly port: number },
  options: Omit<PppSessionOptions, Provided | 'role'>,
  hostName = 'lac',
): PppSession {
  const lac = endpointAt(net, at);
  const session = lac.tunnel(lns, { version: 2, mode: 'lac', hostName }).beginSession();
  return new PppSession(session, {
    role: 'client',
    clock: net.clock,
    timers: net.timers,
    randomBytes: nodeRandomBytes,
    crypto: nodePppAuthCrypto,
    ...options,
  });
}

/** A minimal IPv4 header (checksum not filled: nothing here checks it) and a payload. */
export function ipv4(src: string, dst: string, payload: number[]): Uint8Array {
  const p = new Uint8Array(20 + payload.length);
  p[0] = 0x45;
  p[2] = p.length >> 8;
  p[3] = p.length & 0xff;
  p[8] = 64;
  p[9] = 17;
  p.set(src.split('.').map(Number), 12);
  p.set(dst.split('.').map(Number), 16);
  p.set(payload, 20);
  return p;
}
