/**
 * TunnelSwitch: an L2TP Tunnel Switching Aggregator (draft-ietf-l2tpext-tunnel-switching-08,
 * Figure 1), built on Endpoint. It takes First calls as an LNS (ICRQ) or as a LAC (OCRQ), asks
 * the host's `route` where each goes, and places the Second call on a tunnel to that next hop
 * (ICRQ → ICRQ, OCRQ → OCRQ), opened on demand and shared by every call to the same next hop.
 * Frames cross between the two sessions without a payload copy.
 *
 * Order (draft §1): the First session is established first; its negotiated AVPs (ICRQ + ICCN)
 * are the basis of the Second, relayed by the rules of avp-rules.ts. Frames the First peer sends
 * meanwhile wait in a small bounded queue. A CDN or StopCCN on either side ends the other half
 * with the cause carried over (§5); loops are refused at the request with CDN 26 (§4).
 */

import { EventEmitter } from 'eventemitter3';
import type { RawAvp } from '../avp/raw.js';
import { AvpType, CdnResult, GeneralError, PseudowireType } from '../constants.js';
import type { IncomingTunnelInfo, TunnelOptions } from '../endpoint.js';
import { type Endpoint, Endpoint as EndpointClass, type EndpointOptions } from '../endpoint.js';
import type { OpenSessionOptions } from '../engine/index.js';
import { emitOrThrow, UsageError } from '../errors.js';
import type { DownReason, ResultCodes } from '../fsm/types.js';
import type { IncomingSessionInfo, SessionVerdict } from '../options.js';
import type { DatagramTransport, PeerAddress, TimerHandle } from '../transport.js';
import type { Session, Tunnel } from '../tunnel.js';
import {
  carriedResult,
  loopDetected,
  type RelayPolicy,
  relayAvps,
  tsaIdStack,
} from './avp-rules.js';

/** What the route callback learns about a First call (all AVPs unhidden, values are copies). */
export interface SwitchCallInfo {
  /** 'incoming' = the First peer (a LAC) sent ICRQ; 'outgoing' = the First peer (an LNS) sent OCRQ. */
  readonly call: 'incoming' | 'outgoing';
  /** The First session (established). */
  readonly first: Session;
  /** The First peer's ICRQ / OCRQ AVPs. */
  readonly request: readonly RawAvp[];
  /** The First peer's ICCN AVPs (incoming calls; empty for outgoing calls, where we sent OCCN). */
  readonly connect: readonly RawAvp[];
  /** Called Number (RFC 2661 §4.4.5), when the request carried one. */
  readonly calledNumber: string | undefined;
  /** Calling Number, when present. */
  readonly callingNumber: string | undefined;
  /** Sub-Address, when present. */
  readonly subAddress: string | undefined;
  /** Proxy Authen Name of the ICCN (the user's name, e.g. `user@realm`), when present. */
  readonly proxyAuthenName: string | undefined;
  /** The TSA IDs the call already crossed, first hop first (draft §4). */
  readonly tsaIds: readonly string[];
}

/** Where a call goes: the next hop and the Second tunnel's options. */
export interface SwitchDestination {
  readonly peer: PeerAddress;
  /**
   * The Second tunnel's options (version 2 or 3, secret, host name …). Its mode is set by the
   * switch: 'lac' for incoming calls, 'lns' for outgoing ones. Calls to the same peer, version
   * and encapsulation share one tunnel (the first call's options make it) unless their `key`
   * differs.
   */
  readonly tunnel: Omit<TunnelOptions, 'mode'>;
  /** Options of the Second session (v3: pseudowire type defaults to PPP). */
  readonly session?: OpenSessionOptions;
  /** L2TPv3 over IP: the Second tunnel goes through the switch's `ipTransport`. */
  readonly encap?: 'udp' | 'ip';
  /** Calls with different keys never share a Second tunnel (default ''). */
  readonly key?: string;
}

/**
 * The route's refusal: 'unreachable' answers the First call with CDN 2/10 (next hop
 * unreachable), 'busy' with 2/11 (next hop busy), or the given codes.
 */
export interface SwitchRefusal {
  readonly refuse: 'unreachable' | 'busy' | ResultCodes;
}

/**
 * Where a First call goes: one next hop; several in order of preference, each tried when the
 * one before is unreachable or busy (draft §5, "alternative paths … determined by the local
 * policy"); or a refusal.
 */
export type SwitchDecision = SwitchDestination | readonly SwitchDestination[] | SwitchRefusal;

/** The host's policy: where a First call goes, or a refusal (may be async). */
export type SwitchRoute = (call: SwitchCallInfo) => SwitchDecision | Promise<SwitchDecision>;

