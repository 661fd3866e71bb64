/**
 * The Node DatagramTransport (src/transport.ts) over node:dgram: one unconnected UDP socket,
 * IPv4 or IPv6, many peers. L2TP runs over UDP port 1701 (RFC 2661 §8.1, RFC 3931 §4.1.2.2).
 *
 * Sends `[header, payload]` by scatter/gather (dgram hands both arrays to sendmsg; the payload is
 * not copied into a joined buffer). Received datagrams come with their source address. Socket
 * errors go to an `onError` callback (default: the `l2tp:udp` debug namespace), never thrown.
 * No protocol logic here: demultiplexing by tunnel id belongs to the endpoint.
 */
import { createSocket, type RemoteInfo, type Socket, type SocketType } from 'node:dgram';
import { isIP } from 'node:net';
import createDebug from 'debug';
import { UsageError } from '../errors.js';
import type {
  DatagramData,
  DatagramHandler,
  DatagramTransport,
  PeerAddress,
} from '../transport.js';

const log = createDebug('l2tp:udp');

/** Where an error reported to {@link UdpTransportOptions.onError} came from. */
export interface UdpErrorContext {
  /** `send`: a datagram could not be sent; `handler`: a receive handler threw; `socket`: the socket failed. */
  readonly op: 'send' | 'handler' | 'socket';
  /** The destination (send) or source (handler) of the datagram concerned. */
  readonly peer?: PeerAddress;
}

/** Options of {@link UdpTransport.open}. */
export interface UdpTransportOptions {
  /**
   * Local address to bind. Default: all addresses of the family (`0.0.0.0` or `::`). Must be an
   * IP literal; it also picks the family when `type` is not given.
   */
  readonly address?: string;
  /** Local port. Default 0 (the system picks one; read it from `local`). An LNS uses 1701. */
  readonly port?: number;
  /** `udp4` or `udp6`. Default: from `address`, else `udp4`. */
  readonly type?: SocketType;
  /** udp6 only: refuse IPv4-mapped traffic (IPV6_V6ONLY). Default false (dual stack). */
  readonly ipv6Only?: boolean;
  /** SO_REUSEADDR. Default false. */
  readonly reuseAddr?: boolean;
  /** SO_RCVBUF in bytes, set after binding. Default: the system's. */
  readonly receiveBufferSize?: number;
  /** SO_SNDBUF in bytes, set after binding. Default: the system's. */
  readonly sendBufferSize?: number;
  /**
   * Receives every asynchronous error: failed sends (EMSGSIZE, ENETUNREACH, …), receive handlers
   * that threw, socket errors. Default: logged to the `l2tp:udp` debug namespace and counted.
   */
  readonly onError?: (error: Error, context: UdpErrorContext) => void;
}

/** Counters of one {@link UdpTransport}. */
export interface UdpTransportStats {
  /** Datagrams the kernel accepted (send callbacks without error). */
  readonly datagramsSent: number;
  readonly bytesSent: number;
  /** Datagrams delivered to handlers (after close nothing is counted). */
  readonly datagramsReceived: number;
  readonly bytesReceived: number;
  /** Errors reported through `onError`, of any kind. */
  readonly errors: number;
}

// Node returns Buffers; hand out plain Uint8Array views so received bytes compare equal to
// Uint8Array values (no copy; dgram allocates a fresh buffer per datagram).
function plain(buf: Buffer): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

function familyOf(type: SocketType): 'IPv4' | 'IPv6' {
  return type === 'udp6' ? 'IPv6' : 'IPv4';
}

/** A DatagramTransport over one node:dgram socket. Create it with {@link UdpTransport.open}. */
export class UdpTransport implements DatagramTransport {
  readonly #socket: Socket;
  readonly #type: SocketType;
  readonly #ipv6Only: boolean;
  readonly #onError: (error: Error, context: UdpErrorContext) => void;
  #handlers: readonly DatagramHandler[] = [];
  #closing: Promise<void> | undefined;
  #local: PeerAddress;
  #sent = 0;
  #bytesSent = 0;
  #received = 0;
  #bytesReceived = 0;
  #errors = 0;

