// Guide "Test your daemon with the simulator and the arbitraries" (docs/guides/test-your-daemon.md).
// A daemon whose I/O comes in as arguments runs unchanged on l2tp-core/testing: a VirtualClock,
// timers fired by the SimNetwork driver, and a DatagramTransport that is a node of a seeded lossy
// network. Scenario: a LAC reaches the daemon over a bad link (RFC 2661 §5.8 retransmission does
// the work), deterministically per seed. Fuzzing: fast-check feeds the daemon valid, near-valid
// and random datagrams from l2tp-core/arbitraries and checks it never breaks or leaks tunnels.
import fc from 'fast-check';
import {
  type Clock,
  type DatagramData,
  type DatagramHandler,
  type DatagramTransport,
  Endpoint,
  type L2tpCrypto,
  type PeerAddress,
  type RandomBytes,
  type TimerHandle,
  type TimerHost,
  UsageError,
} from 'l2tp-core';
import {
  controlMessageBytesArbitrary,
  dataMessageBytesArbitrary,
  nearValidControlBytesArbitrary,
} from 'l2tp-core/arbitraries';
import { nodeCrypto } from 'l2tp-core/node';
import {
  type LinkOptions,
  SeededRandom,
  SimNetwork,
  type SimNode,
  VirtualClock,
} from 'l2tp-core/testing';

// ---- The daemon under test: every port is an argument -------------------------------------

export interface DaemonIo {
  readonly transport: DatagramTransport;
  readonly clock: Clock;
  readonly timers: TimerHost;
  readonly randomBytes: RandomBytes;
  readonly crypto: L2tpCrypto;
}

/** The LNS of the "Build an LNS" guide, reduced: accepts tunnels, echoes frames. */
export function startDaemon(io: DaemonIo, secret: string) {
  const endpoint = new Endpoint({
    ...io,
    acceptTunnel: { mode: 'lns', hostName: 'lns.test', secret },
  });
  const hostFaults: Error[] = [];
  endpoint.on('error', (err) => hostFaults.push(err));
  endpoint.on('tunnel', (tunnel) => {
    tunnel.on('frame', (session, frame) => session.send(frame.slice()));
  });
  return { endpoint, hostFaults };
}

// ---- Adapters from the ports to the simulator ------------------------------------------------

/** TimerHost on the virtual clock; as a SimNode, the network's driver fires it. */
export class VirtualTimers implements TimerHost, SimNode<Uint8Array> {
  readonly id = 'timers';
  readonly #clock: VirtualClock;
  readonly #pending = new Map<number, { readonly at: number; readonly fire: () => void }>();
  #nextHandle = 0;

  constructor(clock: VirtualClock) {
    this.#clock = clock;
  }

  set(delayMs: number, fire: () => void): TimerHandle {
    const handle = this.#nextHandle++;
    const delay = Number.isNaN(delayMs) ? 0 : Math.max(0, delayMs);
    this.#pending.set(handle, { at: this.#clock.now() + delay, fire });
    return handle;
  }

  clear(handle: TimerHandle): void {
    this.#pending.delete(handle as number);
  }

