/**
 * PppSession: PPP terminated on one L2TP call, the shell around a sans-I/O PppLink (link.ts) and
 * the authentication phase (auth/phase.ts). It feeds the call's frames to the link, sends what the
 * link sends, keeps one timer from the link's deadline, answers the authenticator's questions
 * through an async host callback, and hands IPv4 / IPv6 packets to the host ('packet') and from
 * it (`send`). A client (LAC side, `role: 'client'`) proves itself with `credentials` and takes
 * an address from IPCP; a server (LNS side) requires authentication and assigns the peer's
 * address. When the link finishes, the L2TP call is closed (CDN), and when the call goes down,
 * the link is told (lower layer down).
 */

import { EventEmitter } from 'eventemitter3';
import { emitOrThrow, UsageError } from '../errors.js';
import type { Clock, TimerHandle, TimerHost } from '../transport.js';
import type { Session } from '../tunnel.js';
import type { PppAuthCrypto } from './auth/crypto.js';
import { type AnyVerifyResult, PppAuthPhase } from './auth/phase.js';
import type { VerifyRequest } from './auth/types.js';
import { PppProtocol, sameBytes } from './frame.js';
import { parseRouterAdvertisement } from './ipv6-nd.js';
import { PppLink } from './link.js';
import type {
  AuthProtocol,
  IpcpValues,
  Ipv6cpValues,
  LcpValues,
  PppOutput,
  PppReason,
} from './types.js';

/** Options of a {@link PppSession}. */
export interface PppSessionOptions {
  /** 'client': we authenticate ourselves and ask for an address; 'server': the other way. */
  readonly role: 'client' | 'server';
  readonly clock: Clock;
  readonly timers: TimerHost;
  /** `n` random octets: Magic-Numbers, CHAP Challenges and Identifiers. Never Math.random. */
  readonly randomBytes: (n: number) => Uint8Array;
  /** MD5, SHA-1, MD4 and DES for the authentication protocols (nodePppAuthCrypto on Node). */
  readonly crypto: PppAuthCrypto;
  /** Client: our name and password. */
  readonly credentials?: { readonly name: string; readonly password: string };
  /** Client: the protocols we accept to authenticate with. Default all three. */
  readonly authSupported?: readonly AuthProtocol[];
  /** Server: the protocols we ask for, in order of preference. Default MS-CHAPv2, CHAP-MD5, PAP. */
  readonly authenticate?: readonly AuthProtocol[];
  /** Server: decides on a peer's credentials (may be async). */
  readonly verify?: (request: VerifyRequest) => AnyVerifyResult | Promise<AnyVerifyResult>;
  /** Server: our address and the one we assign the peer (IPCP); DNS servers to offer. */
  readonly localAddress?: string;
  readonly peerAddress?: string;
  readonly dns?: readonly string[];
  /** Client: ask for DNS servers (RFC 1877). Default true. */
  readonly requestDns?: boolean;
  /**
   * Run IPv6CP as well. Default false. 'up' then waits for IPv6CP too, unless it finishes
   * without opening (the peer Protocol-Rejected it or never answered): IPv4 alone then.
   */
  readonly ipv6?: boolean;
  /** IPv6CP: our interface identifier (8 octets, non-zero). Default: random. */
  readonly interfaceId?: Uint8Array;
  /** LCP Echo keepalive, ms between Echo-Requests (0 = off) and how many may go unanswered. */
  readonly echoIntervalMs?: number;
  readonly echoMaxMissed?: number;
  /** Our MRU. Default 1500. */
  readonly mru?: number;
}

/** Options of {@link PppSession.send}. */
export interface PppSendOptions {
  /**
   * Write the PPP and L2TP headers into the octets just before the packet in its buffer (no
   * copy) when there are enough of them. They must be the caller's to overwrite. Default false.
   */
  readonly inPlace?: boolean;
}

const IF_ROOM = { inPlace: 'if-room' } as const;

