/**
 * L2tpConfig: a host-side table of tunnels and sessions driven like the kernel's L2TP generic
 * netlink family (L2TP_CMD_TUNNEL_CREATE/DELETE/MODIFY/GET, L2TP_CMD_SESSION_*), with the
 * attribute names of `ip l2tp` and the kernel's validation (zero ids, EEXIST on duplicates,
 * ENODEV on unknown ids). Static tunnels are created here (StaticTunnelHost over a transport
 * from a caller-supplied factory); managed tunnels (a Tunnel brought up by the control protocol)
 * are registered so get/list/modify/delete work on them too.
 * Not here: sockets (the factory's job), the data path (static.ts, engine.ts), a netlink codec.
 */

import type { Encapsulation } from './codec/header.js';
import { UsageError } from './errors.js';
import type { RuntimeSessionOptions } from './options.js';
import {
  type StaticSeqMode,
  type StaticSession,
  StaticTunnelHost,
  type StaticTunnelSessionConfig,
} from './static.js';
import {
  addStats,
  type KernelStats,
  type StaticSessionStats,
  toKernelStats,
  ZERO_SESSION_STATS,
} from './stats.js';
import type { Clock, DatagramTransport, TimerHost } from './transport.js';
import type { Session, Tunnel } from './tunnel.js';

// ---------------------------------------------------------------------------------------------
// Errors

/**
 * Why a command was refused, with the errno the kernel answers the same request with
 * ({@link CONFIG_ERRNO}). Stable: new reasons may be added, existing ones never change.
 */
export type ConfigErrorReason =
  /** A required attribute is absent (kernel: EINVAL). */
  | 'MISSING_ATTR'
  /** A tunnel or session id is 0 or not a 32-bit unsigned integer (zero ids are never assigned). */
  | 'INVALID_ID'
  /** An attribute has a value outside its range or set, or is unknown (EINVAL). */
  | 'BAD_VALUE'
  /** tunnel_id already in use in this table (EEXIST). */
  | 'TUNNEL_EXISTS'
  /** session_id already in use where the encapsulation requires it to be unique (EEXIST). */
  | 'SESSION_EXISTS'
  /** No tunnel with that tunnel_id (ENODEV). */
  | 'NO_TUNNEL'
  /** No session with that session_id in that tunnel (ENODEV). */
  | 'NO_SESSION'
  /** A modify request names an attribute fixed at creation (the kernel ignores it; we refuse). */
  | 'IMMUTABLE'
  /** maxTunnels or maxSessions reached (ENOSPC). */
  | 'TABLE_FULL'
  /** Not possible on this kind of tunnel (e.g. static L2TPv2, session create on a managed one). */
  | 'NOT_SUPPORTED'
  /** The table was closed. */
  | 'CLOSED';

/** The errno the kernel's netlink handlers return for each {@link ConfigErrorReason}. */
export const CONFIG_ERRNO = Object.freeze({
  MISSING_ATTR: 'EINVAL',
  INVALID_ID: 'EINVAL',
  BAD_VALUE: 'EINVAL',
  TUNNEL_EXISTS: 'EEXIST',
  SESSION_EXISTS: 'EEXIST',
  NO_TUNNEL: 'ENODEV',
  NO_SESSION: 'ENODEV',
  IMMUTABLE: 'EINVAL',
  TABLE_FULL: 'ENOSPC',
  NOT_SUPPORTED: 'EPROTONOSUPPORT',
  CLOSED: 'ESHUTDOWN',
} as const satisfies Record<ConfigErrorReason, string>);

/** A refused configuration command. `code` is 'L2TP_ERR_USAGE'; `reason` says which rule. */
export class ConfigError extends UsageError {
  /** Which rule refused the command. */
  readonly reason: ConfigErrorReason;
  /** The kernel's errno for the same refusal (e.g. 'EEXIST'). */
  readonly errno: (typeof CONFIG_ERRNO)[ConfigErrorReason];
  /** The attribute concerned, when there is one (kernel name, e.g. 'session_id'). */
  readonly attribute: string | undefined;

  constructor(reason: ConfigErrorReason, message: string, attribute?: string, cause?: unknown) {
    super(message, cause === undefined ? {} : { cause });
    this.reason = reason;
    this.errno = CONFIG_ERRNO[reason];
    this.attribute = attribute;
  }
}

// ---------------------------------------------------------------------------------------------
// Attributes

/** Attributes of `ip l2tp add tunnel` (L2TP_CMD_TUNNEL_CREATE) for a static tunnel. */
export interface TunnelCreateAttrs {
  /** L2TP_ATTR_CONN_ID, 1 … 2^32 − 1. Required. */
  readonly tunnel_id: number;
  /** L2TP_ATTR_PEER_CONN_ID, 1 … 2^32 − 1. Required. */
  readonly peer_tunnel_id: number;
  /** L2TP_ATTR_PROTO_VERSION. Static tunnels are L2TPv3 only; default 3. */
  readonly proto_version?: number | undefined;
  /** L2TP_ATTR_ENCAP_TYPE: 'udp' (default, as iproute2) or 'ip'. */
  readonly encap?: Encapsulation | undefined;
  /** L2TP_ATTR_IP(6)_SADDR: local address, handed to the transport factory. */
  readonly local?: string | undefined;
  /** L2TP_ATTR_IP(6)_DADDR: the peer's address. Required. */
  readonly remote: string;
  /** L2TP_ATTR_UDP_SPORT: local UDP port, 0 (default) lets the factory pick. udp only. */
  readonly udp_sport?: number | undefined;
  /** L2TP_ATTR_UDP_DPORT: the peer's UDP port, 1 … 65535. Required for udp. */
  readonly udp_dport?: number | undefined;
  /** L2TP_ATTR_DEBUG: debug category mask (u32). Stored and reported; default 0. */
  readonly debug?: number | undefined;
}