/** Options of {@link TunnelSwitch}. */
export interface TunnelSwitchOptions extends Omit<EndpointOptions, 'acceptTunnel' | 'encap'> {
  /** Options for First tunnels (as Endpoint's acceptTunnel): version, secret, host name … */
  readonly accept: TunnelOptions | ((info: IncomingTunnelInfo) => TunnelOptions | undefined);
  /** Where each First call goes. */
  readonly route: SwitchRoute;
  /**
   * Our TSA ID (draft §4, ≤ 64 octets): stacked on every Second request; a request whose stack
   * holds it is refused with CDN 26 (loop detected). Empty = none (an empty TSA ID is still
   * stacked, and no loop check is made).
   */
  readonly tsaId?: string | Uint8Array;
  /** A raw-IP transport for L2TPv3-over-IP tunnels (First tunnels too), when used. */
  readonly ipTransport?: DatagramTransport;
  /** Close a Second tunnel this long after its last call ended, ms. Default 10,000. */
  readonly idleTunnelMs?: number;
  /**
   * How long a Second call may take to come up, its tunnel's setup included, ms (1 …
   * 3,600,000). A next hop that has not answered by then counts as unreachable (2/10): the
   * Second call is closed and the route's next alternative is tried, or the First call is
   * cleared. Default 10,000: without it a silent next hop is found out only when its tunnel's
   * retransmission cycle ends (31 s with the defaults) while the LAC's session waits.
   */
  readonly nextHopTimeoutMs?: number;
  /**
   * How long a next hop found unreachable is passed over, ms (0 … 86,400,000; 0 = never).
   * Found unreachable: its Second call was given up (`nextHopTimeoutMs`), or its tunnel never
   * came up, was refused or went down before the call was up; not a CDN of the next hop's, nor a
   * destination refused at once. While it is held down, a call whose route lists it before
   * another destination skips it (`rerouted`, 2/10) without waiting for it again; the route's
   * last destination is always tried. A call that comes up through it clears the hold-down.
   * Default 30,000.
   */
  readonly nextHopHoldDownMs?: number;
  /** Most next hops held down at once; one more lets the longest held go. Default 4,096. */
  readonly maxNextHopsHeldDown?: number;
  /** Most switched calls at once (routing included); beyond, CDN 2/12 (TSA busy). Default 65,535. */
  readonly maxCalls?: number;
  /** Frames of the First peer held while the Second call is set up (per call). Default 32. */
  readonly maxWaitingFrames?: number;
  /** Proxy LCP AVPs of the ICCN (draft §3.1): 'relay' (default) or 'drop' all of them. */
  readonly proxyLcp?: 'relay' | 'drop';
  /** Proxy Authentication AVPs of the ICCN: 'relay' (default) or 'drop' all of them. */
  readonly proxyAuth?: 'relay' | 'drop';
  /** Relay AVPs the draft does not name (M = 0 only). Default false: dropped. */
  readonly relayUnknownAvps?: boolean;
}

/** One switched call: the First and Second sessions. */
export interface SwitchedCall {
  readonly call: 'incoming' | 'outgoing';
  readonly first: Session;
  /**
   * Undefined while the route decides, and once a next hop that did not answer within
   * `nextHopTimeoutMs` was given up (until the next alternative's call is placed).
   */
  readonly second: Session | undefined;
  readonly destination: SwitchDestination | undefined;
  /** 'routing' → 'connecting' → 'up' → 'down'. */
  readonly state: 'routing' | 'connecting' | 'up' | 'down';
  /** Frames forwarded First → Second and Second → First. */
  readonly framesToSecond: number;
  readonly framesToFirst: number;
  /** Frames dropped: the waiting queue was full, or the call ended first. */
  readonly framesDropped: number;
}

/** How a switched call ended. */
export interface UnswitchedInfo {
  readonly call: SwitchedCall;
  /** The half that went down first. */
  readonly endedBy: 'first' | 'second';
  readonly reason: DownReason;
  /** What the other half was told (CDN codes), when it was still alive. */
  readonly carried: ResultCodes | undefined;
}

/** Counters of a TunnelSwitch. */
export interface TunnelSwitchStats {
  /** Calls being routed, connecting or up. */
  readonly calls: number;
  readonly callsUp: number;
  /** Second tunnels open (up or connecting). */
  readonly secondTunnels: number;
  readonly switched: number;
  readonly refusedLoop: number;
  readonly refusedBusy: number;
  /** Refused by the route, or the Second call failed before it was up. */
  readonly failed: number;
  /** Second calls placed on an alternative next hop after the one before was unreachable or busy. */
  readonly rerouted: number;
  /** Next hops held down now (see TunnelSwitchOptions.nextHopHoldDownMs). */
  readonly nextHopsHeldDown: number;
  readonly framesToSecond: number;
  readonly framesToFirst: number;
  readonly framesDropped: number;
}

