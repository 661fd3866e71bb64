/**
 * `l2tp-core/metrics`: the counters and gauges of an Endpoint, its tunnels, their sessions and
 * the transport under them, exported through prom-client in the Prometheus text format.
 * Collectors read `stats()` when a scrape asks (one snapshot per scrape, shared by every metric
 * of the registry), so nothing is done per packet. `prom-client` is an optional peer dependency:
 * only this subpath imports it, and without it loading this subpath fails with Node's
 * "Cannot find package 'prom-client'". The list of metrics is {@link L2TP_METRICS}
 * (docs/metrics.md). No `node:` built-in is imported here; serving HTTP is the host's part
 * (the CLI's `lns --metrics`).
 *
 * @module l2tp-core/metrics
 */
import { Counter, Gauge, Registry } from 'prom-client';
import type { Endpoint } from '../endpoint.js';
import type { TunnelEngineStats } from '../engine/index.js';
import { SESSION_STATES } from '../fsm/session.js';
import { TUNNEL_STATES } from '../fsm/tunnel.js';
import {
  addStats,
  KERNEL_STAT_NAMES,
  type StaticSessionStats,
  ZERO_SESSION_STATS,
} from '../stats.js';
import type { PeerAddress } from '../transport.js';
import type { Session, Tunnel } from '../tunnel.js';

/**
 * The counters of a datagram transport that `registerL2tpMetrics` exports: what
 * `UdpTransport.stats()` and `IpTransport.stats()` (l2tp-core/node) return, or a host's own.
 */
export interface TransportCounters {
  readonly datagramsSent: number;
  readonly bytesSent: number;
  readonly datagramsReceived: number;
  readonly bytesReceived: number;
  readonly errors: number;
  /** Raw IP transports only: packets dropped for a bad header. */
  readonly badHeaders?: number;
}

/** A transport whose counters are exported (`UdpTransport`, `IpTransport` or a host's own). */
export interface TransportStatsSource {
  /** A snapshot of the counters, read once per scrape. */
  stats(): TransportCounters;
}

/** Options of {@link registerL2tpMetrics}. */
export interface L2tpMetricsOptions {
  /** The endpoint whose tunnels and sessions are exported. */
  readonly endpoint: Endpoint;
  /** The transport under the endpoint (e.g. a `UdpTransport`): its counters are exported too. */
  readonly transport?: TransportStatsSource;
  /** Prefix of every metric name (default `l2tp_`); one prefix per endpoint on a registry. */
  readonly prefix?: string;
  /** Series per tunnel, labelled tunnel, peer and version (default true). */
  readonly perTunnel?: boolean;
  /**
   * Series per session, labelled tunnel, peer, version and session (default false: one series
   * per session and counter can be many).
   */
  readonly perSession?: boolean;
}

/** What {@link registerL2tpMetrics} registered. */
export interface L2tpMetrics {
  /** The registered metric names, prefix included. */
  readonly names: readonly string[];
  /** Removes these metrics from the registry and stops watching the endpoint's tunnels. */
  unregister(): void;
}

/** Which object a metric describes, and so which labels it carries. */
export type L2tpMetricScope = 'endpoint' | 'transport' | 'tunnel' | 'session';

/** The description of one exported metric. */
export interface L2tpMetricInfo {
  /** The name after the prefix (`tunnels_up` is exported as `l2tp_tunnels_up`). */
  readonly name: string;
  readonly type: 'counter' | 'gauge';
  readonly help: string;
  readonly labels: readonly string[];
  /**
   * `endpoint`: always; `transport`: with the `transport` option; `tunnel`: unless
   * `perTunnel: false`; `session`: with `perSession: true`.
   */
  readonly scope: L2tpMetricScope;
}

// ---------------------------------------------------------------------------------------------
// The snapshot one scrape reads

type Labels = Record<string, string>;
type Sample = readonly [labels: Labels, value: number];

interface TunnelSnapshot {
  readonly tunnel: Tunnel;
  readonly labels: Labels;
  readonly stats: TunnelEngineStats;
}