/** What the transport factory is asked to open for a static tunnel. */
export interface TransportRequest {
  readonly tunnel_id: number;
  readonly encap: Encapsulation;
  readonly local: string | undefined;
  /** 0 = any port. Always 0 for 'ip'. */
  readonly udp_sport: number;
  readonly remote: string;
  /** 0 for 'ip'. */
  readonly udp_dport: number;
}

/** Attributes of L2TP_CMD_TUNNEL_MODIFY: only the debug mask can change, as in the kernel. */
export interface TunnelModifyAttrs {
  /** L2TP_ATTR_DEBUG (u32). */
  readonly debug?: number | undefined;
}

/**
 * Attributes of `ip l2tp add session` (L2TP_CMD_SESSION_CREATE) for a session of a static tunnel:
 * the StaticSession parameters (session_id, peer_session_id, cookie, peer_cookie, l2spec_type,
 * pw_type, offset, peer_offset, seq, debug, mtu, mru) with `reorder_timeout`
 * (L2TP_ATTR_RECV_TIMEOUT, ms) and `lns_mode` (L2TP_ATTR_LNS_MODE) under their kernel names.
 */
export type SessionCreateAttrs = Omit<StaticTunnelSessionConfig, 'reorderTimeoutMs' | 'lnsMode'> & {
  /** L2TP_ATTR_RECV_TIMEOUT in ms, 0 … 3,600,000; 0 (default) drops out-of-order frames. */
  readonly reorder_timeout?: number | undefined;
  /** L2TP_ATTR_LNS_MODE. Stored and reported (L2TPv3 static sessions: no effect). Default false. */
  readonly lns_mode?: boolean | undefined;
};

/**
 * Attributes of L2TP_CMD_SESSION_MODIFY: the kernel's runtime options (SEND_SEQ/RECV_SEQ as
 * `seq`, RECV_TIMEOUT as `reorder_timeout`, LNS_MODE, DEBUG, MTU, MRU). Anything else is refused
 * with IMMUTABLE.
 */
export interface SessionModifyAttrs {
  /** L2TP_ATTR_SEND_SEQ + L2TP_ATTR_RECV_SEQ as `ip l2tp`'s seq mode. */
  readonly seq?: StaticSeqMode | undefined;
  /** L2TP_ATTR_RECV_TIMEOUT in ms, 0 … 3,600,000. Held frames are released at once. */
  readonly reorder_timeout?: number | undefined;
  /** L2TP_ATTR_LNS_MODE. */
  readonly lns_mode?: boolean | undefined;
  /** L2TP_ATTR_DEBUG (u32). */
  readonly debug?: number | undefined;
  /** L2TP_ATTR_MTU (u16, 0 = no limit): longer frames are not sent (tx_errors). */
  readonly mtu?: number | undefined;
  /** L2TP_ATTR_MRU (u16, 0 = no limit): longer frames are dropped (rx_errors). */
  readonly mru?: number | undefined;
}

/** Registration details of a managed tunnel the Tunnel object does not know itself. */
export interface TunnelRegisterAttrs {
  /** The endpoint socket's address, for reporting. */
  readonly local?: string | undefined;
  /** The endpoint socket's port, for reporting. */
  readonly udp_sport?: number | undefined;
  /** Initial L2TP_ATTR_DEBUG. */
  readonly debug?: number | undefined;
}

/** What L2TP_CMD_TUNNEL_GET reports (`ip l2tp show tunnel`). A snapshot. */
export interface TunnelInfo {
  /** 'static' (created here) or 'managed' (a registered Tunnel). */
  readonly kind: 'static' | 'managed';
  readonly tunnel_id: number;
  /** 0 while a managed tunnel does not know it yet. */
  readonly peer_tunnel_id: number;
  readonly proto_version: 2 | 3;
  readonly encap: Encapsulation;
  readonly local: string | undefined;
  readonly remote: string;
  readonly udp_sport: number | undefined;
  readonly udp_dport: number | undefined;
  readonly debug: number;
  /** Managed: the control connection state (e.g. 'established'); static: 'static'. */
  readonly state: string;
  readonly sessions: number;
  /**
   * L2TP_ATTR_STATS of the tunnel: the sum over its sessions, including sessions deleted
   * through this table (the kernel's tunnel counters outlive its sessions too).
   */
  readonly stats: KernelStats;
}

