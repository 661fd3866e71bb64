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
 * IPv6 from sessions goes to the port. No IPv6 prefix pool (yet): link-local only.
 */

import { EventEmitter } from 'eventemitter3';
import type { Endpoint } from '../endpoint.js';
import { UsageError } from '../errors.js';
import type { Session, Tunnel } from '../tunnel.js';
import { formatIpv4, parseIpv4 } from './ipcp.js';
import { PppSession, type PppSessionOptions, type PppUpInfo } from './session.js';
import type { PppReason } from './types.js';

/** Where routed IP packets go and come from: a TUN device (IFF_TUN | IFF_NO_PI) or a test double. */
export interface IpPacketPort {
  /** A packet for the host's network (a view: copy to keep past the call). */
  write(packet: Uint8Array): void;
  /** Packets from the host's network; returns an unsubscribe function. */
  onPacket(handler: (packet: Uint8Array) => void): () => void;
}

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
  /** The host's network side; without one, only session-to-session packets are routed. */
  readonly port?: IpPacketPort;
}

/** Counters of a {@link PppServer}. */
export interface PppServerStats {
  readonly sessions: number;
  readonly sessionsUp: number;
  readonly addressesFree: number;
  /** Packets from sessions to the port, from the port to sessions, and between sessions. */
  readonly toPort: number;
  readonly fromPort: number;
  readonly hairpin: number;
  /**
   * Packets from the port whose destination no session holds (an IPv4 address, or with `ipv6`
   * the interface identifier of an fe80::/64 address), or neither IPv4 nor IPv6 link-local.
   */
  readonly unroutable: number;
  /** Calls refused for want of an address. */
  readonly poolExhausted: number;
}

/** Events of a {@link PppServer}. */
export interface PppServerEvents {
  /** A session's link is up with its address. */
  up: [ppp: PppSession, info: PppUpInfo];
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
    if (options.ipv6 === true) {
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
    const { pool: _p, port: _q, interfaceId: _i, ...rest } = this.#o;
    const ppp = new PppSession(session, {
      ...rest,
      role: 'server',
      localAddress: this.#local,
      peerAddress: formatIpv4(address),
      ...(this.#interfaceId === undefined ? {} : { interfaceId: this.#interfaceId }),
    });
    this.#sessions.add(ppp);
    this.#byAddress.set(address, ppp);
    let v6Key: string | undefined;
    ppp.on('error', (e) => this.#error(e));
    ppp.on('auth', (ok, message, peerName) => this.emit('auth', ppp, ok, message, peerName));
    ppp.on('up', (info) => {
      const id = info.ipv6cp?.peerInterfaceId;
      if (id !== undefined) {
        v6Key = hex(id);
        this.#byInterfaceId.set(v6Key, ppp);
      }
      this.emit('up', ppp, info);
    });
    ppp.on('packet', (packet, protocol) => this.#fromSession(packet, protocol));
    ppp.once('down', (reason) => {
      this.#sessions.delete(ppp);
      if (this.#byAddress.get(address) === ppp) this.#byAddress.delete(address);
      if (v6Key !== undefined && this.#byInterfaceId.get(v6Key) === ppp) {
        this.#byInterfaceId.delete(v6Key);
      }
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

  #fromSession(packet: Uint8Array, protocol: number): void {
    const dst = protocol === 0x21 ? ipv4Destination(packet) : undefined;
    const to = dst === undefined ? undefined : this.#byAddress.get(dst);
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
      to = id === undefined ? undefined : this.#byInterfaceId.get(id);
    } else {
      const dst = ipv4Destination(packet);
      to = dst === undefined ? undefined : this.#byAddress.get(dst);
    }
    if (to === undefined || !to.send(packet)) {
      this.#unroutable++;
      return;
    }
    this.#fromPort++;
  }

  #error(err: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', err);
    else
      queueMicrotask(() => {
        throw err;
      });
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