/** Counters of the tunnels that are gone (released by the endpoint), summed. */
interface Retired {
  closed: number;
  messagesSent: number;
  retransmissions: number;
  framesSent: number;
  framesReceived: number;
  framesDropped: number;
  sessions: StaticSessionStats;
}

interface Snapshot {
  readonly endpoint: ReturnType<Endpoint['stats']>;
  readonly transport: TransportCounters | undefined;
  readonly tunnels: readonly TunnelSnapshot[];
  /** Sum over the live tunnels and the retired ones. */
  readonly totals: Retired;
}

function peerText(p: PeerAddress): string {
  return p.address.includes(':') ? `[${p.address}]:${p.port}` : `${p.address}:${p.port}`;
}

// ---------------------------------------------------------------------------------------------
// The metrics

interface Definition extends L2tpMetricInfo {
  readonly samples: (s: Snapshot) => Iterable<Sample>;
}

const NONE: Labels = {};
const TUNNEL_LABELS = ['tunnel', 'peer', 'version'] as const;
const SESSION_LABELS = [...TUNNEL_LABELS, 'session'] as const;

type KernelField = keyof typeof KERNEL_STAT_NAMES;
const KERNEL_FIELDS = Object.keys(KERNEL_STAT_NAMES) as KernelField[];
const KERNEL_HELP: Readonly<Record<KernelField, string>> = {
  txPackets: 'data frames sent',
  txBytes: 'payload octets of the data frames sent',
  txErrors: 'data frames not sent (MTU, pseudowire framer, send failures)',
  rxPackets: 'data frames delivered',
  rxBytes: 'payload octets of the data frames delivered',
  rxSeqDiscards: 'data frames discarded by sequencing (out of sequence, expired, duplicate)',
  rxOosPackets: 'data frames that arrived after a higher Ns',
  rxErrors: 'data frames discarded after decoding (cookie, sequencing, framing, MRU)',
  rxCookieDiscards: 'data frames with a wrong cookie',
  rxInvalid: 'datagrams that are not a valid data message for their session',
};

function* perTunnel(s: Snapshot, value: (t: TunnelSnapshot) => number | undefined) {
  for (const t of s.tunnels) {
    const v = value(t);
    if (v !== undefined) yield [t.labels, v] as const;
  }
}

function* perSession(s: Snapshot, value: (labels: Labels, session: Session) => Sample) {
  for (const t of s.tunnels) {
    for (const session of t.tunnel.sessions.values()) {
      yield value({ ...t.labels, session: String(session.id) }, session);
    }
  }
}

function counter(
  scope: L2tpMetricScope,
  name: string,
  help: string,
  samples: (s: Snapshot) => Iterable<Sample>,
  labels: readonly string[] = scope === 'tunnel' ? TUNNEL_LABELS : [],
): Definition {
  return { name, type: 'counter', help, labels, scope, samples };
}

function gauge(
  scope: L2tpMetricScope,
  name: string,
  help: string,
  samples: (s: Snapshot) => Iterable<Sample>,
  labels: readonly string[] = scope === 'tunnel' ? TUNNEL_LABELS : [],
): Definition {
  return { name, type: 'gauge', help, labels, scope, samples };
}

const one = (v: number): Sample[] => [[NONE, v]];

type ChannelCounter =
  | 'messagesSent'
  | 'retransmissions'
  | 'messagesDelivered'
  | 'duplicatesReceived'
  | 'outOfOrderHeld'
  | 'droppedOutsideWindow'
  | 'invalidNrDropped'
  | 'acksSent'
  | 'acksPiggybacked'
  | 'acksReceived';
