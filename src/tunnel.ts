/**
 * The imperative shell around one TunnelEngine: it owns one host timer, sends the engine's
 * datagrams through the endpoint, turns engine events into typed eventemitter3 events and offers
 * promise-based commands (`connect`, `openSession`, `close`).
 *
 * The loop (str0m / quinn style): every input or command goes to the engine with `clock.now()`;
 * the returned outputs are performed in order; then the single timer is re-armed from
 * `nextDeadline()`. Events are emitted only after the engine call has returned, so a listener
 * may call back into the tunnel. Protocol outcomes arrive as 'down' / 'session-down' events
 * with the reason, never through 'error' (eventemitter3 does not throw on an unheard 'error').
 * Not here: sockets and demultiplexing (endpoint.ts), protocol logic (engine.ts).
 */
import createDebug from 'debug';
import { EventEmitter } from 'eventemitter3';
import type { RawAvp } from './avp/raw.js';
import type { HeapEntry } from './engine/deadlines.js';
import type {
  CircuitStatusEvent,
  CloseReason,
  DownReason,
  EngineEvent,
  EngineOutput,
  IncomingSessionEvent,
  OpenSessionOptions,
  ResultCodes,
  RuntimeSessionOptions,
  SendFrameOptions,
  SessionDataOptions,
  SessionStats,
  SessionUpEvent,
  SetLinkInfoEvent,
  StopCcnOutcome,
  TunnelEngine,
  TunnelEngineStats,
  TunnelUpEvent,
  WanErrorNotifyEvent,
} from './engine/index.js';
import { L2tpError, type L2tpErrorCode, UsageError } from './errors.js';
import { ZERO_SESSION_STATS } from './stats.js';
import type { Clock, DatagramData, PeerAddress } from './transport.js';

const log = createDebug('l2tp:tunnel');

/**
 * A tunnel's place in its host's deadline structure (one per tunnel). The host files it under
 * the time the tunnel next has work and calls `fire` then; `heapIndex` / `heapDeadline` are the
 * host's.
 */
export interface TunnelTimerSlot extends HeapEntry {
  /** Runs the tunnel's due work (the host calls it once the filed time is reached). */
  fire(): void;
}

const NO_SESSIONS: ReadonlyMap<number, Session> = new Map();

// In Tunnel#perform's deferred list: a send threw (the next item is what it threw).
const FAULT = Symbol('fault');
type Deferred = typeof FAULT | Extract<EngineOutput, { type: 'frame' | 'event' }>;

// The slot of one tunnel: a small object with a method, not a closure per tunnel.
class TimerSlot implements TunnelTimerSlot {
  heapIndex = -1;
  heapDeadline = 0;
  readonly #tunnel: Tunnel;
  constructor(tunnel: Tunnel) {
    this.#tunnel = tunnel;
  }
  fire(): void {
    this.#tunnel.handleTimer();
  }
}

/** What a Tunnel needs from its host (an Endpoint provides it). */
export interface TunnelHost {
  readonly clock: Clock;
  /**
   * Files `slot` under `at` (ms, the clock's time), moves it, or (undefined) removes it; the host
   * calls `slot.fire()` once `at` is reached. One structure for all the host's tunnels, so a
   * host with 100,000 tunnels arms one timer (issue #13).
   */
  schedule(slot: TunnelTimerSlot, at: number | undefined): void;
  /** Sends one datagram to the tunnel's peer. */
  send(data: DatagramData, peer: PeerAddress): void;
  /** Called once when the engine is finished, so the host can forget the tunnel. */
  release(tunnel: Tunnel): void;
  /**
   * A host fault no pending promise took, after the tunnel's own 'error' listeners (`heard`:
   * there were some). The Endpoint passes it to its listeners, or throws it when nobody heard.
   */
  fault(error: Error, heard: boolean): void;
  /** A session id came into use / went out of use on this tunnel (v3 data is routed by it). */
  sessionAdded(tunnel: Tunnel, sessionId: number): void;
  /** The session id went out of use (the session closed or the tunnel went down). */
  sessionRemoved(tunnel: Tunnel, sessionId: number): void;
}

