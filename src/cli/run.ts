/**
 * `l2tp-core lac` and `l2tp-core lns`: parsing their options (args.ts) and what both
 * share when running: the UDP socket (optionally recorded with `--pcap`), tunnel options for
 * L2TPv2 and L2TPv3, statistics, graceful shutdown and exit codes. The roles themselves are in
 * lac.ts and lns.ts. The StopCCN sender only waits for its acknowledgement before cleaning up
 * (RFC 2661 §5.7, §7.6); the full post-close hold is the receiver's duty, so a closing CLI does
 * not sit out 31 s.
 */

import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import createDebug from 'debug';
import { FIELD_ATTRIBUTE_TYPE, FIELD_KINDS, type FieldName } from '../avp/messages.js';
import { AVP_MAX_VALUE_LENGTH } from '../avp/raw.js';
import { lookupAvp } from '../avp/registry.js';
import { PseudowireType } from '../constants.js';
import { Endpoint, type EndpointOptions, type TunnelOptions } from '../endpoint.js';
import type { DownReason } from '../engine/index.js';
import { nodeClock, nodeRandomBytes, nodeTimers } from '../node/clock.js';
import { nodeCrypto } from '../node/crypto.js';
import { UdpTransport } from '../node/udp.js';
import type { AuthProtocol } from '../ppp/types.js';
import type { DatagramTransport } from '../transport.js';
import type { Tunnel } from '../tunnel.js';
import { type ArgValues, CliUsage, type OptionSpec, parseCommandArgs } from './args.js';
import { openFileSink, PcapWriter, recordingTransport } from './pcap-writer.js';
import { parseAuthList, parseIpv4Prefix, parseIpv6Prefix } from './ppp-host.js';
import { Reporter, type Summary } from './progress.js';

/** Exit codes of `lac` and `lns` (and every other command). */
export const RunExit = {
  /** Done; everything asked for worked. */
  OK: 0,
  /** A runtime failure: a tunnel or session refused or timed out, frames lost, socket error. */
  FAILED: 1,
  /** Bad command line. */
  USAGE: 2,
} as const;

/** What lac/lns need from the process. */
export interface RunIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  /** Standard error is a terminal (live progress line). */
  readonly isTTY: boolean;
  /** Calls `handler` on SIGINT / SIGTERM; returns the unsubscriber. */
  readonly onSignal: (handler: (signal: string) => void) => () => void;
  /** Wall-clock milliseconds since the Unix epoch (pcap timestamps only). */
  readonly wallClockMs: () => number;
  /** Resolves a host name to its addresses; default node:dns `lookup` (tests pass their own). */
  readonly lookup?: (host: string) => Promise<readonly ResolvedAddress[]>;
}

/** One address of a host name. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: number;
}

/**
 * The address to use for `host`: itself when it is an IP literal, else from `lookup` — of the
 * family of `local` when given, else IPv4 first (a LAC on 127.0.0.1 and `localhost` agree).
 * @throws Error when the name does not resolve (to that family).
 */
export async function resolvePeer(
  host: string,
  local: string | undefined,
  lookup: (host: string) => Promise<readonly ResolvedAddress[]> = defaultLookup,
): Promise<string> {
  if (isIP(host) !== 0) return host;
  const all = await lookup(host);
  const family = local === undefined ? undefined : isIP(local);
  const usable = family === undefined ? all : all.filter((a) => a.family === family);
  const pick = usable.find((a) => a.family === 4) ?? usable[0];
  if (pick === undefined) {
    throw new Error(
      family === undefined ? 'no address' : `no IPv${family} address (--local ${local})`,
    );
  }
  return pick.address;
}

function defaultLookup(host: string): Promise<readonly ResolvedAddress[]> {
  return dnsLookup(host, { all: true });
}

/** Options shared by lac and lns, parsed. Times in ms. */
export interface CommonOptions {
  readonly local: string | undefined;
  readonly port: number | undefined;
  readonly version: 2 | 3 | undefined;
  readonly secret: string | undefined;
  /** `--hide`: the default set of the tunnel's version, and/or fields named. */
  readonly hide: HideChoice | undefined;
  /** `--hide-padding`: minimum length of each hidden value in octets (0 = no padding). */
  readonly hidePadding: number;
  readonly hostName: string | undefined;
  readonly cookie: 0 | 4 | 8;
  readonly routerId: number | undefined;
  readonly durationMs: number | undefined;
  readonly retransmitMs: number | undefined;
  readonly maxRetransmits: number | undefined;
  readonly helloMs: number | undefined;
  readonly pcap: string | undefined;
  readonly json: boolean;
  readonly verbose: boolean;
}