/** What L2TP_CMD_SESSION_GET reports (`ip l2tp show session`). A snapshot. */
export interface SessionInfo {
  readonly kind: 'static' | 'managed';
  readonly tunnel_id: number;
  readonly peer_tunnel_id: number;
  readonly session_id: number;
  /** 0 while a managed session does not know it yet. */
  readonly peer_session_id: number;
  readonly proto_version: 2 | 3;
  readonly encap: Encapsulation;
  /** Static: the configured cookie as lowercase hex ('' = none); managed: undefined. */
  readonly cookie: string | undefined;
  readonly peer_cookie: string | undefined;
  /** Static: 'none', 'default' or 'atm'; managed: undefined. */
  readonly l2spec_type: string | undefined;
  /** L2TP_ATTR_PW_TYPE (AVP 68 value, e.g. 5 Ethernet); undefined for a managed session. */
  readonly pw_type: number | undefined;
  /** Static: the `offset` / `peer_offset` padding octets; managed: undefined. */
  readonly offset: number | undefined;
  readonly peer_offset: number | undefined;
  /** Current sequencing (SEND_SEQ/RECV_SEQ), undefined when the session does not tell. */
  readonly seq: StaticSeqMode | undefined;
  /** Current RECV_TIMEOUT in ms, undefined when the session does not tell. */
  readonly reorder_timeout: number | undefined;
  readonly lns_mode: boolean;
  readonly debug: number;
  /** L2TP_ATTR_MTU (0 = no limit); undefined when the session has none. */
  readonly mtu: number | undefined;
  /** L2TP_ATTR_MRU (0 = no limit); undefined when the session has none. */
  readonly mru: number | undefined;
  /** Static: 'static'; managed: 'up' or 'down'. */
  readonly state: string;
  /** L2TP_ATTR_STATS (the session's own counters). */
  readonly stats: KernelStats;
}

/** A change notification, like the kernel's "l2tp" netlink multicast group. */
export interface ConfigEvent {
  readonly cmd:
    | 'tunnel-create'
    | 'tunnel-delete'
    | 'tunnel-modify'
    | 'session-create'
    | 'session-delete'
    | 'session-modify';
  readonly kind: 'static' | 'managed';
  readonly tunnel_id: number;
  /** Set for session commands. */
  readonly session_id?: number;
}

/** Options of {@link L2tpConfig}. */
export interface L2tpConfigOptions {
  /**
   * Opens the datagram socket of a static tunnel bound to local:udp_sport and, like the kernel's,
   * connected to remote:udp_dport (e.g. `UdpTransport.open({ address: local, port: udp_sport,
   * connect: { address: remote, port: udp_dport } })`; a connected transport must name that
   * peer). Its transport is closed by tunnel delete. May throw or reject: the create then fails
   * and nothing is kept.
   */
  readonly transportFactory: (
    request: TransportRequest,
  ) => DatagramTransport | Promise<DatagramTransport>;
  /** The clock of the static hosts (`now` for their sessions). */
  readonly clock: Clock;
  /** Needed for static sessions with a reorder_timeout. */
  readonly timers?: TimerHost | undefined;
  /**
   * Every frame a static session delivers (a view into the datagram: copy to keep); `atmFlags`
   * only on 'atm-aal5' sessions (the frame's ATM-Specific Sublayer bits, RFC 4454 §4.1).
   */
  readonly onFrame?:
    | ((frame: Uint8Array, session: StaticSession, atmFlags?: number) => void)
    | undefined;
  /** Most tunnels (static, pending creates and managed). Default 1024. */
  readonly maxTunnels?: number | undefined;
  /** Most static sessions over all tunnels (managed ones are bounded by their engine). Default 65536. */
  readonly maxSessions?: number | undefined;
}

// ---------------------------------------------------------------------------------------------
// Internals

interface StaticSessionRecord {
  readonly session: StaticSession;
  /** StaticSession keeps its cookies private: the configured values, for reporting. */
  readonly cookie: string;
  readonly peerCookie: string;
}

interface StaticTunnelRecord {
  readonly kind: 'static';
  readonly id: number;
  readonly host: StaticTunnelHost;
  readonly local: string | undefined;
  readonly udpSport: number | undefined;
  readonly sessions: Map<number, StaticSessionRecord>;
  debug: number;
  retired: StaticSessionStats;
}

interface ManagedTunnelRecord {
  readonly kind: 'managed';
  readonly id: number;
  readonly tunnel: Tunnel;
  readonly local: string | undefined;
  readonly udpSport: number | undefined;
  readonly detach: () => void;
  debug: number;
}

type TunnelRecord = StaticTunnelRecord | ManagedTunnelRecord;

const MAX_REORDER_MS = 3_600_000;
const TUNNEL_MUTABLE = new Set(['debug']);
const SESSION_MUTABLE = new Set(['seq', 'reorder_timeout', 'lns_mode', 'debug', 'mtu', 'mru']);
const SEQ_MODES: readonly StaticSeqMode[] = ['none', 'send', 'recv', 'both'];

function requireId(attrs: object, name: string): number {
  const value = (attrs as Record<string, unknown>)[name];
  if (value === undefined) throw new ConfigError('MISSING_ATTR', `${name} is required`, name);
  return checkId(name, value);
}

function checkId(name: string, value: unknown): number {
  // Zero ids are never assigned to tunnels or sessions (kernel l2tp.txt; RFC 3931 §4.1.1.1).
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 0xffffffff) {
    throw new ConfigError(
      'INVALID_ID',
      `${name} must be an integer in 1…4294967295, got ${String(value)}`,
      name,
    );
  }
  return value;
}

function checkUint(name: string, value: unknown, max: number, min = 0): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(
      'BAD_VALUE',
      `${name} must be an integer in ${min}…${max}, got ${String(value)}`,
      name,
    );
  }
  return value;
}