/** Events of a Tunnel. */
export interface TunnelEvents {
  /** The control connection is established. */
  up: [info: TunnelUpEvent];
  /** The control connection went down (once); its sessions went down just before. */
  down: [reason: DownReason];
  /**
   * The engine is finished (post-close hold over); the tunnel object is inert. `stopCcn`: whether
   * the peer was told (see StopCcnOutcome).
   */
  close: [stopCcn: StopCcnOutcome];
  /** A session is established (ours or the peer's). */
  'session-up': [session: Session];
  /** A session ended (once per session). */
  'session-down': [session: Session, reason: DownReason];
  /** The peer opened a call; `accepted` tells whether the `acceptSession` option took it. */
  'incoming-session': [info: IncomingSessionEvent];
  /**
   * A data frame arrived on a session (a view into the datagram: copy to keep). `atmFlags`:
   * on L2TPv3 AAL5 SDU pseudowires only, the frame's ATM-Specific Sublayer bits (RFC 4454 §4.1;
   * see FrameOutput.atmFlags); not passed on any other session.
   */
  frame: [session: Session, frame: Uint8Array, atmFlags?: number];
  /** The peer sent a Set-Link-Info for a session: its ACCM (RFC 2661 §6.14). */
  sli: [info: SetLinkInfoEvent];
  /** The peer sent a WAN-Error-Notify for a session: its call error counters (RFC 2661 §6.13). */
  wen: [info: WanErrorNotifyEvent];
  /** L2TPv3: the peer reported its circuit up or down (Circuit Status AVP, RFC 3931 §5.4.5). */
  'circuit-status': [info: CircuitStatusEvent];
  /**
   * Host faults only (a send that threw); protocol failures are 'down'. A fault that a pending
   * `connect()` or `openSession()` rejects with is not emitted again; the Endpoint passes the
   * rest on to its own 'error' listeners, and throws it when it has none (never silent).
   */
  error: [error: Error];
}

/** Events of a Session. */
export interface SessionEvents {
  /** The call is established; `send` frames from now on. */
  up: [info: SessionUpEvent];
  /** A frame arrived (view: copy to keep); `atmFlags` on AAL5 SDU pseudowires only. */
  frame: [frame: Uint8Array, atmFlags?: number];
  /** The call ended (once): closed by either side, or its tunnel went down. */
  down: [reason: DownReason];
}

/** Calls `abort` with an L2tpError (code L2TP_ERR_ABORTED, the signal's reason as `cause`). */
function onAbort(
  signal: AbortSignal | undefined,
  what: string,
  abort: (error: L2tpError) => void,
): () => void {
  if (signal === undefined) return () => {};
  const fire = () => {
    const reason: unknown = signal.reason;
    const text = reason instanceof Error ? reason.message : String(reason);
    abort(new L2tpError('L2TP_ERR_ABORTED', `${what} aborted: ${text}`, { cause: reason }));
  };
  if (signal.aborted) {
    fire();
    return () => {};
  }
  signal.addEventListener('abort', fire, { once: true });
  return () => signal.removeEventListener('abort', fire);
}

/**
 * The code of a tunnel or call that ended before it came up, by who ended it: the peer refused
 * (StopCCN / CDN: `L2TP_ERR_REFUSED`, its Result and Error Codes in `reason`), the retry budget
 * ran out (`L2TP_ERR_RETRIES_EXHAUSTED`: no answer), we refused the peer's messages
 * (`L2TP_ERR_PROTOCOL`: authentication or rule failure, StopCCN/CDN sent), the tie breaker
 * chose the peer's tunnel (`L2TP_ERR_TIE_LOST`), `destroy()` (`L2TP_ERR_DESTROYED`) or a local
 * close (`L2TP_ERR_CLOSED`); after it was up, a peer's StopCCN / CDN is `L2TP_ERR_PEER_CLOSED`.
 */
