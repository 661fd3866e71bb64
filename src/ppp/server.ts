/**
 * PppServer: the LNS side of an L2TP VPN in user space. Every call an Endpoint accepts gets a
 * PppSession as server: authenticated through the host's async `verify`, given an address from
 * an IPv4 pool by IPCP, and its IP packets routed — to another session when the destination is
 * one of the pool's addresses in use (hairpin), else to the host's IP port (a TUN device), and
 * from that port to the session owning the destination. No kernel L2TP or PPP needed.
 *
 * With `ipv6`, every session also runs IPv6CP with the server's one interface identifier
 * (`localInterfaceId`: give the host port the link-local address fe80::<it>), and IPv6 packets
 * from the port to fe80::/64 go to the session whose peer negotiated that interface identifier;
 * IPv6 from sessions goes to the port.
 *
 * With `ipv6Pool` as well (e.g. `2001:db8:77::/48`), global addresses by stateless
 * autoconfiguration (RFC 5072 §5, RFC 4862): the pool's first /64 is the server's own (the host
 * port gets `<it>::1`), and every session gets the next free /64 of the pool. Once IPv6CP is up
 * the server sends the session a Router Advertisement (RFC 4861 §4.2: from fe80::<our id> to
 * ff02::1, hop limit 255) with one Prefix Information option for its /64, A=1 (form an address
 * from it) and L=0 (a point-to-point link has no on-link neighbours: everything goes to us),
 * infinite lifetimes (the prefix lives as long as the session) and Router Lifetime 0 (we are not
 * offered as a default router: routes are the client's choice); Router Solicitations from a
 * session are answered with the same advertisement, not passed on. IPv6 from the port to an
 * address in a session's /64 goes to that session, and from a session to another one's /64
 * stays in the server (hairpin).
 */

import { EventEmitter } from 'eventemitter3';
import type { Endpoint } from '../endpoint.js';
import { emitOrThrow, UsageError } from '../errors.js';
import type { Session, Tunnel } from '../tunnel.js';
import { formatIpv4, parseIpv4 } from './ipcp.js';
import {
  ALL_NODES,
  buildRouterAdvertisement,
  formatIpv6,
  isRouterSolicitation,
  parseIpv6,
} from './ipv6-nd.js';
import { PppSession, type PppSessionOptions, type PppUpInfo } from './session.js';
import type { PppReason } from './types.js';

/** Where routed IP packets go and come from: a TUN device (IFF_TUN | IFF_NO_PI) or a test double. */
export interface IpPacketPort {
  /** A packet for the host's network (a view: copy to keep past the call). */
  write(packet: Uint8Array): void;
  /** Packets from the host's network; returns an unsubscribe function. */
  onPacket(handler: (packet: Uint8Array) => void): () => void;
}

const IN_PLACE = { inPlace: true } as const;

/** Options of a {@link PppServer}. */
export interface PppServerOptions
  extends Omit<
    PppSessionOptions,
    | 'role'
    | 'credentials'
    | 'authSupported'
    | 'localAddress'
    | 'peerAddress'
    | 'requestDns'
    | 'interfaceId'
  > {
  /** `ipv6`: our interface identifier on every session (8 octets, non-zero). Default random. */
  readonly interfaceId?: Uint8Array;
  /** The IPv4 pool as a CIDR prefix, e.g. `10.77.0.0/24`: its first host is our address. */
  readonly pool: string;
  /**
   * An IPv6 prefix /16…/63 (e.g. `2001:db8:77::/48`) to give every session a /64 of by Router
   * Advertisements; its first /64 is the server's own. Implies `ipv6`.
   */
  readonly ipv6Pool?: string;
  /** The host's network side; without one, only session-to-session packets are routed. */
  readonly port?: IpPacketPort;
  /**
   * The port's packets own the octets before them in their buffers (a TUN reader that leaves
   * headroom, as examples/linux-host/tun.mjs does): they are sent with `inPlace` (PppSession.send),
   * the PPP and L2TP headers written there, no copy. Default false.
   */
  readonly portInPlace?: boolean;
}