/** `l2tp-core lac` options. */
export interface LacOptions extends CommonOptions {
  readonly peer: string;
  readonly peerPort: number;
  readonly tunnels: number;
  readonly sessions: number;
  readonly frames: number;
  /** How long to wait for the echoes of the test frames. */
  readonly frameTimeoutMs: number;
  /** `--rate`: test frames per second over all sessions; undefined = as fast as possible. */
  readonly rate: number | undefined;
}

/** `l2tp-core lns` options. */
export interface LnsOptions extends CommonOptions {
  /** Most sessions per tunnel. */
  readonly maxSessions: number | undefined;
  /** `--metrics [ADDR:]PORT`: where to serve the Prometheus metrics over HTTP. */
  readonly metrics: { readonly address: string; readonly port: number } | undefined;
  /** `--ppp`: terminate PPP on every call (lns.ts, ppp-host.ts); undefined: echo frames. */
  readonly ppp: LnsPppOptions | undefined;
  /** `--sockbuf`: SO_RCVBUF and SO_SNDBUF of the socket (0: the system's); default 4 MiB. */
  readonly sockbuf?: number | undefined;
}

/** `l2tp-core lns --ppp` options. */
export interface LnsPppOptions {
  /** `--pool`: the IPv4 prefix; its first host is the LNS's address on the TUN. */
  readonly pool: string;
  /** `--users FILE`: `name password` lines. */
  readonly users: string;
  /** `--auth`: the protocols asked of clients, in order of preference. */
  readonly auth: readonly AuthProtocol[];
  readonly dns: readonly string[];
  /** `--tun NAME`: the TUN interface (default l2tp0). */
  readonly tun: string;
  readonly mtu: number;
  /** `--ipv6`: IPv6CP on every call, link-local addresses on the TUN. */
  readonly ipv6: boolean;
  /** `--ipv6-pool PREFIX`: a /64 of it for every call by Router Advertisements (implies ipv6). */
  readonly ipv6Pool: string | undefined;
  /** `--lcp-echo SEC` in ms (0 = off) and `--lcp-echo-failures N`. */
  readonly echoMs: number;
  readonly echoFailures: number;
}

