/**
 * What `l2tp-core connect` and `l2tp-core lns --ppp` need from the host around PPP: a TUN device
 * (from a module outside the package: examples/linux-host/tun.mjs over the N-API addon, or the
 * one L2TP_CORE_TUN_MODULE names), the `ip` command for addresses, link state and routes, and
 * the parsing both share: `--auth` lists, IPv4 prefixes, users files.
 * Not here: L2TP or PPP (connect.ts, lns.ts, src/ppp).
 */

import { execFile } from 'node:child_process';
import { timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chapMd5Response } from '../ppp/auth/chap.js';
import type { PppAuthCrypto } from '../ppp/auth/crypto.js';
import { generateNtResponse, msChapV2UserName, ntPasswordHash } from '../ppp/auth/mschapv2.js';
import type { AnyVerifyResult } from '../ppp/auth/phase.js';
import type { VerifyRequest } from '../ppp/auth/types.js';
import { formatIpv6, parseIpv6 } from '../ppp/ipv6-nd.js';
import type { IpPacketPort } from '../ppp/server.js';
import type { AuthProtocol } from '../ppp/types.js';
import { CliUsage } from './args.js';

/** A TUN interface as an IP packet port (IFF_TUN | IFF_NO_PI). */
/**
 * A TUN device. The packets it hands `onPacket` handlers are the CLI's to keep and the octets
 * before each in its buffer the CLI's to overwrite: the PPP and L2TP headers are written there
 * and the datagram sent without a copy (examples/linux-host/tun.mjs leaves 288 octets of
 * headroom). A module that reads into a shared buffer hands out copies (byteOffset 0 is fine:
 * the packet is copied behind new headers then).
 */
export interface TunDevice extends IpPacketPort {
  /** The interface name the kernel gave. */
  readonly name: string;
  /** Stops reading and closes the fd: the interface and its routes disappear. */
  close(): void;
}

/** The host side of a PPP command: TUN devices and `ip`. Tests pass their own. */
export interface TunHost {
  /** Creates the TUN interface `name`. @throws Error with the system's reason. */
  openTun(name: string): TunDevice;
  /** Runs `ip ARGS…`; rejects with its standard error on failure. */
  ip(args: readonly string[]): Promise<void>;
  /** Turns IPv6 on for the interface (net.ipv6.conf.NAME.disable_ipv6 = 0), if it can. */
  enableIpv6?(name: string): Promise<void>;
}

/** Why the host cannot give a TUN device: printed as is, exit code 1. */
export class TunUnavailable extends Error {}

const TUN_ENV = 'L2TP_CORE_TUN_MODULE';

/** Where the default TUN module is: examples/linux-host/tun.mjs in the package's repository. */
export function defaultTunModulePath(): string | undefined {
  let dir = new URL('.', import.meta.url);
  for (let up = 0; up < 7; up++) {
    const candidate = new URL('examples/linux-host/tun.mjs', dir);
    if (existsSync(fileURLToPath(candidate))) return fileURLToPath(candidate);
    dir = new URL('..', dir);
  }
  return undefined;
}

const BUILD_HINT =
  'build it with `npm ci --prefix examples/linux-host` (or scripts/install-peers.sh) in the ' +
  `l2tp-core repository, or set ${TUN_ENV} to a module exporting openTun(name)`;

/**
 * The Node host: the TUN module (L2TP_CORE_TUN_MODULE, else examples/linux-host/tun.mjs found
 * above this file) and `ip` from PATH.
 * @throws TunUnavailable when the module is missing or its addon is not built.
 */
export async function loadTunHost(env: NodeJS.ProcessEnv = process.env): Promise<TunHost> {
  const path = env[TUN_ENV] || defaultTunModulePath();
  if (path === undefined) {
    throw new TunUnavailable(
      `no TUN device support: examples/linux-host/tun.mjs not found; ${BUILD_HINT}`,
    );
  }
  let mod: { openTun?: unknown };
  try {
    mod = (await import(pathToFileURL(path).href)) as { openTun?: unknown };
  } catch (err) {
    throw new TunUnavailable(
      `no TUN device support: cannot load ${path} (${firstLine(err)}); ${BUILD_HINT}`,
    );
  }
  if (typeof mod.openTun !== 'function') {
    throw new TunUnavailable(`no TUN device support: ${path} exports no openTun(name)`);
  }
  const openTun = mod.openTun as (name: string) => TunDevice;
  return { openTun, ip: runIp, enableIpv6 };
}