/** What the link agreed on when IPCP (and IPv6CP, when enabled) came up. */
export interface PppUpInfo {
  readonly lcp: LcpValues;
  readonly ipcp: IpcpValues;
  readonly ipv6cp: Ipv6cpValues | undefined;
  /** Server: the name the peer authenticated as. Client: undefined. */
  readonly peerName: string | undefined;
}

/**
 * Client: a global IPv6 address formed by stateless autoconfiguration (RFC 4862 §5.5.3) from a
 * Router Advertisement's Prefix Information option (A=1, a /64) and our IPv6CP interface id.
 */
export interface PppIpv6Prefix {
  /** The address: the prefix's 64 bits, then our interface identifier (16 octets). */
  readonly address: Uint8Array;
  /** The /64 prefix (16 octets, the low 64 bits zero). */
  readonly prefix: Uint8Array;
  readonly length: 64;
  /** The advertising router's link-local address (the peer). */
  readonly router: Uint8Array;
  /** Seconds, 0xffffffff = infinity (RFC 4861 §4.6.2). */
  readonly validLifetime: number;
  readonly preferredLifetime: number;
  /** The advertisement's Router Lifetime (0: the peer is not offered as a default router). */
  readonly routerLifetime: number;
}

/** Events of a {@link PppSession}. */
export interface PppSessionEvents {
  /** IPCP is up (and IPv6CP, when enabled): packets may flow. Once. */
  up: [info: PppUpInfo];
  /**
   * After 'up', the link negotiated again and is back up with these values, which may differ
   * (a new address, MTU or interface identifier): the peer restarted LCP or an NCP while Opened
   * (RFC 1661 §4.3), which takes the NCPs down and up again. Packets offered meanwhile were
   * refused. Once per renegotiation.
   */
  renegotiated: [info: PppUpInfo];
  /** An IPv4 (0x0021) or IPv6 (0x0057) packet arrived (a view: copy to keep). */
  packet: [packet: Uint8Array, protocol: number];
  /**
   * Client with IPv6CP up: a Router Advertisement of the peer gave a new /64 prefix (A=1), once
   * per prefix. The advertisement is still emitted as a 'packet' as well.
   */
  'ipv6-prefix': [info: PppIpv6Prefix];
  /** The authentication phase ended: ok, the peer's name (server), the message. */
  auth: [ok: boolean, message: string | undefined, peerName: string | undefined];
  /** The link is over (LCP finished); the L2TP call is being closed. Once. */
  down: [reason: PppReason];
  /** A verify callback that threw or rejected (the peer is refused). */
  error: [error: Error];
}

/** PPP on one L2TP call. See the file header. */
export class PppSession extends EventEmitter<PppSessionEvents> {
  readonly session: Session;
  readonly link: PppLink;
  readonly #o: PppSessionOptions;
  readonly #auth: PppAuthPhase;
  #timer: { handle: TimerHandle; at: number } | undefined;
  #ipcpUp: IpcpValues | undefined;
  #ipv6Up: Ipv6cpValues | undefined;
  /** IPv6CP finished without opening: 'up' no longer waits for it. */
  #ipv6Gone = false;
  #peerName: string | undefined;
  /** Why LCP last left Opened (e.g. the peer's Terminate-Request), while the link winds down. */
  #lcpDown: PppReason | undefined;
  /** After 'up', an NCP or LCP went down: the next time all are up is a 'renegotiated'. */
  #stale = false;
  /** What 'up' or the last 'renegotiated' reported; undefined until 'up'. */
  #upInfo: PppUpInfo | undefined;
  #down: PppReason | undefined;
  #opened = false;
  /** Client: the /64 prefixes (hex) already reported by 'ipv6-prefix'. */
  readonly #prefixes = new Set<string>();

