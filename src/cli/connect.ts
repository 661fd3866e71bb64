/**
 * `l2tp-core connect`: an L2TP VPN client in user space. Opens an L2TPv2 tunnel and an incoming
 * call to an LNS (as a LAC, RFC 2661 §5.4), runs PPP on it as the client (PppSession: LCP with
 * Echo keepalive, PAP / CHAP-MD5 / MS-CHAPv2 with `--user` / `--password`, IPCP for an address
 * and name servers, IPv6CP with `--ipv6`), then gives the host a TUN device with the address
 * (`ip addr add LOCAL peer PEER`), the MTU, the routes asked for with `--route` (IPv6 ones via
 * the LNS's link-local address) and, with `--ipv6`, the link-local address from the interface
 * identifiers and the global address the LNS's Router Advertisement gives (its /64 prefix and
 * our interface identifier, RFC 5072 §5; the advertisement itself is not passed to the kernel,
 * which would configure addresses and routes of its own); packets flow TUN ↔ PPP
 * until Ctrl-C / SIGTERM (or `--duration`), when PPP is terminated (LCP Terminate-Request), the
 * call cleared (CDN), the tunnel closed (StopCCN) and the TUN removed.
 * Exit codes: 0 closed on request, 1 a runtime failure (no TUN device or no permission for one,
 * tunnel or call refused or timed out, authentication failed — with the server's message —,
 * no address, the link lost), 2 usage error.
 * Not here: the TUN module and `ip` (ppp-host.ts), PPP itself (src/ppp).
 */

import { isIP } from 'node:net';
import { nodeClock, nodeRandomBytes, nodeTimers } from '../node/clock.js';
import { nodePppAuthCrypto } from '../node/ppp-crypto.js';
import { sameBytes } from '../ppp/frame.js';
import { formatIpv6 } from '../ppp/ipv6-nd.js';
import { type PppIpv6Prefix, PppSession, type PppUpInfo } from '../ppp/session.js';
import type { AuthProtocol, PppReason } from '../ppp/types.js';
import { describeReason, type Session, type Tunnel } from '../tunnel.js';
import { type ArgValues, CliUsage, parseCommandArgs } from './args.js';
import {
  linkLocal,
  loadTunHost,
  openTunDevice,
  parseAuthList,
  parseRoutePrefix,
  type TunDevice,
  type TunHost,
  TunUnavailable,
} from './ppp-host.js';
import {
  afterDatagrams,
  COMMON_FLAGS,
  COMMON_HELP,
  type CommonOptions,
  closeTunnels,
  common,
  DEFAULT_SOCKBUF,
  delay,
  endText,
  host,
  integer,
  openRun,
  RunExit,
  type RunIo,
  randomU32,
  reasonFields,
  resolvePeer,
  seconds,
  sockbuf,
  startEndpoint,
  tunName,
  tunnelOptions,
} from './run.js';

/** `l2tp-core connect` options. */
export interface ConnectOptions extends CommonOptions {
  readonly peer: string;
  readonly peerPort: number;
  readonly user: string;
  readonly password: string;
  /** Protocols we agree to authenticate with (the server picks). */
  readonly auth: readonly AuthProtocol[];
  /** IPv4 and IPv6 prefixes routed through the tunnel (`network/bits`). */
  readonly routes: readonly string[];
  readonly tun: string;
  readonly mtu: number;
  readonly ipv6: boolean;
  /** LCP Echo-Request interval in ms (0 = off) and unanswered echoes before giving up. */
  readonly echoMs: number;
  readonly echoFailures: number;
  /** From the first SCCRQ until the link is up. */
  readonly setupTimeoutMs: number;
  /** `--sockbuf`: SO_RCVBUF and SO_SNDBUF of the socket (0: the system's); default 4 MiB. */
  readonly sockbuf?: number | undefined;
}

/** What connect needs from the process: RunIo, and the TUN host (loaded when absent). */
export interface ConnectIo extends RunIo {
  readonly tunHost?: TunHost;
}