  nextDeadline(): number | undefined {
    let next: number | undefined;
    for (const t of this.#pending.values()) if (next === undefined || t.at < next) next = t.at;
    return next;
  }

  handleTimeout(now: number): void {
    for (const [handle, t] of [...this.#pending]) {
      // A timer may clear another: only fire the ones still pending.
      if (t.at <= now && this.#pending.delete(handle)) t.fire();
    }
  }

  receive(): void {} // timers get no packets
}

/** A DatagramTransport that is a node of the SimNetwork, named "address:port". */
export class SimTransport implements DatagramTransport, SimNode<Uint8Array> {
  readonly id: string;
  readonly #net: SimNetwork<Uint8Array>;
  #handlers: readonly DatagramHandler[] = [];
  #closed = false;

  constructor(net: SimNetwork<Uint8Array>, address: string, port: number) {
    this.#net = net;
    this.id = `${address}:${port}`;
    net.addNode(this);
  }

  send(data: DatagramData, peer: PeerAddress): void {
    if (this.#closed) throw new UsageError('send on a closed transport');
    const parts: readonly Uint8Array[] = data instanceof Uint8Array ? [data] : data;
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    this.#net.transmit(this.id, `${peer.address}:${peer.port}`, bytes);
  }

  onDatagram(handler: DatagramHandler): () => void {
    this.#handlers = [...this.#handlers, handler];
    return () => {
      this.#handlers = this.#handlers.filter((h) => h !== handler);
    };
  }

  close(): void {
    this.#closed = true;
    this.#handlers = [];
  }

  nextDeadline(): undefined {
    return undefined;
  }

  handleTimeout(): void {}

  receive(from: string, packet: Uint8Array): void {
    const colon = from.lastIndexOf(':');
    const peer = { address: from.slice(0, colon), port: Number(from.slice(colon + 1)) };
    for (const handler of this.#handlers) handler(packet, peer);
  }
}

/** A simulated world: one clock, one seeded network, ports for any number of hosts. */
export function simWorld(seed: number) {
  const clock = new VirtualClock();
  const net = new SimNetwork<Uint8Array>({ seed, clock, clone: (p) => p.slice() });
  const timers = new VirtualTimers(clock);
  net.addNode(timers);
  const random = new SeededRandom(seed); // ids, challenges: deterministic too
  const io = { clock, timers, randomBytes: (n: number) => random.bytes(n), crypto: nodeCrypto };
  return {
    clock,
    net,
    io,
    host: (address: string, port: number) => new SimTransport(net, address, port),
  };
}

// ---- Scenario: a LAC over a lossy link --------------------------------------------------------

export interface LossyRunResult {
  /** Virtual ms at which the tunnel and the call were up. */
  readonly tunnelUpAtMs: number;
  readonly sessionUpAtMs: number;
  readonly framesSent: number;
  readonly framesEchoed: number;
  /** Control messages the LAC had to send again. */
  readonly retransmissions: number;
  /** Datagrams the link dropped, LAC → LNS and back. */
  readonly lost: number;
  /** Virtual ms when everything was closed. */
  readonly endedAtMs: number;
}

export async function lossyRun(seed: number, link: LinkOptions): Promise<LossyRunResult> {
  const w = simWorld(seed);
  const lnsAddress = { address: '192.0.2.1', port: 1701 };
  const lnsPort = w.host(lnsAddress.address, lnsAddress.port);
  const lacPort = w.host('192.0.2.2', 40000);
  w.net.connectBoth(lnsPort.id, lacPort.id, link);
  startDaemon({ ...w.io, transport: lnsPort }, 'sim-secret');
  const lac = new Endpoint({ ...w.io, transport: lacPort });

  // The shell resolves its promises from events the driver triggers: run, then await.
  const tunnel = lac.tunnel(lnsAddress, {
    mode: 'lac',
    hostName: 'lac.test',
    secret: 'sim-secret',
  });
  const connected = tunnel.connect();
  w.net.run({ maxSteps: 10_000, stopWhen: () => tunnel.isUp || tunnel.closed });
  if (!tunnel.isUp) throw new Error(`no tunnel (${tunnel.downReason?.by ?? 'still trying'})`);
  await connected;
  const tunnelUpAtMs = w.clock.now();

  const opened = tunnel.openSession();
  w.net.run({
    maxSteps: 10_000,
    stopWhen: () => tunnel.sessions.size > 0 && [...tunnel.sessions.values()].every((s) => s.isUp),
  });
  const session = await opened;
  const sessionUpAtMs = w.clock.now();

  let framesEchoed = 0;
  session.on('frame', () => framesEchoed++);
  // One PPP frame every 20 ms for a second; the driver runs them at their virtual times.
  const framesSent = 50;
  const t0 = w.clock.now();
  for (let n = 0; n < framesSent; n++) {
    w.net.schedule(t0 + 20 * n, () => session.send(Uint8Array.of(0xc0, 0x21, 9, n)));
  }
  w.net.run({ maxSteps: 10_000, untilMs: t0 + 3_000 });
  const retransmissions = tunnel.stats().channel.retransmissions;

  const closed = tunnel.close();
  const end = w.net.run({ maxSteps: 100_000 }); // StopCCN, the post-close holds, then idle
  await closed;
  return {
    tunnelUpAtMs,
    sessionUpAtMs,
    framesSent,
    framesEchoed,
    retransmissions,
    lost:
      w.net.linkStats(lacPort.id, lnsPort.id).lost + w.net.linkStats(lnsPort.id, lacPort.id).lost,
    endedAtMs: end.nowMs,
  };
}

// ---- Fuzzing the daemon ---------------------------------------------------------------------

// An SCCRQ addressed to Tunnel ID 0, as a new tunnel's is (RFC 2661 §3.1: control messages always
// carry L and S, so the header layout is fixed); `fresh` also zeroes Session ID, Ns and Nr.
const sccrq = (fresh: boolean) =>
  controlMessageBytesArbitrary({ version: 2, types: ['SCCRQ'] }).map((s) => {
    const bytes = s.bytes.slice();
    bytes.fill(0, 4, fresh ? 12 : 6);
    return bytes;
  });

// L2TPv2 control messages of every type; near-valid ones (one targeted mutation); SCCRQs that
// open tunnels, or try to; data packets; and plain garbage.
const datagram = fc.oneof(
  controlMessageBytesArbitrary({ version: 2 }).map((s) => s.bytes),
  nearValidControlBytesArbitrary({ version: 2 }).map((s) => s.bytes),
  sccrq(true),
  sccrq(false),
  dataMessageBytesArbitrary({ version: 2 }).map((s) => s.bytes),
  fc.uint8Array({ maxLength: 64 }),
);

export interface FuzzResult {
  readonly runs: number;
  /** Runs in which the daemon accepted at least one tunnel (so the property saw real state). */
  readonly runsWithTunnels: number;
}

/**
 * Property: whatever datagrams arrive, the daemon never throws, reports no host fault, counts
 * every datagram, and — once the RFC's timers have run out — holds no tunnel.
 */
export function fuzzDaemon(runs: number, seed: number): FuzzResult {
  let runsWithTunnels = 0;
  fc.assert(
    fc.property(fc.array(datagram, { minLength: 1, maxLength: 4 }), (datagrams) => {
      const w = simWorld(1);
      const daemonPort = w.host('192.0.2.1', 1701);
      const attacker = w.host('198.51.100.7', 5555);
      w.net.connectBoth(daemonPort.id, attacker.id, { latencyMs: 1 });
      const daemon = startDaemon({ ...w.io, transport: daemonPort }, 'fuzz-secret');
      let accepted = 0;
      daemon.endpoint.on('tunnel', () => accepted++);

      for (const d of datagrams) attacker.send(d, { address: '192.0.2.1', port: 1701 });
      const r = w.net.run({ maxSteps: 100_000 });

      if (accepted > 0) runsWithTunnels++;
      return (
        r.reason === 'idle' &&
        daemon.hostFaults.length === 0 &&
        daemon.endpoint.stats().datagramsReceived === datagrams.length &&
        daemon.endpoint.tunnels.size === 0
      );
    }),
    { numRuns: runs, seed },
  );
  return { runs, runsWithTunnels };
}
