/**
 * The ports of the imperative shell: the interfaces through which a Tunnel (or any host loop
 * around the sans-I/O engine) reaches the network, the clock, timers and randomness.
 *
 * Only types live here; nothing in this file touches a socket, a timer or a platform API. The
 * Node implementations are src/node/udp.ts (DatagramTransport over node:dgram) and
 * src/node/clock.ts (Clock, TimerHost, RandomBytes). Tests and other runtimes supply their own.
 * L2TP over UDP: RFC 2661 §8.1, RFC 3931 §4.1.2.2 (source address/port of the peer matter).
 */

/** A UDP endpoint: an IPv4 or IPv6 address in text form and a port (1…65535 to send to). */
export interface PeerAddress {
  /** e.g. `127.0.0.1` or `::1` (IPv6 zone ids as `fe80::1%eth0`). */
  readonly address: string;
  readonly port: number;
  /** Set on received datagrams; ignored on send (the address says which family it is). */
  readonly family?: 'IPv4' | 'IPv6';
}

/**
 * What `send` accepts: one array, or a header and a payload sent as one datagram by
 * scatter/gather (the payload is not copied into a joined buffer).
 */
export type DatagramData = Uint8Array | readonly [header: Uint8Array, payload: Uint8Array];

/** Called once per received datagram. */
export type DatagramHandler = (bytes: Uint8Array, from: PeerAddress) => void;

/** How a handler takes its datagrams (see {@link DatagramTransport.onDatagram}). */
export interface DatagramHandlerOptions {
  /**
   * The handler accepts any Uint8Array, including a subclass such as Node's Buffer (whose
   * `slice()` is a view, not a copy): it only reads the bytes and makes its own plain views.
   * A transport may then skip wrapping each datagram in a plain Uint8Array. Default false:
   * handlers get a plain Uint8Array.
   */
  readonly anySubclass?: boolean;
}

/**
 * A datagram socket as the shell sees it: one local address, many peers, or one peer when it is
 * connected (`remote`).
 *
 * Ownership: `send` may read its arrays after it returns (sends can complete asynchronously), so
 * callers must not modify them afterwards. Received arrays belong to the handler: the transport
 * never reuses or mutates them, so views into them may be kept.
 *
 * Errors of the underlying socket (a failed send, an ICMP error, a failing handler) are not
 * thrown from `send`; the implementation reports them through its own error callback.
 */
export interface DatagramTransport {
  /**
   * Set when the socket is connected to one peer (as the kernel connects a static tunnel's
   * socket): the transport sends to that peer only and hears from no one else.
   */
  readonly remote?: PeerAddress | undefined;
  /**
   * Sends one datagram to `peer`. Best effort, like UDP: returns before the datagram leaves.
   * @throws UsageError after `close()` or for an address or port that cannot be sent to.
   */
  send(data: DatagramData, peer: PeerAddress): void;
  /**
   * Registers a receive handler; every handler sees every datagram, in registration order.
   * Returns a function that unregisters it (idempotent). Transports may ignore `options`.
   */
  onDatagram(handler: DatagramHandler, options?: DatagramHandlerOptions): () => void;
  /** Stops delivery at once and releases the socket. Idempotent. */
  close(): void;
}

/** A monotonic clock. */
export interface Clock {
  /** Milliseconds (fractions allowed) since an arbitrary origin; never decreases. */
  now(): number;
}

/** An opaque handle returned by {@link TimerHost.set}. */
export type TimerHandle = unknown;

/**
 * One-shot timers. The shell keeps at most one handle per engine and re-arms it from the
 * engine's `nextDeadline()` after every call (STYLE.md §3.3).
 */
export interface TimerHost {
  /** Calls `fire` once, `delayMs` milliseconds from now (negative or NaN counts as 0). */
  set(delayMs: number, fire: () => void): TimerHandle;
  /** Cancels a timer; harmless when it already fired or was cleared. */
  clear(handle: TimerHandle): void;
}

/**
 * A source of cryptographically strong random octets: returns a fresh array of `length` bytes.
 * Used for ids, Challenges, Random Vectors, Tie Breakers and nonces.
 */
export type RandomBytes = (length: number) => Uint8Array;