/** Events of a {@link TunnelSwitch}. */
export interface TunnelSwitchEvents {
  /** Both halves are up; frames cross. */
  switched: [call: SwitchedCall];
  /** A switched (or routing/connecting) call ended; both halves are told. */
  unswitched: [info: UnswitchedInfo];
  /** A First call refused at the request (loop, busy) or after (route refused, next hop failed). */
  refused: [first: Session | undefined, codes: ResultCodes];
  /**
   * A next hop was unreachable or busy (`codes`: 2/10 or 2/11, as the First peer would have
   * been told) and the call goes on to the route's next alternative (`call.destination`).
   */
  rerouted: [call: SwitchedCall, failed: SwitchDestination, codes: ResultCodes];
  /** Host faults (a route callback that threw, a send that threw). */
  error: [error: Error];
}

const WAIT_HEADROOM = 64;
const decoder = new TextDecoder('utf-8', { fatal: false });

function text(avps: readonly RawAvp[], type: number): string | undefined {
  for (const a of avps)
    if (a.vendorId === 0 && a.attributeType === type) return decoder.decode(a.value);
  return undefined;
}

function copyAvps(avps: readonly RawAvp[] | undefined): readonly RawAvp[] {
  if (avps === undefined) return [];
  return avps.map((a) => ({ ...a, value: a.value.slice() }));
}

class Call implements SwitchedCall {
  readonly call: 'incoming' | 'outgoing';
  readonly first: Session;
  second: Session | undefined;
  destination: SwitchDestination | undefined;
  state: 'routing' | 'connecting' | 'up' | 'down' = 'routing';
  framesToSecond = 0;
  framesToFirst = 0;
  framesDropped = 0;
  request: readonly RawAvp[];
  connect: readonly RawAvp[] = [];
  waiting: Uint8Array[] | undefined;
  pool: SecondTunnel | undefined;
  // The route's next hops not tried yet, in order.
  alternatives: readonly SwitchDestination[] = [];
  // Armed while the Second call is connecting (nextHopTimeoutMs); boxed like SecondTunnel.idle.
  setupTimer: { readonly handle: TimerHandle } | undefined;

  constructor(call: 'incoming' | 'outgoing', first: Session, request: readonly RawAvp[]) {
    this.call = call;
    this.first = first;
    this.request = request;
  }
}

// A Second tunnel, shared by every call to one next hop.
interface SecondTunnel {
  readonly key: string;
  readonly tunnel: Tunnel;
  readonly calls: Set<Call>;
  // Boxed: a TimerHandle is opaque and may be any value.
  idle: { readonly handle: TimerHandle } | undefined;
}

/** An L2TP Tunnel Switching Aggregator. See the file header. */
export class TunnelSwitch extends EventEmitter<TunnelSwitchEvents> {
  /** The UDP endpoint (First tunnels arrive here; UDP Second tunnels leave from here). */
  readonly endpoint: Endpoint;
  /** The L2TPv3-over-IP endpoint, when `ipTransport` was given. */
  readonly ipEndpoint: Endpoint | undefined;
  readonly #o: TunnelSwitchOptions;
  readonly #tsaId: Uint8Array;
  readonly #maxCalls: number;
  readonly #idleMs: number;
  readonly #nextHopTimeoutMs: number;
  readonly #holdDownMs: number;
  readonly #maxHeldDown: number;
  // Next hops found unreachable (by nextHopKey), with when; oldest first, at most #maxHeldDown.
  readonly #heldDown = new Map<string, number>();
  readonly #maxWaiting: number;
  readonly #calls = new Set<Call>();
  readonly #bySession = new WeakMap<Session, Call>();
  readonly #policy: RelayPolicy;
  readonly #seconds = new Map<string, SecondTunnel>();
  readonly #wrapped = new WeakMap<TunnelOptions, TunnelOptions>();
  #closed = false;
  #switched = 0;
  #refusedLoop = 0;
  #refusedBusy = 0;
  #failed = 0;
  #rerouted = 0;
  #toSecond = 0;
  #toFirst = 0;
  #dropped = 0;

