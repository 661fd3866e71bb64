/**
 * The little of IPv6 Neighbor Discovery (RFC 4861) a PPP link needs for global addresses by
 * stateless autoconfiguration (RFC 5072 §5, RFC 4862): Router Solicitations recognized, Router
 * Advertisements with one Prefix Information option built and parsed, ICMPv6 checksums over the
 * pseudo-header (RFC 8200 §8.1), and the IPv6 address text both ways. Pure functions, no I/O.
 */

/** ICMPv6 next header. */
const ICMPV6 = 58;
/** ICMPv6 type of a Router Solicitation (RFC 4861 §4.1). */
export const ROUTER_SOLICITATION = 133;
/** ICMPv6 type of a Router Advertisement (RFC 4861 §4.2). */
export const ROUTER_ADVERTISEMENT = 134;

/** A Prefix Information option of a Router Advertisement (RFC 4861 §4.6.2). */
export interface PrefixInformation {
  /** The prefix (16 octets, bits past `length` zero). */
  readonly prefix: Uint8Array;
  readonly length: number;
  /** L: the prefix is on-link. */
  readonly onLink: boolean;
  /** A: addresses may be formed from it by stateless autoconfiguration. */
  readonly autonomous: boolean;
  /** Seconds; 0xffffffff is infinity. */
  readonly validLifetime: number;
  readonly preferredLifetime: number;
}

/** What a Router Advertisement says (the parts a PPP client uses). */
export interface RouterAdvertisement {
  /** The router's address (the packet's source, link-local). */
  readonly source: Uint8Array;
  /** Router Lifetime in seconds: 0 = not a default router. */
  readonly routerLifetime: number;
  readonly prefixes: readonly PrefixInformation[];
  /** The MTU option, when present. */
  readonly mtu: number | undefined;
}

/** Options of {@link buildRouterAdvertisement}. */
export interface RouterAdvertisementOptions {
  /** Our link-local address (16 octets). */
  readonly source: Uint8Array;
  /** Usually ff02::1 (all nodes), or the soliciting node's address. */
  readonly destination: Uint8Array;
  /** Default 0: not a default router. */
  readonly routerLifetime?: number;
  readonly prefix: PrefixInformation;
}

/** The all-nodes multicast address ff02::1. */
export const ALL_NODES: Uint8Array = Uint8Array.of(
  0xff,
  2,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  0,
  1,
);

/** The ICMPv6 checksum of `icmp` (its checksum field taken as is) from `src` to `dst`. */
export function icmpv6Checksum(src: Uint8Array, dst: Uint8Array, icmp: Uint8Array): number {
  let sum = 0;
  const add = (b: Uint8Array) => {
    for (let i = 0; i < b.length; i += 2) {
      sum += ((b[i] as number) << 8) | (i + 1 < b.length ? (b[i + 1] as number) : 0);
    }
  };
  add(src);
  add(dst);
  sum += Math.floor(icmp.length / 65536) + (icmp.length & 0xffff) + ICMPV6;
  add(icmp);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 65536);
  return ~sum & 0xffff;
}

/** An IPv6 packet carrying ICMPv6 `icmp` (checksum filled in), hop limit 255. */
function icmpv6Packet(src: Uint8Array, dst: Uint8Array, icmp: Uint8Array): Uint8Array {
  const p = new Uint8Array(40 + icmp.length);
  p[0] = 0x60;
  p[4] = icmp.length >> 8;
  p[5] = icmp.length & 0xff;
  p[6] = ICMPV6;
  p[7] = 255; // RFC 4861 §6.1: Neighbor Discovery is only believed with hop limit 255
  p.set(src, 8);
  p.set(dst, 24);
  p.set(icmp, 40);
  const sum = icmpv6Checksum(src, dst, p.subarray(40));
  p[42] = sum >> 8;
  p[43] = sum & 0xff;
  return p;
}

/**
 * A Router Advertisement (RFC 4861 §4.2) with one Prefix Information option: Cur Hop Limit 64,
 * no M/O flags, Reachable Time and Retrans Timer unspecified.
 */
export function buildRouterAdvertisement(o: RouterAdvertisementOptions): Uint8Array {
  const icmp = new Uint8Array(16 + 32);
  const v = new DataView(icmp.buffer);
  icmp[0] = ROUTER_ADVERTISEMENT;
  icmp[4] = 64;
  v.setUint16(6, o.routerLifetime ?? 0);
  const pi = o.prefix;
  icmp[16] = 3; // Prefix Information
  icmp[17] = 4; // 32 octets
  icmp[18] = pi.length;
  icmp[19] = (pi.onLink ? 0x80 : 0) | (pi.autonomous ? 0x40 : 0);
  v.setUint32(20, pi.validLifetime >>> 0);
  v.setUint32(24, pi.preferredLifetime >>> 0);
  icmp.set(pi.prefix.subarray(0, 16), 32);
  return icmpv6Packet(o.source, o.destination, icmp);
}