function checkBool(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new ConfigError('BAD_VALUE', `${name} must be a boolean, got ${String(value)}`, name);
  }
  return value;
}

function checkSeq(value: unknown): StaticSeqMode {
  if (!SEQ_MODES.includes(value as StaticSeqMode)) {
    throw new ConfigError(
      'BAD_VALUE',
      `seq must be one of ${SEQ_MODES.join('|')}, got ${String(value)}`,
      'seq',
    );
  }
  return value as StaticSeqMode;
}

/** Refuses keys outside `mutable`; `undefined` values count as absent. */
function checkMutable(attrs: object, mutable: ReadonlySet<string>, what: string): void {
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined && !mutable.has(key)) {
      throw new ConfigError(
        'IMMUTABLE',
        `${key} cannot be changed on an existing ${what} (changeable: ${[...mutable].join(', ')})`,
        key,
      );
    }
  }
}

function cookieHex(value: unknown): string {
  if (value === undefined) return '';
  if (value instanceof Uint8Array) {
    let s = '';
    for (const b of value) s += b.toString(16).padStart(2, '0');
    return s;
  }
  return String(value).toLowerCase();
}

function seqMode(send: boolean, recv: boolean): StaticSeqMode {
  return send ? (recv ? 'both' : 'send') : recv ? 'recv' : 'none';
}