  private constructor(socket: Socket, type: SocketType, options: UdpTransportOptions) {
    this.#socket = socket;
    this.#type = type;
    this.#ipv6Only = options.ipv6Only ?? false;
    const onError = options.onError;
    this.#onError = (error, context) => {
      this.#errors++;
      if (onError === undefined) {
        log(
          '%s error%s: %s',
          context.op,
          context.peer ? ` (${peerText(context.peer)})` : '',
          error,
        );
      } else {
        onError(error, context);
      }
    };
    const a = socket.address();
    this.#local = { address: a.address, port: a.port, family: familyOf(type) };
    socket.on('message', (msg: Buffer, rinfo: RemoteInfo) => this.#receive(msg, rinfo));
    socket.on('error', (error: Error) => this.#onError(error, { op: 'socket' }));
  }

  /**
   * Creates and binds a UDP socket. Resolves once it is listening.
   * @throws UsageError for a bad option; rejects with the system error when binding fails
   *   (EADDRINUSE, EADDRNOTAVAIL, …).
   */
  static async open(options: UdpTransportOptions = {}): Promise<UdpTransport> {
    const { address, port = 0 } = options;
    if (address !== undefined && isIP(address) === 0) {
      throw new UsageError(`bind address must be an IP literal, got ${JSON.stringify(address)}`);
    }
    if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
      throw new UsageError(`bind port must be an integer in 0…65535, got ${port}`);
    }
    const type: SocketType = options.type ?? (address && isIP(address) === 6 ? 'udp6' : 'udp4');
    if (address !== undefined && isIP(address) === 6 && type === 'udp4') {
      throw new UsageError(`cannot bind a udp4 socket to IPv6 address ${address}`);
    }
    const socket = createSocket({
      type,
      reuseAddr: options.reuseAddr ?? false,
      ipv6Only: options.ipv6Only ?? false,
    });
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error) => {
        socket.close();
        reject(error);
      };
      socket.once('error', onError);
      socket.bind({ port, ...(address === undefined ? {} : { address }) }, () => {
        socket.off('error', onError);
        resolve();
      });
    });
    if (options.receiveBufferSize !== undefined) {
      socket.setRecvBufferSize(options.receiveBufferSize);
    }
    if (options.sendBufferSize !== undefined) socket.setSendBufferSize(options.sendBufferSize);
    return new UdpTransport(socket, type, options);
  }

  /**
   * Wraps a node:dgram socket that is already bound (the transport takes it over: `close()`
   * closes it). For hosts that create sockets themselves (systemd sockets, special options).
   * @throws UsageError when the socket is not bound.
   */
  static fromSocket(
    socket: Socket,
    options: Pick<UdpTransportOptions, 'onError' | 'ipv6Only'> = {},
  ): UdpTransport {
    let a: ReturnType<Socket['address']>;
    try {
      a = socket.address();
    } catch (cause) {
      throw new UsageError('fromSocket needs a bound socket', { cause });
    }
    return new UdpTransport(socket, a.family === 'IPv6' ? 'udp6' : 'udp4', options);
  }

  /** The bound local address and port. */
  get local(): PeerAddress {
    return this.#local;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** The underlying socket (for options this class does not wrap, e.g. TOS). Do not close it. */
  get socket(): Socket {
    return this.#socket;
  }

  /**
   * Sends one datagram (see DatagramTransport.send). `[header, payload]` goes out as one
   * datagram via scatter/gather; neither array may be modified until the send completed
   * (treat them as handed over). Failures after this returns go to `onError` with op `send`.
   * On a udp6 socket an IPv4 peer is sent to as `::ffff:a.b.c.d` unless `ipv6Only`.
   * @throws UsageError after close(), for a port outside 1…65535, an address that is not an IP
   *   literal, or an IPv6 peer on a udp4 socket.
   */
  send(data: DatagramData, peer: PeerAddress): void {
    if (this.#closing !== undefined) throw new UsageError('send on a closed UDP transport');
    const { port } = peer;
    if (!Number.isInteger(port) || port < 1 || port > 0xffff) {
      throw new UsageError(`peer port must be an integer in 1…65535, got ${port}`);
    }
    const address = this.#destination(peer.address);
    let length: number;
    let msg: Uint8Array | Uint8Array[];
    if (data instanceof Uint8Array) {
      length = data.byteLength;
      msg = data;
    } else {
      const [header, payload] = data;
      length = header.byteLength + payload.byteLength;
      msg = [header, payload];
    }
    this.#socket.send(msg, port, address, (error) => {
      if (error) {
        this.#onError(error, { op: 'send', peer });
      } else {
        this.#sent++;
        this.#bytesSent += length;
      }
    });
  }

  /** Registers a receive handler (see DatagramTransport.onDatagram). Returns the unsubscriber. */
  onDatagram(handler: DatagramHandler): () => void {
    if (this.#closing === undefined) this.#handlers = [...this.#handlers, handler];
    return () => {
      this.#handlers = this.#handlers.filter((h) => h !== handler);
    };
  }

  /**
   * Stops delivery at once (datagrams already queued in the kernel are dropped) and closes the
   * socket. Idempotent; the promise resolves when the socket is closed.
   */
  close(): Promise<void> {
    if (this.#closing === undefined) {
      this.#handlers = [];
      this.#closing = new Promise<void>((resolve) => {
        try {
          this.#socket.close(() => resolve());
        } catch {
          resolve(); // closed already by its owner (fromSocket)
        }
      });
    }
    return this.#closing;
  }

  /** A snapshot of the counters. */
  stats(): UdpTransportStats {
    return {
      datagramsSent: this.#sent,
      bytesSent: this.#bytesSent,
      datagramsReceived: this.#received,
      bytesReceived: this.#bytesReceived,
      errors: this.#errors,
    };
  }

  #destination(address: string): string {
    const v = isIP(address);
    if (v === 0) {
      throw new UsageError(`peer address must be an IP literal, got ${JSON.stringify(address)}`);
    }
    if (this.#type === 'udp4') {
      if (v === 6) throw new UsageError(`cannot send to IPv6 peer ${address} from a udp4 socket`);
      return address;
    }
    if (v === 4) {
      if (this.#ipv6Only) {
        throw new UsageError(`cannot send to IPv4 peer ${address} from an IPv6-only socket`);
      }
      return `::ffff:${address}`;
    }
    return address;
  }

  #receive(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.#closing !== undefined) return;
    const handlers = this.#handlers;
    if (handlers.length === 0) return;
    this.#received++;
    this.#bytesReceived += msg.byteLength;
    const bytes = plain(msg);
    const from: PeerAddress = {
      address: rinfo.address,
      port: rinfo.port,
      family: rinfo.family === 'IPv6' ? 'IPv6' : 'IPv4',
    };
    for (const handler of handlers) {
      try {
        handler(bytes, from);
      } catch (error) {
        this.#onError(error instanceof Error ? error : new Error(String(error)), {
          op: 'handler',
          peer: from,
        });
      }
      if (this.#closing !== undefined) return; // a handler closed the transport
    }
  }
}

function peerText(peer: PeerAddress): string {
  return peer.address.includes(':')
    ? `[${peer.address}]:${peer.port}`
    : `${peer.address}:${peer.port}`;
}

/** Shorthand for {@link UdpTransport.open}. */
export function openUdpTransport(options: UdpTransportOptions = {}): Promise<UdpTransport> {
  return UdpTransport.open(options);
}