export const COMMON_FLAGS: Readonly<Record<string, OptionSpec>> = {
  help: { type: 'boolean', short: 'h' },
  local: { type: 'string' },
  port: { type: 'string' },
  version: { type: 'string' },
  secret: { type: 'string' },
  hide: { type: 'string', valueIfAbsent: 'default' },
  'hide-padding': { type: 'string' },
  'host-name': { type: 'string' },
  cookie: { type: 'string' },
  'router-id': { type: 'string' },
  duration: { type: 'string' },
  'retransmit-ms': { type: 'string' },
  'max-retransmits': { type: 'string' },
  hello: { type: 'string' },
  pcap: { type: 'string' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
};

export const COMMON_HELP = `Common options:
  --local ADDR          local address to bind (IPv4 or IPv6 literal)
  --port N              local UDP port
  --version 2|3         L2TPv2 (RFC 2661) or L2TPv3 over UDP (RFC 3931)
  --secret S            shared secret: tunnel authentication (v2 Challenge, v3 Message Digest)
  --hide [AVP,...]      send these AVPs hidden (needs --secret); alone or 'default': the
                        session ids, call serial number and (v3) cookie, nothing in
                        SCCRQ/SCCRP, which xl2tpd and l2tpns refuse hidden
  --hide-padding N      pad each hidden value to at least N octets (default 16, 0 = none)
  --host-name NAME      our Host Name AVP (default l2tp-core-lac / l2tp-core-lns)
  --cookie 0|4|8        v3: cookie length we ask the peer to send (default 4)
  --router-id N         v3: our Router ID (default: random)
  --duration SEC        stay up SEC seconds (lac: after the test frames), then close
  --retransmit-ms MS    first retransmission timeout (default 1000, doubling, at most 8000)
  --max-retransmits N   retransmissions before giving up (default 5)
  --hello SEC           HELLO after SEC seconds of silence, 0 = never (default 60)
  --pcap FILE           record every datagram sent and received (pcap, raw IP + UDP)
  --json                events and summary as JSON lines
  -v, --verbose         every session event, even when opening many sessions, and the control
                        connection's messages, retransmissions and state changes (stderr)
  -h, --help            this help

SIGINT / SIGTERM closes gracefully (CDN and StopCCN sent, acknowledgements awaited);
a second one exits at once. Exit codes: 0 ok, 1 runtime failure, 2 usage error.
`;

/** `l2tp-core lac --help`. */
export const LAC_HELP = `Usage: l2tp-core lac --peer HOST [options]

Opens tunnels and sessions (incoming calls) to an LNS, sends test frames the LNS echoes,
prints events and a summary, then stays up until --duration ends or Ctrl-C.

LAC options:
  --peer HOST           the LNS: an IP address or a host name (required)
  --peer-port N         the LNS UDP port (default 1701)
  --tunnels N           tunnels to open (default 1)
  --sessions N          sessions per tunnel (default 1)
  --frames N            test frames per session, echoed by the LNS (default 0)
  --frame-timeout SEC   how long to wait for the echoes (default 5)
  --rate N              send the test frames at N per second in all (default: at once)
  --local, --port       default: an ephemeral port (on loopback when the peer is)

${COMMON_HELP}`;

/** `l2tp-core lns --help`. */
export const LNS_HELP = `Usage: l2tp-core lns [options]

Accepts tunnels and incoming calls from LACs and echoes every data frame back on its
session. Prints events; on Ctrl-C (or after --duration) closes every tunnel and prints a
summary.

LNS options:
  --max-sessions N      most sessions per tunnel (default 1024)
  --metrics [ADDR:]PORT serve Prometheus metrics at http://ADDR:PORT/metrics (ADDR default
                        127.0.0.1; [::1]:PORT for IPv6; needs the prom-client package)
  --local, --port       default 0.0.0.0, port 1701
  --version 2|3         accept only this version (default: both)
  --sockbuf BYTES       SO_RCVBUF and SO_SNDBUF of the UDP socket (default 4194304; the
                        kernel caps them at net.core.rmem_max / wmem_max; 0 = system's)

PPP termination (a user-space L2TP VPN server; root or CAP_NET_ADMIN, and the TUN addon
of examples/linux-host):
  --ppp                 terminate PPP on every call instead of echoing frames: clients
                        authenticate, get an address from --pool by IPCP, and their IP
                        packets are routed between them and a TUN device (L2TPv2 only)
  --pool PREFIX         IPv4 pool, e.g. 10.77.0.0/24; its first address is the LNS's own,
                        on the TUN with the pool's route (required with --ppp)
  --users FILE          \`name password\` per line, # comments (required with --ppp)
  --auth LIST           protocols to ask for, by preference (default mschapv2,chap,pap)
  --dns IP              a DNS server to offer (RFC 1877), repeatable (at most 2)
  --tun NAME            the TUN interface (default l2tp0)
  --mtu N               MTU of the TUN and the MRU asked for (default 1400)
  --ipv6                IPv6CP too: link-local addresses from the interface identifiers
  --ipv6-pool PREFIX    IPv6 prefix /16…/63, e.g. 2001:db8:77::/48 (implies --ipv6): every
                        call gets a /64 of it by a Router Advertisement; the first /64's ::1
                        is the LNS's own, on the TUN with the pool's route
  --lcp-echo SEC        LCP Echo-Request every SEC seconds, 0 = never (default 10)
  --lcp-echo-failures N unanswered echoes before the link is down (default 3)

${COMMON_HELP}`;

/** `lns` and `connect`: SO_RCVBUF / SO_SNDBUF asked for by default (the kernel caps them). */
export const DEFAULT_SOCKBUF = 4 * 1024 * 1024;

/** `--sockbuf BYTES` (0: the system's defaults); undefined when not given. @throws CliUsage */
export function sockbuf(text: string | undefined): number | undefined {
  return text === undefined ? undefined : integer('--sockbuf', text, 0, 1 << 30);
}

export function integer(flag: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) {
    throw new CliUsage(`${flag}: expected an integer in ${min}…${max}, got ${text}`);
  }
  return n;
}

export function seconds(flag: string, text: string): number {
  const n = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(n) || n > 86_400 * 365) {
    throw new CliUsage(`${flag}: expected seconds (e.g. 2 or 0.5), got ${text}`);
  }
  return Math.round(n * 1000);
}

function address(flag: string, text: string): string {
  if (isIP(text) === 0) throw new CliUsage(`${flag}: not an IP address: ${text}`);
  return text;
}

// RFC 1123 §2.1 host names: dot-separated labels of letters, digits and inner hyphens.
const HOST_NAME =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