/** net.ipv6.conf.NAME.disable_ipv6 = 0 in this network namespace (new interfaces may start off). */
async function enableIpv6(name: string): Promise<void> {
  await writeFile(`/proc/sys/net/ipv6/conf/${name}/disable_ipv6`, '0');
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0] as string;
}

/** `ip ARGS…`, rejecting with `ip ARGS: <stderr>`. */
export function runIp(args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('ip', [...args], { timeout: 10_000 }, (err, _stdout, stderr) => {
      if (err === null) resolve();
      else {
        const why = String(stderr).trim() || err.message;
        reject(new Error(`ip ${args.join(' ')}: ${why}`));
      }
    });
  });
}

/**
 * Opens the TUN interface, turning the addon's errors into what a user can act on.
 * @throws TunUnavailable
 */
export function openTunDevice(host: TunHost, name: string): TunDevice {
  try {
    return host.openTun(name);
  } catch (err) {
    const text = firstLine(err);
    const denied = /not permitted|permission denied|EPERM|EACCES/i.test(text);
    throw new TunUnavailable(
      `cannot create TUN device ${name}: ${text}` +
        (denied ? ' (needs root or CAP_NET_ADMIN)' : ''),
    );
  }
}

/** fe80::/64 with a 64-bit interface identifier (RFC 5072 §5). */
export function linkLocal(interfaceId: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 8; i += 2) {
    groups.push((((interfaceId[i] as number) << 8) | (interfaceId[i + 1] as number)).toString(16));
  }
  return `fe80::${groups.join(':')}`;
}

// --- shared option parsing ----------------------------------------------------------------------

const AUTH_NAMES: Readonly<Record<string, AuthProtocol>> = {
  pap: 'pap',
  chap: 'chap-md5',
  'chap-md5': 'chap-md5',
  mschapv2: 'mschapv2',
  'ms-chapv2': 'mschapv2',
  'ms-chap-v2': 'mschapv2',
};

/** `--auth pap,chap,mschapv2` (in order of preference). @throws CliUsage */
export function parseAuthList(text: string): AuthProtocol[] {
  const list: AuthProtocol[] = [];
  for (const raw of text.split(',')) {
    const name = raw.trim().toLowerCase();
    const p = AUTH_NAMES[name];
    if (p === undefined) {
      throw new CliUsage(`--auth: unknown protocol ${JSON.stringify(raw)} (pap, chap, mschapv2)`);
    }
    if (!list.includes(p)) list.push(p);
  }
  if (list.length === 0) throw new CliUsage('--auth: empty list');
  return list;
}

/** An IPv4 prefix `A.B.C.D/N`, normalized (host bits cleared). */
export interface Ipv4Prefix {
  readonly address: string;
  readonly bits: number;
  /** `network/bits`. */
  readonly text: string;
}

/** Parses `A.B.C.D/N` (or a bare address as /32). @throws CliUsage */
export function parseIpv4Prefix(flag: string, text: string, minBits = 0): Ipv4Prefix {
  const m = /^([^/]+)(?:\/(\d{1,2}))?$/.exec(text);
  const bits = m?.[2] === undefined ? 32 : Number(m[2]);
  if (m === null || !isIPv4(m[1] as string) || bits > 32 || bits < minBits) {
    throw new CliUsage(
      `${flag}: expected an IPv4 prefix like 10.77.0.0/24${minBits > 0 ? ` (/${minBits} or longer)` : ''}, got ${text}`,
    );
  }
  const n = (m[1] as string).split('.').reduce((a, o) => a * 256 + Number(o), 0);
  const size = 2 ** (32 - bits);
  const network = n - (n % size);
  const address = [24, 16, 8, 0].map((s) => Math.floor(network / 2 ** s) % 256).join('.');
  return { address, bits, text: `${address}/${bits}` };
}

/** An IPv6 prefix `ADDR/N`, normalized (host bits cleared, RFC 5952 text). */
export interface Ipv6Prefix {
  readonly address: string;
  readonly bits: number;
  /** `network/bits`. */
  readonly text: string;
}