const CHANNEL_COUNTERS: readonly [ChannelCounter, string, string][] = [
  ['messagesSent', 'messages_sent', 'control messages sent for the first time'],
  ['retransmissions', 'retransmissions', 'control messages retransmitted'],
  ['messagesDelivered', 'messages_delivered', 'control messages received in order'],
  ['duplicatesReceived', 'duplicates_received', 'control messages received again'],
  ['outOfOrderHeld', 'out_of_order_held', 'control messages received ahead of a gap'],
  ['droppedOutsideWindow', 'dropped_outside_window', 'control messages beyond the window'],
  ['invalidNrDropped', 'invalid_nr_dropped', 'control messages acknowledging what was not sent'],
  ['acksSent', 'acks_sent', 'ZLB or explicit acknowledgements sent'],
  ['acksPiggybacked', 'acks_piggybacked', 'acknowledgements carried by an outgoing message'],
  ['acksReceived', 'acks_received', 'ZLB or explicit acknowledgements received'],
];

type EngineCounter =
  | 'datagramsReceived'
  | 'datagramsDropped'
  | 'protocolErrors'
  | 'messagesIgnored'
  | 'controlDropped'
  | 'hellosSent'
  | 'framesSent'
  | 'framesReceived'
  | 'framesDropped'
  | 'cookieMismatches'
  | 'digestFailures'
  | 'framesSuppressed';
const ENGINE_COUNTERS: readonly [EngineCounter, string, string][] = [
  ['datagramsReceived', 'datagrams_received', 'datagrams routed to the tunnel'],
  ['datagramsDropped', 'datagrams_dropped', 'datagrams unreadable or not for the tunnel'],
  ['protocolErrors', 'protocol_errors', 'control messages that broke a rule'],
  ['messagesIgnored', 'messages_ignored', 'control messages ignored (unknown M=0 types, calls)'],
  ['controlDropped', 'control_dropped', 'control messages not queued: the send queue was full'],
  ['hellosSent', 'hellos_sent', 'HELLO messages sent'],
  ['framesSent', 'frames_sent', 'data frames sent'],
  ['framesReceived', 'frames_received', 'data frames received'],
  ['framesDropped', 'frames_dropped', 'data frames dropped (unknown session, decoding, sessions)'],
  ['cookieMismatches', 'cookie_mismatches', 'L2TPv3 data frames with a wrong cookie'],
  ['digestFailures', 'digest_failures', 'L2TPv3 control messages with a bad Message Digest'],
  ['framesSuppressed', 'frames_suppressed', "L2TPv3 frames not sent: the peer's circuit is down"],
];

function byState<S extends string>(
  states: readonly S[],
  of: (s: Snapshot) => Iterable<S | undefined>,
): (s: Snapshot) => Sample[] {
  return (s) => {
    const n = new Map<S, number>(states.map((st) => [st, 0]));
    for (const st of of(s)) if (st !== undefined) n.set(st, (n.get(st) ?? 0) + 1);
    return [...n].map(([state, v]) => [{ state }, v] as const);
  };
}

function* sessionStates(s: Snapshot) {
  for (const t of s.tunnels) {
    const engine = t.tunnel.engine;
    for (const id of engine.sessionIds()) yield engine.sessionState(id);
  }
}