  /**
   * Starts PPP on `session` now if it is up, else as soon as it comes up (e.g. straight from
   * `tunnel.beginSession()`: no frame of the peer can arrive unheard in between).
   */
  constructor(session: Session, options: PppSessionOptions) {
    super();
    if (session.downReason !== undefined) throw new UsageError(`session ${session.id} is down`);
    const server = options.role === 'server';
    if (server && options.verify === undefined) throw new UsageError('a server needs verify');
    if (!server && options.credentials === undefined) {
      throw new UsageError('a client needs credentials');
    }
    this.session = session;
    this.#o = options;
    this.#auth = new PppAuthPhase({
      crypto: options.crypto,
      randomBytes: options.randomBytes,
      ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    });
    this.link = new PppLink({
      randomBytes: options.randomBytes,
      auth: this.#auth,
      lcp: {
        ...(options.mru === undefined ? {} : { mru: options.mru }),
        ...(server
          ? { authenticate: options.authenticate ?? ['mschapv2', 'chap-md5', 'pap'] }
          : { authSupported: options.authSupported ?? ['mschapv2', 'chap-md5', 'pap'] }),
        echoIntervalMs: options.echoIntervalMs ?? 0,
        ...(options.echoMaxMissed === undefined ? {} : { echoMaxMissed: options.echoMaxMissed }),
      },
      ipcp: server
        ? {
            ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
            ...(options.peerAddress === undefined ? {} : { peerAddress: options.peerAddress }),
            ...(options.dns === undefined ? {} : { dns: options.dns }),
          }
        : { requestDns: options.requestDns ?? true },
      ipv6cp:
        options.ipv6 === true
          ? options.interfaceId === undefined
            ? {}
            : { interfaceId: options.interfaceId }
          : false,
    });
    session.on('frame', (frame) => {
      // The fast path: IPv4/IPv6 data on an open NCP is one 'packet' and changes no state (no
      // output array, no timer re-arm); everything else goes through the link's handleFrame.
      const at = this.link.dataOffset(frame);
      if (at >= 0) this.#data(frame.subarray(at), frame[at - 1] as number);
      else this.#run((now) => this.link.handleFrame(frame, now));
    });
    session.once('down', (call) => {
      // Read before lowerDown: LCP's own lower-down would overwrite it.
      const peerTerminate = this.#lcpDown;
      const authenticating = this.#o.role === 'client' && this.link.phase === 'authenticate';
      if (this.#down === undefined && this.#opened) this.#run((now) => this.link.lowerDown(now));
      if (peerTerminate !== undefined) {
        // A peer that sent Terminate-Request then cleared the call: its reason, not lower-down.
        this.#finish(peerTerminate);
      } else if (authenticating && call.by === 'peer' && this.#down === undefined) {
        // Some LNSs (l2tpns) refuse a login by clearing the call instead of a PAP Nak or CHAP
        // Failure: that is still an authentication failure, with the CDN's words.
        const cdn = `CDN${call.resultCode === undefined ? '' : ` Result ${call.resultCode}`}`;
        const message = `the peer cleared the call during authentication (${cdn}${
          call.message ? `: ${call.message}` : ''
        })`;
        this.emit('auth', false, message, undefined);
        this.#finish({ by: 'peer', code: 'auth-failed', message });
      } else {
        this.#finish({ by: 'lower-layer', code: 'lower-down', message: 'the L2TP call ended' });
      }
    });
    if (session.isUp) this.#open();
    else session.once('up', () => this.#open());
  }

  #open(): void {
    if (this.#down !== undefined) return;
    this.#opened = true;
    this.#run((now) => this.link.open(now));
  }

  /** Up: IPCP (and IPv6CP when enabled) opened, the link not over. */
  get isUp(): boolean {
    return this.#upInfo !== undefined && this.#down === undefined;
  }

  /** Why the link ended, once it has. */
  get downReason(): PppReason | undefined {
    return this.#down;
  }

  /**
   * Sends an IP packet (IPv4 or IPv6 by its version nibble). Dropped (false) when that
   * protocol's NCP is not open or the link is over.
   *
   * `inPlace`: write the PPP header (and then the L2TP header) into the octets just before
   * `packet` in its buffer and send one contiguous array, no copy (e.g. a TUN reader that leaves
   * headroom before every packet, as examples/linux-host/tun.mjs does). Those octets must be the
   * caller's to overwrite: never a pooled Node Buffer (`Buffer.from` / `allocUnsafe`) or a view
   * into a frame someone else still reads. Without enough of them the packet is copied behind a
   * new header, as without `inPlace`. Default false.
   */
  send(packet: Uint8Array, options?: PppSendOptions): boolean {
    if (this.#down !== undefined || packet.length === 0) return false;
    const v6 = (packet[0] as number) >> 4 === 6;
    if (v6 ? this.#ipv6Up === undefined : this.#ipcpUp === undefined) return false;
    const protocol = v6 ? PppProtocol.Ipv6 : PppProtocol.Ipv4;
    if (options?.inPlace === true) {
      const frame = this.link.encapsulateInPlace(protocol, packet);
      if (frame !== undefined) {
        this.session.send(frame, IF_ROOM);
        return true;
      }
    }
    this.session.send(this.link.encapsulate(protocol, packet));
    return true;
  }

  /** Terminates the link (LCP Terminate-Request), then the L2TP call. */
  close(message?: string): void {
    if (this.#down !== undefined) return;
    this.#run((now) => this.link.close(now, message));
  }

  // One input to the link: perform its outputs, re-arm the timer.
  #run(call: (now: number) => readonly PppOutput[]): void {
    const outputs = call(this.#o.clock.now());
    for (const out of outputs) this.#perform(out);
    this.#arm();
  }

  #perform(out: PppOutput): void {
    switch (out.type) {
      case 'transmit':
        if (this.session.isUp) this.session.send(out.frame);
        return;
      case 'data':
        this.#data(out.data, out.protocol);
        return;
      case 'event':
        break;
    }
    const e = out.event;
    switch (e.type) {
      case 'up':
        if (e.protocol === 'lcp') this.#lcpDown = undefined;
        else if (e.protocol === 'ipcp') this.#ipcpUp = e.values;
        else if (e.protocol === 'ipv6cp') this.#ipv6Up = e.values;
        this.#maybeUp();
        return;
      case 'down':
        if (e.protocol === 'lcp') this.#lcpDown = e.reason;
        else if (e.protocol === 'ipcp') this.#ipcpUp = undefined;
        else if (e.protocol === 'ipv6cp') this.#ipv6Up = undefined;
        if (this.#upInfo !== undefined) this.#stale = true;
        return;
      case 'auth':
        this.#peerName = e.peerName;
        this.emit('auth', e.ok, e.message, e.peerName);
        return;
      case 'auth-notify': {
        const d = e.detail as { type?: string };
        if (d.type === 'verify') this.#verify(d as VerifyRequest);
        return;
      }
      case 'finished':
        if (e.protocol === 'lcp') this.#finish(e.reason);
        else if (e.protocol === 'ipv6cp' && this.#ipv6Up === undefined) {
          this.#ipv6Gone = true;
          this.#maybeUp();
        }
        return;
      default:
        return;
    }
  }

  #data(packet: Uint8Array, protocol: number): void {
    if (protocol === PppProtocol.Ipv6 && this.#o.role === 'client') {
      this.#routerAdvertisement(packet);
    }
    this.emit('packet', packet, protocol);
  }

  // RFC 5072 §5 / RFC 4862 §5.5.3: an autonomous /64 prefix + our interface identifier.
  #routerAdvertisement(packet: Uint8Array): void {
    const id = this.#ipv6Up?.localInterfaceId;
    if (id === undefined || packet[6] !== 58 || packet[40] !== 134) return;
    const ra = parseRouterAdvertisement(packet);
    if (ra === undefined) return;
    for (const pi of ra.prefixes) {
      if (!pi.autonomous || pi.length !== 64 || pi.validLifetime === 0) continue;
      if (pi.preferredLifetime > pi.validLifetime) continue; // RFC 4862 §5.5.3 c)
      if (pi.prefix[0] === 0xfe && ((pi.prefix[1] as number) & 0xc0) === 0x80) continue; // b)
      const prefix = new Uint8Array(16);
      prefix.set(pi.prefix.subarray(0, 8));
      let key = '';
      for (const b of prefix.subarray(0, 8)) key += b.toString(16).padStart(2, '0');
      if (this.#prefixes.has(key)) continue;
      this.#prefixes.add(key);
      const address = prefix.slice();
      address.set(id, 8);
      this.emit('ipv6-prefix', {
        address,
        prefix,
        length: 64,
        router: ra.source,
        validLifetime: pi.validLifetime,
        preferredLifetime: pi.preferredLifetime,
        routerLifetime: ra.routerLifetime,
      });
    }
  }

  #maybeUp(): void {
    if (this.#ipcpUp === undefined || (this.#upInfo !== undefined && !this.#stale)) return;
    if (this.#o.ipv6 === true && this.#ipv6Up === undefined && !this.#ipv6Gone) return;
    const info: PppUpInfo = {
      lcp: this.link.lcp.values as LcpValues,
      ipcp: this.#ipcpUp,
      ipv6cp: this.#ipv6Up,
      peerName: this.#peerName,
    };
    const before = this.#upInfo;
    this.#upInfo = info;
    if (before !== undefined) {
      this.#stale = false;
      // A new interface identifier makes new addresses from the prefixes already seen.
      const was = before.ipv6cp?.localInterfaceId;
      const now = info.ipv6cp?.localInterfaceId;
      if (was === undefined || now === undefined || !sameBytes(was, now)) this.#prefixes.clear();
      this.emit('renegotiated', info);
      return;
    }
    this.emit('up', info);
  }

  // The authenticator asks whether the peer's credentials are good: the host decides (async).
  #verify(request: VerifyRequest): void {
    const verify = this.#o.verify;
    if (verify === undefined) return;
    const answer = (result: AnyVerifyResult) => {
      if (this.#down !== undefined) return;
      this.#run((now) =>
        this.link.handleAuthOutputs(this.#auth.resolveVerify(request.token, result, now), now),
      );
    };
    let result: AnyVerifyResult | Promise<AnyVerifyResult>;
    try {
      result = verify(request);
    } catch (err) {
      this.#hostError(err);
      answer({ ok: false, message: 'authentication unavailable' });
      return;
    }
    if (result instanceof Promise) {
      result.then(answer, (err: unknown) => {
        this.#hostError(err);
        answer({ ok: false, message: 'authentication unavailable' });
      });
    } else answer(result);
  }

  #hostError(err: unknown): void {
    emitOrThrow(this, err instanceof Error ? err : new Error(String(err)));
  }

  #finish(reason: PppReason): void {
    if (this.#down !== undefined) return;
    this.#down = reason;
    if (this.#timer !== undefined) {
      this.#o.timers.clear(this.#timer.handle);
      this.#timer = undefined;
    }
    this.emit('down', reason);
    // The link is over: so is the call (RFC 2661 §5.6: CDN; Result 3 when we ended it).
    if (this.session.isUp) {
      this.session.close({
        resultCode: reason.by === 'peer' ? 1 : 3,
        message: `PPP ${reason.code}${reason.message === undefined ? '' : `: ${reason.message}`}`,
      });
    }
  }

  #arm(): void {
    if (this.#down !== undefined) return;
    const at = this.link.nextDeadline();
    if (this.#timer !== undefined && this.#timer.at === at) return;
    if (this.#timer !== undefined) this.#o.timers.clear(this.#timer.handle);
    this.#timer = undefined;
    if (at === undefined) return;
    const handle = this.#o.timers.set(at - this.#o.clock.now(), () => {
      this.#timer = undefined;
      this.#run((now) => this.link.handleTimeout(now));
    });
    this.#timer = { handle, at };
  }
}
