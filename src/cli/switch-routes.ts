/**
 * The routing table of `l2tp-core switch`: route rules as written on the command line
 * (`--route MATCH=NEXTHOP[,v3][,ip][,secret=S][,hostname=H]`) or in a JSON file (`--routes
 * FILE`), and the first-match lookup of a call's Called Number / Proxy Authen Name in them
 * (with the later rules of the same MATCH as alternative next hops).
 * Pure functions: no I/O, no sockets; errors are CliUsage with the place and a plain reason.
 * Not here: what a route turns into (a SwitchDestination, src/cli/switch.ts), the switch itself
 * (src/switch/switch.ts).
 */

import { isIP } from 'node:net';
import { CliUsage } from './args.js';

/** What a rule matches: an exact Called Number, a realm, or every call. */
export type RouteMatch =
  | { readonly kind: 'number'; readonly number: string }
  | { readonly kind: 'realm'; readonly realm: string }
  | { readonly kind: 'default' };

/** An address and a port. */
export interface HostPort {
  readonly address: string;
  readonly port: number;
}

/** One route: where the calls it matches go, and the next hop's tunnel settings. */
export interface RouteRule {
  /** The MATCH as written (`alice`, `@example.net`, `*`), for messages. */
  readonly text: string;
  readonly match: RouteMatch;
  readonly peer: HostPort;
  /** L2TP version of the tunnel to the next hop (default 2). */
  readonly version: 2 | 3;
  /** `ip` = L2TPv3 over IP (protocol 115); default `udp`. */
  readonly encap: 'udp' | 'ip';
  /** Shared secret of the tunnel to the next hop; none when absent. */
  readonly secret: string | undefined;
  /** Our Host Name towards the next hop; the command's own when absent. */
  readonly hostName: string | undefined;
}

/** A `--routes` file: the routes, and command options that the command line may override. */
export interface RoutesFile {
  readonly routes: readonly RouteRule[];
  readonly listen?: HostPort;
  readonly secret?: string;
  readonly hostName?: string;
  readonly tsaId?: string;
  readonly idleMs?: number;
  readonly hopTimeoutMs?: number;
  readonly holdDownMs?: number;
  readonly maxCalls?: number;
}

/** What a route lookup needs to know about a call. */
export interface RoutedCall {
  readonly calledNumber: string | undefined;
  readonly proxyAuthenName: string | undefined;
}

/** Longest TSA ID in octets (draft §4). */
const TSA_ID_MAX_OCTETS = 64;

/** The realm of `user@realm` (after the last `@`), lower case; undefined without one. */
export function realmOf(name: string | undefined): string | undefined {
  if (name === undefined) return undefined;
  const at = name.lastIndexOf('@');
  if (at < 0 || at === name.length - 1) return undefined;
  return name.slice(at + 1).toLowerCase();
}

/** Whether `rule` matches the call. */
export function routeMatches(rule: RouteRule, call: RoutedCall): boolean {
  const m = rule.match;
  switch (m.kind) {
    case 'default':
      return true;
    case 'number':
      return call.calledNumber === m.number;
    case 'realm':
      return realmOf(call.proxyAuthenName) === m.realm || realmOf(call.calledNumber) === m.realm;
  }
}

/** The first rule that matches the call, in order; undefined when none does. */
export function findRoute(rules: readonly RouteRule[], call: RoutedCall): RouteRule | undefined {
  for (const rule of rules) if (routeMatches(rule, call)) return rule;
  return undefined;
}

/**
 * The first rule that matches the call and, after it in order, every later rule with the same
 * MATCH: its alternative next hops, tried in turn while one is unreachable or busy (draft §5).
 * Empty when no rule matches.
 */
export function findRoutes(rules: readonly RouteRule[], call: RoutedCall): RouteRule[] {
  const at = rules.findIndex((r) => routeMatches(r, call));
  if (at < 0) return [];
  const key = matchKey((rules[at] as RouteRule).match);
  return rules.slice(at).filter((r) => matchKey(r.match) === key);
}

function matchKey(m: RouteMatch): string {
  return m.kind === 'number' ? `n:${m.number}` : m.kind === 'realm' ? `r:${m.realm}` : '*';
}

/**
 * `ADDR`, `ADDR:PORT`, `[IPV6]` or `[IPV6]:PORT` (IP literals only); `defaultPort` when no port
 * is given. `minPort` 0 allows port 0 (a free port, for listening).
 * @throws CliUsage naming `where`.
 */