const DEFINITIONS: readonly Definition[] = [
  // Endpoint: the demultiplexer, and tunnels and sessions counted over the endpoint.
  counter('endpoint', 'endpoint_datagrams_received_total', 'Datagrams the endpoint received', (s) =>
    one(s.endpoint.datagramsReceived),
  ),
  counter(
    'endpoint',
    'endpoint_datagrams_invalid_total',
    'Datagrams that are not L2TP or unreadable',
    (s) => one(s.endpoint.datagramsInvalid),
  ),
  counter(
    'endpoint',
    'endpoint_datagrams_unknown_tunnel_total',
    "Datagrams for a Tunnel ID we do not have, or not from that tunnel's peer",
    (s) => one(s.endpoint.datagramsUnknownTunnel),
  ),
  counter(
    'endpoint',
    'endpoint_tunnels_refused_total',
    'SCCRQs refused (acceptTunnel, maxTunnels, a lost tie)',
    (s) => one(s.endpoint.tunnelsRefused),
  ),
  counter(
    'endpoint',
    'endpoint_half_open_evicted_total',
    'Half-open tunnels dropped for a newer SCCRQ or for age',
    (s) => one(s.endpoint.halfOpenEvicted),
  ),
  gauge(
    'endpoint',
    'endpoint_half_open_tunnels',
    'Tunnels peers opened that are not established yet',
    (s) => one(s.endpoint.halfOpenTunnels),
  ),
  gauge(
    'endpoint',
    'tunnels',
    'Live tunnels by control connection state',
    byState(TUNNEL_STATES, (s) => s.tunnels.map((t) => t.stats.state)),
    ['state'],
  ),
  gauge('endpoint', 'tunnels_up', "Tunnels between 'up' and 'down'", (s) =>
    one(s.tunnels.filter((t) => t.tunnel.isUp).length),
  ),
  counter(
    'endpoint',
    'tunnels_closed_total',
    'Tunnels finished (post-close hold over, or destroyed) since the metrics were registered',
    (s) => one(s.totals.closed),
  ),
  gauge(
    'endpoint',
    'sessions',
    'Sessions of the live tunnels by call state',
    byState(SESSION_STATES, sessionStates),
    ['state'],
  ),
  gauge('endpoint', 'sessions_up', "Sessions between 'up' and 'down'", (s) => {
    let n = 0;
    for (const t of s.tunnels) for (const session of t.tunnel.sessions.values()) n += +session.isUp;
    return one(n);
  }),
  counter(
    'endpoint',
    'control_messages_sent_total',
    'Control messages sent for the first time, all tunnels',
    (s) => one(s.totals.messagesSent),
  ),
  counter(
    'endpoint',
    'control_retransmissions_total',
    'Control messages retransmitted, all tunnels',
    (s) => one(s.totals.retransmissions),
  ),
  counter('endpoint', 'frames_sent_total', 'Data frames sent, all tunnels', (s) =>
    one(s.totals.framesSent),
  ),
  counter('endpoint', 'frames_received_total', 'Data frames received, all tunnels', (s) =>
    one(s.totals.framesReceived),
  ),
  counter('endpoint', 'frames_dropped_total', 'Data frames dropped, all tunnels', (s) =>
    one(s.totals.framesDropped),
  ),
  ...KERNEL_FIELDS.map((f) =>
    counter(
      'endpoint',
      `${KERNEL_STAT_NAMES[f]}_total`,
      `${KERNEL_STAT_NAMES[f]}: ${KERNEL_HELP[f]}, all sessions of all tunnels`,
      (s) => one(s.totals.sessions[f]),
    ),
  ),

  // Transport.
  counter('transport', 'transport_datagrams_sent_total', 'Datagrams the socket accepted', (s) =>
    one(s.transport?.datagramsSent ?? 0),
  ),
  counter('transport', 'transport_sent_bytes_total', 'Octets of the datagrams sent', (s) =>
    one(s.transport?.bytesSent ?? 0),
  ),
  counter('transport', 'transport_datagrams_received_total', 'Datagrams received', (s) =>
    one(s.transport?.datagramsReceived ?? 0),
  ),
  counter('transport', 'transport_received_bytes_total', 'Octets of the datagrams received', (s) =>
    one(s.transport?.bytesReceived ?? 0),
  ),
  counter('transport', 'transport_errors_total', 'Send, receive and socket errors', (s) =>
    one(s.transport?.errors ?? 0),
  ),
  counter(
    'transport',
    'transport_bad_headers_total',
    'Raw IP only: packets dropped for a bad IP header or another protocol',
    (s) => one(s.transport?.badHeaders ?? 0),
  ),

  // Tunnels.
  gauge(
    'tunnel',
    'tunnel_info',
    "A live tunnel: its state, the peer's Tunnel ID and Host Name (value 1)",
    (s) =>
      s.tunnels.map((t) => [
        {
          ...t.labels,
          state: t.stats.state,
          peer_tunnel: String(t.stats.peerTunnelId),
          peer_host_name: t.tunnel.info?.peerHostName ?? '',
        },
        1,
      ]),
    [...TUNNEL_LABELS, 'state', 'peer_tunnel', 'peer_host_name'],
  ),
  gauge('tunnel', 'tunnel_up', "1 between the tunnel's 'up' and 'down', else 0", (s) =>
    perTunnel(s, (t) => +t.tunnel.isUp),
  ),
  gauge('tunnel', 'tunnel_sessions', 'Live sessions of the tunnel', (s) =>
    perTunnel(s, (t) => t.stats.sessions),
  ),
  ...CHANNEL_COUNTERS.map(([field, name, help]) =>
    counter('tunnel', `tunnel_control_${name}_total`, `Control channel: ${help}`, (s) =>
      perTunnel(s, (t) => t.stats.channel[field]),
    ),
  ),
  gauge(
    'tunnel',
    'tunnel_control_rtt_seconds',
    'Smoothed round-trip time of the control channel (absent before the first sample)',
    (s) =>
      perTunnel(s, (t) =>
        t.stats.channel.srttMs === undefined ? undefined : t.stats.channel.srttMs / 1000,
      ),
  ),
  gauge('tunnel', 'tunnel_control_in_flight', 'Control messages sent and not acknowledged', (s) =>
    perTunnel(s, (t) => t.stats.channel.inFlight),
  ),
  gauge('tunnel', 'tunnel_control_queued', 'Control messages waiting for the send window', (s) =>
    perTunnel(s, (t) => t.stats.channel.queued),
  ),
  gauge(
    'tunnel',
    'tunnel_control_cwnd',
    'Congestion window of the control channel (messages)',
    (s) => perTunnel(s, (t) => t.stats.channel.cwnd),
  ),
  gauge(
    'tunnel',
    'tunnel_control_max_retransmits_used',
    'Most retransmissions any one control message needed',
    (s) => perTunnel(s, (t) => t.stats.channel.maxRetransmitsUsed),
  ),
  ...ENGINE_COUNTERS.map(([field, name, help]) =>
    counter('tunnel', `tunnel_${name}_total`, `${help[0]?.toUpperCase()}${help.slice(1)}`, (s) =>
      perTunnel(s, (t) => t.stats[field]),
    ),
  ),
  ...KERNEL_FIELDS.map((f) =>
    counter(
      'tunnel',
      `tunnel_${KERNEL_STAT_NAMES[f]}_total`,
      `${KERNEL_STAT_NAMES[f]}: ${KERNEL_HELP[f]}, all sessions the tunnel had`,
      (s) => perTunnel(s, (t) => t.stats.sessionTotals[f]),
    ),
  ),

  // Sessions.
  gauge(
    'session',
    'session_info',
    "A live session: its call state and the peer's Session ID (value 1)",
    (s) =>
      perSession(s, (labels, session) => [
        {
          ...labels,
          state: session.tunnel.engine.sessionState(session.id) ?? 'closed',
          peer_session: String(session.peerId),
        },
        1,
      ]),
    [...SESSION_LABELS, 'state', 'peer_session'],
  ),
  ...KERNEL_FIELDS.map((f) =>
    counter(
      'session',
      `session_${KERNEL_STAT_NAMES[f]}_total`,
      `${KERNEL_STAT_NAMES[f]}: ${KERNEL_HELP[f]}`,
      (s) => perSession(s, (labels, session) => [labels, session.stats()[f]]),
      SESSION_LABELS,
    ),
  ),
];

