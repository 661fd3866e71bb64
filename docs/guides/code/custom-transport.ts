// Guide "Write a transport or a TUN/TAP backend" (docs/guides/custom-transport.md). Part 1: a
// DatagramTransport of your own — an in-process datagram network, honouring the port's contract
// (copy on send, async delivery, UsageError after close, errors never thrown at the sender).
// Part 2: a frame device (what a TAP gives you) bridged to a static L2TPv3 Ethernet pseudowire
// (RFC 4719). A managed L2TPv2 tunnel runs over the same transport to show the Endpoint needs
// nothing else.
import {
  type DatagramData,
  type DatagramHandler,
  type DatagramTransport,
  Endpoint,
  type PeerAddress,
  type StaticSession,
  StaticTunnelHost,
  UsageError,
} from 'l2tp-core';
import { nodeClock, nodeCrypto, nodeRandomBytes, nodeTimers } from 'l2tp-core/node';

// ---- Part 1: a transport ------------------------------------------------------------------

/** A loss-free in-process network of transports, addressed like UDP. */
export class MemoryNetwork {
  readonly #bound = new Map<string, MemoryTransport>();
  /** Errors handlers threw (a real socket would log them). */
  readonly errors: unknown[] = [];

  /** Binds `address:port`. @throws UsageError when it is taken. */
  open(address: string, port: number): MemoryTransport {
    const key = `${address}:${port}`;
    if (this.#bound.has(key)) throw new UsageError(`${key} in use`);
    const t = new MemoryTransport(this, { address, port }, () => this.#bound.delete(key));
    this.#bound.set(key, t);
    return t;
  }

  /** @internal */
  deliver(bytes: Uint8Array, from: PeerAddress, to: PeerAddress): void {
    // Delivered later, like a datagram: the sender's call returns first, and handlers never
    // run inside the sender's own call stack.
    queueMicrotask(() => this.#bound.get(`${to.address}:${to.port}`)?.receive(bytes, from));
  }
}

export class MemoryTransport implements DatagramTransport {
  readonly local: PeerAddress;
  readonly #net: MemoryNetwork;
  readonly #release: () => void;
  #handlers: readonly DatagramHandler[] = [];
  #closed = false;

  constructor(net: MemoryNetwork, local: PeerAddress, release: () => void) {
    this.#net = net;
    this.local = local;
    this.#release = release;
  }

  send(data: DatagramData, peer: PeerAddress): void {
    if (this.#closed) throw new UsageError('send on a closed transport');
    // One fresh array per datagram: the receiver owns it (it may keep views into it), and the
    // sender may reuse its header and payload once the datagram is gone.
    const parts: readonly Uint8Array[] = data instanceof Uint8Array ? [data] : data;
    const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      bytes.set(p, at);
      at += p.length;
    }
    this.#net.deliver(bytes, this.local, peer);
  }

  onDatagram(handler: DatagramHandler): () => void {
    this.#handlers = [...this.#handlers, handler];
    return () => {
      this.#handlers = this.#handlers.filter((h) => h !== handler);
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handlers = [];
    this.#release();
  }

  /** @internal */
  receive(bytes: Uint8Array, from: PeerAddress): void {
    for (const handler of this.#handlers) {
      try {
        handler(bytes, from);
      } catch (err) {
        this.#net.errors.push(err); // never thrown back at the network
      }
    }
  }
}

// ---- Part 2: a TAP-like device bridged to a pseudowire --------------------------------------

/** What a TAP device offers: whole Ethernet frames in and out. */
export interface FrameDevice {
  /** Hands a frame to the kernel (a TAP: `write(fd, frame)`). */
  write(frame: Uint8Array): void;
  /** Frames the kernel sends out of the interface. Returns an unsubscribe function. */
  onFrame(handler: (frame: Uint8Array) => void): () => void;
}

/** Stand-in for a TAP: `inject` plays the kernel sending a frame, `written` what it received. */
export class MemoryTap implements FrameDevice {
  readonly written: Uint8Array[] = [];
  #handler: ((frame: Uint8Array) => void) | undefined;

  write(frame: Uint8Array): void {
    this.written.push(frame.slice()); // the frame is a view into a datagram: copy to keep
  }

  onFrame(handler: (frame: Uint8Array) => void): () => void {
    this.#handler = handler;
    return () => {
      this.#handler = undefined;
    };
  }

  inject(frame: Uint8Array): void {
    this.#handler?.(frame);
  }
}

/** Connects a device to a session of a static tunnel: frames flow both ways. */
export function bridge(host: StaticTunnelHost, session: StaticSession, device: FrameDevice) {
  return device.onFrame((frame) => host.send(session, frame));
}

// ---- The program ------------------------------------------------------------------------

export interface TransportResult {
  /** Frames that came out of each TAP. */
  readonly tap1: readonly Uint8Array[];
  readonly tap2: readonly Uint8Array[];
  /** True when a managed L2TPv2 tunnel came up over the same kind of transport. */
  readonly managedTunnelUp: boolean;
}

export async function main(frames: readonly Uint8Array[]): Promise<TransportResult> {
  const net = new MemoryNetwork();
  const tap1 = new MemoryTap();
  const tap2 = new MemoryTap();

  // One static tunnel with one Ethernet session between 10.0.0.1 and 10.0.0.2.
  const ends = [
    { tap: tap1, local: '10.0.0.1', remote: '10.0.0.2', ids: [1, 2], sessions: [10, 20] },
    { tap: tap2, local: '10.0.0.2', remote: '10.0.0.1', ids: [2, 1], sessions: [20, 10] },
  ] as const;
  const hosts = ends.map((end) => {
    const host = new StaticTunnelHost({
      tunnel: {
        tunnel_id: end.ids[0],
        peer_tunnel_id: end.ids[1],
        remote: end.remote,
        udp_dport: 1701,
      },
      transport: net.open(end.local, 1701),
      clock: nodeClock,
      onFrame: (frame) => end.tap.write(frame),
    });
    const session = host.addSession({
      session_id: end.sessions[0],
      peer_session_id: end.sessions[1],
    });
    bridge(host, session, end.tap);
    return host;
  });

  // Frames the kernel sends into TAP 1 come out of TAP 2.
  for (const frame of frames) tap1.inject(frame);
  // Let the microtask deliveries run.
  await new Promise((resolve) => setTimeout(resolve, 0));
  for (const host of hosts) host.close();

  // The managed side: an LNS and a LAC endpoint over two more memory transports.
  const io = {
    clock: nodeClock,
    timers: nodeTimers,
    randomBytes: nodeRandomBytes,
    crypto: nodeCrypto,
  };
  const lnsTransport = net.open('10.0.0.1', 1702);
  const lacTransport = net.open('10.0.0.2', 1702);
  const lns = new Endpoint({
    ...io,
    transport: lnsTransport,
    acceptTunnel: { mode: 'lns', hostName: 'lns', secret: 'memory' },
  });
  const lac = new Endpoint({ ...io, transport: lacTransport });
  const tunnel = await lac.connect(
    { address: '10.0.0.1', port: 1702 },
    { mode: 'lac', hostName: 'lac', secret: 'memory' },
    { signal: AbortSignal.timeout(2000) },
  );
  const managedTunnelUp = tunnel.isUp && tunnel.info?.peerAuthenticated === true;
  // destroy(): drop everything without StopCCN (close() would wait out RFC 2661 §5.7's hold).
  lac.destroy();
  lns.destroy();
  lacTransport.close();
  lnsTransport.close();

  return { tap1: tap1.written, tap2: tap2.written, managedTunnelUp };
}