export function host(flag: string, text: string): string {
  if (isIP(text) === 0 && !HOST_NAME.test(text)) {
    throw new CliUsage(`${flag}: not an IP address or host name: ${text}`);
  }
  return text;
}

/** `runsVersion`: the version the command uses when `--version` is not given (lac: 2). */
export function common(v: ArgValues, runsVersion?: '2'): CommonOptions {
  const s = (k: string) => v[k] as string | undefined;
  const version = s('version');
  if (version !== undefined && version !== '2' && version !== '3') {
    throw new CliUsage(`--version: expected 2 or 3, got ${version}`);
  }
  const cookie = s('cookie');
  if (cookie !== undefined && cookie !== '0' && cookie !== '4' && cookie !== '8') {
    throw new CliUsage(`--cookie: expected 0, 4 or 8, got ${cookie}`);
  }
  const hide =
    s('hide') === undefined ? undefined : hideChoice(s('hide') as string, version ?? runsVersion);
  if (hide !== undefined && s('secret') === undefined) {
    throw new CliUsage('--hide needs --secret (hidden AVPs are encrypted with it, RFC 2661 §4.3)');
  }
  const padding = s('hide-padding');
  if (padding !== undefined && hide === undefined) {
    throw new CliUsage('--hide-padding applies to --hide only');
  }
  if (s('secret') === '') throw new CliUsage('--secret: empty secret');
  const hostName = s('host-name');
  if (hostName === '') throw new CliUsage('--host-name: empty name');
  return {
    local: s('local') === undefined ? undefined : address('--local', s('local') as string),
    port: s('port') === undefined ? undefined : integer('--port', s('port') as string, 0, 65535),
    version: version === undefined ? undefined : version === '2' ? 2 : 3,
    secret: s('secret'),
    hide,
    hidePadding:
      padding === undefined
        ? DEFAULT_HIDE_PADDING
        : integer('--hide-padding', padding, 0, AVP_MAX_VALUE_LENGTH),
    hostName,
    cookie: cookie === undefined ? 4 : (Number(cookie) as 0 | 4 | 8),
    routerId:
      s('router-id') === undefined
        ? undefined
        : integer('--router-id', s('router-id') as string, 0, 0xffffffff),
    durationMs:
      s('duration') === undefined ? undefined : seconds('--duration', s('duration') as string),
    retransmitMs:
      s('retransmit-ms') === undefined
        ? undefined
        : integer('--retransmit-ms', s('retransmit-ms') as string, 10, 60_000),
    maxRetransmits:
      s('max-retransmits') === undefined
        ? undefined
        : integer('--max-retransmits', s('max-retransmits') as string, 0, 100),
    helloMs: s('hello') === undefined ? undefined : seconds('--hello', s('hello') as string),
    pcap: s('pcap'),
    json: v.json === true,
    verbose: v.verbose === true,
  };
}

/** Parses `lac` arguments; `'help'` when -h was given. @throws CliUsage. */
export function parseLacArgs(args: readonly string[]): LacOptions | 'help' {
  const { values } = parseCommandArgs(
    args,
    {
      ...COMMON_FLAGS,
      peer: { type: 'string' },
      'peer-port': { type: 'string' },
      tunnels: { type: 'string' },
      sessions: { type: 'string' },
      frames: { type: 'string' },
      'frame-timeout': { type: 'string' },
      rate: { type: 'string' },
    },
    false,
  );
  if (values.help === true) return 'help';
  const s = (k: string) => values[k] as string | undefined;
  const peer = s('peer');
  if (peer === undefined) throw new CliUsage('--peer HOST is required');
  const n = (flag: string, text: string | undefined, dflt: number, min: number, max: number) =>
    text === undefined ? dflt : integer(flag, text, min, max);
  const frameTimeout = s('frame-timeout');
  return {
    ...common(values, '2'),
    peer: host('--peer', peer),
    peerPort: n('--peer-port', s('peer-port'), 1701, 1, 65535),
    tunnels: n('--tunnels', s('tunnels'), 1, 1, 4096),
    sessions: n('--sessions', s('sessions'), 1, 0, 65535),
    frames: n('--frames', s('frames'), 0, 0, 1_000_000),
    frameTimeoutMs: frameTimeout === undefined ? 5000 : seconds('--frame-timeout', frameTimeout),
    rate:
      s('rate') === undefined ? undefined : integer('--rate', s('rate') as string, 1, 10_000_000),
  };
}