/** Every metric `registerL2tpMetrics` can register, without the prefix, in registration order. */
export const L2TP_METRICS: readonly L2tpMetricInfo[] = Object.freeze(
  DEFINITIONS.map(({ name, type, help, labels, scope }) =>
    Object.freeze({ name, type, help, labels: Object.freeze([...labels]), scope }),
  ),
);

/** The prefix of every metric name unless `prefix` says otherwise. */
export const DEFAULT_METRICS_PREFIX = 'l2tp_';

// ---------------------------------------------------------------------------------------------
// Registration

function retiredZero(): Retired {
  return {
    closed: 0,
    messagesSent: 0,
    retransmissions: 0,
    framesSent: 0,
    framesReceived: 0,
    framesDropped: 0,
    sessions: ZERO_SESSION_STATS,
  };
}

function accumulate(into: Retired, s: TunnelEngineStats): void {
  into.messagesSent += s.channel.messagesSent;
  into.retransmissions += s.channel.retransmissions;
  into.framesSent += s.framesSent;
  into.framesReceived += s.framesReceived;
  into.framesDropped += s.framesDropped;
  into.sessions = addStats(into.sessions, s.sessionTotals);
}

/**
 * Registers the metrics of `options.endpoint` (and `options.transport`) on `registry`. Values
 * are read from `stats()` at scrape time; endpoint-wide counters also keep what the tunnels
 * that are gone had counted (a tunnel is watched from the endpoint's 'tunnel' event or the
 * first scrape that sees it). Per-tunnel series end with their tunnel.
 * @throws Error from prom-client when a name is already registered (use another `prefix`).
 */
