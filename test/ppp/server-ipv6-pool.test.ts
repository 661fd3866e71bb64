// PppServer's IPv6 prefix pool (issue #16) on the virtual network: every session gets a /64 of
// `ipv6Pool` by a Router Advertisement (RFC 4861 §4.2, RFC 5072 §5) — its fields and ICMPv6
// checksum checked here by an independent computation —, the client forms prefix + interface id
// and reports it ('ipv6-prefix'); global packets routed port ↔ session by /64 and between
// sessions; a Router Solicitation answered, not passed to the port; /64s freed on down; the
// pool's validation; the ND helpers (parse/format, a bad checksum or hop limit refused).

import { describe, expect, test } from 'vitest';
import { nodeRandomBytes } from '../../src/node/clock.js';
import { nodePppAuthCrypto } from '../../src/node/ppp-crypto.js';
import {
  buildRouterAdvertisement,
  formatIpv6,
  isRouterSolicitation,
  parseIpv6,
  parseRouterAdvertisement,
} from '../../src/ppp/ipv6-nd.js';
import { PppServer } from '../../src/ppp/server.js';
import type { PppIpv6Prefix, PppSession, PppUpInfo } from '../../src/ppp/session.js';
import { VirtualNet } from '../switch/net.js';
import { pppClient, pppLns } from './helpers.js';

const LNS = { address: '10.0.0.3', port: 1701 };
const SERVER_ID = Uint8Array.of(0x02, 0, 0, 0, 0, 0, 0, 0x01);
const POOL = '2001:db8:77::/48';

const hexOf = (b: Uint8Array) => Buffer.from(b).toString('hex');
const addr = (text: string) => Uint8Array.from(Buffer.from(text.replace(/[: ]/g, ''), 'hex'));
const linkLocal = (id: Uint8Array) => {
  const a = new Uint8Array(16);
  a[0] = 0xfe;
  a[1] = 0x80;
  a.set(id, 8);
  return a;
};

/**
 * The test's own ICMPv6 checksum (RFC 8200 §8.1): the pseudo-header built as bytes
 * (src, dst, 32-bit length, 3 zeros, next header 58) then the message, summed as Buffer words.
 */