/** `l2tp-core connect --help`. */
export const CONNECT_HELP = `Usage: l2tp-core connect --peer HOST[:PORT] --user NAME --password PASS [options]

An L2TP/PPP VPN client in user space (no kernel L2TP or PPP module): opens an L2TPv2
tunnel and a call to an LNS, authenticates with PPP, creates a TUN device with the
address IPCP gives, adds the --route prefixes through it, prints the addresses and DNS
servers, and forwards packets until Ctrl-C, then terminates PPP, the call and the
tunnel and removes the TUN. Needs root (or CAP_NET_ADMIN) and the TUN addon of
examples/linux-host (npm ci --prefix examples/linux-host), or a module of your own
named by L2TP_CORE_TUN_MODULE.

Connect options:
  --peer HOST[:PORT]    the LNS: an IP address or host name, UDP port 1701 by default
                        ([V6]:PORT for an IPv6 literal with a port) (required)
  --user NAME           PPP user name (required)
  --password PASS       PPP password (required)
  --auth LIST           protocols we agree to, e.g. mschapv2 or pap,chap,mschapv2
                        (default: all three; the LNS chooses)
  --route PREFIX        route PREFIX (e.g. 10.99.0.0/16, 0.0.0.0/0, or with --ipv6
                        2001:db8:77::/48) through the tunnel, repeatable
  --tun NAME            the TUN interface (default l2tp-ppp0)
  --mtu N               MTU of the TUN and the MRU asked for (default 1400)
  --ipv6                IPv6CP too: link-local addresses from the interface identifiers,
                        and a global one from the LNS's Router Advertisement, if it sends one
  --lcp-echo SEC        LCP Echo-Request every SEC seconds, 0 = never (default 10)
  --lcp-echo-failures N unanswered echoes before the link counts as lost (default 3)
  --timeout SEC         give up when the link is not up after SEC seconds (default 30)
  --sockbuf BYTES       SO_RCVBUF and SO_SNDBUF of the UDP socket (default 4194304; the
                        kernel caps them at net.core.rmem_max / wmem_max; 0 = system's)
  --secret S            L2TP tunnel secret (tunnel authentication), when the LNS has one
  --local, --port       default: an ephemeral port on any address

${COMMON_HELP.replace(/ {2}--version 2\|3[^\n]*\n(?: {20,}[^\n]*\n)*/, '')
  .replace(/ {2}--cookie 0\|4\|8[^\n]*\n/, '')
  .replace(/ {2}--router-id N[^\n]*\n/, '')
  .replace(
    '  --duration SEC        stay up SEC seconds (lac: after the test frames), then close\n',
    '  --duration SEC        stay connected SEC seconds, then disconnect\n',
  )}`;

// connect is L2TPv2 only: no --version, --cookie or --router-id.
const CONNECT_FLAGS = Object.fromEntries(
  Object.entries(COMMON_FLAGS).filter(([k]) => !['version', 'cookie', 'router-id'].includes(k)),
);

/** `HOST`, `HOST:PORT`, `[V6]:PORT` or a bare IPv6 literal. @throws CliUsage */
export function parsePeer(text: string): { host: string; port: number } {
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracket !== null) {
    if (isIP(bracket[1] as string) !== 6) {
      throw new CliUsage(`--peer: not an IPv6 address: ${bracket[1]}`);
    }
    const port = bracket[2] === undefined ? 1701 : integer('--peer', bracket[2], 1, 65535);
    return { host: bracket[1] as string, port };
  }
  if (isIP(text) === 6) return { host: text, port: 1701 };
  const m = /^([^:]+)(?::([^:]*))?$/.exec(text);
  if (m === null)
    throw new CliUsage(`--peer: expected HOST, HOST:PORT or [IPV6]:PORT, got ${text}`);
  const port = m[2] === undefined ? 1701 : integer('--peer port', m[2], 1, 65535);
  return { host: host('--peer', m[1] as string), port };
}