export function registerL2tpMetrics(registry: Registry, options: L2tpMetricsOptions): L2tpMetrics {
  const { endpoint, transport } = options;
  const prefix = options.prefix ?? DEFAULT_METRICS_PREFIX;
  const scopes = new Set<L2tpMetricScope>(['endpoint']);
  if (transport !== undefined) scopes.add('transport');
  if (options.perTunnel !== false) scopes.add('tunnel');
  if (options.perSession === true) scopes.add('session');

  const retired = retiredZero();
  const watched = new Map<Tunnel, () => void>();
  const watch = (tunnel: Tunnel) => {
    if (watched.has(tunnel) || tunnel.closed) return;
    const onClose = () => {
      watched.delete(tunnel);
      retired.closed++;
      accumulate(retired, tunnel.stats());
    };
    watched.set(tunnel, onClose);
    tunnel.once('close', onClose);
  };
  endpoint.on('tunnel', watch);

  let cached: Snapshot | undefined;
  const snapshot = (): Snapshot => {
    if (cached !== undefined) return cached;
    const tunnels: TunnelSnapshot[] = [];
    const totals = { ...retired };
    for (const tunnel of endpoint.tunnels.values()) {
      watch(tunnel);
      const stats = tunnel.stats();
      accumulate(totals, stats);
      tunnels.push({
        tunnel,
        stats,
        labels: {
          tunnel: String(tunnel.id),
          peer: peerText(tunnel.peer),
          version: String(tunnel.version),
        },
      });
    }
    cached = { endpoint: endpoint.stats(), transport: transport?.stats(), tunnels, totals };
    // Every collector of one scrape runs before this (registry.metrics() calls them in one go).
    void Promise.resolve().then(() => {
      cached = undefined;
    });
    return cached;
  };

  const names: string[] = [];
  try {
    for (const d of DEFINITIONS) {
      if (!scopes.has(d.scope)) continue;
      if (d.name === 'transport_bad_headers_total' && transport?.stats().badHeaders === undefined) {
        continue;
      }
      const name = `${prefix}${d.name}`;
      const config = { name, help: d.help, labelNames: d.labels, registers: [registry] };
      if (d.type === 'counter') {
        new Counter<string>({
          ...config,
          collect(this: Counter<string>) {
            this.reset();
            for (const [labels, v] of d.samples(snapshot())) this.inc(labels, v);
          },
        });
      } else {
        new Gauge<string>({
          ...config,
          collect(this: Gauge<string>) {
            this.reset();
            for (const [labels, v] of d.samples(snapshot())) this.set(labels, v);
          },
        });
      }
      names.push(name);
    }
  } catch (err) {
    for (const name of names) registry.removeSingleMetric(name);
    endpoint.off('tunnel', watch);
    throw err;
  }

  return {
    names,
    unregister: () => {
      for (const name of names) registry.removeSingleMetric(name);
      endpoint.off('tunnel', watch);
      for (const [tunnel, onClose] of watched) tunnel.off('close', onClose);
      watched.clear();
    },
  };
}

/**
 * A new prom-client Registry holding the metrics of {@link registerL2tpMetrics}; its
 * `metrics()` resolves with the text to serve, under `contentType`.
 */
export function createL2tpRegistry(options: L2tpMetricsOptions): Registry {
  const registry = new Registry();
  registerL2tpMetrics(registry, options);
  return registry;
}