function positive(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new UsageError(`${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// L2tpConfig

/**
 * A table of L2TP tunnels and sessions with the kernel's netlink commands as methods. One table
 * plays the role of one network namespace: tunnel ids are unique in it, and L2TPv3 session ids
 * are unique in it where the encapsulation requires (see {@link L2tpConfig.sessionCreate}).
 * Commands are synchronous except `tunnelCreate` (the factory may open a socket).
 */
export class L2tpConfig {
  readonly #o: L2tpConfigOptions;
  readonly #maxTunnels: number;
  readonly #maxSessions: number;
  readonly #tunnels = new Map<number, TunnelRecord>();
  /** tunnel ids reserved by a create awaiting its transport. */
  readonly #pending = new Set<number>();
  readonly #listeners = new Set<(event: ConfigEvent) => void>();
  #staticSessions = 0;
  #closed = false;

  /** @throws UsageError for a bad maxTunnels / maxSessions. */
  constructor(options: L2tpConfigOptions) {
    this.#o = options;
    this.#maxTunnels = positive('maxTunnels', options.maxTunnels ?? 1024);
    this.#maxSessions = positive('maxSessions', options.maxSessions ?? 65536);
  }

  // --- tunnels -------------------------------------------------------------------------------

  /**
   * L2TP_CMD_TUNNEL_CREATE / `ip l2tp add tunnel`: validates, reserves tunnel_id, opens the
   * transport through the factory and starts a StaticTunnelHost.
   * Rejects with ConfigError: MISSING_ATTR, INVALID_ID, BAD_VALUE, NOT_SUPPORTED (proto_version
   * 2), TUNNEL_EXISTS, TABLE_FULL, CLOSED; or with the factory's own error.
   */
  async tunnelCreate(attrs: TunnelCreateAttrs): Promise<TunnelInfo> {
    const checked = this.#checkTunnelCreate(attrs);
    const id = checked.tunnel_id;
    this.#pending.add(id);
    let transport: DatagramTransport | undefined;
    try {
      transport = await this.#o.transportFactory(checked);
      if (this.#closed) throw new ConfigError('CLOSED', 'configuration table closed');
      const host = new StaticTunnelHost({
        tunnel: {
          tunnel_id: id,
          peer_tunnel_id: checked.peer_tunnel_id,
          encap: checked.encap,
          remote: checked.remote,
          udp_dport: checked.encap === 'udp' ? checked.udp_dport : undefined,
        },
        transport,
        clock: this.#o.clock,
        timers: this.#o.timers,
        onFrame: (frame, session, atmFlags) =>
          atmFlags === undefined
            ? this.#o.onFrame?.(frame, session)
            : this.#o.onFrame?.(frame, session, atmFlags),
      });
      this.#tunnels.set(id, {
        kind: 'static',
        id,
        host,
        local: checked.local,
        udpSport: checked.encap === 'udp' ? checked.udp_sport : undefined,
        sessions: new Map(),
        debug: checked.debug,
        retired: ZERO_SESSION_STATS,
      });
    } catch (error) {
      transport?.close();
      throw error instanceof UsageError && !(error instanceof ConfigError)
        ? new ConfigError('BAD_VALUE', error.message, undefined, error)
        : error;
    } finally {
      this.#pending.delete(id);
    }
    this.#notify({ cmd: 'tunnel-create', kind: 'static', tunnel_id: id });
    return this.tunnelGet(id);
  }

  /**
   * Registers a managed Tunnel under its local tunnel id so get/list/modify/delete see it and its
   * sessions. It leaves the table by itself when the tunnel closes.
   * @throws ConfigError TUNNEL_EXISTS (e.g. same id from two endpoints), TABLE_FULL, CLOSED,
   * BAD_VALUE (a closed tunnel, bad debug).
   */
  tunnelRegister(tunnel: Tunnel, attrs: TunnelRegisterAttrs = {}): TunnelInfo {
    this.#open();
    if (tunnel.closed) throw new ConfigError('BAD_VALUE', `tunnel ${tunnel.id} is closed`);
    const id = tunnel.id;
    const debug = attrs.debug === undefined ? 0 : checkUint('debug', attrs.debug, 0xffffffff);
    this.#checkNewTunnelId(id);
    const onUp = (s: Session) =>
      this.#notify({ cmd: 'session-create', kind: 'managed', tunnel_id: id, session_id: s.id });
    const onDown = (s: Session) => {
      this.#notify({ cmd: 'session-delete', kind: 'managed', tunnel_id: id, session_id: s.id });
    };
    const onClose = () => {
      if (this.#tunnels.get(id)?.kind !== 'managed') return;
      this.#tunnels.delete(id);
      detach();
      this.#notify({ cmd: 'tunnel-delete', kind: 'managed', tunnel_id: id });
    };
    tunnel.on('session-up', onUp);
    tunnel.on('session-down', onDown);
    tunnel.on('close', onClose);
    const detach = () => {
      tunnel.off('session-up', onUp);
      tunnel.off('session-down', onDown);
      tunnel.off('close', onClose);
    };
    this.#tunnels.set(id, {
      kind: 'managed',
      id,
      tunnel,
      local: attrs.local,
      udpSport: attrs.udp_sport,
      detach,
      debug,
    });
    this.#notify({ cmd: 'tunnel-create', kind: 'managed', tunnel_id: id });
    return this.tunnelGet(id);
  }

  /**
   * L2TP_CMD_TUNNEL_MODIFY: only `debug` changes (as in the kernel).
   * @throws ConfigError NO_TUNNEL, IMMUTABLE (any other attribute), BAD_VALUE.
   */
  tunnelModify(tunnelId: number, attrs: TunnelModifyAttrs): TunnelInfo {
    const t = this.#tunnel(tunnelId);
    checkMutable(attrs, TUNNEL_MUTABLE, 'tunnel');
    if (attrs.debug !== undefined) t.debug = checkUint('debug', attrs.debug, 0xffffffff);
    this.#notify({ cmd: 'tunnel-modify', kind: t.kind, tunnel_id: t.id });
    return this.tunnelGet(t.id);
  }

  /**
   * L2TP_CMD_TUNNEL_DELETE / `ip l2tp del tunnel`: removes the tunnel and its sessions from the
   * table at once. Static: closes the host and its transport. Managed: starts a graceful close
   * (StopCCN, RFC 2661 §5.7 / RFC 3931 §3.3) and does not wait for it.
   * @throws ConfigError NO_TUNNEL.
   */
  tunnelDelete(tunnelId: number): void {
    const t = this.#tunnel(tunnelId);
    this.#tunnels.delete(t.id);
    if (t.kind === 'static') {
      this.#staticSessions -= t.sessions.size;
      t.host.close();
    } else {
      t.detach();
      void t.tunnel.close();
    }
    this.#notify({ cmd: 'tunnel-delete', kind: t.kind, tunnel_id: t.id });
  }

  /** L2TP_CMD_TUNNEL_GET for one tunnel. @throws ConfigError NO_TUNNEL (also for 0). */
  tunnelGet(tunnelId: number): TunnelInfo {
    const t = this.#tunnel(tunnelId);
    if (t.kind === 'static') {
      let sum = t.retired;
      for (const s of t.sessions.values()) sum = addStats(sum, s.session.stats());
      const stats = toKernelStats(sum);
      const h = t.host;
      return {
        kind: 'static',
        tunnel_id: t.id,
        peer_tunnel_id: h.peerTunnelId,
        proto_version: 3,
        encap: h.encap,
        local: t.local,
        remote: h.peer.address,
        udp_sport: t.udpSport,
        udp_dport: h.encap === 'udp' ? h.peer.port : undefined,
        debug: t.debug,
        state: 'static',
        sessions: t.sessions.size,
        stats,
      };
    }
    const tunnel = t.tunnel;
    return {
      kind: 'managed',
      tunnel_id: t.id,
      peer_tunnel_id: tunnel.peerId,
      proto_version: tunnel.version,
      encap: 'udp',
      local: t.local,
      remote: tunnel.peer.address,
      udp_sport: t.udpSport,
      udp_dport: tunnel.peer.port,
      debug: t.debug,
      state: tunnel.engine.state,
      sessions: tunnel.sessions.size,
      // The engine sums its sessions' counters, those that went down included.
      stats: toKernelStats(tunnel.engine.stats().sessionTotals),
    };
  }

  /** L2TP_CMD_TUNNEL_GET dump: every tunnel in ascending tunnel_id (the kernel's IDR order). */
  tunnelList(): TunnelInfo[] {
    this.#open();
    return [...this.#tunnels.keys()].sort((a, b) => a - b).map((id) => this.tunnelGet(id));
  }

  // --- sessions ------------------------------------------------------------------------------

  /**
   * L2TP_CMD_SESSION_CREATE / `ip l2tp add session` in a static tunnel. session_id must be unique
   * in its tunnel; with L2TPv3 it must also be unique in the whole table when this session's or
   * the other session's tunnel uses IP encapsulation (the kernel: "IP encap expects session IDs
   * to be globally unique, while UDP encap doesn't", net/l2tp/l2tp_core.c; RFC 3931 §4.1 routes
   * data by Session ID alone).
   * @throws ConfigError NO_TUNNEL, NOT_SUPPORTED (managed tunnel: sessions come from the control
   * protocol, use `tunnel.openSession`), MISSING_ATTR, INVALID_ID, SESSION_EXISTS, TABLE_FULL,
   * BAD_VALUE (any parameter StaticSession refuses).
   */
  sessionCreate(tunnelId: number, attrs: SessionCreateAttrs): SessionInfo {
    const t = this.#tunnel(tunnelId);
    if (t.kind !== 'static') {
      throw new ConfigError(
        'NOT_SUPPORTED',
        `tunnel ${t.id} is managed: its sessions are opened by the control protocol`,
      );
    }
    const sessionId = requireId(attrs, 'session_id');
    requireId(attrs, 'peer_session_id');
    if (t.sessions.has(sessionId)) {
      throw new ConfigError(
        'SESSION_EXISTS',
        `session_id ${sessionId} already exists in tunnel ${t.id}`,
        'session_id',
      );
    }
    const clash = this.#v3Clash(t, sessionId, t.host.encap);
    if (clash !== undefined) {
      throw new ConfigError(
        'SESSION_EXISTS',
        `session_id ${sessionId} is in use in tunnel ${clash} and one of the two uses encap ip`,
        'session_id',
      );
    }
    if (this.#staticSessions >= this.#maxSessions) {
      throw new ConfigError('TABLE_FULL', `maxSessions (${this.#maxSessions}) reached`);
    }
    const { reorder_timeout, lns_mode, ...rest } = attrs;
    let session: StaticSession;
    try {
      session = t.host.addSession({
        ...rest,
        reorderTimeoutMs: reorder_timeout,
        lnsMode: lns_mode,
      });
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      throw new ConfigError('BAD_VALUE', error.message, undefined, error);
    }
    t.sessions.set(sessionId, {
      session,
      cookie: cookieHex(attrs.cookie),
      peerCookie: cookieHex(attrs.peer_cookie),
    });
    this.#staticSessions++;
    this.#notify({ cmd: 'session-create', kind: 'static', tunnel_id: t.id, session_id: sessionId });
    return this.sessionGet(t.id, sessionId);
  }

  /**
   * L2TP_CMD_SESSION_MODIFY: seq, reorder_timeout, lns_mode, debug, mtu, mru. All values are checked before any is applied. Held frames released by a
   * reorder_timeout change go to `onFrame` (static) or the session's 'frame' event (managed).
   * @throws ConfigError NO_TUNNEL, NO_SESSION, IMMUTABLE, BAD_VALUE (e.g. seq without the
   * Default L2-Specific Sublayer, a reorder_timeout the managed engine refuses).
   */
  sessionModify(tunnelId: number, sessionId: number, attrs: SessionModifyAttrs): SessionInfo {
    const t = this.#tunnel(tunnelId);
    checkMutable(attrs, SESSION_MUTABLE, 'session');
    const seq = attrs.seq === undefined ? undefined : checkSeq(attrs.seq);
    const reorder =
      attrs.reorder_timeout === undefined
        ? undefined
        : checkUint('reorder_timeout', attrs.reorder_timeout, MAX_REORDER_MS);
    const lnsMode =
      attrs.lns_mode === undefined ? undefined : checkBool('lns_mode', attrs.lns_mode);
    const debug =
      attrs.debug === undefined ? undefined : checkUint('debug', attrs.debug, 0xffffffff);
    // L2TP_ATTR_MTU / L2TP_ATTR_MRU are u16 netlink attributes.
    const mtu = attrs.mtu === undefined ? undefined : checkUint('mtu', attrs.mtu, 0xffff);
    const mru = attrs.mru === undefined ? undefined : checkUint('mru', attrs.mru, 0xffff);
    if (t.kind === 'static') {
      const s = this.#staticSession(t, sessionId).session;
      try {
        // StaticSession.configure checks every value before it changes anything; the host
        // delivers what a REORDERTO change releases (to onFrame) and re-arms the session's timer.
        t.host.configure(s, {
          ...(seq === undefined
            ? {}
            : {
                sendSeq: seq === 'send' || seq === 'both',
                recvSeq: seq === 'recv' || seq === 'both',
              }),
          ...(reorder === undefined ? {} : { reorderTimeoutMs: reorder }),
          ...(lnsMode === undefined ? {} : { lnsMode }),
          ...(debug === undefined ? {} : { debug }),
          ...(mtu === undefined ? {} : { mtu }),
          ...(mru === undefined ? {} : { mru }),
        });
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        throw new ConfigError('BAD_VALUE', error.message, undefined, error);
      }
    } else {
      const session = this.#managedSession(t, sessionId);
      const options: RuntimeSessionOptions = {
        ...(seq === undefined
          ? {}
          : {
              sendSeq: seq === 'send' || seq === 'both',
              recvSeq: seq === 'recv' || seq === 'both',
            }),
        ...(reorder === undefined ? {} : { reorderTimeoutMs: reorder }),
        ...(lnsMode === undefined ? {} : { lnsMode }),
        ...(debug === undefined ? {} : { debugMask: debug }),
        ...(mtu === undefined ? {} : { mtu }),
        ...(mru === undefined ? {} : { mru }),
      };
      try {
        // The shell runs the engine with its endpoint's clock and emits released frames.
        session.configure(options);
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        throw new ConfigError('BAD_VALUE', error.message, undefined, error);
      }
    }
    this.#notify({ cmd: 'session-modify', kind: t.kind, tunnel_id: t.id, session_id: sessionId });
    return this.sessionGet(t.id, sessionId);
  }

  /**
   * L2TP_CMD_SESSION_DELETE / `ip l2tp del session`. Static: removed at once (held frames
   * dropped), its counters stay in the tunnel's. Managed: closed with a CDN (Result 3,
   * administrative); it leaves the table when the engine reports it down.
   * @throws ConfigError NO_TUNNEL, NO_SESSION.
   */
  sessionDelete(tunnelId: number, sessionId: number): void {
    const t = this.#tunnel(tunnelId);
    if (t.kind === 'static') {
      const rec = this.#staticSession(t, sessionId);
      t.retired = addStats(t.retired, rec.session.stats());
      t.sessions.delete(sessionId);
      t.host.removeSession(sessionId);
      this.#staticSessions--;
      this.#notify({
        cmd: 'session-delete',
        kind: 'static',
        tunnel_id: t.id,
        session_id: sessionId,
      });
      return;
    }
    // The 'session-down' listener reports the deletion once the engine has it.
    this.#managedSession(t, sessionId).close();
  }

  /** L2TP_CMD_SESSION_GET for one session. @throws ConfigError NO_TUNNEL, NO_SESSION. */
  sessionGet(tunnelId: number, sessionId: number): SessionInfo {
    const t = this.#tunnel(tunnelId);
    if (t.kind === 'static') {
      const rec = this.#staticSession(t, sessionId);
      const s = rec.session;
      const o = s.options();
      return {
        kind: 'static',
        tunnel_id: t.id,
        peer_tunnel_id: s.peerTunnelId,
        session_id: s.sessionId,
        peer_session_id: s.peerSessionId,
        proto_version: 3,
        encap: s.encap,
        cookie: rec.cookie,
        peer_cookie: rec.peerCookie,
        l2spec_type: s.l2specType,
        pw_type: s.framer.pwType,
        offset: s.offset,
        peer_offset: s.peerOffset,
        seq: seqMode(o.sendSeq, o.recvSeq),
        reorder_timeout: o.reorderTimeoutMs,
        lns_mode: o.lnsMode,
        debug: o.debug,
        mtu: o.mtu,
        mru: o.mru,
        state: 'static',
        stats: toKernelStats(s.stats()),
      };
    }
    const session = this.#managedSession(t, sessionId);
    const o = session.options;
    const engine = t.tunnel.engine;
    const wire = engine.sessionWire(session.id);
    return {
      kind: 'managed',
      tunnel_id: t.id,
      peer_tunnel_id: t.tunnel.peerId,
      session_id: session.id,
      peer_session_id: session.peerId,
      proto_version: t.tunnel.version,
      encap: engine.encap,
      // As the kernel reports them: cookie = what we send, peer_cookie = what we expect.
      cookie: wire === undefined ? undefined : cookieHex(wire.cookie),
      peer_cookie: wire === undefined ? undefined : cookieHex(wire.peerCookie),
      l2spec_type: wire?.rxSublayer,
      pw_type: wire?.pseudowireType,
      offset: undefined,
      peer_offset: undefined,
      seq: o === undefined ? undefined : seqMode(o.sendSeq, o.recvSeq),
      reorder_timeout: o?.reorderTimeoutMs,
      lns_mode: o?.lnsMode ?? false,
      debug: o?.debugMask ?? 0,
      mtu: o?.mtu,
      mru: o?.mru,
      state: session.isUp ? 'up' : 'down',
      stats: toKernelStats(session.stats()),
    };
  }

  /**
   * L2TP_CMD_SESSION_GET dump: sessions by ascending tunnel_id, then ascending session_id (the
   * kernel lists a tunnel's sessions newest first; a sorted order is stable across runs). With
   * `tunnelId`, only that tunnel's (@throws ConfigError NO_TUNNEL).
   */
  sessionList(tunnelId?: number): SessionInfo[] {
    this.#open();
    const ids =
      tunnelId === undefined
        ? [...this.#tunnels.keys()].sort((a, b) => a - b)
        : [this.#tunnel(tunnelId).id];
    const out: SessionInfo[] = [];
    for (const id of ids) {
      const t = this.#tunnels.get(id) as TunnelRecord;
      const sessionIds =
        t.kind === 'static' ? [...t.sessions.keys()] : [...t.tunnel.sessions.keys()];
      for (const sid of sessionIds.sort((a, b) => a - b)) out.push(this.sessionGet(id, sid));
    }
    return out;
  }

  /** The StaticSession object (to send frames), or undefined when absent or managed. */
  staticSession(tunnelId: number, sessionId: number): StaticSession | undefined {
    const t = this.#tunnels.get(tunnelId);
    return t?.kind === 'static' ? t.sessions.get(sessionId)?.session : undefined;
  }

  /** The StaticTunnelHost of a static tunnel (its `send`), or undefined. */
  staticTunnel(tunnelId: number): StaticTunnelHost | undefined {
    const t = this.#tunnels.get(tunnelId);
    return t?.kind === 'static' ? t.host : undefined;
  }

  // --- notifications and lifetime ------------------------------------------------------------

  /**
   * Calls `listener` after every change (like the kernel's "l2tp" multicast group), including
   * managed sessions coming up and going down. Returns an unsubscribe function. A listener that
   * throws does not stop the others; the first error is rethrown after all ran (the change stands).
   */
  watch(listener: (event: ConfigEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /**
   * Closes every static tunnel (and its transport) and forgets managed tunnels without closing
   * them (they belong to their endpoint). Further commands throw ConfigError CLOSED. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#tunnels.values()) {
      if (t.kind === 'static') t.host.close();
      else t.detach();
    }
    this.#tunnels.clear();
    this.#staticSessions = 0;
  }

  // -------------------------------------------------------------------------------------------

  #open(): void {
    if (this.#closed) throw new ConfigError('CLOSED', 'configuration table closed');
  }

  #checkNewTunnelId(id: number): void {
    if (this.#tunnels.has(id) || this.#pending.has(id)) {
      // The kernel: idr_alloc_u32 → -ENOSPC, reported as -EEXIST (l2tp_tunnel_register).
      throw new ConfigError('TUNNEL_EXISTS', `tunnel_id ${id} already exists`, 'tunnel_id');
    }
    if (this.#tunnels.size + this.#pending.size >= this.#maxTunnels) {
      throw new ConfigError('TABLE_FULL', `maxTunnels (${this.#maxTunnels}) reached`);
    }
  }

  #checkTunnelCreate(attrs: TunnelCreateAttrs): TransportRequest & {
    readonly peer_tunnel_id: number;
    readonly debug: number;
  } {
    this.#open();
    const tunnelId = requireId(attrs, 'tunnel_id');
    const peerTunnelId = requireId(attrs, 'peer_tunnel_id');
    const version = attrs.proto_version ?? 3;
    if (version === 2) {
      throw new ConfigError(
        'NOT_SUPPORTED',
        'static tunnels are L2TPv3 only (L2TPv2 needs the control protocol)',
        'proto_version',
      );
    }
    if (version !== 3) {
      throw new ConfigError('BAD_VALUE', `proto_version must be 3, got ${String(version)}`);
    }
    const encap = attrs.encap ?? 'udp';
    if (encap !== 'udp' && encap !== 'ip') {
      throw new ConfigError('BAD_VALUE', `encap must be udp or ip, got ${String(encap)}`, 'encap');
    }
    if (typeof attrs.remote !== 'string' || attrs.remote.length === 0) {
      throw new ConfigError('MISSING_ATTR', 'remote is required', 'remote');
    }
    if (attrs.local !== undefined && typeof attrs.local !== 'string') {
      throw new ConfigError('BAD_VALUE', 'local must be an address string', 'local');
    }
    let sport = 0;
    let dport = 0;
    if (encap === 'udp') {
      if (attrs.udp_dport === undefined) {
        throw new ConfigError('MISSING_ATTR', 'udp_dport is required with encap udp', 'udp_dport');
      }
      dport = checkUint('udp_dport', attrs.udp_dport, 0xffff, 1);
      sport = attrs.udp_sport === undefined ? 0 : checkUint('udp_sport', attrs.udp_sport, 0xffff);
    } else if (attrs.udp_sport !== undefined || attrs.udp_dport !== undefined) {
      throw new ConfigError('BAD_VALUE', 'udp_sport/udp_dport need encap udp', 'udp_dport');
    }
    const debug = attrs.debug === undefined ? 0 : checkUint('debug', attrs.debug, 0xffffffff);
    this.#checkNewTunnelId(tunnelId);
    return {
      tunnel_id: tunnelId,
      peer_tunnel_id: peerTunnelId,
      encap,
      local: attrs.local,
      udp_sport: sport,
      remote: attrs.remote,
      udp_dport: dport,
      debug,
    };
  }

  #tunnel(tunnelId: number): TunnelRecord {
    this.#open();
    const t = this.#tunnels.get(tunnelId);
    if (t === undefined) {
      throw new ConfigError('NO_TUNNEL', `no tunnel ${String(tunnelId)}`, 'tunnel_id');
    }
    return t;
  }

  #staticSession(t: StaticTunnelRecord, sessionId: number): StaticSessionRecord {
    const rec = t.sessions.get(sessionId);
    if (rec === undefined) {
      throw new ConfigError(
        'NO_SESSION',
        `no session ${String(sessionId)} in tunnel ${t.id}`,
        'session_id',
      );
    }
    return rec;
  }

  #managedSession(t: ManagedTunnelRecord, sessionId: number): Session {
    const s = t.tunnel.sessions.get(sessionId);
    if (s === undefined) {
      throw new ConfigError(
        'NO_SESSION',
        `no session ${String(sessionId)} in tunnel ${t.id}`,
        'session_id',
      );
    }
    return s;
  }

  /** Another v3 tunnel holding `sessionId` where IP encapsulation forbids sharing it. */
  #v3Clash(self: TunnelRecord, sessionId: number, encap: Encapsulation): number | undefined {
    for (const t of this.#tunnels.values()) {
      if (t === self) continue;
      if (t.kind === 'static') {
        if (t.sessions.has(sessionId) && (encap === 'ip' || t.host.encap === 'ip')) return t.id;
      } else if (t.tunnel.version === 3 && encap === 'ip' && t.tunnel.sessions.has(sessionId)) {
        // Managed tunnels run over UDP (Endpoint); the clash comes from our side's IP encap.
        return t.id;
      }
    }
    return undefined;
  }

  #notify(event: ConfigEvent): void {
    let first: unknown;
    let failed = false;
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (error) {
        if (!failed) first = error;
        failed = true;
      }
    }
    if (failed) throw first;
  }
}