/** Parses `connect` arguments; `'help'` when -h was given. @throws CliUsage. */
export function parseConnectArgs(args: readonly string[]): ConnectOptions | 'help' {
  const { values } = parseCommandArgs(
    args,
    {
      ...CONNECT_FLAGS,
      peer: { type: 'string' },
      user: { type: 'string' },
      password: { type: 'string' },
      auth: { type: 'string' },
      route: { type: 'string', multiple: true },
      tun: { type: 'string' },
      mtu: { type: 'string' },
      ipv6: { type: 'boolean' },
      'lcp-echo': { type: 'string' },
      'lcp-echo-failures': { type: 'string' },
      timeout: { type: 'string' },
      sockbuf: { type: 'string' },
    },
    false,
  );
  if (values.help === true) return 'help';
  const s = (k: string) => values[k] as string | undefined;
  const need = (k: string, what: string) => {
    const v = s(k);
    if (v === undefined) throw new CliUsage(`--${k} ${what} is required`);
    return v;
  };
  const peer = parsePeer(need('peer', 'HOST'));
  const user = need('user', 'NAME');
  const password = need('password', 'PASS');
  if (user === '') throw new CliUsage('--user: empty name');
  const timeout = s('timeout');
  const v6Route = ((values.route as string[] | undefined) ?? []).find((r) => r.includes(':'));
  if (v6Route !== undefined && values.ipv6 !== true) {
    throw new CliUsage(`--route ${v6Route}: an IPv6 route needs --ipv6`);
  }
  return {
    ...common(values as ArgValues, '2'),
    peer: peer.host,
    peerPort: peer.port,
    user,
    password,
    auth: parseAuthList(s('auth') ?? 'mschapv2,chap,pap'),
    routes: ((values.route as string[] | undefined) ?? []).map(
      (r) => parseRoutePrefix('--route', r).text,
    ),
    tun: tunName(s('tun') ?? 'l2tp-ppp0'),
    mtu: s('mtu') === undefined ? 1400 : integer('--mtu', s('mtu') as string, 576, 65535),
    ipv6: values.ipv6 === true,
    echoMs: s('lcp-echo') === undefined ? 10_000 : seconds('--lcp-echo', s('lcp-echo') as string),
    echoFailures:
      s('lcp-echo-failures') === undefined
        ? 3
        : integer('--lcp-echo-failures', s('lcp-echo-failures') as string, 1, 100),
    setupTimeoutMs: timeout === undefined ? 30_000 : seconds('--timeout', timeout) || 1,
    sockbuf: sockbuf(s('sockbuf')),
  };
}

/** An ICMPv6 Router Advertisement (no extension headers), by its type alone. */
function isRouterAdvertisement(packet: Uint8Array): boolean {
  return (
    packet.length > 40 && (packet[0] as number) >> 4 === 6 && packet[6] === 58 && packet[40] === 134
  );
}

const IN_PLACE = { inPlace: true } as const;

/** How the run ended, for the exit code and the last line. */
type Outcome = { readonly kind: 'requested' } | { readonly kind: 'failed'; readonly why: string };