function checksum(src: Uint8Array, dst: Uint8Array, icmp: Uint8Array): number {
  const pseudo = Buffer.alloc(40);
  pseudo.set(src, 0);
  pseudo.set(dst, 16);
  pseudo.writeUInt32BE(icmp.length, 32);
  pseudo[39] = 58;
  const all = Buffer.concat([pseudo, Buffer.from(icmp), Buffer.alloc(icmp.length % 2)]);
  let sum = 0;
  for (let i = 0; i < all.length; i += 2) sum += all.readUInt16BE(i);
  while (sum >>> 16) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An IPv6 packet: next header `nh`, `payload`, hop limit `hops`. */
function ipv6(src: Uint8Array, dst: Uint8Array, payload = new Uint8Array(0), nh = 59, hops = 64) {
  const p = new Uint8Array(40 + payload.length);
  p[0] = 0x60;
  p[4] = payload.length >> 8;
  p[5] = payload.length & 0xff;
  p[6] = nh;
  p[7] = hops;
  p.set(src, 8);
  p.set(dst, 24);
  p.set(payload, 40);
  return p;
}

/** A Router Solicitation from `src` to ff02::2, checksum by the test's own computation. */
function routerSolicitation(src: Uint8Array): Uint8Array {
  const icmp = new Uint8Array(8);
  icmp[0] = 133;
  const dst = addr('ff02 0000 0000 0000 0000 0000 0000 0002');
  const sum = checksum(src, dst, icmp);
  icmp[2] = sum >> 8;
  icmp[3] = sum & 0xff;
  return ipv6(src, dst, icmp, 58, 255);
}

interface Client {
  readonly ppp: PppSession;
  readonly prefixes: PppIpv6Prefix[];
  readonly packets: Uint8Array[];
  up: PppUpInfo | undefined;
}

function setup(pool = POOL) {
  const net = new VirtualNet(17);
  const { server: srv, port } = pppLns(net, LNS, {
    pool: '10.77.0.0/24',
    ipv6Pool: pool,
    interfaceId: SERVER_ID,
    authenticate: ['pap'],
    verify: () => ({ ok: true }),
  });
  let n = 0;
  const client = (): Client => {
    n++;
    const ppp = pppClient(
      net,
      { address: `10.0.0.${10 + n}`, port: 1701 },
      LNS,
      { credentials: { name: `user${n}`, password: 'pw' }, ipv6: true },
      `lac${n}`,
    );
    const c: Client = { ppp, prefixes: [], packets: [], up: undefined };
    ppp.on('up', (i) => {
      c.up = i;
    });
    ppp.on('ipv6-prefix', (p) => c.prefixes.push(p));
    ppp.on('packet', (p) => c.packets.push(p.slice()));
    return c;
  };
  return { net, port, srv, client };
}

describe('PppServer: an IPv6 prefix pool by Router Advertisements', () => {
  test('the RA: fields and checksum; the client forms 2001:db8:77:1::<iid>; packets route', async () => {
    const s = setup();
    expect(s.srv.localAddress6).toBe('2001:db8:77::1/48');
    expect(s.srv.ipv6Pool).toBe('2001:db8:77::/48');
    const serverSide: PppSession[] = [];
    s.srv.on('up', (ppp) => serverSide.push(ppp));
    const c = s.client();
    expect(await s.net.until(() => c.prefixes.length === 1, 30_000)).toBe(true);
    const id = c.up?.ipv6cp?.localInterfaceId as Uint8Array;
    const p = c.prefixes[0] as PppIpv6Prefix;
    expect(formatIpv6(p.prefix)).toBe('2001:db8:77:1::');
    expect(hexOf(p.address)).toBe(`20010db8007700010000000000000000`.slice(0, 16) + hexOf(id));
    expect(p).toMatchObject({ length: 64, routerLifetime: 0, validLifetime: 0xffffffff });
    expect(p.router).toEqual(linkLocal(SERVER_ID));
    expect(serverSide.map((x) => s.srv.ipv6PrefixOf(x))).toEqual(['2001:db8:77:1::/64']);
    expect(s.srv.ipv6PrefixOf(c.ppp)).toBeUndefined(); // a session of another endpoint
    // The advertisement as it arrived, field by field (RFC 4861 §4.2, §4.6.2).
    const ra = c.packets.find((x) => x[6] === 58 && x[40] === 134) as Uint8Array;
    expect(ra[7]).toBe(255); // hop limit
    expect(ra.subarray(8, 24)).toEqual(linkLocal(SERVER_ID));
    expect(hexOf(ra.subarray(24, 40))).toBe('ff020000000000000000000000000001');
    const icmp = ra.subarray(40);
    expect(icmp.length).toBe(((ra[4] as number) << 8) | (ra[5] as number));
    expect(icmp[1]).toBe(0); // code
    expect(checksum(ra.subarray(8, 24), ra.subarray(24, 40), icmp)).toBe(0);
    const zeroed = icmp.slice();
    zeroed[2] = 0;
    zeroed[3] = 0;
    expect(checksum(ra.subarray(8, 24), ra.subarray(24, 40), zeroed)).toBe(
      ((icmp[2] as number) << 8) | (icmp[3] as number),
    );
    expect([...icmp.subarray(16, 20)]).toEqual([3, 4, 64, 0x40]); // PI, 32 octets, /64, A=1 L=0
    expect(hexOf(icmp.subarray(32, 48))).toBe('20010db8007700010000000000000000');
    expect(s.srv.stats()).toMatchObject({ ipv6PrefixesInUse: 1, routerAdvertisements: 1 });

    // Port → the session owning the /64 (any interface id in it); another /64: unroutable.
    const ours = addr('2001 0db8 0077 0000 0000 0000 0000 0001');
    const before = c.packets.length;
    const toClient = ipv6(ours, p.address);
    s.port.inject(toClient);
    const elsewhere = p.address.slice();
    elsewhere[7] = 9;
    s.port.inject(ipv6(ours, elsewhere));
    await s.net.run(20);
    expect(c.packets.slice(before)).toEqual([toClient]);
    // Session → port.
    const fromClient = ipv6(p.address, ours);
    expect(c.ppp.send(fromClient)).toBe(true);
    await s.net.run(20);
    expect(s.port.written).toEqual([fromClient]);
    expect(s.srv.stats()).toMatchObject({ toPort: 1, fromPort: 1, unroutable: 1 });
  });

  test('two sessions: their own /64s, packets between them stay in the server', async () => {
    const s = setup();
    const a = s.client();
    const b = s.client();
    expect(
      await s.net.until(() => a.prefixes.length === 1 && b.prefixes.length === 1, 30_000),
    ).toBe(true);
    const pa = a.prefixes[0] as PppIpv6Prefix;
    const pb = b.prefixes[0] as PppIpv6Prefix;
    expect(new Set([formatIpv6(pa.prefix), formatIpv6(pb.prefix)])).toEqual(
      new Set(['2001:db8:77:1::', '2001:db8:77:2::']),
    );
    const before = b.packets.length;
    const hop = ipv6(pa.address, pb.address);
    expect(a.ppp.send(hop)).toBe(true);
    await s.net.run(20);
    expect(b.packets.slice(before)).toEqual([hop]);
    expect(s.port.written).toEqual([]);
    expect(s.srv.stats()).toMatchObject({ hairpin: 1, ipv6PrefixesInUse: 2 });
    // Down: the /64 is free again, and the next session may have it.
    a.ppp.close('bye');
    expect(await s.net.until(() => s.srv.stats().ipv6PrefixesInUse === 1, 30_000)).toBe(true);
  });

  test('a Router Solicitation is answered with an RA, not passed to the port', async () => {
    const s = setup();
    const c = s.client();
    expect(await s.net.until(() => c.prefixes.length === 1, 30_000)).toBe(true);
    const rs = routerSolicitation(linkLocal(c.up?.ipv6cp?.localInterfaceId as Uint8Array));
    expect(isRouterSolicitation(rs)).toBe(true);
    const before = c.packets.length;
    expect(c.ppp.send(rs)).toBe(true);
    expect(await s.net.until(() => c.packets.length > before, 30_000)).toBe(true);
    const ra = c.packets[before] as Uint8Array;
    expect(ra[40]).toBe(134);
    expect(checksum(ra.subarray(8, 24), ra.subarray(24, 40), ra.subarray(40))).toBe(0);
    expect(parseRouterAdvertisement(ra)?.prefixes[0]).toMatchObject({
      length: 64,
      autonomous: true,
      onLink: false,
    });
    expect(s.port.written).toEqual([]);
    expect(s.srv.stats().routerAdvertisements).toBe(2);
    expect(c.prefixes).toHaveLength(1); // the same prefix is reported once
  });

  test('pool validation and exhaustion', async () => {
    const make = (ipv6Pool: string) =>
      new PppServer({
        pool: '10.77.0.0/24',
        ipv6Pool,
        clock: { now: () => 0 },
        timers: { set: () => 0 as never, clear: () => {} },
        randomBytes: nodeRandomBytes,
        crypto: nodePppAuthCrypto,
        verify: () => ({ ok: true }),
      });
    expect(() => make('2001:db8::/64')).toThrow(/\/16…\/63/);
    expect(() => make('2001:db8::/8')).toThrow(/\/16…\/63/);
    expect(() => make('10.0.0.0/8')).toThrow(/IPv6 prefix/);
    expect(make('2001:db8:1:ffff::/56').ipv6Pool).toBe('2001:db8:1:ff00::/56');
    expect(make('2001:db8:1:ff::/56').localInterfaceId).toHaveLength(8); // implies ipv6
    // A /63 holds one /64 for sessions: the second call is refused.
    const s = setup('2001:db8:77::/63');
    const a = s.client();
    expect(await s.net.until(() => a.prefixes.length === 1, 30_000)).toBe(true);
    expect(formatIpv6((a.prefixes[0] as PppIpv6Prefix).prefix)).toBe('2001:db8:77:1::');
    const b = s.client();
    expect(await s.net.until(() => b.ppp.downReason !== undefined, 30_000)).toBe(true);
    expect(s.srv.stats().poolExhausted).toBe(1);
  });

  test('ND helpers: address text both ways; a bad checksum or hop limit is no RA', () => {
    for (const t of ['::', '::1', '2001:db8::1', 'fe80::1:0:abcd:10', '2001:db8:0:1:1:1:1:1']) {
      expect(formatIpv6(parseIpv6(t) as Uint8Array)).toBe(t);
    }
    expect(formatIpv6(parseIpv6('2001:0DB8:0:0:1:0:0:1') as Uint8Array)).toBe('2001:db8::1:0:0:1');
    expect(parseIpv6('1::2::3')).toBeUndefined();
    expect(parseIpv6('1:2:3:4:5:6:7')).toBeUndefined();
    expect(parseIpv6('12345::')).toBeUndefined();
    // RFC 4291 §2.2: a dotted IPv4 address in the last 32 bits.
    expect(formatIpv6(parseIpv6('::ffff:192.0.2.1') as Uint8Array)).toBe('::ffff:c000:201');
    expect(formatIpv6(parseIpv6('1:2:3:4:5:6:1.2.3.4') as Uint8Array)).toBe('1:2:3:4:5:6:102:304');
    expect(parseIpv6('::1.2.3.256')).toBeUndefined();
    expect(parseIpv6('1:2:3:4:5:6:7:1.2.3.4')).toBeUndefined(); // nine groups' worth
    expect(parseIpv6('fe80::1%eth0')).toBeUndefined(); // no zone
    const ra = buildRouterAdvertisement({
      source: linkLocal(SERVER_ID),
      destination: addr('ff02 0000 0000 0000 0000 0000 0000 0001'),
      routerLifetime: 1800,
      prefix: {
        prefix: addr('2001 0db8 0000 0005 0000 0000 0000 0000'),
        length: 64,
        onLink: true,
        autonomous: true,
        validLifetime: 3600,
        preferredLifetime: 1800,
      },
    });
    expect(parseRouterAdvertisement(ra)).toMatchObject({ routerLifetime: 1800, mtu: undefined });
    expect(parseRouterAdvertisement(ra)?.prefixes[0]).toMatchObject({ onLink: true });
    const bad = ra.slice();
    bad[60] = (bad[60] as number) ^ 1;
    expect(parseRouterAdvertisement(bad)).toBeUndefined();
    const hops = ra.slice();
    hops[7] = 64;
    expect(parseRouterAdvertisement(hops)).toBeUndefined();
    const rs = routerSolicitation(linkLocal(SERVER_ID));
    rs[44] = 1; // the reserved field changed: checksum no longer good
    expect(isRouterSolicitation(rs)).toBe(false);
  });
});