export function parseHostPort(
  where: string,
  text: string,
  defaultPort: number,
  minPort: 0 | 1,
): HostPort {
  let address: string;
  let port: string | undefined;
  const v6 = /^\[([^\]]*)\](?::(.*))?$/.exec(text);
  if (v6 !== null) {
    address = v6[1] as string;
    port = v6[2];
    if (isIP(address) !== 6) throw new CliUsage(`${where}: not an IPv6 address: ${address}`);
  } else {
    if (isIP(text) === 6) {
      throw new CliUsage(`${where}: write an IPv6 address in brackets: [${text}]:${defaultPort}`);
    }
    const colon = text.lastIndexOf(':');
    address = colon < 0 ? text : text.slice(0, colon);
    port = colon < 0 ? undefined : text.slice(colon + 1);
    if (isIP(address) !== 4) {
      throw new CliUsage(`${where}: expected ADDR:PORT with an IP address, got ${text}`);
    }
  }
  if (port === undefined) return { address, port: defaultPort };
  const n = Number(port);
  if (!/^\d+$/.test(port) || n < minPort || n > 65535) {
    throw new CliUsage(`${where}: not a UDP port (${minPort}…65535): ${port}`);
  }
  return { address, port: n };
}

function matchOf(where: string, text: string): RouteMatch {
  if (text === '') throw new CliUsage(`${where}: empty MATCH (a Called Number, @domain or *)`);
  if (text === '*') return { kind: 'default' };
  if (text.startsWith('@')) {
    const realm = text.slice(1);
    if (realm === '' || realm.includes('@')) {
      throw new CliUsage(`${where}: expected @domain, got ${text}`);
    }
    return { kind: 'realm', realm: realm.toLowerCase() };
  }
  return { kind: 'number', number: text };
}

function checkTunnel(where: string, version: 2 | 3, encap: 'udp' | 'ip'): void {
  if (encap === 'ip' && version !== 3) {
    throw new CliUsage(`${where}: ip (L2TPv3 over IP) needs v3`);
  }
}

/**
 * Parses one `--route` rule: `MATCH=NEXTHOP[,v2|v3][,udp|ip][,secret=S][,hostname=H]`. MATCH
 * is a Called Number (exact), `@domain` or `*`; NEXTHOP is `ADDR[:PORT]` (port 1701 when
 * omitted). The MATCH ends at the last `=` before the first comma, so a secret or host name may
 * hold `=` but no comma (a file may).
 * @throws CliUsage with the rule and the reason.
 */
export function parseRouteRule(text: string): RouteRule {
  const where = `--route ${JSON.stringify(text)}`;
  const [head = '', ...flags] = text.split(',');
  const eq = head.lastIndexOf('=');
  if (eq < 0) throw new CliUsage(`${where}: expected MATCH=NEXTHOP[,v3][,ip][,secret=S]…`);
  const matchText = head.slice(0, eq);
  const match = matchOf(where, matchText);
  const peer = parseHostPort(where, head.slice(eq + 1), 1701, 1);
  let version: 2 | 3 | undefined;
  let encap: 'udp' | 'ip' | undefined;
  let secret: string | undefined;
  let hostName: string | undefined;
  const once = <T>(name: string, current: T | undefined, value: T): T => {
    if (current !== undefined) throw new CliUsage(`${where}: ${name} given twice`);
    return value;
  };
  for (const flag of flags) {
    const fe = flag.indexOf('=');
    const key = fe < 0 ? flag : flag.slice(0, fe);
    const value = fe < 0 ? undefined : flag.slice(fe + 1);
    if (value === undefined && (key === 'v2' || key === 'v3')) {
      version = once('the version', version, key === 'v2' ? 2 : 3);
    } else if (value === undefined && (key === 'udp' || key === 'ip')) {
      encap = once('the encapsulation', encap, key);
    } else if (key === 'secret' && value !== undefined) {
      if (value === '') throw new CliUsage(`${where}: empty secret`);
      secret = once('secret', secret, value);
    } else if (key === 'hostname' && value !== undefined) {
      if (value === '') throw new CliUsage(`${where}: empty hostname`);
      hostName = once('hostname', hostName, value);
    } else {
      throw new CliUsage(
        `${where}: unknown option ${JSON.stringify(flag)} (expected v2, v3, udp, ip, secret=S, hostname=H)`,
      );
    }
  }
  checkTunnel(where, version ?? 2, encap ?? 'udp');
  return {
    text: matchText,
    match,
    peer,
    version: version ?? 2,
    encap: encap ?? 'udp',
    secret,
    hostName,
  };
}

const ROUTE_KEYS = ['match', 'peer', 'version', 'encap', 'secret', 'hostName'] as const;
const FILE_KEYS = [
  'routes',
  'listen',
  'secret',
  'hostName',
  'tsaId',
  'idleMs',
  'hopTimeoutMs',
  'holdDownMs',
  'maxCalls',
] as const;

type Json = unknown;

function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'object') return 'an object';
  return String(v);
}

function unknownKeys(where: string, o: Record<string, Json>, known: readonly string[]): void {
  for (const key of Object.keys(o)) {
    if (!known.includes(key)) {
      throw new CliUsage(
        `${where}: unknown key ${JSON.stringify(key)} (known: ${known.join(', ')})`,
      );
    }
  }
}

function text(where: string, v: Json, what = 'a non-empty string'): string {
  if (typeof v !== 'string' || v === '')
    throw new CliUsage(`${where}: expected ${what}, got ${describe(v)}`);
  return v;
}