/** Runs `l2tp-core connect`; resolves with the exit code. */
export async function runConnect(o: ConnectOptions, io: ConnectIo): Promise<number> {
  const fail = (text: string) => {
    io.stderr(`l2tp-core connect: ${text}\n`);
    return RunExit.FAILED;
  };
  // The TUN first: without it (no addon, no permission) nothing is sent to the LNS.
  let tun: TunDevice;
  let tunHost: TunHost;
  try {
    tunHost = io.tunHost ?? (await loadTunHost());
    tun = openTunDevice(tunHost, o.tun);
  } catch (err) {
    if (err instanceof TunUnavailable) return fail(err.message);
    throw err;
  }
  let peerAddress: string;
  try {
    peerAddress = await resolvePeer(o.peer, o.local, io.lookup);
  } catch (err) {
    tun.close();
    return fail(`cannot resolve --peer ${o.peer}: ${(err as Error).message}`);
  }
  const family6 = peerAddress.includes(':');
  const bind = { address: o.local ?? (family6 ? '::' : '0.0.0.0'), port: o.port ?? 0 };
  const run = await openRun(o, io, bind, o.sockbuf ?? DEFAULT_SOCKBUF);
  if (run === undefined) {
    tun.close();
    return RunExit.FAILED;
  }
  const { reporter } = run;
  const { endpoint, shutdown, stopSignals } = startEndpoint(run, io);
  const peer = { address: peerAddress, port: o.peerPort };
  const peerText = `${endText(peer)}${peerAddress === o.peer ? '' : ` (${o.peer})`}`;

  let settle: (outcome: Outcome) => void = () => {};
  const ended = new Promise<Outcome>((resolve) => {
    settle = resolve;
  });
  let outcome: Outcome | undefined;
  const finish = (x: Outcome) => {
    if (outcome !== undefined) return;
    outcome = x;
    settle(x);
  };
  const counters = { toPeer: 0, fromPeer: 0, dropped: 0 };
  let linkUp: PppUpInfo | undefined;
  let stopForwarding: (() => void) | undefined;

  const tunnel: Tunnel = endpoint.tunnel(peer, tunnelOptions(o, 'lac', 2, randomU32));
  reporter.event(
    'connecting',
    { peer: endText(peer), local: endText(run.udp.local), user: o.user },
    `connecting to ${peerText} as ${JSON.stringify(o.user)}`,
  );
  tunnel.on('up', (info) =>
    reporter.event(
      'tunnel-up',
      { tunnel: tunnel.id, peerTunnel: info.peerTunnelId, peerHostName: info.peerHostName },
      `tunnel ${tunnel.id} up: ${JSON.stringify(info.peerHostName)} tunnel ${info.peerTunnelId}`,
    ),
  );
  tunnel.on('down', (r) => {
    reporter.event(
      'tunnel-down',
      { tunnel: tunnel.id, ...reasonFields(r) },
      `tunnel ${tunnel.id} down (${describeReason(r)})`,
    );
    finish({ kind: 'failed', why: `the tunnel went down (${describeReason(r)})` });
  });
  let session: Session;
  try {
    session = tunnel.beginSession();
  } catch (err) {
    stopSignals();
    endpoint.destroy();
    tun.close();
    await run.finish();
    return fail(`cannot open a call: ${(err as Error).message}`);
  }
  session.on('up', () =>
    reporter.event(
      'session-up',
      { tunnel: tunnel.id, session: session.id, peerSession: session.peerId },
      `call ${tunnel.id}/${session.id} up: peer session ${session.peerId}`,
    ),
  );
  session.on('down', (r) => {
    reporter.event(
      'session-down',
      { tunnel: tunnel.id, session: session.id, ...reasonFields(r) },
      `call ${tunnel.id}/${session.id} down (${describeReason(r)})`,
    );
    finish({ kind: 'failed', why: `the call was cleared (${describeReason(r)})` });
  });
  // PPP listens from the moment the call is up: the LNS's first Configure-Request is heard.
  const ppp = new PppSession(session, {
    role: 'client',
    clock: nodeClock,
    timers: nodeTimers,
    randomBytes: nodeRandomBytes,
    crypto: nodePppAuthCrypto,
    credentials: { name: o.user, password: o.password },
    authSupported: o.auth,
    echoIntervalMs: o.echoMs,
    echoMaxMissed: o.echoFailures,
    mru: o.mtu,
    ipv6: o.ipv6,
  });
  ppp.on('auth', (ok, message) => {
    if (ok) {
      reporter.event(
        'authenticated',
        { message: message ?? null },
        `authenticated${message ? `: ${JSON.stringify(message)}` : ''}`,
      );
      return;
    }
    reporter.event(
      'auth-failed',
      { message: message ?? null },
      `authentication failed${message ? `: ${JSON.stringify(message)}` : ''}`,
    );
    finish({
      kind: 'failed',
      why: `authentication failed${message ? `: ${JSON.stringify(message)}` : ''}`,
    });
  });
  ppp.on('down', (reason: PppReason) => {
    reporter.event(
      'ppp-down',
      { by: reason.by, code: reason.code, message: reason.message ?? null },
      `PPP down: ${reason.code} by ${reason.by}${reason.message ? ` (${JSON.stringify(reason.message)})` : ''}`,
    );
    finish({
      kind: 'failed',
      why: `the PPP link ended: ${reason.code}${reason.message ? ` (${reason.message})` : ''}`,
    });
  });
  // The TUN is configured once ('up'); a global IPv6 address from a Router Advertisement is
  // added after that, however early the advertisement came.
  let configured: Promise<void> | undefined;
  const pendingPrefixes: PppIpv6Prefix[] = [];
  // Global IPv6 addresses added from Router Advertisements (dropped by a renegotiation that
  // changes our interface identifier; the next advertisement adds the new ones).
  const globals6: string[] = [];
  const addAddress6 = async (p: PppIpv6Prefix) => {
    const address = formatIpv6(p.address);
    await tunHost.ip(['-6', 'addr', 'add', `${address}/64`, 'dev', tun.name, 'nodad']);
    globals6.push(`${address}/64`);
    const prefix = `${formatIpv6(p.prefix)}/64`;
    const router = formatIpv6(p.router);
    reporter.event(
      'ipv6-address',
      { tun: tun.name, address, prefix, router },
      `IPv6 ${address}/64 on ${tun.name} (prefix ${prefix} advertised by ${router})`,
    );
  };
  const onPrefix = (p: PppIpv6Prefix) => {
    if (!o.ipv6) return;
    if (configured === undefined) {
      pendingPrefixes.push(p);
      return;
    }
    void configured
      .then(() => (outcome === undefined ? addAddress6(p) : undefined))
      .catch((err: unknown) =>
        reporter.note(`l2tp-core connect: cannot add the IPv6 address: ${(err as Error).message}`),
      );
  };
  ppp.on('ipv6-prefix', onPrefix);
  ppp.on('up', (info) => {
    linkUp = info;
    configured = configure(info);
    for (const p of pendingPrefixes.splice(0)) onPrefix(p);
    void configured.then(
      () => {
        if (outcome !== undefined) return;
        // Forwarding: packets the kernel routes into the TUN go to the LNS, and back.
        const unsubscribe = tun.onPacket((packet) => {
          // The TUN's packets own their headroom (TunDevice): the headers go in place.
          if (ppp.send(packet, IN_PLACE)) counters.toPeer++;
          else counters.dropped++;
        });
        const onPacket = (packet: Uint8Array) => {
          counters.fromPeer++;
          // Router Advertisements are ours ('ipv6-prefix'): the kernel would autoconfigure too.
          if (isRouterAdvertisement(packet)) return;
          tun.write(packet);
        };
        ppp.on('packet', onPacket);
        stopForwarding = () => {
          unsubscribe();
          ppp.off('packet', onPacket);
        };
        reportUp(info);
      },
      (err: unknown) =>
        finish({ kind: 'failed', why: `cannot configure ${tun.name}: ${(err as Error).message}` }),
    );
  });

  // RFC 1661 §4.3: the peer renegotiated while up. The TUN follows what changed; packets flow
  // again as soon as the link is back (the forwarding set up on 'up' stays).
  ppp.on('renegotiated', (info) => {
    const before = linkUp;
    linkUp = info;
    if (before === undefined || configured === undefined) return;
    const commands = reconfigureCommands(before, info, { ...o, tun: tun.name }, globals6);
    if (!sameInterfaceId(before, info)) globals6.length = 0;
    configured = configured.then(async () => {
      for (const c of commands) await tunHost.ip(c);
    });
    void configured.then(
      () =>
        reporter.event(
          'ppp-renegotiated',
          {
            tun: tun.name,
            local: info.ipcp.localAddress,
            peer: info.ipcp.peerAddress ?? null,
            mtu: Math.min(o.mtu, info.lcp.mtu),
            reconfigured: commands.length > 0,
          },
          `PPP renegotiated: ${info.ipcp.localAddress}` +
            `${info.ipcp.peerAddress === undefined ? '' : ` peer ${info.ipcp.peerAddress}`}` +
            `, mtu ${Math.min(o.mtu, info.lcp.mtu)}` +
            `${commands.length > 0 ? `, ${tun.name} reconfigured` : ', nothing changed'}`,
        ),
      (err: unknown) =>
        finish({
          kind: 'failed',
          why: `cannot reconfigure ${tun.name}: ${(err as Error).message}`,
        }),
    );
  });

  const configure = async (info: PppUpInfo) => {
    const local = info.ipcp.localAddress;
    const remote = info.ipcp.peerAddress;
    const mtu = Math.min(o.mtu, info.lcp.mtu);
    await tunHost.ip(['link', 'set', 'dev', tun.name, 'mtu', String(mtu)]);
    if (o.ipv6 && info.ipv6cp !== undefined) {
      await tunHost.enableIpv6?.(tun.name);
      // Only the link-local address IPv6CP agreed on, not one of the kernel's choosing.
      await tunHost.ip(['link', 'set', 'dev', tun.name, 'addrgenmode', 'none']);
    }
    await tunHost.ip([
      ...['addr', 'add', local],
      ...(remote === undefined ? [] : ['peer', remote]),
      ...['dev', tun.name],
    ]);
    await tunHost.ip(['link', 'set', 'dev', tun.name, 'up']);
    if (o.ipv6 && info.ipv6cp !== undefined) {
      const ll = `${linkLocal(info.ipv6cp.localInterfaceId)}/64`;
      await tunHost.ip(['-6', 'addr', 'add', ll, 'dev', tun.name, 'nodad']);
    }
    for (const r of o.routes) {
      const via =
        r.includes(':') && info.ipv6cp?.peerInterfaceId !== undefined
          ? ['via', linkLocal(info.ipv6cp.peerInterfaceId)]
          : [];
      const family = r.includes(':') ? ['-6'] : [];
      await tunHost.ip([...family, 'route', 'replace', r, ...via, 'dev', tun.name]);
    }
  };

  const reportUp = (info: PppUpInfo) => {
    const dns = [info.ipcp.primaryDns, info.ipcp.secondaryDns].filter(
      (x): x is string => x !== undefined,
    );
    const v6 = info.ipv6cp;
    const local6 = v6 === undefined ? undefined : linkLocal(v6.localInterfaceId);
    const peer6 = v6?.peerInterfaceId === undefined ? undefined : linkLocal(v6.peerInterfaceId);
    reporter.event(
      'ppp-up',
      {
        tun: tun.name,
        local: info.ipcp.localAddress,
        peer: info.ipcp.peerAddress ?? null,
        dns,
        mtu: Math.min(o.mtu, info.lcp.mtu),
        auth: info.lcp.authenticateSelf ?? null,
        routes: o.routes,
        ...(v6 === undefined ? {} : { local6, peer6: peer6 ?? null }),
      },
      `connected on ${tun.name}: ${info.ipcp.localAddress}` +
        `${info.ipcp.peerAddress === undefined ? '' : ` peer ${info.ipcp.peerAddress}`}` +
        `, mtu ${Math.min(o.mtu, info.lcp.mtu)}` +
        `, ${info.lcp.authenticateSelf ?? 'no authentication'}` +
        `${dns.length > 0 ? `, DNS ${dns.join(' ')}` : ''}` +
        `${o.routes.length > 0 ? `, routes ${o.routes.join(' ')}` : ''}` +
        `${local6 === undefined ? '' : `, IPv6 ${local6}${peer6 === undefined ? '' : ` peer ${peer6}`}`}`,
    );
  };

  const setupTimer = setTimeout(() => {
    if (!ppp.isUp) {
      finish({ kind: 'failed', why: `the link was not up after ${o.setupTimeoutMs / 1000} s` });
    }
  }, o.setupTimeoutMs);
  void shutdown.stopped.then(() => finish({ kind: 'requested' }));
  if (o.durationMs !== undefined) {
    const d = o.durationMs; // counted from the link up
    ppp.once('up', () => void delay(d).then(() => shutdown.request(false)));
  }

  const result = await ended;
  clearTimeout(setupTimer);
  stopForwarding?.();
  if (result.kind === 'failed') reporter.note(`l2tp-core connect: ${result.why}`);

  // Teardown: PPP first (Terminate-Request; the call is cleared when it finishes), then the
  // tunnel (CDN if still needed, StopCCN), then the TUN (closing it removes the interface).
  if (!shutdown.forced && ppp.downReason === undefined && session.isUp) {
    const down = new Promise<void>((resolve) => ppp.once('down', () => resolve()));
    ppp.close('user request');
    await Promise.race([down, delay(3000)]);
  }
  if (!shutdown.forced) {
    await closeTunnels([tunnel], afterDatagrams(run.transport));
  }
  stopSignals();
  tun.close();
  const exitCode = result.kind === 'requested' && !shutdown.forced ? RunExit.OK : RunExit.FAILED;
  const t = tunnel.stats();
  reporter.event(
    'disconnected',
    {
      packetsToPeer: counters.toPeer,
      packetsFromPeer: counters.fromPeer,
      packetsDropped: counters.dropped,
      framesSent: t.framesSent,
      framesReceived: t.framesReceived,
      wasUp: linkUp !== undefined,
      durationMs: run.elapsed(),
      exitCode,
    },
    `disconnected: ${counters.toPeer} packets sent, ${counters.fromPeer} received, ` +
      `${counters.dropped} dropped; ${tun.name} removed; exit code ${exitCode}`,
  );
  endpoint.destroy();
  await run.finish();
  return exitCode;
}

