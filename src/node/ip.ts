/**
 * A DatagramTransport for L2TPv3 directly over IP (protocol 115, RFC 3931 §4.1.1) on top of a raw
 * socket the host supplies: anything shaped like the `raw-socket` package's Socket (send with a
 * callback, 'message' and 'error' events, close). The core does not depend on that package.
 * Linux semantics: IPv4 raw sockets deliver the IP header (stripped and validated here), IPv6 raw
 * sockets do not (RFC 3542 §3). Nothing here parses L2TP; `from.port` is always 0.
 * Not here: creating the socket (needs root or CAP_NET_RAW), UDP (src/node/udp.ts).
 */
import { isIP } from 'node:net';
import createDebug from 'debug';
import { UsageError } from '../errors.js';
import type {
  DatagramData,
  DatagramHandler,
  DatagramTransport,
  PeerAddress,
} from '../transport.js';

const log = createDebug('l2tp:ip');

/** IANA protocol number of L2TP (RFC 3931 §4.1.1.2, §8.1). */
export const L2TP_IP_PROTOCOL = 115;

/**
 * The part of a raw IP socket the transport uses, modelled on `raw-socket` 1.8 (`createSocket({
 * protocol: 115, addressFamily })`). `send` may complete asynchronously and must not be given a
 * buffer it will see modified; `message` buffers may be reused by the socket after the listener
 * returns (raw-socket does), so the transport copies what it keeps.
 */
export interface RawSocketLike {
  /** Sends `length` bytes of `buffer` from `offset` to `address`; `callback` reports the outcome. */
  send(
    buffer: Buffer,
    offset: number,
    length: number,
    address: string,
    callback: (error: Error | null | undefined, bytes: number) => void,
  ): unknown;
  /** A packet arrived from `source` (IPv4: the buffer starts with the IP header). */
  on(event: 'message', listener: (buffer: Buffer, source: string) => void): unknown;
  /** The socket failed. */
  on(event: 'error', listener: (error: Error) => void): unknown;
  /** Releases the socket. */
  close(): unknown;
}

/** Where an error reported to {@link IpTransportOptions.onError} came from. */
export interface IpErrorContext {
  /** `send`: a packet could not be sent; `handler`: a receive handler threw; `socket`: the socket failed. */
  readonly op: 'send' | 'handler' | 'socket';
  /** The destination (send) or source (handler) of the packet concerned. */
  readonly peer?: PeerAddress;
}

/** Options of {@link IpTransport}. */
export interface IpTransportOptions {
  /**
   * The raw socket's address family. `IPv4` (default): received packets start with the IPv4
   * header, which is validated and stripped. `IPv6`: received packets start at the payload.
   */
  readonly family?: 'IPv4' | 'IPv6';
  /** IPv4 only: packets whose header names another protocol are dropped. Default 115. */
  readonly protocol?: number;
  /**
   * Receives every asynchronous error: failed sends, receive handlers that threw, socket errors.
   * Default: logged to the `l2tp:ip` debug namespace. All are counted in `errors`.
   */
  readonly onError?: (error: Error, context: IpErrorContext) => void;
}

/** Counters of one {@link IpTransport}. */
export interface IpTransportStats {
  /** Packets the socket accepted (send callbacks without error). */
  readonly datagramsSent: number;
  /** L2TP octets of those packets (no IP header). */
  readonly bytesSent: number;
  /** Packets delivered to handlers (after `close()` nothing is counted). */
  readonly datagramsReceived: number;
  /** L2TP octets delivered (IP header excluded). */
  readonly bytesReceived: number;
  /** IPv4 packets dropped for a bad or truncated header or another protocol; never thrown. */
  readonly badHeaders: number;
  /** Errors reported through `onError`, of any kind. */
  readonly errors: number;
}

/**
 * The payload of a received IPv4 packet: validates version 4, IHL ≥ 5, the Total Length and
 * (when given) the protocol field, and returns a view past the header (options included) up to
 * Total Length. Returns undefined for anything else. Never throws; copies nothing.
 * The view shares `packet`'s memory.
 */
export function ipv4Payload(packet: Uint8Array, protocol?: number): Uint8Array | undefined {
  if (packet.length < 20) return undefined;
  const first = packet[0] as number;
  if (first >> 4 !== 4) return undefined;
  const headerLength = (first & 0x0f) * 4; // RFC 791 §3.1: IHL in 32-bit words, minimum 5
  if (headerLength < 20 || headerLength > packet.length) return undefined;
  // Linux hands raw sockets the header as on the wire (Total Length in network order); a larger
  // Total Length than received means the socket's buffer truncated the packet.
  const totalLength = ((packet[2] as number) << 8) | (packet[3] as number);
  if (totalLength < headerLength || totalLength > packet.length) return undefined;
  if (protocol !== undefined && packet[9] !== protocol) return undefined;
  return packet.subarray(headerLength, totalLength);
}