export function downCode(reason: DownReason, wasUp: boolean): L2tpErrorCode {
  switch (reason.by) {
    case 'peer':
      return wasUp ? 'L2TP_ERR_PEER_CLOSED' : 'L2TP_ERR_REFUSED';
    case 'timeout':
      return 'L2TP_ERR_RETRIES_EXHAUSTED';
    case 'error':
      return 'L2TP_ERR_PROTOCOL';
    case 'tie-breaker':
      return 'L2TP_ERR_TIE_LOST';
    default:
      return reason.message === DESTROYED ? 'L2TP_ERR_DESTROYED' : 'L2TP_ERR_CLOSED';
  }
}

const DESTROYED = 'destroyed';

/**
 * The error a pending `connect` / `openSession` rejects with when the tunnel or call goes down;
 * `code` says how (see {@link downCode}), `reason` carries the Result/Error Codes and message.
 */
export class TunnelDownError extends L2tpError {
  readonly reason: DownReason;
  constructor(what: string, reason: DownReason, wasUp = false) {
    super(downCode(reason, wasUp), `${what} went down (${describeReason(reason)})`);
    this.reason = reason;
  }
}

/** One readable line for a DownReason. */
export function describeReason(reason: DownReason): string {
  const parts = [`by ${reason.by}`];
  if (reason.resultCode !== undefined) parts.push(`result ${reason.resultCode}`);
  if (reason.errorCode !== undefined) parts.push(`error ${reason.errorCode}`);
  if (reason.message !== undefined) parts.push(JSON.stringify(reason.message));
  return parts.join(', ');
}

/** One call inside a tunnel. Created by the tunnel; `send` frames once it is up. */
export class Session extends EventEmitter<SessionEvents> {
  readonly tunnel: Tunnel;
  /** Our Session ID. */
  readonly id: number;
  #peerId = 0;
  #up = false;
  #down: DownReason | undefined;
  #finalStats: SessionStats | undefined;

  /** @internal created by Tunnel */
  constructor(tunnel: Tunnel, id: number) {
    super();
    this.tunnel = tunnel;
    this.id = id;
  }

  /** The peer's Session ID (0 until known). */
  get peerId(): number {
    return this.#peerId;
  }

  /** True between 'up' and 'down'. */
  get isUp(): boolean {
    return this.#up && this.#down === undefined;
  }

  /** Why the session ended, once it has. */
  get downReason(): DownReason | undefined {
    return this.#down;
  }

  /**
   * Sends one frame (PPP for L2TPv2, FF 03 optional; v3: what the pseudowire carries). The
   * frame is not copied: don't reuse it until sent. Frames over the MTU or refused by the
   * pseudowire framer are dropped and counted (tx_errors). `options.atmFlags`: the ATM sublayer
   * bits of this frame on an AAL5 SDU pseudowire (see SendFrameOptions).
   */
  send(frame: Uint8Array, options?: SendFrameOptions): void {
    this.tunnel.sendFrame(this.id, frame, options);
  }

  /** The kernel-style counters; after 'down', the final ones. All zero before the engine knows the call. */
  stats(): SessionStats {
    return this.#finalStats ?? this.tunnel.engine.sessionStats(this.id) ?? ZERO_SESSION_STATS;
  }

  /** The current data-plane options (SENDSEQ, RECVSEQ, …); undefined once the session is gone. */
  get options(): SessionDataOptions | undefined {
    return this.tunnel.engine.sessionOptions(this.id);
  }

  /**
   * Changes data-plane options at runtime (see TunnelEngine.setSessionOptions); frames released
   * from the reorder buffer are emitted as usual. @throws UsageError on bad options or when gone.
   */
  configure(options: RuntimeSessionOptions): void {
    this.tunnel.configureSession(this.id, options);
  }