// Two interface identifiers, either absent (no IPv6CP), are the same.
function sameId(x: Uint8Array | undefined, y: Uint8Array | undefined): boolean {
  return x === undefined || y === undefined ? x === y : sameBytes(x, y);
}

function sameInterfaceId(a: PppUpInfo, b: PppUpInfo): boolean {
  return sameId(a.ipv6cp?.localInterfaceId, b.ipv6cp?.localInterfaceId);
}

/**
 * The `ip` commands that take the TUN from what `before` configured to `after` (a PPP
 * renegotiation): the MTU, the IPv4 address pair, the IPv6 link-local address and the routes,
 * each only when it changed. `globals` are the addresses added from Router Advertisements;
 * they go when our interface identifier changed. Empty when nothing changed.
 */
export function reconfigureCommands(
  before: PppUpInfo,
  after: PppUpInfo,
  o: {
    readonly tun: string;
    readonly mtu: number;
    readonly ipv6: boolean;
    readonly routes: readonly string[];
  },
  globals: readonly string[],
): string[][] {
  const tun = o.tun;
  const commands: string[][] = [];
  const mtu = Math.min(o.mtu, after.lcp.mtu);
  if (mtu !== Math.min(o.mtu, before.lcp.mtu)) {
    commands.push(['link', 'set', 'dev', tun, 'mtu', String(mtu)]);
  }
  const b4 = before.ipcp;
  const a4 = after.ipcp;
  const v4 = b4.localAddress !== a4.localAddress || b4.peerAddress !== a4.peerAddress;
  if (v4) {
    const pair = (ip: PppUpInfo['ipcp']) => [
      ip.localAddress,
      ...(ip.peerAddress === undefined ? [] : ['peer', ip.peerAddress]),
    ];
    commands.push(['addr', 'del', ...pair(b4), 'dev', tun]);
    commands.push(['addr', 'add', ...pair(a4), 'dev', tun]);
  }
  let v6 = false;
  if (o.ipv6) {
    const bl = before.ipv6cp?.localInterfaceId;
    const al = after.ipv6cp?.localInterfaceId;
    if (!sameInterfaceId(before, after)) {
      for (const g of globals) commands.push(['-6', 'addr', 'del', g, 'dev', tun]);
      if (bl !== undefined) commands.push(['-6', 'addr', 'del', `${linkLocal(bl)}/64`, 'dev', tun]);
      if (al !== undefined) {
        commands.push(['-6', 'addr', 'add', `${linkLocal(al)}/64`, 'dev', tun, 'nodad']);
      }
      v6 = true;
    }
    if (!sameId(before.ipv6cp?.peerInterfaceId, after.ipv6cp?.peerInterfaceId)) v6 = true;
  }
  // Routes through the device: put back what the address change may have taken with it.
  for (const r of o.routes) {
    const six = r.includes(':');
    if (six ? !v6 : !v4) continue;
    const peer = after.ipv6cp?.peerInterfaceId;
    const via = six && peer !== undefined ? ['via', linkLocal(peer)] : [];
    commands.push([...(six ? ['-6'] : []), 'route', 'replace', r, ...via, 'dev', tun]);
  }
  return commands;
}