/** Parses `lns` arguments; `'help'` when -h was given. @throws CliUsage. */
export function parseLnsArgs(args: readonly string[]): LnsOptions | 'help' {
  const { values } = parseCommandArgs(
    args,
    {
      ...COMMON_FLAGS,
      'max-sessions': { type: 'string' },
      metrics: { type: 'string' },
      ppp: { type: 'boolean' },
      pool: { type: 'string' },
      users: { type: 'string' },
      auth: { type: 'string' },
      dns: { type: 'string', multiple: true },
      tun: { type: 'string' },
      mtu: { type: 'string' },
      ipv6: { type: 'boolean' },
      'ipv6-pool': { type: 'string' },
      'lcp-echo': { type: 'string' },
      'lcp-echo-failures': { type: 'string' },
      sockbuf: { type: 'string' },
    },
    false,
  );
  if (values.help === true) return 'help';
  const max = values['max-sessions'] as string | undefined;
  const metrics = values.metrics as string | undefined;
  const options = common(values);
  return {
    ...options,
    maxSessions: max === undefined ? undefined : integer('--max-sessions', max, 0, 65535),
    metrics: metrics === undefined ? undefined : listenAddress('--metrics', metrics),
    ppp: lnsPpp(values, options.version),
    sockbuf: sockbuf(values.sockbuf as string | undefined),
  };
}

const LNS_PPP_ONLY = [
  'pool',
  'users',
  'auth',
  'dns',
  'tun',
  'mtu',
  'ipv6',
  'ipv6-pool',
  'lcp-echo',
  'lcp-echo-failures',
];

function lnsPpp(v: ArgValues, version: 2 | 3 | undefined): LnsPppOptions | undefined {
  const s = (k: string) => v[k] as string | undefined;
  if (v.ppp !== true) {
    const stray = LNS_PPP_ONLY.find((k) => v[k] !== undefined);
    if (stray !== undefined) throw new CliUsage(`--${stray} applies to --ppp only`);
    return undefined;
  }
  if (version === 3) throw new CliUsage('--ppp: PPP runs over L2TPv2 (drop --version 3)');
  const pool = s('pool');
  if (pool === undefined) throw new CliUsage('--ppp needs --pool PREFIX (e.g. 10.77.0.0/24)');
  const users = s('users');
  if (users === undefined) throw new CliUsage('--ppp needs --users FILE');
  const dns = (v.dns as string[] | undefined) ?? [];
  if (dns.length > 2) throw new CliUsage('--dns: at most two servers (RFC 1877)');
  for (const d of dns) {
    if (isIP(d) !== 4) throw new CliUsage(`--dns: not an IPv4 address: ${d}`);
  }
  const ipv6Pool =
    s('ipv6-pool') === undefined
      ? undefined
      : parseIpv6Prefix('--ipv6-pool', s('ipv6-pool') as string, 16, 63).text;
  return {
    pool: parseIpv4Prefix('--pool', pool, 8).text,
    users,
    auth: parseAuthList(s('auth') ?? 'mschapv2,chap,pap'),
    dns,
    tun: tunName(s('tun') ?? 'l2tp0'),
    mtu: s('mtu') === undefined ? 1400 : integer('--mtu', s('mtu') as string, 576, 65535),
    ipv6: v.ipv6 === true || ipv6Pool !== undefined,
    ipv6Pool,
    echoMs: s('lcp-echo') === undefined ? 10_000 : seconds('--lcp-echo', s('lcp-echo') as string),
    echoFailures:
      s('lcp-echo-failures') === undefined
        ? 3
        : integer('--lcp-echo-failures', s('lcp-echo-failures') as string, 1, 100),
  };
}

/** A Linux interface name: 1…15 characters, no '/', ':' or white space. @throws CliUsage */
export function tunName(text: string): string {
  if (!/^[^/:\s]{1,15}$/.test(text) || text === '.' || text === '..') {
    throw new CliUsage(`--tun: not an interface name (1-15 characters, no / : or spaces): ${text}`);
  }
  return text;
}

/** `PORT`, `ADDR:PORT` or `[V6]:PORT` (an IP literal); the address defaults to 127.0.0.1. */
function listenAddress(flag: string, text: string): { address: string; port: number } {
  const m = /^(?:\[([^\]]+)\]:|([^:[\]]+):)?([^:]*)$/.exec(text);
  if (m === null) {
    throw new CliUsage(`${flag}: expected PORT, ADDR:PORT or [IPV6]:PORT, got ${text}`);
  }
  const [, v6, v4, port] = m;
  const addr = v6 ?? v4;
  if (addr !== undefined && isIP(addr) !== (v6 === undefined ? 4 : 6)) {
    throw new CliUsage(`${flag}: not an IP${v6 === undefined ? 'v4' : 'v6'} address: ${addr}`);
  }
  return { address: addr ?? '127.0.0.1', port: integer(flag, port as string, 0, 65535) };
}