  constructor(options: TunnelSwitchOptions) {
    super();
    this.#o = options;
    const id = options.tsaId ?? '';
    this.#tsaId = typeof id === 'string' ? new TextEncoder().encode(id) : id.slice();
    if (this.#tsaId.length > 64) throw new UsageError('tsaId is longer than 64 octets (draft §4)');
    this.#maxCalls = positive(options.maxCalls, 65_535, 'maxCalls');
    this.#idleMs = nonNegative(options.idleTunnelMs, 10_000, 'idleTunnelMs');
    this.#nextHopTimeoutMs = positive(options.nextHopTimeoutMs, 10_000, 'nextHopTimeoutMs');
    if (this.#nextHopTimeoutMs > 3_600_000) {
      throw new UsageError('nextHopTimeoutMs must be at most 3,600,000 ms');
    }
    this.#holdDownMs = nonNegative(options.nextHopHoldDownMs, 30_000, 'nextHopHoldDownMs');
    if (this.#holdDownMs > 86_400_000) {
      throw new UsageError('nextHopHoldDownMs must be at most 86,400,000 ms');
    }
    this.#maxHeldDown = positive(options.maxNextHopsHeldDown, 4096, 'maxNextHopsHeldDown');
    this.#maxWaiting = nonNegative(options.maxWaitingFrames, 32, 'maxWaitingFrames');
    if (typeof options.route !== 'function') throw new UsageError('route must be a function');
    this.#policy = {
      tsaId: this.#tsaId,
      proxyLcp: options.proxyLcp ?? 'relay',
      proxyAuth: options.proxyAuth ?? 'relay',
      relayUnknown: options.relayUnknownAvps === true,
    };
    const { accept, route: _r, tsaId: _t, ipTransport, ...endpointOptions } = options;
    const acceptTunnel = (info: IncomingTunnelInfo): TunnelOptions | undefined => {
      const base = typeof accept === 'function' ? accept(info) : accept;
      return base === undefined ? undefined : this.#firstOptions(base);
    };
    this.endpoint = new EndpointClass({ ...endpointOptions, acceptTunnel });
    this.ipEndpoint =
      ipTransport === undefined
        ? undefined
        : new EndpointClass({
            ...endpointOptions,
            transport: ipTransport,
            encap: 'ip',
            acceptTunnel,
          });
    for (const e of [this.endpoint, this.ipEndpoint]) {
      e?.on('tunnel', (t) => this.#watchFirst(t));
      e?.on('error', (err) => this.#error(err));
    }
  }

  /** Every call being switched (routing, connecting or up). */
  get calls(): ReadonlySet<SwitchedCall> {
    return this.#calls;
  }

  /** The switch's counters (see TunnelSwitchStats); each session keeps its own too. */
  stats(): TunnelSwitchStats {
    let up = 0;
    for (const c of this.#calls) if (c.state === 'up') up++;
    return {
      calls: this.#calls.size,
      callsUp: up,
      secondTunnels: this.#seconds.size,
      switched: this.#switched,
      refusedLoop: this.#refusedLoop,
      refusedBusy: this.#refusedBusy,
      failed: this.#failed,
      rerouted: this.#rerouted,
      nextHopsHeldDown: this.#countHeldDown(),
      framesToSecond: this.#toSecond,
      framesToFirst: this.#toFirst,
      framesDropped: this.#dropped,
    };
  }

  /** Closes every tunnel gracefully (both endpoints) and stops listening. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const s of this.#seconds.values()) this.#stopIdle(s);
    await Promise.all([this.endpoint.close(), this.ipEndpoint?.close()]);
  }

  /** Drops everything at once, sending nothing. */
  destroy(): void {
    this.#closed = true;
    for (const s of this.#seconds.values()) this.#stopIdle(s);
    this.endpoint.destroy();
    this.ipEndpoint?.destroy();
  }

  // -------------------------------------------------------------------------------------------
  // First calls

  // The First tunnels' options: the host's, plus our admission hook and the call AVPs we relay.
  #firstOptions(base: TunnelOptions): TunnelOptions {
    let w = this.#wrapped.get(base);
    if (w === undefined) {
      const hook = base.acceptSession;
      w = {
        ...base,
        callAvps: true,
        acceptSession: (info: IncomingSessionInfo) => this.#admit(info, hook),
      };
      this.#wrapped.set(base, w);
    }
    return w;
  }

  #admit(
    info: IncomingSessionInfo,
    hook: ((info: IncomingSessionInfo) => SessionVerdict) | undefined,
  ): SessionVerdict {
    if (hook !== undefined) {
      const verdict = hook(info);
      if (verdict !== true) return verdict;
    }
    const avps = info.avps ?? [];
    // Draft §4: only a configured, non-empty TSA ID is looked for.
    if (this.#tsaId.length > 0 && loopDetected(avps, this.#tsaId)) {
      this.#refusedLoop++;
      const codes = {
        resultCode: CdnResult.LoopDetected,
        message: `loop: TSA ID ${decoder.decode(this.#tsaId)} already in the path`,
      };
      this.emit('refused', undefined, codes);
      return codes;
    }
    if (this.#closed || this.#calls.size >= this.#maxCalls) {
      this.#refusedBusy++;
      const codes = {
        resultCode: CdnResult.GeneralError,
        errorCode: GeneralError.TsaBusy,
        message: 'TSA busy',
      };
      this.emit('refused', undefined, codes);
      return codes;
    }
    return true;
  }

  // Draft §3.1: Call Errors (WEN) and ACCM (SLI) MUST be relayed to the other half.
  #watchNotifications(tunnel: Tunnel): void {
    const relay = (type: 'WEN' | 'SLI', sessionId: number, avps: readonly RawAvp[] | undefined) => {
      const session = tunnel.sessions.get(sessionId);
      const call = session === undefined ? undefined : this.#bySession.get(session);
      if (call === undefined || call.state !== 'up' || avps === undefined) return;
      const to = session === call.first ? call.second : call.first;
      if (to === undefined || !to.isUp) return;
      const relayed = relayAvps(type, avps, tunnel.version, to.tunnel.version, this.#policy);
      if (!relayed.some((a) => a.vendorId === 0 && a.attributeType !== AvpType.MessageType)) return;
      try {
        to.tunnel.notifyPeer(to.id, type, relayed);
      } catch (err) {
        this.#error(err as Error); // e.g. the other tunnel's queue is full: the host hears of it
      }
    };
    tunnel.on('wen', (e) => relay('WEN', e.sessionId, e.avps));
    tunnel.on('sli', (e) => relay('SLI', e.sessionId, e.avps));
  }

  #watchFirst(tunnel: Tunnel): void {
    this.#watchNotifications(tunnel);
    tunnel.on('incoming-session', (event) => {
      if (!event.accepted) return;
      const first = tunnel.sessions.get(event.sessionId);
      if (first === undefined) return;
      const call = new Call(event.call, first, copyAvps(event.avps));
      this.#calls.add(call);
      this.#bySession.set(first, call);
      first.once('up', (up) => {
        call.connect = copyAvps(up.avps);
        void this.#route(call);
      });
      first.once('down', (reason) => this.#halfDown(call, 'first', reason));
      first.on('frame', (frame) => this.#toSecondHalf(call, frame));
    });
  }

  async #route(call: Call): Promise<void> {
    const info: SwitchCallInfo = {
      call: call.call,
      first: call.first,
      request: call.request,
      connect: call.connect,
      calledNumber: text(call.request, AvpType.CalledNumber),
      callingNumber: text(call.request, AvpType.CallingNumber),
      subAddress: text(call.request, AvpType.SubAddress),
      proxyAuthenName: text(call.connect, AvpType.ProxyAuthenName),
      tsaIds: tsaIdStack(call.request).map((id) => decoder.decode(id)),
    };
    let decision: SwitchDecision;
    try {
      decision = await this.#o.route(info);
    } catch (err) {
      this.#error(err instanceof Error ? err : new Error(String(err)));
      decision = { refuse: { ...UNREACHABLE, message: 'route failed' } };
    }
    if (call.state !== 'routing') return; // the First call ended meanwhile
    if (isRefusal(decision)) {
      const r = decision.refuse;
      this.#fail(call, r === 'unreachable' ? UNREACHABLE : r === 'busy' ? BUSY : r);
      return;
    }
    const paths: readonly SwitchDestination[] = isDestinationList(decision) ? decision : [decision];
    const first = paths[0];
    if (first === undefined) {
      this.#fail(call, { ...UNREACHABLE, message: 'the route gave no next hop' });
      return;
    }
    call.alternatives = paths.slice(1);
    this.#connect(call, first);
  }

  // Draft §5: a next hop that is unreachable or busy gives way to the route's next
  // alternative, if any is left; true when the call went on to it.
  #reroute(call: Call, codes: ResultCodes): boolean {
    const next = call.alternatives[0];
    const pathFailed =
      codes.resultCode === CdnResult.GeneralError &&
      (codes.errorCode === GeneralError.NextHopUnreachable ||
        codes.errorCode === GeneralError.NextHopBusy);
    if (next === undefined || !pathFailed || call.first.downReason !== undefined) return false;
    const failed = call.destination as SwitchDestination;
    call.alternatives = call.alternatives.slice(1);
    this.#stopSetupTimer(call);
    this.#release(call);
    call.second = undefined;
    this.#rerouted++;
    call.destination = next; // where the call goes now, for the event's listeners
    this.emit('rerouted', call, failed, codes);
    if (call.state === 'connecting') this.#connect(call, next); // unless a listener ended it
    return true;
  }

  // -------------------------------------------------------------------------------------------
  // Second calls

  #connect(call: Call, dest: SwitchDestination): void {
    call.destination = dest;
    call.state = 'connecting';
    const since = call.alternatives.length === 0 ? undefined : this.#heldDownFor(call, dest);
    if (since !== undefined) {
      // Found unreachable a moment ago: the next alternative, without waiting for it again.
      const codes = {
        ...UNREACHABLE,
        message: `next hop held down: unreachable ${Math.round(since)} ms ago`,
      };
      if (!this.#reroute(call, codes)) this.#fail(call, codes);
      return;
    }
    let pool: SecondTunnel;
    let second: Session;
    const firstVersion = call.first.tunnel.version;
    try {
      pool = this.#secondTunnel(call, dest);
      const to = pool.tunnel.version;
      const policy = this.#policy;
      const incoming = call.call === 'incoming';
      const options: OpenSessionOptions = {
        ...(to === 3 ? { pseudowireType: PseudowireType.Ppp } : {}),
        ...dest.session,
        // Draft §3.1 "Sequencing Required", "Data Sequencing": regenerated when the First
        // session sequences (v2 AVP 39, or v3 AVP 70 level 1 or 2 in the request or connect).
        ...(firstSequences(call) ? { requireSequenceNumbers: true } : {}),
        extraAvps: {
          request: relayAvps(incoming ? 'ICRQ' : 'OCRQ', call.request, firstVersion, to, policy),
          connect: incoming ? relayAvps('ICCN', call.connect, firstVersion, to, policy) : [],
        },
      };
      second = pool.tunnel.beginSession(options);
    } catch (err) {
      // A refusal of the tunnel or session (maxTunnels, bad route options): the next hop is out
      // of reach for this call, and the host hears of it (a misconfigured route is its bug).
      // The details are the host's (its 'error'); the peer hears only that the hop is out of reach.
      if (!this.#reroute(call, UNREACHABLE)) this.#fail(call, UNREACHABLE);
      this.#error(err as Error);
      return;
    }
    call.pool = pool;
    call.second = second;
    this.#bySession.set(second, call);
    pool.calls.add(call);
    this.#stopIdle(pool);
    // The listeners act for this call only while `second` is its Second session: one given up
    // (nextHopTimeoutMs) may still come up, go down or deliver frames afterwards.
    second.once('up', () => {
      if (call.state !== 'connecting' || call.second !== second) return;
      this.#stopSetupTimer(call);
      this.#heldDown.delete(nextHopKey(call, dest));
      call.state = 'up';
      this.#switched++;
      const waiting = call.waiting;
      call.waiting = undefined;
      if (waiting !== undefined) for (const f of waiting) this.#forward(call, second, f, true);
      this.emit('switched', call);
    });
    second.once('down', (reason) => {
      if (call.second === second) this.#halfDown(call, 'second', reason);
    });
    second.on('frame', (frame) => {
      if (call.state !== 'up' || call.second !== second) {
        call.framesDropped++;
        this.#dropped++;
        return;
      }
      this.#forward(call, call.first, frame, false);
    });
    const handle = this.#o.timers.set(this.#nextHopTimeoutMs, () => {
      call.setupTimer = undefined;
      if (call.state === 'connecting' && call.second === second) this.#giveUpSecond(call, second);
    });
    call.setupTimer = { handle };
  }