/** Parses `ADDR/N` (or a bare address as /128) with `minBits` ≤ N ≤ `maxBits`. @throws CliUsage */
export function parseIpv6Prefix(
  flag: string,
  text: string,
  minBits = 0,
  maxBits = 128,
): Ipv6Prefix {
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(text);
  const bits = m?.[2] === undefined ? 128 : Number(m[2]);
  const bytes = m === null || !isIPv6(m[1] as string) ? undefined : parseIpv6(m[1] as string);
  if (bytes === undefined || bits > maxBits || bits < minBits) {
    throw new CliUsage(
      `${flag}: expected an IPv6 prefix like 2001:db8:77::/48 (/${minBits}…/${maxBits}), got ${text}`,
    );
  }
  for (let i = 0; i < 16; i++) {
    const keep = Math.max(0, Math.min(8, bits - 8 * i));
    bytes[i] = (bytes[i] as number) & ((0xff00 >> keep) & 0xff);
  }
  const address = formatIpv6(bytes);
  return { address, bits, text: `${address}/${bits}` };
}

/** `--route`: an IPv4 prefix, or an IPv6 one when the text has a ':'. @throws CliUsage */
export function parseRoutePrefix(flag: string, text: string): Ipv4Prefix | Ipv6Prefix {
  return text.includes(':') ? parseIpv6Prefix(flag, text) : parseIpv4Prefix(flag, text);
}

/** One line of a users file. */
export interface PppUser {
  readonly name: string;
  readonly password: string;
}

/**
 * A users file: `name password` per line, separated by spaces or tabs; empty lines and `#`
 * comments ignored (a comment starts at a `#` that begins a field, so `pa#ss` is a password).
 * A name or password in double quotes may contain spaces or `#` (`"a b" "c d"`), with
 * `\"` and `\\` escapes inside the quotes.
 * @throws Error naming the line of the first problem.
 */
export function parseUsersFile(text: string): Map<string, string> {
  const users = new Map<string, string>();
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = splitFields(line);
    if (fields === undefined || fields.length !== 2) {
      throw new Error(`line ${i + 1}: expected "name password", got ${JSON.stringify(raw)}`);
    }
    const [name, password] = fields as [string, string];
    if (name === '') throw new Error(`line ${i + 1}: empty name`);
    if (users.has(name)) throw new Error(`line ${i + 1}: ${name} is listed twice`);
    users.set(name, password);
  });
  return users;
}

// Whitespace-separated fields, double quotes grouping; undefined on an unclosed quote.
function splitFields(line: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (i < line.length && /\s/.test(line[i] as string)) i++;
    if (i >= line.length) break;
    if (line[i] === '"') {
      let v = '';
      i++;
      for (;;) {
        if (i >= line.length) return undefined;
        const c = line[i] as string;
        if (c === '\\' && i + 1 < line.length) {
          v += line[i + 1];
          i += 2;
        } else if (c === '"') {
          i++;
          break;
        } else {
          v += c;
          i++;
        }
      }
      out.push(v);
    } else {
      if (line[i] === '#') break; // a comment to the end of the line
      let v = '';
      while (i < line.length && !/\s/.test(line[i] as string)) v += line[i++];
      out.push(v);
    }
  }
  return out;
}

/**
 * The LNS's `verify` for a users file: every method checked here, so that a refusal names its
 * reason in the Authenticate-Nak / Failure message the client shows (`unknown user alice`,
 * `wrong password for alice`); a good MS-CHAPv2 answer hands the password to the machine, which
 * computes the authenticator response. MS-CHAPv2 names may carry a `DOMAIN\` part: the full
 * name is looked up first, then the name without it.
 */
export function usersVerifier(
  users: ReadonlyMap<string, string>,
  crypto: PppAuthCrypto,
): (request: VerifyRequest) => AnyVerifyResult {
  const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && timingSafeEqual(a, b);
  const utf8 = (t: string) => new TextEncoder().encode(t);
  return (req) => {
    const password =
      users.get(req.peerName) ?? (req.method === 'mschapv2' ? users.get(req.userName) : undefined);
    if (password === undefined) return { ok: false, message: `unknown user ${req.peerName}` };
    const wrong = { ok: false, message: `wrong password for ${req.peerName}` } as const;
    switch (req.method) {
      case 'pap':
        return same(req.passwordBytes, utf8(password)) ? { ok: true } : wrong;
      case 'chap-md5': {
        const expected = chapMd5Response(req.identifier, utf8(password), req.challenge, crypto);
        return same(expected, req.response) ? { secret: password } : wrong;
      }
      case 'mschapv2': {
        const expected = generateNtResponse(
          req.authenticatorChallenge,
          req.peerChallenge,
          msChapV2UserName(req.peerNameBytes),
          ntPasswordHash(password, crypto),
          crypto,
        );
        return same(expected, req.ntResponse) ? { password } : wrong;
      }
    }
  };
}