/** Counters of a {@link PppServer}. */
export interface PppServerStats {
  readonly sessions: number;
  readonly sessionsUp: number;
  readonly addressesFree: number;
  /** With `ipv6Pool`: the /64 prefixes given to sessions now. */
  readonly ipv6PrefixesInUse: number;
  /** With `ipv6Pool`: Router Advertisements sent (unsolicited and answering a solicitation). */
  readonly routerAdvertisements: number;
  /** Packets from sessions to the port, from the port to sessions, and between sessions. */
  readonly toPort: number;
  readonly fromPort: number;
  readonly hairpin: number;
  /**
   * Packets from the port whose destination no session holds (an IPv4 address, with `ipv6` the
   * interface identifier of an fe80::/64 address, with `ipv6Pool` a session's /64), or neither.
   */
  readonly unroutable: number;
  /** Calls refused for want of an address (IPv4, or with `ipv6Pool` a /64). */
  readonly poolExhausted: number;
}

/** Events of a {@link PppServer}. */
export interface PppServerEvents {
  /** A session's link is up with its address. */
  up: [ppp: PppSession, info: PppUpInfo];
  /** A session's link negotiated again and is back up (see PppSession 'renegotiated'). */
  renegotiated: [ppp: PppSession, info: PppUpInfo];
  /** A session's link ended (its address is free again). */
  down: [ppp: PppSession, reason: PppReason];
  /** A session's authentication phase ended: ok, the message, the name the peer gave. */
  auth: [ppp: PppSession, ok: boolean, message: string | undefined, peerName: string | undefined];
  /** Host faults (a verify callback that threw). */
  error: [error: Error];
}

/** PPP for every call of an endpoint. See the file header. */
export class PppServer extends EventEmitter<PppServerEvents> {
  readonly #o: PppServerOptions;
  readonly #network: number;
  readonly #size: number;
  readonly #local: string;
  /** Address (as a 32-bit number) → the session holding it. */
  readonly #byAddress = new Map<number, PppSession>();
  readonly #sessions = new Set<PppSession>();
  /** IPv6: the peer's interface identifier (16 hex digits) → the session that negotiated it. */
  readonly #byInterfaceId = new Map<string, PppSession>();
  readonly #interfaceId: Uint8Array | undefined;
  /** `ipv6Pool`: its first 64 bits, how many /64s it holds, and its prefix length. */
  readonly #v6Network: bigint | undefined;
  readonly #v6Count: bigint = 0n;
  readonly #v6Bits: number = 0;
  /** A /64 in use (16 hex digits of its first 64 bits) → the session holding it. */
  readonly #byPrefix = new Map<string, PppSession>();
  #v6Next = 1n;
  #ras = 0;
  #next = 2;
  #toPort = 0;
  #fromPort = 0;
  #hairpin = 0;
  #unroutable = 0;
  #exhausted = 0;
  readonly #unsubscribe: (() => void) | undefined;

  constructor(options: PppServerOptions) {
    super();
    const m = /^(\d+\.\d+\.\d+\.\d+)\/(\d+)$/.exec(options.pool);
    const bits = m === null ? Number.NaN : Number(m[2]);
    const base = m === null ? undefined : parseIpv4(m[1] as string);
    if (base === undefined || !(bits >= 8 && bits <= 30)) {
      throw new UsageError(`pool must be an IPv4 prefix /8…/30, got ${options.pool}`);
    }
    this.#o = options;
    this.#size = 2 ** (32 - bits);
    this.#network = (base & ~(this.#size - 1)) >>> 0;
    this.#local = formatIpv4(this.#network + 1);
    if (options.ipv6Pool !== undefined) {
      const p = /^([0-9a-fA-F:]+)\/(\d{1,3})$/.exec(options.ipv6Pool);
      const net = p === null ? undefined : parseIpv6(p[1] as string);
      const len = p === null ? Number.NaN : Number(p[2]);
      if (net === undefined || !(len >= 16 && len <= 63)) {
        throw new UsageError(`ipv6Pool must be an IPv6 prefix /16…/63, got ${options.ipv6Pool}`);
      }
      const top = BigInt(`0x${hex(net.subarray(0, 8))}`);
      const size = 1n << BigInt(64 - len);
      this.#v6Network = top - (top % size);
      this.#v6Count = size;
      this.#v6Bits = len;
    }
    if (options.ipv6 === true || options.ipv6Pool !== undefined) {
      const id = options.interfaceId ?? randomInterfaceId(options.randomBytes);
      if (id.length !== 8 || id.every((b) => b === 0)) {
        throw new UsageError('interfaceId must be 8 octets, not all zero');
      }
      this.#interfaceId = Uint8Array.from(id);
    }
    this.#unsubscribe = options.port?.onPacket((p) => this.#fromHost(p));
  }