// --- running ----------------------------------------------------------------------------------

/** `--hide` parsed: the version's default set and/or the fields named. */
export interface HideChoice {
  readonly default: boolean;
  readonly fields: readonly FieldName[];
}

// Call-level AVPs only: xl2tpd answers a hidden AVP in an SCCRQ with StopCCN 2/6 and l2tpns
// drops it, so nothing of SCCRQ/SCCRP.
const DEFAULT_HIDDEN_V2: readonly FieldName[] = ['assignedSessionId', 'callSerialNumber'];
const DEFAULT_HIDDEN_V3: readonly FieldName[] = [
  'localSessionId',
  'remoteSessionId',
  'callSerialNumber',
  'assignedCookie',
];
// l2tpns refuses hidden values under 8 octets; 16 also masks the length of short ids.
const DEFAULT_HIDE_PADDING = 16;

// "assigned-session-id", "AssignedSessionId", "assignedSessionId": the same field.
const squash = (name: string) => name.toLowerCase().replace(/[-_ ]/g, '');
const FIELD_BY_SQUASHED = new Map(
  (Object.keys(FIELD_KINDS) as FieldName[]).map((f) => [squash(f), f]),
);
const kebab = (f: string) => f.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

function hideChoice(text: string, version: string | undefined): HideChoice {
  let useDefault = false;
  const fields: FieldName[] = [];
  for (const name of text.split(',').map((x) => x.trim())) {
    if (name === 'default') {
      useDefault = true;
      continue;
    }
    const field = FIELD_BY_SQUASHED.get(squash(name));
    if (field === undefined) {
      const examples = [...DEFAULT_HIDDEN_V2, 'vendorName'].map(kebab).join(', ');
      throw new CliUsage(`--hide: no AVP named ${JSON.stringify(name)} (e.g. ${examples})`);
    }
    const info = lookupAvp(0, FIELD_ATTRIBUTE_TYPE[field]);
    if (info?.hideable !== true) {
      throw new CliUsage(`--hide: ${kebab(field)} must not be hidden (RFC 2661 §4.3)`);
    }
    if (version !== undefined && info.versions !== 'both' && info.versions !== `v${version}`) {
      throw new CliUsage(`--hide: ${kebab(field)} is not an L2TPv${version} AVP`);
    }
    fields.push(field);
  }
  return { default: useDefault, fields };
}

/** The fields `--hide` hides in a tunnel of `version`. */
export function hiddenFieldsFor(hide: HideChoice, version: 2 | 3): FieldName[] {
  const dflt = hide.default ? (version === 2 ? DEFAULT_HIDDEN_V2 : DEFAULT_HIDDEN_V3) : [];
  return [...new Set([...dflt, ...hide.fields])];
}

/** Tunnel options for one tunnel of `version` in `role`, from the command line. */
export function tunnelOptions(
  o: CommonOptions,
  role: 'lac' | 'lns',
  version: 2 | 3,
  randomU32: () => number,
): TunnelOptions {
  const rt = o.retransmitMs;
  return {
    mode: role,
    version,
    hostName: o.hostName ?? `l2tp-core-${role}`,
    vendorName: 'l2tp-core',
    ...(rt === undefined
      ? {}
      : {
          retransmitTimeoutMs: rt,
          // Doubling up to 8 × the first timeout, within the channel's 1 s…8 s cap range.
          maxRetransmitTimeoutMs: Math.max(1000, rt, Math.min(rt * 8, 8000)),
        }),
    ...(o.maxRetransmits === undefined ? {} : { maxRetransmits: o.maxRetransmits }),
    ...(o.helloMs === undefined ? {} : { helloIntervalMs: o.helloMs }),
    ...(o.secret === undefined ? {} : { secret: o.secret }),
    ...(o.hide === undefined
      ? {}
      : { hiddenFields: hiddenFieldsFor(o.hide, version), hiddenValueMinLength: o.hidePadding }),
    ...(version === 3
      ? {
          routerId: o.routerId ?? randomU32(),
          session: { cookieLength: o.cookie, pseudowireType: PseudowireType.Ethernet },
        }
      : {}),
  };
}