  // The next hop did not answer within nextHopTimeoutMs: its Second call is closed (a CDN when
  // the peer knows of it) and no longer this call's; the call goes on as if the next hop were
  // found unreachable — the next alternative, or the First call cleared with 2/10.
  #giveUpSecond(call: Call, second: Session): void {
    const message = `next hop did not answer within ${this.#nextHopTimeoutMs} ms`;
    this.#bySession.delete(second);
    call.second = undefined;
    if (second.downReason === undefined) {
      second.close({ resultCode: CdnResult.Administrative, message });
    }
    this.#halfDown(call, 'second', { by: 'timeout', message });
  }

  // The call's next hop was found unreachable: passed over for nextHopHoldDownMs.
  #holdDown(call: Call): void {
    const dest = call.destination;
    if (this.#holdDownMs === 0 || dest === undefined) return;
    const key = nextHopKey(call, dest);
    this.#heldDown.delete(key); // to the end: the newest
    if (this.#heldDown.size >= this.#maxHeldDown) {
      const [oldest] = this.#heldDown.keys();
      if (oldest !== undefined) this.#heldDown.delete(oldest);
    }
    this.#heldDown.set(key, this.#o.clock.now());
  }

  // How long ago `dest` was found unreachable, while it is held down; else undefined.
  #heldDownFor(call: Call, dest: SwitchDestination): number | undefined {
    const key = nextHopKey(call, dest);
    const at = this.#heldDown.get(key);
    if (at === undefined) return undefined;
    const since = this.#o.clock.now() - at;
    if (since < this.#holdDownMs) return since;
    this.#heldDown.delete(key);
    return undefined;
  }

  #countHeldDown(): number {
    const now = this.#o.clock.now();
    for (const [key, at] of this.#heldDown) {
      if (now - at >= this.#holdDownMs) this.#heldDown.delete(key);
    }
    return this.#heldDown.size;
  }

  #stopSetupTimer(call: Call): void {
    if (call.setupTimer === undefined) return;
    this.#o.timers.clear(call.setupTimer.handle);
    call.setupTimer = undefined;
  }

  #secondTunnel(call: Call, dest: SwitchDestination): SecondTunnel {
    const encap = dest.encap ?? 'udp';
    const endpoint = encap === 'ip' ? this.ipEndpoint : this.endpoint;
    if (endpoint === undefined) throw new UsageError('an IP destination needs ipTransport');
    const key = nextHopKey(call, dest);
    const found = this.#seconds.get(key);
    if (found !== undefined && !found.tunnel.closed && found.tunnel.downReason === undefined) {
      return found;
    }
    // L2TPv3 carries the switched PPP as pseudowire type 7 (draft §2) unless the route says.
    const pw =
      dest.tunnel.version === 3 && dest.tunnel.pseudowireCapabilities === undefined
        ? { pseudowireCapabilities: [PseudowireType.Ppp] }
        : {};
    // Calls the next hop opens on this tunnel are First calls like any other (routed onwards).
    const mode = call.call === 'incoming' ? 'lac' : 'lns';
    const options = this.#firstOptions({ ...dest.tunnel, ...pw, mode });
    const tunnel = endpoint.tunnel(dest.peer, options);
    const pool: SecondTunnel = { key, tunnel, calls: new Set(), idle: undefined };
    this.#seconds.set(key, pool);
    tunnel.on('close', () => {
      if (this.#seconds.get(key) === pool) this.#seconds.delete(key);
      this.#stopIdle(pool);
    });
    tunnel.on('error', (err) => this.#error(err));
    this.#watchFirst(tunnel);
    return pool;
  }

  #release(call: Call): void {
    const pool = call.pool;
    if (pool === undefined) return;
    pool.calls.delete(call);
    call.pool = undefined;
    if (pool.calls.size > 0 || pool.tunnel.closed || this.#closed) return;
    this.#stopIdle(pool);
    const handle = this.#o.timers.set(this.#idleMs, () => {
      pool.idle = undefined;
      if (pool.calls.size > 0) return;
      if (this.#seconds.get(pool.key) === pool) this.#seconds.delete(pool.key);
      void pool.tunnel.close();
    });
    pool.idle = { handle };
  }

  #stopIdle(pool: SecondTunnel): void {
    if (pool.idle === undefined) return;
    this.#o.timers.clear(pool.idle.handle);
    pool.idle = undefined;
  }

  // -------------------------------------------------------------------------------------------
  // Frames

  #toSecondHalf(call: Call, frame: Uint8Array): void {
    const second = call.second;
    if (call.state === 'up' && second !== undefined) {
      this.#forward(call, second, frame, true);
      return;
    }
    if (call.state === 'down' || this.#maxWaiting === 0) {
      call.framesDropped++;
      this.#dropped++;
      return;
    }
    call.waiting ??= [];
    const waiting = call.waiting;
    if (waiting.length >= this.#maxWaiting) {
      call.framesDropped++;
      this.#dropped++;
      return;
    }
    // A copy with headroom: the datagram is not ours to keep, and in place works on the copy.
    const copy = new Uint8Array(WAIT_HEADROOM + frame.length);
    copy.set(frame, WAIT_HEADROOM);
    waiting.push(copy.subarray(WAIT_HEADROOM));
  }

  // The received view goes out with the other session's header, written before it when there
  // is room (the datagram is the switch's: node:dgram gives each its own buffer).
  #forward(call: Call, to: Session, frame: Uint8Array, toSecond: boolean): void {
    if (toSecond) {
      call.framesToSecond++;
      this.#toSecond++;
    } else {
      call.framesToFirst++;
      this.#toFirst++;
    }
    to.tunnel.sendFrame(to.id, frame, IN_PLACE);
  }

  // -------------------------------------------------------------------------------------------
  // Teardown

  #halfDown(call: Call, half: 'first' | 'second', reason: DownReason): void {
    if (call.state === 'down') return;
    this.#stopSetupTimer(call);
    // A Second call that failed before it was up may give way to an alternative next hop.
    if (half === 'second' && call.state === 'connecting') {
      if (foundUnreachable(reason)) this.#holdDown(call);
      if (this.#reroute(call, this.#secondFailed(reason))) return;
    }
    const wasUp = call.state === 'up';
    const connecting = call.state === 'connecting';
    call.state = 'down';
    call.waiting = undefined;
    this.#calls.delete(call);
    this.#release(call);
    let carried: ResultCodes | undefined;
    if (half === 'first') {
      const second = call.second;
      if (second !== undefined && second.downReason === undefined) {
        carried = this.#carry(reason, call.first, second, wasUp);
        second.close({ ...carried, avps: this.#cdnAvps(reason, call.first, second) });
      }
    } else {
      const first = call.first;
      if (first.downReason === undefined) {
        carried = connecting
          ? this.#secondFailed(reason)
          : this.#carry(reason, call.second as Session, first, true);
        first.close({ ...carried, avps: this.#cdnAvps(reason, call.second as Session, first) });
        if (connecting) {
          this.#failed++;
          this.emit('refused', first, carried);
        }
      }
    }
    this.emit('unswitched', { call, endedBy: half, reason, carried });
  }

  // A route refusal or a failure before the Second call existed.
  #fail(call: Call, codes: ResultCodes): void {
    if (call.state === 'down') return;
    this.#stopSetupTimer(call);
    call.state = 'down';
    call.waiting = undefined;
    this.#calls.delete(call);
    this.#release(call);
    this.#failed++;
    if (call.first.downReason === undefined) call.first.close(codes);
    this.emit('refused', call.first, codes);
  }

  // Draft §5: why the Second call never came up, as the First peer is told.
  #secondFailed(reason: DownReason): ResultCodes {
    const message = reason.message;
    if (reason.by === 'peer' && reason.resultCode !== undefined && reason.avps !== undefined) {
      // The next hop's CDN: its "TSA busy" or lack of resources is our "next hop busy"; its
      // own 2/10 and 2/11 travel back unchanged (§5: propagated back to the first LCCE).
      const r = reason.resultCode;
      const e = reason.errorCode;
      if (r === CdnResult.GeneralError && e === GeneralError.TsaBusy) return { ...BUSY, message };
      if (r === CdnResult.NoFacilitiesTemporary || r === CdnResult.Busy)
        return { ...BUSY, message };
      return { resultCode: r, errorCode: e, message };
    }
    // The tunnel never came up, was refused, or went down: the next hop is unreachable.
    return { ...UNREACHABLE, message: message ?? `next hop: ${reason.by}` };
  }

  // A call that was up (or the First half of one): the other half's CDN carries the cause.
  #carry(reason: DownReason, from: Session, to: Session, _wasUp: boolean): ResultCodes {
    if (reason.by === 'peer' && reason.avps !== undefined && reason.resultCode !== undefined) {
      // The peer's CDN (§3.1 "Result Code": relayed; translated on a version switch).
      return carriedResult(
        { resultCode: reason.resultCode, errorCode: reason.errorCode, message: reason.message },
        from.tunnel.version,
        to.tunnel.version,
      );
    }
    if (reason.by === 'timeout' || reason.by === 'error') {
      return { ...UNREACHABLE, message: reason.message ?? 'the other tunnel failed' };
    }
    // A StopCCN, a local close, a lost tie: the call was cleared administratively.
    return {
      resultCode: CdnResult.Administrative,
      message: reason.message ?? 'the other half of the switched call ended',
    };
  }

  // Q.931 and PPP Disconnect Cause of the peer's CDN, relayed (draft §3.1).
  #cdnAvps(reason: DownReason, from: Session, to: Session): readonly RawAvp[] | undefined {
    if (reason.avps === undefined) return undefined;
    const relayed = relayAvps(
      'CDN',
      reason.avps,
      from.tunnel.version,
      to.tunnel.version,
      this.#policy,
    );
    return relayed.length === 0 ? undefined : relayed;
  }

  #error(err: Error): void {
    emitOrThrow(this, err);
  }
}

