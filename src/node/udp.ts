/**
 * The Node DatagramTransport (src/transport.ts) over node:dgram: one UDP socket, IPv4 or IPv6,
 * unconnected (many peers) or connected to one peer (a static tunnel, as the kernel does it).
 * L2TP runs over UDP port 1701 (RFC 2661 §8.1, RFC 3931 §4.1.2.2). Sends `[header, payload]`
 * by scatter/gather (a payload over 64 bytes is never copied; smaller arrays go through a send
 * pool, see docs/performance.md "Data plane"). Received datagrams come with their source address. Socket errors go to an `onError` callback (default: the `l2tp:udp`
 * debug namespace), never thrown. No protocol logic here: demultiplexing belongs to the endpoint.
 */
import { createSocket, type RemoteInfo, type Socket, type SocketType } from 'node:dgram';
import { lookup as dnsLookup, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';
import createDebug from 'debug';
import { plainView } from '../codec/view.js';
import { UsageError } from '../errors.js';
import type {
  DatagramData,
  DatagramHandler,
  DatagramHandlerOptions,
  DatagramTransport,
  PeerAddress,
} from '../transport.js';

const log = createDebug('l2tp:udp');

/** Validated destinations kept per transport; past this many distinct addresses the cache restarts. */
const DESTINATION_CACHE_SIZE = 1024;

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string,
  family: number,
) => void;

// The destination of the latest send: node:dgram looks it up synchronously from inside
// socket.send, so literalLookup recognises it without parsing it again.
let sending: string | undefined;

// node:dgram resolves every send's address with dns.lookup, which for an IP literal re-runs isIP
// and defers the send by a process.nextTick. UdpTransport.send only passes validated literals, so
// sockets made by open() answer at once; anything else (a name given to socket.connect) still
// goes through dns.lookup.
function literalLookup(hostname: string, options: unknown, callback: LookupCallback): void {
  if (hostname === sending) {
    callback(null, hostname, options === 6 ? 6 : 4);
    return;
  }
  const family = isIP(hostname);
  if (family !== 0) {
    callback(null, hostname, family);
  } else {
    dnsLookup(hostname, options as LookupOneOptions, callback);
  }
}

// V8 keeps a typed array of at most 64 bytes created with a length (a header from slice(), a
// short frame) inside its heap. node:dgram reads `.buffer` of every array it sends, which moves
// such an array out of the heap: a malloc, a copy and a finalizer per datagram. Arrays that small
// are copied into a shared send pool instead (copying 64 bytes is far cheaper); larger ones, whose
// bytes already live outside the heap, are passed on without a copy.
const SMALL = 64;
const POOL_SIZE = 16 * 1024;
let pool = new ArrayBuffer(POOL_SIZE);
let poolAt = 0;

/** A copy of `a` (and `b` after it) in the send pool; `a.length + b.length` ≤ 2 × SMALL. */
function pooled(a: Uint8Array, b?: Uint8Array): Uint8Array {
  const length = b === undefined ? a.length : a.length + b.length;
  if (poolAt + length > POOL_SIZE) {
    // The old pool lives on as long as sends still reference it.
    pool = new ArrayBuffer(POOL_SIZE);
    poolAt = 0;
  }
  const copy = new Uint8Array(pool, poolAt, length);
  poolAt += (length + 7) & ~7; // 8-byte aligned, like node's Buffer pool
  copy.set(a);
  if (b !== undefined) copy.set(b, a.length);
  return copy;
}