/** "addr:port" or "[v6]:port". */
export function endText(a: { readonly address: string; readonly port: number }): string {
  return a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

/** A DownReason as JSON fields. */
export function reasonFields(r: DownReason): Record<string, unknown> {
  return {
    by: r.by,
    ...(r.resultCode === undefined ? {} : { resultCode: r.resultCode }),
    ...(r.errorCode === undefined ? {} : { errorCode: r.errorCode }),
    ...(r.message === undefined ? {} : { message: r.message }),
  };
}

/** The socket, its recorder and the reporter of one run; `finish` releases them. */
export interface RunContext {
  readonly reporter: Reporter;
  readonly transport: DatagramTransport;
  readonly udp: UdpTransport;
  /** Milliseconds since the run started (monotonic). */
  readonly elapsed: () => number;
  /** Datagrams recorded so far, undefined without --pcap. */
  readonly pcapRecords: () => number | undefined;
  /** Flushes and closes the pcap file and the socket. */
  readonly finish: () => Promise<void>;
}

/**
 * Binds the socket and opens the pcap file. Prints the reason and returns undefined on
 * failure (exit code 1).
 */
export async function openRun(
  o: CommonOptions,
  io: RunIo,
  bind: { readonly address: string; readonly port: number },
  /** SO_RCVBUF and SO_SNDBUF in bytes (capped by the kernel); 0 or undefined: the system's. */
  bufferSize?: number,
): Promise<RunContext | undefined> {
  const t0 = nodeClock.now();
  const elapsed = () => nodeClock.now() - t0;
  const reporter = new Reporter(io, o.json, elapsed);
  // -v: the library's control-connection lines too (messages, retransmissions, state changes,
  // drops, each with the peer), on standard error, added to whatever DEBUG already enables.
  if (o.verbose) {
    const current = createDebug.disable();
    createDebug.enable(
      [current, 'l2tp:control,l2tp:tunnel,l2tp:endpoint'].filter(Boolean).join(','),
    );
  }
  let udp: UdpTransport;
  try {
    udp = await UdpTransport.open({
      address: bind.address,
      port: bind.port,
      ...(bufferSize ? { receiveBufferSize: bufferSize, sendBufferSize: bufferSize } : {}),
      onError: (err, ctx) =>
        reporter.note(
          `udp ${ctx.op} error${ctx.peer ? ` (${endText(ctx.peer)})` : ''}: ${err.message}`,
        ),
    });
  } catch (err) {
    reporter.note(`cannot bind ${endText(bind)}: ${(err as Error).message}`);
    return undefined;
  }
  let transport: DatagramTransport = udp;
  let writer: PcapWriter | undefined;
  let sink: ReturnType<typeof openFileSink> | undefined;
  let flushTimer: ReturnType<typeof setInterval> | undefined;
  if (o.pcap !== undefined) {
    try {
      sink = openFileSink(o.pcap);
    } catch (err) {
      reporter.note(`cannot write ${o.pcap}: ${(err as Error).message}`);
      await udp.close();
      return undefined;
    }
    writer = new PcapWriter(sink.write);
    transport = recordingTransport(udp, udp.local, writer, io.wallClockMs);
    // A capture is useful while the run lasts: flush once a second (the buffer stays bounded).
    const w = writer;
    flushTimer = setInterval(() => w.flush(), 1000);
    flushTimer.unref();
  }
  return {
    reporter,
    transport,
    udp,
    elapsed,
    pcapRecords: () => writer?.records,
    finish: async () => {
      if (flushTimer !== undefined) clearInterval(flushTimer);
      writer?.close();
      sink?.close();
      await udp.close();
    },
  };
}

/** Statistics summed over every tunnel the run had. */
export function tunnelTotals(tunnels: Iterable<Tunnel>): {
  readonly control: Summary['control'];
  readonly framesSent: number;
  readonly framesReceived: number;
  readonly framesDropped: number;
} {
  let messagesSent = 0;
  let retransmissions = 0;
  let acksSent = 0;
  let framesSent = 0;
  let framesReceived = 0;
  let framesDropped = 0;
  for (const t of tunnels) {
    const s = t.stats();
    messagesSent += s.channel.messagesSent;
    retransmissions += s.channel.retransmissions;
    acksSent += s.channel.acksSent;
    framesSent += s.framesSent;
    framesReceived += s.framesReceived;
    framesDropped += s.framesDropped;
  }
  return {
    control: { messagesSent, retransmissions, acksSent },
    framesSent,
    framesReceived,
    framesDropped,
  };
}

/**
 * Closes `tunnels` gracefully: a CDN for every session, and once those are acknowledged the
 * StopCCN (RFC 2661 §5.7 clears the remaining sessions with it; the CDNs first say why, one by
 * one). A tunnel is released once its StopCCN is acknowledged, or when the retransmission budget
 * ran out. Tunnels already down (in the receiver's post-close hold) are released at once.
 * `subscribe` registers a check to run after every received datagram (acks are noticed there).
 */
export function closeTunnels(
  tunnels: readonly Tunnel[],
  subscribe: (check: () => void) => () => void,
): Promise<void> {
  const phase = new Map<Tunnel, 'cdn' | 'stopccn'>();
  for (const t of tunnels) {
    if (t.closed) continue;
    if (t.downReason !== undefined) {
      t.destroy();
      continue;
    }
    for (const s of [...t.sessions.values()]) s.close();
    phase.set(t, 'cdn');
  }
  if (phase.size === 0) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const check = () => {
      for (const [t, p] of phase) {
        if (t.closed || (p === 'cdn' && t.downReason !== undefined)) {
          phase.delete(t);
          t.destroy();
          continue;
        }
        const c = t.stats().channel;
        if (c.inFlight !== 0 || c.queued !== 0) continue;
        if (p === 'cdn') {
          phase.set(t, 'stopccn');
          void t.close();
        } else {
          phase.delete(t);
          t.destroy();
        }
      }
      if (phase.size === 0) {
        unsubscribe();
        resolve();
      }
    };
    const unsubscribe = subscribe(check);
    for (const t of phase.keys()) t.once('close', check);
    check();
  });
}