const UNREACHABLE: ResultCodes = {
  resultCode: CdnResult.GeneralError,
  errorCode: GeneralError.NextHopUnreachable,
  message: 'next hop unreachable',
};
const BUSY: ResultCodes = {
  resultCode: CdnResult.GeneralError,
  errorCode: GeneralError.NextHopBusy,
  message: 'next hop busy',
};
// In place when the received header left room for ours, else [header, frame]: no copy either way.
const IN_PLACE = { inPlace: 'if-room' } as const;

function isRefusal(d: SwitchDecision): d is SwitchRefusal {
  return !Array.isArray(d) && 'refuse' in d;
}

function isDestinationList(d: SwitchDecision): d is readonly SwitchDestination[] {
  return Array.isArray(d);
}

function firstSequences(call: Call): boolean {
  for (const avps of [call.request, call.connect]) {
    for (const a of avps) {
      if (a.vendorId !== 0) continue;
      if (a.attributeType === AvpType.SequencingRequired) return true;
      // Data Sequencing: 0 none, 1 non-IP, 2 all (RFC 3931 §5.4.4).
      if (a.attributeType === AvpType.DataSequencing && a.value.length === 2 && a.value[1] !== 0) {
        return true;
      }
    }
  }
  return false;
}

// What names a next hop: one Second tunnel per key (and one hold-down). Tolerates a malformed
// destination from a JavaScript route (#secondTunnel then refuses it).
function nextHopKey(call: Call, dest: SwitchDestination): string {
  const mode = call.call === 'incoming' ? 'lac' : 'lns';
  const d = dest as Partial<SwitchDestination>;
  return `${d.encap ?? 'udp'}|${d.peer?.address}|${d.peer?.port}|${mode}|v${d.tunnel?.version}|${d.key ?? ''}`;
}

// A Second call that went down before it was up because its next hop is out of reach: our
// deadline or the tunnel's retransmissions ran out ('timeout'), the tunnel failed ('error'), or
// the next hop refused or closed the tunnel (a StopCCN: 'peer' without a CDN's AVPs). Not a CDN
// of the next hop's (it is there and answered), a local close or a lost tie.
function foundUnreachable(reason: DownReason): boolean {
  if (reason.by === 'timeout' || reason.by === 'error') return true;
  return reason.by === 'peer' && reason.avps === undefined;
}

function positive(v: number | undefined, d: number, name: string): number {
  if (v === undefined) return d;
  if (!Number.isInteger(v) || v < 1) throw new UsageError(`${name} must be a positive integer`);
  return v;
}

function nonNegative(v: number | undefined, d: number, name: string): number {
  if (v === undefined) return d;
  if (!Number.isInteger(v) || v < 0) throw new UsageError(`${name} must be a non-negative integer`);
  return v;
}