/** The ICMPv6 message of an IPv6 packet without extension headers; undefined otherwise. */
function icmpv6(packet: Uint8Array): Uint8Array | undefined {
  if (packet.length < 44 || (packet[0] as number) >> 4 !== 6 || packet[6] !== ICMPV6) {
    return undefined;
  }
  const length = ((packet[4] as number) << 8) | (packet[5] as number);
  if (40 + length > packet.length || length < 4) return undefined;
  return packet.subarray(40, 40 + length);
}

/** Whether `packet` is an ICMPv6 Router Solicitation (hop limit 255, a good checksum). */
export function isRouterSolicitation(packet: Uint8Array): boolean {
  const icmp = icmpv6(packet);
  return (
    icmp !== undefined &&
    icmp.length >= 8 &&
    icmp[0] === ROUTER_SOLICITATION &&
    icmp[1] === 0 &&
    packet[7] === 255 &&
    icmpv6Checksum(packet.subarray(8, 24), packet.subarray(24, 40), icmp) === 0
  );
}

/**
 * A Router Advertisement's source, Router Lifetime, Prefix Information and MTU options;
 * undefined when `packet` is not a valid one (RFC 4861 §6.1.2: hop limit 255, code 0, a good
 * checksum, a link-local source, options of non-zero length).
 */
export function parseRouterAdvertisement(packet: Uint8Array): RouterAdvertisement | undefined {
  const icmp = icmpv6(packet);
  if (icmp === undefined || icmp.length < 16 || icmp[0] !== ROUTER_ADVERTISEMENT) return undefined;
  if (icmp[1] !== 0 || packet[7] !== 255 || packet[8] !== 0xfe || packet[9] !== 0x80) {
    return undefined;
  }
  if (icmpv6Checksum(packet.subarray(8, 24), packet.subarray(24, 40), icmp) !== 0) {
    return undefined;
  }
  const v = new DataView(icmp.buffer, icmp.byteOffset, icmp.byteLength);
  const prefixes: PrefixInformation[] = [];
  let mtu: number | undefined;
  for (let at = 16; at < icmp.length; ) {
    if (at + 2 > icmp.length) return undefined;
    const len = (icmp[at + 1] as number) * 8;
    if (len === 0 || at + len > icmp.length) return undefined;
    const type = icmp[at] as number;
    if (type === 3 && len === 32 && (icmp[at + 2] as number) <= 128) {
      const flags = icmp[at + 3] as number;
      prefixes.push({
        prefix: icmp.slice(at + 16, at + 32),
        length: icmp[at + 2] as number,
        onLink: (flags & 0x80) !== 0,
        autonomous: (flags & 0x40) !== 0,
        validLifetime: v.getUint32(at + 4),
        preferredLifetime: v.getUint32(at + 8),
      });
    } else if (type === 5 && len === 8) {
      mtu = v.getUint32(at + 4);
    }
    at += len;
  }
  return {
    source: packet.slice(8, 24),
    routerLifetime: v.getUint16(6),
    prefixes,
    mtu,
  };
}

/**
 * Parses an IPv6 address text (RFC 4291 §2.2: `::` compression, and a dotted IPv4 address in
 * the last 32 bits as in `::ffff:192.0.2.1`; no zone); undefined if bad.
 */
export function parseIpv6(text: string): Uint8Array | undefined {
  let hex = text;
  const v4 = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4 !== null) {
    const b = v4.slice(2, 6).map(Number);
    if (b.some((x) => x > 255)) return undefined;
    const [b0, b1, b2, b3] = b as [number, number, number, number];
    hex = `${v4[1]}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const halves = hex.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0] as string);
  const tail = halves.length === 2 ? groups(halves[1] as string) : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = all[i] as string;
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
    const n = Number.parseInt(g, 16);
    out[2 * i] = n >> 8;
    out[2 * i + 1] = n & 0xff;
  }
  return out;
}

/** The RFC 5952 text of a 16-octet IPv6 address (lower case, the longest zero run as `::`). */
export function formatIpv6(address: Uint8Array): string {
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2)
    g.push(((address[i] as number) << 8) | (address[i + 1] as number));
  let best = -1;
  let bestLen = 1; // a single zero group is not compressed
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(':');
  if (best < 0) return hex(g);
  return `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}