  /** Our address (the pool's first host). */
  get localAddress(): string {
    return this.#local;
  }

  /** `ipv6`: our interface identifier on every session (a copy); undefined without IPv6. */
  get localInterfaceId(): Uint8Array | undefined {
    return this.#interfaceId?.slice();
  }

  /**
   * With `ipv6Pool`: the server's own global address (the pool's first /64 with ::1) and the
   * pool's length, e.g. `2001:db8:77::1/48`, for the host port; undefined without a pool.
   */
  get localAddress6(): string | undefined {
    if (this.#v6Network === undefined) return undefined;
    const a = prefixBytes(this.#v6Network);
    a[15] = 1;
    return `${formatIpv6(a)}/${this.#v6Bits}`;
  }

  /** With `ipv6Pool`: the pool, normalized (e.g. `2001:db8:77::/48`); undefined without one. */
  get ipv6Pool(): string | undefined {
    if (this.#v6Network === undefined) return undefined;
    return `${formatIpv6(prefixBytes(this.#v6Network))}/${this.#v6Bits}`;
  }

  /** With `ipv6Pool`: the /64 a session holds (e.g. `2001:db8:77:1::/64`); else undefined. */
  ipv6PrefixOf(ppp: PppSession): string | undefined {
    for (const [key, s] of this.#byPrefix) {
      if (s === ppp) return `${formatIpv6(prefixBytes(BigInt(`0x${key}`)))}/64`;
    }
    return undefined;
  }

  /** Runs PPP on every call `endpoint`'s tunnels bring up (and on those up already). */
  serve(endpoint: Endpoint): void {
    const watch = (t: Tunnel) => {
      t.on('session-up', (s) => this.attach(s));
      for (const s of t.sessions.values()) if (s.isUp) this.attach(s);
    };
    endpoint.on('tunnel', watch);
    for (const t of endpoint.tunnels.values()) watch(t);
  }

  /**
   * Runs PPP on one established call; undefined when the pool is exhausted (the call is then
   * cleared with CDN Result 4, no facilities available temporarily).
   */
  attach(session: Session): PppSession | undefined {
    const address = this.#allocate();
    if (address === undefined) {
      this.#exhausted++;
      session.close({ resultCode: 4, message: 'no address left in the pool' });
      return undefined;
    }
    const v6 = this.#allocate6();
    if (v6 === null) {
      this.#exhausted++;
      session.close({ resultCode: 4, message: 'no /64 left in the IPv6 pool' });
      return undefined;
    }
    const { pool: _p, port: _q, interfaceId: _i, ipv6Pool: _v, portInPlace: _o, ...rest } = this.#o;
    const ppp = new PppSession(session, {
      ...rest,
      ...(this.#interfaceId === undefined ? {} : { ipv6: true }),
      role: 'server',
      localAddress: this.#local,
      peerAddress: formatIpv4(address),
      ...(this.#interfaceId === undefined ? {} : { interfaceId: this.#interfaceId }),
    });
    this.#sessions.add(ppp);
    this.#byAddress.set(address, ppp);
    if (v6 !== undefined) this.#byPrefix.set(v6, ppp);
    let v6Key: string | undefined;
    ppp.on('error', (e) => this.#error(e));
    ppp.on('auth', (ok, message, peerName) => this.emit('auth', ppp, ok, message, peerName));
    // The peer's interface identifier routes link-local IPv6 to this session.
    const learn = (info: PppUpInfo) => {
      if (v6Key !== undefined && this.#byInterfaceId.get(v6Key) === ppp) {
        this.#byInterfaceId.delete(v6Key);
      }
      const id = info.ipv6cp?.peerInterfaceId;
      v6Key = id === undefined ? undefined : hex(id);
      if (v6Key !== undefined) this.#byInterfaceId.set(v6Key, ppp);
    };
    // Up, or up again after a renegotiation (which may bring a new interface identifier: the
    // client's global address comes from the RA either way).
    const onUp = (event: 'up' | 'renegotiated') => (info: PppUpInfo) => {
      learn(info);
      this.emit(event, ppp, info);
      if (v6 !== undefined && info.ipv6cp !== undefined) this.#advertise(ppp, v6);
    };
    ppp.on('up', onUp('up'));
    ppp.on('renegotiated', onUp('renegotiated'));
    ppp.on('packet', (packet, protocol) => {
      if (v6 !== undefined && protocol === 0x57 && isRouterSolicitation(packet)) {
        this.#advertise(ppp, v6); // RFC 4861 §6.2.6: answered, not routed
        return;
      }
      this.#fromSession(packet, protocol);
    });
    ppp.once('down', (reason) => {
      this.#sessions.delete(ppp);
      if (this.#byAddress.get(address) === ppp) this.#byAddress.delete(address);
      if (v6Key !== undefined && this.#byInterfaceId.get(v6Key) === ppp) {
        this.#byInterfaceId.delete(v6Key);
      }
      if (v6 !== undefined && this.#byPrefix.get(v6) === ppp) this.#byPrefix.delete(v6);
      this.emit('down', ppp, reason);
    });
    return ppp;
  }

  /** The counters now: sessions, the pool, and packets routed. */
  stats(): PppServerStats {
    let up = 0;
    for (const s of this.#sessions) if (s.isUp) up++;
    return {
      sessions: this.#sessions.size,
      sessionsUp: up,
      addressesFree: this.#size - 3 - this.#byAddress.size,
      ipv6PrefixesInUse: this.#byPrefix.size,
      routerAdvertisements: this.#ras,
      toPort: this.#toPort,
      fromPort: this.#fromPort,
      hairpin: this.#hairpin,
      unroutable: this.#unroutable,
      poolExhausted: this.#exhausted,
    };
  }

  /** Terminates every session's link and stops reading the port. */
  close(message = 'server shutting down'): void {
    this.#unsubscribe?.();
    for (const s of [...this.#sessions]) s.close(message);
  }

  // Next free host address of the pool (network, our address and broadcast excluded).
  #allocate(): number | undefined {
    const hosts = this.#size - 2;
    for (let i = 0; i < hosts; i++) {
      const offset = ((this.#next - 2 + i) % (hosts - 1)) + 2;
      const a = (this.#network + offset) >>> 0;
      if (!this.#byAddress.has(a)) {
        this.#next = offset + 1;
        return a;
      }
    }
    return undefined;
  }

  // The next free /64 of the IPv6 pool (its hex key); undefined without a pool, null when full.
  #allocate6(): string | undefined | null {
    if (this.#v6Network === undefined) return undefined;
    const n = this.#v6Count - 1n; // index 0 is ours
    const tries = n < 65_536n ? Number(n) : 65_536;
    for (let i = 0; i < tries; i++) {
      const index = ((this.#v6Next - 1n + BigInt(i)) % n) + 1n;
      const key = (this.#v6Network + index).toString(16).padStart(16, '0');
      if (!this.#byPrefix.has(key)) {
        this.#v6Next = index + 1n;
        return key;
      }
    }
    return null;
  }

  // A Router Advertisement of the session's /64 (see the file header).
  #advertise(ppp: PppSession, key: string): void {
    const id = this.#interfaceId as Uint8Array;
    const source = new Uint8Array(16);
    source[0] = 0xfe;
    source[1] = 0x80;
    source.set(id, 8);
    const ra = buildRouterAdvertisement({
      source,
      destination: ALL_NODES,
      routerLifetime: 0,
      prefix: {
        prefix: prefixBytes(BigInt(`0x${key}`)),
        length: 64,
        onLink: false,
        autonomous: true,
        validLifetime: 0xffffffff,
        preferredLifetime: 0xffffffff,
      },
    });
    if (ppp.send(ra)) this.#ras++;
  }

  #fromSession(packet: Uint8Array, protocol: number): void {
    let to: PppSession | undefined;
    if (protocol === 0x21) {
      const dst = ipv4Destination(packet);
      to = dst === undefined ? undefined : this.#byAddress.get(dst);
    } else if (protocol === 0x57 && this.#byPrefix.size > 0) {
      const key = ipv6Prefix64(packet);
      to = key === undefined ? undefined : this.#byPrefix.get(key);
    }
    if (to !== undefined) {
      this.#hairpin++;
      to.send(packet);
      return;
    }
    const port = this.#o.port;
    if (port === undefined) {
      this.#unroutable++;
      return;
    }
    this.#toPort++;
    port.write(packet);
  }

  #fromHost(packet: Uint8Array): void {
    let to: PppSession | undefined;
    if (packet.length > 0 && (packet[0] as number) >> 4 === 6) {
      const id = ipv6LinkLocalInterfaceId(packet);
      if (id !== undefined) to = this.#byInterfaceId.get(id);
      else if (this.#byPrefix.size > 0) {
        const key = ipv6Prefix64(packet);
        to = key === undefined ? undefined : this.#byPrefix.get(key);
      }
    } else {
      const dst = ipv4Destination(packet);
      to = dst === undefined ? undefined : this.#byAddress.get(dst);
    }
    if (to === undefined || !to.send(packet, this.#o.portInPlace === true ? IN_PLACE : undefined)) {
      this.#unroutable++;
      return;
    }
    this.#fromPort++;
  }

  #error(err: Error): void {
    emitOrThrow(this, err);
  }
}

/** The destination of an IPv4 packet as a 32-bit number; undefined when it is not one. */
export function ipv4Destination(packet: Uint8Array): number | undefined {
  if (packet.length < 20 || (packet[0] as number) >> 4 !== 4) return undefined;
  return (
    (((packet[16] as number) << 24) |
      ((packet[17] as number) << 16) |
      ((packet[18] as number) << 8) |
      (packet[19] as number)) >>>
    0
  );
}

/**
 * The interface identifier (16 hex digits) of an IPv6 packet's destination when it is a
 * link-local unicast address (fe80::/64); undefined otherwise.
 */
export function ipv6LinkLocalInterfaceId(packet: Uint8Array): string | undefined {
  if (packet.length < 40 || (packet[0] as number) >> 4 !== 6) return undefined;
  if (packet[24] !== 0xfe || packet[25] !== 0x80) return undefined;
  for (let i = 26; i < 32; i++) if (packet[i] !== 0) return undefined;
  return hex(packet.subarray(32, 40));
}

/** The first 64 bits (16 hex digits) of an IPv6 packet's destination; undefined if not IPv6. */
export function ipv6Prefix64(packet: Uint8Array): string | undefined {
  if (packet.length < 40 || (packet[0] as number) >> 4 !== 6) return undefined;
  return hex(packet.subarray(24, 32));
}

// 16 octets: a 64-bit prefix, then zeros.
function prefixBytes(top: bigint): Uint8Array {
  const a = new Uint8Array(16);
  new DataView(a.buffer).setBigUint64(0, top);
  return a;
}

function hex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).padStart(2, '0');
  return s;
}

// RFC 5072 §4.1: a random identifier has the "u" bit (0x02 of the first octet) cleared.
function randomInterfaceId(randomBytes: (n: number) => Uint8Array): Uint8Array {
  const id = Uint8Array.from(randomBytes(8).subarray(0, 8));
  id[0] = (id[0] as number) & ~0x02;
  if (id.every((x) => x === 0)) id[7] = 1; // a stuck generator still gives a usable one
  return id;
}