  /**
   * Closes the call with a CDN (default Result 3, administrative); `reason.avps` are added to
   * the CDN (e.g. a Q.931 or PPP Disconnect Cause relayed from another call).
   */
  close(reason?: CloseReason): void {
    if (this.#down !== undefined) return;
    this.tunnel.closeSession(this.id, reason);
  }

  /** @internal */
  markUp(info: SessionUpEvent): void {
    this.#peerId = info.peerSessionId;
    this.#up = true;
    this.emit('up', info);
  }

  /** @internal */
  markDown(reason: DownReason, stats?: SessionStats): void {
    if (this.#down !== undefined) return;
    this.#down = reason;
    this.#finalStats = stats ?? this.tunnel.engine.sessionStats(this.id) ?? ZERO_SESSION_STATS;
    this.emit('down', reason);
  }
}

/**
 * One L2TP control connection and its sessions, driven by a TunnelEngine. Obtain it from an
 * Endpoint (`endpoint.connect(...)` or the endpoint's 'tunnel' event).
 */
export class Tunnel extends EventEmitter<TunnelEvents> {
  readonly engine: TunnelEngine;
  readonly peer: PeerAddress;
  /** @internal The Endpoint's key for a tunnel a peer opened (its SCCRQ's source and id). */
  acceptKey: string | undefined;
  readonly #host: TunnelHost;
  // A shared empty map until the first session (a tunnel without calls carries none).
  #sessions: Map<number, Session> = NO_SESSIONS as Map<number, Session>;
  readonly #slot: TunnelTimerSlot;
  #up: TunnelUpEvent | undefined;
  #down: DownReason | undefined;
  #closed = false;
  #stopCcn: StopCcnOutcome = 'none';
  /** The session the data fast path delivered to last. */
  #rxSession: Session | undefined;
  /** Pending connect() / openSession() calls a host fault rejects (see #fault); made on demand. */
  #faultWaiters: Set<(error: Error) => void> | undefined;
  #busy = false;

  /** @internal created by Endpoint */
  constructor(engine: TunnelEngine, peer: PeerAddress, host: TunnelHost) {
    super();
    this.engine = engine;
    this.peer = peer;
    this.#host = host;
    this.#slot = new TimerSlot(this);
  }

  /** Our Tunnel ID (L2TPv3: our Control Connection ID). */
  get id(): number {
    return this.engine.localTunnelId;
  }

  /** Protocol version of this tunnel. */
  get version(): 2 | 3 {
    return this.engine.version;
  }

  /** The peer's Tunnel ID (0 until known). */
  get peerId(): number {
    return this.engine.peerTunnelId;
  }

  /** What the peer told us when the tunnel came up. */
  get info(): TunnelUpEvent | undefined {
    return this.#up;
  }

  /** True between 'up' and 'down'. */
  get isUp(): boolean {
    return this.#up !== undefined && this.#down === undefined;
  }

  /** Why the tunnel went down, once it has. */
  get downReason(): DownReason | undefined {
    return this.#down;
  }

  /** True once the engine is finished ('close' emitted). */
  get closed(): boolean {
    return this.#closed;
  }

  /** Live sessions by our Session ID. */
  get sessions(): ReadonlyMap<number, Session> {
    return this.#sessions;
  }

  /** Engine counters. */
  stats(): TunnelEngineStats {
    return this.engine.stats();
  }

  /**
   * Sends the SCCRQ (when not already done) and resolves once the tunnel is up. Rejects with
   * TunnelDownError if it goes down first (its `code` says how: refused, retries exhausted, …),
   * with an L2tpError `L2TP_ERR_ABORTED` (the signal's reason as `cause`) when aborted — the
   * tunnel is then closed — or with the host fault (a send that threw) that stops it, the
   * tunnel then destroyed.
   */
  connect(options: { readonly signal?: AbortSignal } = {}): Promise<TunnelUpEvent> {
    if (this.#up !== undefined && this.#down === undefined) return Promise.resolve(this.#up);
    if (this.#down !== undefined) {
      return Promise.reject(new TunnelDownError('tunnel', this.#down, this.#up !== undefined));
    }
    return new Promise<TunnelUpEvent>((resolve, reject) => {
      const cleanup = () => {
        this.off('up', onUp);
        this.off('down', onDown);
        this.#faultWaiters?.delete(onFault);
        disposeAbort();
      };
      const onUp = (info: TunnelUpEvent) => {
        cleanup();
        resolve(info);
      };
      const onDown = (reason: DownReason) => {
        cleanup();
        reject(new TunnelDownError('tunnel', reason));
      };
      const onFault = (error: Error) => {
        cleanup();
        this.destroy();
        reject(error);
      };
      this.on('up', onUp);
      this.on('down', onDown);
      this.#waitForFault(onFault);
      const disposeAbort = onAbort(options.signal, 'connect', (error) => {
        cleanup();
        void this.close();
        reject(error);
      });
      if (this.engine.state === 'idle') this.#run((now) => this.engine.connect(now));
    });
  }

  /**
   * Opens a call like `openSession` and returns its Session at once, before it is up: listen
   * for its 'up' and 'down' (a host fault goes to 'error'). For callers that must hold the call
   * while it is set up, e.g. to close it with their own reason.
   * @throws UsageError when the tunnel is closing or closed, at maxSessions, or on bad options.
   */
  beginSession(options: OpenSessionOptions = {}): Session {
    let sessionId = 0;
    this.#run((now) => {
      const r = this.engine.openSession(now, options);
      sessionId = r.sessionId;
      this.#session(sessionId);
      return r.outputs;
    });
    return this.#sessions.get(sessionId) as Session;
  }

  /**
   * Opens a call (as LAC an incoming call, as LNS an outgoing call) and resolves with the
   * established Session; connects the tunnel first when needed.
   */
  openSession(
    options: OpenSessionOptions & { readonly signal?: AbortSignal } = {},
  ): Promise<Session> {
    const { signal, ...sessionOptions } = options;
    let session: Session;
    try {
      session = this.beginSession(sessionOptions);
    } catch (err) {
      // Refusals (closed tunnel, maxSessions, bad options) reject like every other failure.
      return Promise.reject(err);
    }
    const sessionId = session.id;
    if (session.isUp) return Promise.resolve(session);
    if (session.downReason !== undefined) {
      return Promise.reject(new TunnelDownError(`session ${sessionId}`, session.downReason));
    }
    return new Promise<Session>((resolve, reject) => {
      const cleanup = () => {
        session.off('up', onUp);
        session.off('down', onDown);
        this.#faultWaiters?.delete(onFault);
        disposeAbort();
      };
      const onUp = () => {
        cleanup();
        resolve(session);
      };
      const onDown = (reason: DownReason) => {
        cleanup();
        reject(new TunnelDownError(`session ${sessionId}`, reason));
      };
      const onFault = (error: Error) => {
        cleanup();
        if (!this.#closed) session.close();
        reject(error);
      };
      session.on('up', onUp);
      session.on('down', onDown);
      this.#waitForFault(onFault);
      const disposeAbort = onAbort(signal, `session ${sessionId}`, (error) => {
        cleanup();
        if (!this.#closed) session.close();
        reject(error);
      });
    });
  }

  /**
   * Sends one frame on an established session (`[header, frame]`, the frame is not copied; with
   * `inPlace` one array, the header written before the frame). A send the host refuses (throws)
   * counts in the session's tx_errors and is emitted as 'error'.
   */
  sendFrame(sessionId: number, frame: Uint8Array, options?: SendFrameOptions): void {
    // The common case without output arrays or closures; the engine says null when it is not.
    if (
      !this.#closed &&
      (options === undefined || (options.priority !== true && options.atmFlags === undefined))
    ) {
      const packet = this.engine.sendDataOne(sessionId, frame, options?.inPlace ?? false);
      if (packet !== null) {
        try {
          this.#host.send(packet, this.peer);
        } catch (err) {
          this.engine.countTxError(sessionId);
          if (this.#busy) queueMicrotask(() => this.#fault(err as Error));
          else this.#fault(err as Error);
        }
        return;
      }
    }
    this.#run((now) => this.engine.sendFrame(sessionId, frame, now, options), sessionId);
  }

  /** A live session's counters (see SessionStats), or undefined. */
  sessionStats(sessionId: number): SessionStats | undefined {
    return this.engine.sessionStats(sessionId);
  }

  /** Changes a session's data-plane options at runtime (TunnelEngine.setSessionOptions). */
  configureSession(sessionId: number, options: RuntimeSessionOptions): void {
    this.#run((now) => this.engine.setSessionOptions(sessionId, options, now));
  }

  /** L2TPv3: tells the peer our side of the circuit went up or down (SLI with Circuit Status). */
  setCircuitStatus(sessionId: number, active: boolean): void {
    this.#run((now) => this.engine.setCircuitStatus(sessionId, active, now));
  }

  /** Sends a WEN or SLI for an established session with `avps` (TunnelEngine.notifyPeer). */
  notifyPeer(sessionId: number, type: 'WEN' | 'SLI', avps: readonly RawAvp[]): void {
    this.#run((now) => this.engine.notifyPeer(sessionId, type, avps, now));
  }

  /** Closes one session with a CDN (see Session.close). */
  closeSession(sessionId: number, reason?: CloseReason): void {
    this.#run((now) => this.engine.closeSession(sessionId, now, reason));
  }

  /**
   * Graceful close: StopCCN with `reason` (default Result 1) and the post-close hold (RFC 2661
   * §5.7: one full retransmission cycle, about 31 s with the defaults, while the engine keeps
   * acknowledging the peer). Resolves when the engine is finished ('close') with what became of
   * the StopCCN: 'acknowledged', 'unacknowledged' (sent, never acknowledged), 'not-sent' (it
   * waited behind unacknowledged messages until the hold gave up) or 'none' (the peer had
   * closed already). `destroy()` skips the hold and sends nothing.
   */
  close(reason?: Partial<ResultCodes>): Promise<StopCcnOutcome> {
    if (this.#closed) return Promise.resolve(this.#stopCcn);
    const done = new Promise<StopCcnOutcome>((resolve) => this.once('close', resolve));
    this.#run((now) => this.engine.close(now, reason));
    return done;
  }

  /** Drops all state at once, sending nothing; emits 'down' (if up) and 'close'. */
  destroy(): void {
    if (this.#closed) return;
    this.#host.schedule(this.#slot, undefined);
    const reason: DownReason = { by: 'local', message: DESTROYED };
    for (const s of this.#sessions.values()) {
      this.#host.sessionRemoved(this, s.id);
      s.markDown(reason);
      this.emit('session-down', s, reason);
    }
    this.#sessions.clear();
    this.#rxSession = undefined;
    if (this.#down === undefined) {
      this.#down = reason;
      this.emit('down', reason);
    }
    this.#stopCcn = this.engine.stopCcnOutcome;
    this.#finish();
  }

  /** @internal The host's deadline for this tunnel came (see TunnelTimerSlot). */
  handleTimer(): void {
    if (!this.#closed) this.#perform(this.engine.handleTimeout(this.#host.clock.now()));
  }

  /** @internal A datagram from the peer, routed here by the endpoint. */
  handleDatagram(bytes: Uint8Array): void {
    if (this.#closed) throw new UsageError(`tunnel ${this.id} is closed`);
    this.#perform(this.engine.handleDatagram(bytes, this.#host.clock.now()));
  }

  /**
   * @internal A data datagram from the peer: the engine's fast path (no output arrays, no
   * closures, no timer work: in-order data moves no deadline), else `handleDatagram`.
   */
  receiveData(bytes: Uint8Array): void {
    if (this.#closed || this.#busy) {
      this.handleDatagram(bytes); // keeps event order while listeners run (see #run)
      return;
    }
    const engine = this.engine;
    const frame = engine.receiveDataOne(bytes, this.#host.clock.now());
    if (frame === null) {
      this.handleDatagram(bytes);
      return;
    }
    if (frame === undefined) return;
    const id = engine.rxSessionId;
    let session = this.#rxSession;
    if (session === undefined || session.id !== id) {
      session = this.#sessions.get(id);
      if (session === undefined) return;
      this.#rxSession = session;
    }
    this.#busy = true;
    try {
      session.emit('frame', frame);
      this.emit('frame', session, frame);
    } finally {
      this.#busy = false;
    }
  }

  #waitForFault(waiter: (error: Error) => void): void {
    this.#faultWaiters ??= new Set();
    this.#faultWaiters.add(waiter);
  }

  // A host fault: the pending connect() / openSession() calls reject with it; otherwise it is
  // emitted as 'error' (the Endpoint passes it on, or throws it when nobody listens).
  #fault(error: Error): void {
    const waiters = this.#faultWaiters;
    if (waiters === undefined || waiters.size === 0) {
      const heard = this.listenerCount('error') > 0;
      if (heard) this.emit('error', error);
      this.#host.fault(error, heard);
      return;
    }
    for (const waiter of [...waiters]) waiter(error);
  }

  /** @internal Feed outputs produced outside #run (TunnelEngine.accept). */
  perform(outputs: readonly EngineOutput[]): void {
    if (this.#closed) throw new UsageError(`tunnel ${this.id} is closed`);
    this.#perform(outputs);
  }

  // -------------------------------------------------------------------------------------------

  #session(id: number): Session {
    let s = this.#sessions.get(id);
    if (s === undefined) {
      s = new Session(this, id);
      if (this.#sessions === NO_SESSIONS) this.#sessions = new Map();
      this.#sessions.set(id, s);
      this.#host.sessionAdded(this, id);
    }
    return s;
  }

  // Runs one engine call, performs its outputs, emits events afterwards, re-arms the timer.
  // `dataSession`: the call sends that session's data (a failed send counts in its tx_errors).
  #run(call: (now: number) => readonly EngineOutput[], dataSession?: number): void {
    if (this.#closed) {
      throw new UsageError(`tunnel ${this.id} is closed`);
    }
    this.#perform(call(this.#host.clock.now()), dataSession);
  }

  // Performs outputs in order: datagrams are sent and the sessions an event names are made or
  // dropped at once; what listeners hear (frames, events, send faults) waits until every output
  // is performed and the timer re-armed. Those wait as (item, argument) pairs: the first in two
  // locals (most calls have one event at most), the rest in an array made on demand.
  #perform(outputs: readonly EngineOutput[], dataSession?: number): void {
    let first: Deferred | undefined;
    let firstArg: unknown;
    let more: unknown[] | undefined;
    for (let i = 0; i < outputs.length; i++) {
      const out = outputs[i] as EngineOutput;
      let item: Deferred;
      let arg: unknown;
      if (out.type === 'transmit') {
        try {
          this.#host.send(out.packet, this.peer);
          continue;
        } catch (err) {
          if (dataSession !== undefined) this.engine.countTxError(dataSession);
          item = FAULT;
          arg = err;
        }
      } else if (out.type === 'frame') {
        const session = this.#sessions.get(out.sessionId);
        if (session === undefined) continue;
        item = out;
        arg = session;
      } else {
        item = out;
        arg = this.#beforeEvent(out.event);
      }
      if (first === undefined) {
        first = item;
        firstArg = arg;
      } else {
        more ??= [];
        more.push(item, arg);
      }
    }
    this.#arm();
    if (first === undefined) return;
    if (this.#busy) {
      this.#later(first, firstArg);
      if (more !== undefined) {
        for (let i = 0; i < more.length; i += 2) this.#later(more[i] as Deferred, more[i + 1]);
      }
      return;
    }
    this.#busy = true;
    try {
      this.#after(first, firstArg);
      if (more !== undefined) {
        for (let i = 0; i < more.length; i += 2) this.#after(more[i] as Deferred, more[i + 1]);
      }
    } finally {
      this.#busy = false;
    }
  }

  // #after from a microtask: while listeners run, what a nested call produced waits its turn.
  #later(item: Deferred, arg: unknown): void {
    queueMicrotask(() => this.#after(item, arg));
  }

  // What an engine event changes at once (the tunnel's session map); returns the session the
  // event names for #after, where it has one.
  #beforeEvent(event: EngineEvent): Session | undefined {
    if (log.enabled) log('tunnel %d: %s', this.id, event.type);
    switch (event.type) {
      case 'session-up':
        return this.#session(event.sessionId);
      case 'session-down': {
        const session = this.#session(event.sessionId);
        this.#sessions.delete(event.sessionId);
        if (this.#rxSession === session) this.#rxSession = undefined;
        this.#host.sessionRemoved(this, event.sessionId);
        return session;
      }
      case 'incoming-session':
        if (event.accepted) this.#session(event.sessionId);
        return undefined;
      default:
        return undefined;
    }
  }

  // What listeners hear of one performed output (see #perform): `arg` is the session of a
  // frame or an event (#beforeEvent), or what a send threw.
  #after(item: Deferred, arg: unknown): void {
    if (item === FAULT) {
      this.#fault(arg as Error);
      return;
    }
    if (item.type === 'frame') {
      const session = arg as Session;
      const atmFlags = item.atmFlags;
      if (atmFlags === undefined) {
        session.emit('frame', item.frame);
        this.emit('frame', session, item.frame);
      } else {
        session.emit('frame', item.frame, atmFlags);
        this.emit('frame', session, item.frame, atmFlags);
      }
      return;
    }
    const event = item.event;
    switch (event.type) {
      case 'tunnel-up':
        this.#up = event;
        this.emit('up', event);
        return;
      case 'tunnel-down':
        if (this.#down !== undefined) return;
        this.#down = event.reason;
        this.emit('down', event.reason);
        return;
      case 'tunnel-closed':
        this.#stopCcn = event.stopCcn;
        this.#finish();
        return;
      case 'session-up': {
        const session = arg as Session;
        session.markUp(event);
        this.emit('session-up', session);
        return;
      }
      case 'session-down': {
        const session = arg as Session;
        session.markDown(event.reason, event.stats);
        this.emit('session-down', session, event.reason);
        return;
      }
      case 'incoming-session':
        this.emit('incoming-session', event);
        return;
      case 'sli':
        this.emit('sli', event);
        return;
      case 'wen':
        this.emit('wen', event);
        return;
      case 'circuit-status':
        this.emit('circuit-status', event);
        return;
    }
  }

  // Files the engine's next deadline with the host. A slot filed earlier than needed stays:
  // its firing is a harmless early handleTimeout that re-files it, so a datagram that only
  // pushes the HELLO time later costs no heap work.
  #arm(): void {
    if (this.#closed) return;
    const at = this.engine.nextDeadline();
    if (at === undefined) return;
    const slot = this.#slot;
    if (slot.heapIndex >= 0 && slot.heapDeadline <= at) return;
    this.#host.schedule(slot, at);
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#host.schedule(this.#slot, undefined);
    this.#host.release(this);
    this.emit('close', this.#stopCcn);
  }
}