/** Where an error reported to {@link UdpTransportOptions.onError} came from. */
export interface UdpErrorContext {
  /** `send`: a datagram could not be sent; `handler`: a receive handler threw; `socket`: the socket failed. */
  readonly op: 'send' | 'handler' | 'socket';
  /**
   * The source (handler) or destination (send) of the datagram concerned. For `send` it is the
   * address the socket was given: an IPv4 peer of a dual-stack udp6 socket as `::ffff:a.b.c.d`.
   * On a connected transport, its `remote` for sends and socket errors (e.g. ECONNREFUSED).
   */
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
   * Connects the socket to one peer after binding, as the kernel connects a static tunnel's
   * socket (`ip l2tp add tunnel … remote … udp_dport …`): the transport then sends to that peer
   * only, the kernel drops datagrams from any other source before they reach node, a send skips
   * the per-datagram address handling (node's and the kernel's route lookup), and an ICMP error
   * the peer's host returns (port unreachable) is reported to `onError` (op `socket`,
   * ECONNREFUSED). `address` must be an IP literal; on a udp6 socket an IPv4 peer is connected
   * as `::ffff:a.b.c.d` unless `ipv6Only`.
   */
  readonly connect?: { readonly address: string; readonly port: number };
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
  /** Octets of those datagrams (header and payload; UDP/IP headers excluded). */
  readonly bytesSent: number;
  /** Datagrams delivered to handlers (after close nothing is counted). */
  readonly datagramsReceived: number;
  /** Octets of those datagrams. */
  readonly bytesReceived: number;
  /** Errors reported through `onError`, of any kind. */
  readonly errors: number;
}

/** A receive handler and whether it takes node's Buffer as is. */
interface Registered {
  readonly handler: DatagramHandler;
  readonly anySubclass: boolean;
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
  #handlers: readonly Registered[] = [];
  #closing: Promise<void> | undefined;
  #local: PeerAddress;
  /** The peer a connected socket sends to (as given, not mapped), else undefined. */
  readonly #remote: PeerAddress | undefined;
  /** What the socket was connected to (`#remote` as destinationFor maps it). */
  readonly #remoteDestination: string | undefined;
  /** Last destination checked by send: the peer's address and what goes to dgram. */
  #lastAddress: string | undefined;
  #lastDestination = '';
  /** Earlier destinations (a tunnel endpoint talks to many peers). */
  readonly #destinations = new Map<string, string>();
  #sent = 0;
  #bytesSent = 0;
  #received = 0;
  #bytesReceived = 0;
  #errors = 0;