/**
 * A DatagramTransport over a raw IP socket (L2TPv3 over IP, RFC 3931 §4.1.1). Takes the socket
 * over: `close()` closes it. Received arrays are fresh copies owned by the handlers.
 *
 * Sends copy: raw-socket's send takes one contiguous buffer (no sendmsg/iovec), so a
 * `[header, payload]` pair is joined into one new buffer per packet, unlike UdpTransport's
 * scatter/gather. A single array is passed as a view without copying.
 */
export class IpTransport implements DatagramTransport {
  readonly #socket: RawSocketLike;
  readonly #family: 'IPv4' | 'IPv6';
  readonly #protocol: number;
  readonly #onError: (error: Error, context: IpErrorContext) => void;
  #handlers: readonly DatagramHandler[] = [];
  #closed = false;
  #sent = 0;
  #bytesSent = 0;
  #received = 0;
  #bytesReceived = 0;
  #badHeaders = 0;
  #errors = 0;

  /** @throws UsageError for a bad family or protocol option. */
  constructor(socket: RawSocketLike, options: IpTransportOptions = {}) {
    const family = options.family ?? 'IPv4';
    if (family !== 'IPv4' && family !== 'IPv6') {
      throw new UsageError(`family must be IPv4 or IPv6, got ${String(family)}`);
    }
    const protocol = options.protocol ?? L2TP_IP_PROTOCOL;
    if (!Number.isInteger(protocol) || protocol < 0 || protocol > 255) {
      throw new UsageError(`protocol must be an integer in 0…255, got ${String(protocol)}`);
    }
    this.#socket = socket;
    this.#family = family;
    this.#protocol = protocol;
    const onError = options.onError;
    this.#onError = (error, context) => {
      this.#errors++;
      if (onError === undefined) log('%s error%s: %s', context.op, peerText(context.peer), error);
      else onError(error, context);
    };
    socket.on('message', (buffer: Buffer, source: string) => this.#receive(buffer, source));
    socket.on('error', (error: Error) => {
      if (!this.#closed) this.#onError(error, { op: 'socket' });
    });
  }

  /** The socket's address family. */
  get family(): 'IPv4' | 'IPv6' {
    return this.#family;
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends one packet to `peer.address` (`peer.port` is ignored: IP has no ports). A
   * `[header, payload]` pair is joined into one new buffer (see the class comment); a single
   * array must not be modified until the send completed. Failures after this returns go to
   * `onError` with op `send`.
   * @throws UsageError after close() or for an address that is not an IP literal of the family.
   */
  send(data: DatagramData, peer: PeerAddress): void {
    if (this.#closed) throw new UsageError('send on a closed IP transport');
    const v = isIP(peer.address);
    if (v !== (this.#family === 'IPv4' ? 4 : 6)) {
      throw new UsageError(
        `peer address must be an ${this.#family} literal, got ${JSON.stringify(peer.address)}`,
      );
    }
    const buffer =
      data instanceof Uint8Array
        ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
        : Buffer.concat([data[0], data[1]]);
    const length = buffer.byteLength;
    this.#socket.send(buffer, 0, length, peer.address, (error) => {
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
    if (!this.#closed) this.#handlers = [...this.#handlers, handler];
    return () => {
      this.#handlers = this.#handlers.filter((h) => h !== handler);
    };
  }

  /** Stops delivery at once and closes the socket. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handlers = [];
    try {
      this.#socket.close();
    } catch (error) {
      log('close: %s', error); // closed already by its owner
    }
  }

  /** A snapshot of the counters. */
  stats(): IpTransportStats {
    return {
      datagramsSent: this.#sent,
      bytesSent: this.#bytesSent,
      datagramsReceived: this.#received,
      bytesReceived: this.#bytesReceived,
      badHeaders: this.#badHeaders,
      errors: this.#errors,
    };
  }

  #receive(buffer: Buffer, source: string): void {
    if (this.#closed) return;
    const handlers = this.#handlers;
    if (handlers.length === 0) return;
    let payload: Uint8Array | undefined = buffer;
    if (this.#family === 'IPv4') {
      payload = ipv4Payload(buffer, this.#protocol);
      if (payload === undefined) {
        this.#badHeaders++;
        return;
      }
    }
    // One copy, into a plain Uint8Array: the socket reuses its receive buffer, and handlers may
    // keep views into what they get (DatagramTransport contract).
    const bytes = new Uint8Array(payload);
    this.#received++;
    this.#bytesReceived += bytes.byteLength;
    const from: PeerAddress = { address: source, port: 0, family: this.#family };
    for (const handler of handlers) {
      try {
        handler(bytes, from);
      } catch (error) {
        this.#onError(error instanceof Error ? error : new Error(String(error)), {
          op: 'handler',
          peer: from,
        });
      }
      if (this.#closed) return; // a handler closed the transport
    }
  }
}

function peerText(peer: PeerAddress | undefined): string {
  return peer === undefined ? '' : ` (${peer.address})`;
}