function integer(where: string, v: Json, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new CliUsage(`${where}: expected an integer in ${min}…${max}, got ${describe(v)}`);
  }
  return v;
}

/** Checks a TSA ID's length (draft §4: at most 64 octets). @throws CliUsage. */
export function checkTsaId(where: string, id: string): string {
  const octets = new TextEncoder().encode(id).length;
  if (octets > TSA_ID_MAX_OCTETS) {
    throw new CliUsage(`${where}: ${octets} octets, at most ${TSA_ID_MAX_OCTETS} (draft §4)`);
  }
  return id;
}

function routeOf(where: string, v: Json): RouteRule {
  if (!isObject(v)) throw new CliUsage(`${where}: expected an object, got ${describe(v)}`);
  unknownKeys(where, v, ROUTE_KEYS);
  if (v.match === undefined) throw new CliUsage(`${where}: "match" is required`);
  if (v.peer === undefined) throw new CliUsage(`${where}: "peer" is required`);
  const matchText = text(`${where}.match`, v.match, 'a Called Number, "@domain" or "*"');
  const match = matchOf(`${where}.match`, matchText);
  const peer = parseHostPort(
    `${where}.peer`,
    text(`${where}.peer`, v.peer, '"ADDR:PORT"'),
    1701,
    1,
  );
  let version: 2 | 3 = 2;
  if (v.version !== undefined) {
    if (v.version !== 2 && v.version !== 3) {
      throw new CliUsage(`${where}.version: expected 2 or 3, got ${describe(v.version)}`);
    }
    version = v.version;
  }
  let encap: 'udp' | 'ip' = 'udp';
  if (v.encap !== undefined) {
    if (v.encap !== 'udp' && v.encap !== 'ip') {
      throw new CliUsage(`${where}.encap: expected "udp" or "ip", got ${describe(v.encap)}`);
    }
    encap = v.encap;
  }
  checkTunnel(where, version, encap);
  return {
    text: matchText,
    match,
    peer,
    version,
    encap,
    secret: v.secret === undefined ? undefined : text(`${where}.secret`, v.secret),
    hostName: v.hostName === undefined ? undefined : text(`${where}.hostName`, v.hostName),
  };
}

/**
 * Parses a `--routes` file (JSON): `{ "routes": [ { "match", "peer", "version"?, "encap"?,
 * "secret"?, "hostName"? } … ], "listen"?, "secret"?, "hostName"?, "tsaId"?, "idleMs"?,
 * "hopTimeoutMs"?, "holdDownMs"?, "maxCalls"? }`. Strict: unknown keys, wrong types and an empty route list
 * are errors.
 * @throws CliUsage naming `name` and the place in the file.
 */
export function parseRoutesFile(name: string, content: string): RoutesFile {
  let data: Json;
  try {
    data = JSON.parse(content);
  } catch (err) {
    throw new CliUsage(`--routes ${name}: not JSON: ${(err as Error).message}`);
  }
  const where = `--routes ${name}`;
  if (!isObject(data)) throw new CliUsage(`${where}: expected an object, got ${describe(data)}`);
  unknownKeys(where, data, FILE_KEYS);
  if (!Array.isArray(data.routes)) {
    throw new CliUsage(
      `${where}: "routes" must be an array of routes, got ${describe(data.routes)}`,
    );
  }
  if (data.routes.length === 0) throw new CliUsage(`${where}: "routes" is empty`);
  const routes = data.routes.map((r, i) => routeOf(`${where}: routes[${i}]`, r));
  const out: { -readonly [K in keyof RoutesFile]: RoutesFile[K] } = { routes };
  if (data.listen !== undefined) {
    out.listen = parseHostPort(
      `${where}: listen`,
      text(`${where}: listen`, data.listen, '"ADDR:PORT"'),
      1701,
      0,
    );
  }
  if (data.secret !== undefined) out.secret = text(`${where}: secret`, data.secret);
  if (data.hostName !== undefined) out.hostName = text(`${where}: hostName`, data.hostName);
  if (data.tsaId !== undefined) {
    out.tsaId = checkTsaId(`${where}: tsaId`, text(`${where}: tsaId`, data.tsaId));
  }
  if (data.idleMs !== undefined)
    out.idleMs = integer(`${where}: idleMs`, data.idleMs, 0, 86_400_000);
  if (data.hopTimeoutMs !== undefined) {
    out.hopTimeoutMs = integer(`${where}: hopTimeoutMs`, data.hopTimeoutMs, 1, 3_600_000);
  }
  if (data.holdDownMs !== undefined) {
    out.holdDownMs = integer(`${where}: holdDownMs`, data.holdDownMs, 0, 86_400_000);
  }
  if (data.maxCalls !== undefined) {
    out.maxCalls = integer(`${where}: maxCalls`, data.maxCalls, 1, 65_535);
  }
  return out;
}