/**
 * The shutdown switch of a run: the first SIGINT/SIGTERM (or `--duration`) requests a
 * graceful close, the second forces. `stopped` resolves on the first request.
 */
export class Shutdown {
  #requested = false;
  #forced = false;
  #resolve: (() => void) | undefined;
  readonly #onForce: () => void;
  /** Resolves when a shutdown is requested. */
  readonly stopped: Promise<void>;

  constructor(onForce: () => void) {
    this.#onForce = onForce;
    this.stopped = new Promise<void>((resolve) => {
      this.#resolve = resolve;
    });
  }

  get requested(): boolean {
    return this.#requested;
  }

  get forced(): boolean {
    return this.#forced;
  }

  /** First call: graceful; later calls from signals: forced. */
  request(fromSignal: boolean): void {
    if (this.#requested) {
      if (fromSignal && !this.#forced) {
        this.#forced = true;
        this.#onForce();
      }
      return;
    }
    this.#requested = true;
    this.#resolve?.();
  }
}

/** A random non-zero 32-bit value (L2TPv3 Router IDs). */
export function randomU32(): number {
  const b = nodeRandomBytes(4);
  return new DataView(b.buffer, b.byteOffset, 4).getUint32(0) || 1;
}

/**
 * The Endpoint of a run on its transport, with the Node clock, timers, randomness and crypto;
 * its errors go to the reporter. A signal requests the shutdown, a second one forces it
 * (the endpoint is destroyed at once). `stopSignals` ends the signal subscription.
 */
export function startEndpoint(
  run: RunContext,
  io: RunIo,
  acceptTunnel?: EndpointOptions['acceptTunnel'],
): { endpoint: Endpoint; shutdown: Shutdown; stopSignals: () => void } {
  const { reporter } = run;
  const endpoint = new Endpoint({
    transport: run.transport,
    clock: nodeClock,
    timers: nodeTimers,
    randomBytes: nodeRandomBytes,
    crypto: nodeCrypto,
    ...(acceptTunnel === undefined ? {} : { acceptTunnel }),
  });
  endpoint.on('error', (err) => reporter.note(`error: ${err.message}`));
  const shutdown = new Shutdown(() => {
    reporter.note('second signal: closing at once');
    endpoint.destroy();
  });
  const stopSignals = io.onSignal((signal) => {
    if (!shutdown.requested) reporter.note(`${signal}: closing (again to force)`);
    shutdown.request(true);
  });
  return { endpoint, shutdown, stopSignals };
}

/** Resolves after `ms` (an unreferenced timer: it does not keep the process alive alone). */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Wall-clock ms for pcap timestamps from the monotonic clock's origin. */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Subscribes an after-datagram check on a transport (used by {@link closeTunnels}). */
export function afterDatagrams(transport: DatagramTransport) {
  return (check: () => void) => transport.onDatagram(() => check());
}