  private constructor(
    socket: Socket,
    type: SocketType,
    options: Pick<UdpTransportOptions, 'onError' | 'ipv6Only'>,
    remote: PeerAddress | undefined,
  ) {
    this.#socket = socket;
    this.#remote = remote;
    this.#type = type;
    this.#ipv6Only = options.ipv6Only ?? false;
    this.#remoteDestination =
      remote === undefined ? undefined : destinationFor(remote.address, type, this.#ipv6Only);
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
    socket.on('message', this.#receive);
    // A connected socket's ICMP errors arrive here (recvmsg ECONNREFUSED): name the peer.
    socket.on('error', (error: Error) =>
      this.#onError(
        error,
        remote === undefined ? { op: 'socket' } : { op: 'socket', peer: remote },
      ),
    );
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
    const connect = options.connect;
    let connectTo: string | undefined;
    if (connect !== undefined) {
      const { port: peerPort } = connect;
      if (!Number.isInteger(peerPort) || peerPort < 1 || peerPort > 0xffff) {
        throw new UsageError(`connect port must be an integer in 1…65535, got ${peerPort}`);
      }
      connectTo = destinationFor(connect.address, type, options.ipv6Only ?? false);
    }
    const socket = createSocket({
      type,
      reuseAddr: options.reuseAddr ?? false,
      ipv6Only: options.ipv6Only ?? false,
      lookup: literalLookup as unknown as typeof dnsLookup,
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
    if (connect !== undefined && connectTo !== undefined) {
      const peerPort = connect.port;
      const to = connectTo;
      await new Promise<void>((resolve, reject) => {
        socket.connect(peerPort, to, (error?: Error) => {
          if (error) {
            socket.close();
            reject(error);
          } else {
            resolve();
          }
        });
      });
    }
    if (options.receiveBufferSize !== undefined) {
      socket.setRecvBufferSize(options.receiveBufferSize);
    }
    if (options.sendBufferSize !== undefined) socket.setSendBufferSize(options.sendBufferSize);
    const remote: PeerAddress | undefined =
      connect === undefined
        ? undefined
        : {
            address: connect.address,
            port: connect.port,
            family: isIP(connect.address) === 6 ? 'IPv6' : 'IPv4',
          };
    return new UdpTransport(socket, type, options, remote);
  }

  /**
   * Wraps a node:dgram socket that is already bound (the transport takes it over: `close()`
   * closes it). For hosts that create sockets themselves (systemd sockets, special options).
   * A socket already connected gives a connected transport (see {@link UdpTransportOptions.connect}).
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
    let remote: PeerAddress | undefined;
    try {
      const r = socket.remoteAddress();
      const address = plainAddress(r.address);
      remote = { address, port: r.port, family: isIP(address) === 4 ? 'IPv4' : 'IPv6' };
    } catch {
      remote = undefined; // not connected (ERR_SOCKET_DGRAM_NOT_CONNECTED)
    }
    return new UdpTransport(socket, a.family === 'IPv6' ? 'udp6' : 'udp4', options, remote);
  }

  /** The bound local address and port. */
  get local(): PeerAddress {
    return this.#local;
  }

  /** The peer of a connected transport (the only one it sends to and hears from), else undefined. */
  get remote(): PeerAddress | undefined {
    return this.#remote;
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
   * (treat them as handed over). Arrays of at most 64 bytes are copied into a shared pool first
   * (cheaper than handing node a small V8-heap array), and a header with a payload that small
   * goes out as one joined array; a larger payload is never copied. Failures after this returns
   * go to `onError` with op `send`. On a udp6 socket an IPv4 peer is sent to as `::ffff:a.b.c.d`
   * unless `ipv6Only`. The peer's fields are read on every call (nothing is cached by object
   * identity). A connected transport sends to its `remote` only.
   * @throws UsageError after close(), for a port outside 1…65535, an address that is not an IP
   *   literal, an IPv6 peer on a udp4 socket, or a peer other than a connected transport's.
   */
  send(data: DatagramData, peer: PeerAddress): void {
    if (this.#closing !== undefined) throw new UsageError('send on a closed UDP transport');
    const { address, port } = peer;
    const remote = this.#remote;
    let destination: string | undefined;
    if (remote !== undefined) {
      if (port !== remote.port || (address !== this.#lastAddress && !this.#isRemote(address))) {
        throw new UsageError(
          `this transport is connected to ${peerText(remote)}; cannot send to ${peerText(peer)}`,
        );
      }
    } else {
      if (!Number.isInteger(port) || port < 1 || port > 0xffff) {
        throw new UsageError(`peer port must be an integer in 1…65535, got ${port}`);
      }
      destination =
        address === this.#lastAddress ? this.#lastDestination : this.#destination(address);
    }
    let message: Uint8Array | Uint8Array[];
    if (data instanceof Uint8Array) {
      message = data.length <= SMALL ? pooled(data) : data;
    } else {
      const [header, payload] = data;
      if (payload.length <= SMALL && header.length <= SMALL) {
        message = pooled(header, payload);
      } else {
        message = [header.length <= SMALL ? pooled(header) : header, payload];
      }
    }
    if (destination === undefined) {
      // Connected: no address for node to look up, no route for the kernel to find.
      this.#socket.send(message, this.#afterSend);
    } else {
      sending = destination; // stays set afterwards: only ever a validated literal
      this.#socket.send(message, port, destination, this.#afterSend);
    }
  }

  // Whether `address` names the connected peer (remembered for the next sends when it does).
  #isRemote(address: string): boolean {
    if (typeof address !== 'string' || isIP(address) === 0) return false;
    const same =
      address === (this.#remote as PeerAddress).address ||
      destinationFor(address, this.#type, this.#ipv6Only) === this.#remoteDestination;
    if (same) this.#lastAddress = address;
    return same;
  }

  // One callback for every send, so no closure per datagram; dgram calls it with the datagram's
  // length, and with an error that carries the destination (`address`, `port`) when it failed.
  readonly #afterSend = (error: Error | null, bytes: number): void => {
    if (error) {
      const { address, port } = error as NodeJS.ErrnoException & {
        address?: unknown;
        port?: unknown;
      };
      // A connected send's error names no destination: the peer is the remote.
      const peer =
        typeof address === 'string' && typeof port === 'number' ? { address, port } : this.#remote;
      this.#onError(error, peer === undefined ? { op: 'send' } : { op: 'send', peer });
    } else {
      this.#sent++;
      this.#bytesSent += bytes;
    }
  };

  /**
   * Registers a receive handler (see DatagramTransport.onDatagram). Handlers get a plain
   * Uint8Array view of node's Buffer, or with `anySubclass` the Buffer itself (no view made).
   * Returns the unsubscriber.
   */
  onDatagram(handler: DatagramHandler, options?: DatagramHandlerOptions): () => void {
    const entry: Registered = { handler, anySubclass: options?.anySubclass === true };
    if (this.#closing === undefined) this.#handlers = [...this.#handlers, entry];
    return () => {
      this.#handlers = this.#handlers.filter((h) => h !== entry);
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

  // Validates a peer address and maps it to what dgram gets; remembered for the next sends.
  #destination(address: string): string {
    let destination = this.#destinations.get(address);
    if (destination === undefined) {
      destination = destinationFor(address, this.#type, this.#ipv6Only);
      if (this.#destinations.size >= DESTINATION_CACHE_SIZE) this.#destinations.clear();
      this.#destinations.set(address, destination);
    }
    this.#lastAddress = address;
    this.#lastDestination = destination;
    return destination;
  }

  // Bound once (registered as the 'message' listener).
  readonly #receive = (msg: Buffer, rinfo: RemoteInfo): void => {
    if (this.#closing !== undefined) return;
    const handlers = this.#handlers;
    if (handlers.length === 0) return;
    const length = msg.length;
    this.#received++;
    this.#bytesReceived += length;
    // Handlers that did not ask for the Buffer get a plain Uint8Array view of it (compares equal
    // to Uint8Array values, has Uint8Array's slice()), made once. No copy: dgram allocates a
    // fresh buffer per datagram.
    let view: Uint8Array | undefined;
    // A connected socket hears from its peer only (the kernel filters): no object per datagram.
    const from: PeerAddress = this.#remote ?? {
      address: rinfo.address,
      port: rinfo.port,
      family: rinfo.family === 'IPv6' ? 'IPv6' : 'IPv4',
    };
    for (let i = 0; i < handlers.length; i++) {
      const entry = handlers[i] as Registered;
      let bytes: Uint8Array = msg;
      if (!entry.anySubclass) {
        view ??= plainView(msg, 0, length);
        bytes = view;
      }
      try {
        entry.handler(bytes, from);
      } catch (error) {
        this.#onError(error instanceof Error ? error : new Error(String(error)), {
          op: 'handler',
          peer: from,
        });
      }
      if (this.#closing !== undefined) return; // a handler closed the transport
    }
  };
}

// What a socket of `type` is given for a peer's IP literal (an IPv4 peer of a dual-stack udp6
// socket as `::ffff:a.b.c.d`).
function destinationFor(address: string, type: SocketType, ipv6Only: boolean): string {
  const v = typeof address === 'string' ? isIP(address) : 0;
  if (v === 0) {
    throw new UsageError(`peer address must be an IP literal, got ${JSON.stringify(address)}`);
  }
  if (type === 'udp4') {
    if (v === 6) throw new UsageError(`cannot send to IPv6 peer ${address} from a udp4 socket`);
    return address;
  }
  if (v === 4) {
    if (ipv6Only) {
      throw new UsageError(`cannot send to IPv4 peer ${address} from an IPv6-only socket`);
    }
    return `::ffff:${address}`;
  }
  return address;
}

function plainAddress(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

function peerText(peer: { address: string; port: number }): string {
  return peer.address.includes(':')
    ? `[${peer.address}]:${peer.port}`
    : `${peer.address}:${peer.port}`;
}

/** Shorthand for {@link UdpTransport.open}. */
export function openUdpTransport(options: UdpTransportOptions = {}): Promise<UdpTransport> {
  return UdpTransport.open(options);
}
