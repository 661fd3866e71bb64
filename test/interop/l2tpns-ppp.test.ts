/**
 * l2tp-core as LAC and PPP client (Endpoint over UdpTransport + PppSession) against a live
 * l2tpns 2.4.1, an L2TPv2 LNS in C that terminates PPP itself and authenticates through RADIUS
 * (freeradius beside it): issue #16's proof. With PAP and with CHAP-MD5 (`radius_authtypes`):
 * LCP (l2tpns's options 17 MRRU and 19 Endpoint Discriminator rejected), authentication, IPCP
 * with an address from l2tpns's pool, and ICMP Echo Requests built here and sent through the
 * tunnel to l2tpns's own address (192.0.2.1 on its tun0), each answered with a valid Echo Reply:
 * PPP, IPCP and l2tpns's routing without a TUN device on our side. A wrong password: l2tpns sends
 * neither PAP Nak nor CHAP Failure but clears the call (CDN Result 3), which is how it reaches us.
 * Every PPP frame both ways is decoded from the datagrams and checked; a test's record is printed
 * (L2TPNS_PPP_SHOW=1) and the logs are printed on failure (L2TPNS_SHOW_LOG=1: always).
 * Skipped with a message when l2tpns, freeradius or root are missing; fails on CI (`CI` set).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseControl } from '../../src/codec/control.js';
import { decodeDataV2 } from '../../src/codec/header.js';
import { Endpoint } from '../../src/endpoint.js';
import type { DownReason } from '../../src/engine/index.js';
import { nodeClock, nodeRandomBytes, nodeTimers } from '../../src/node/clock.js';
import { nodeCrypto } from '../../src/node/crypto.js';
import { nodePppAuthCrypto } from '../../src/node/ppp-crypto.js';
import { UdpTransport } from '../../src/node/udp.js';
import { decodeControl, decodeFrame, decodeOptions } from '../../src/ppp/frame.js';
import { PppSession, type PppUpInfo } from '../../src/ppp/session.js';
import type { PppReason } from '../../src/ppp/types.js';
import type { DatagramTransport } from '../../src/transport.js';
import type { Session, Tunnel } from '../../src/tunnel.js';
import {
  L2TPNS_DNS,
  L2TPNS_PEER_ADDRESS,
  L2TPNS_PORT,
  L2tpns,
  l2tpnsAvailability,
} from './l2tpns-harness.js';
import type { ProcessLog } from './process-log.js';
import { onCi } from './xl2tpd-harness.js';

const AVAILABLE = l2tpnsAvailability();
if (!AVAILABLE.available) {
  console.warn(`l2tpns-ppp: skipping the l2tpns interop tests: ${AVAILABLE.reason}`);
}

const USER = 'alice';
const PASSWORD = 'wonderland';
const SHOW = (process.env.L2TPNS_PPP_SHOW ?? '') !== '';

// Short L2TP timers: the post-close hold after StopCCN (RFC 2661 §5.7) ends in 1.5 s.
const TIMERS = { retransmitTimeoutMs: 100, maxRetransmitTimeoutMs: 1000, maxRetransmits: 3 };

const PROTOCOL_NAMES: Record<number, string> = {
  49185: 'LCP',
  49187: 'PAP',
  49699: 'CHAP',
  32801: 'IPCP',
  32855: 'IPv6CP',
  33: 'IPv4',
};
const CODE_NAMES = [
  '',
  'Configure-Request',
  'Configure-Ack',
  'Configure-Nak',
  'Configure-Reject',
  'Terminate-Request',
  'Terminate-Ack',
  'Code-Reject',
  'Protocol-Reject',
  'Echo-Request',
  'Echo-Reply',
  'Discard-Request',
];
const AUTH_CODE_NAMES: Record<number, Record<number, string>> = {
  49187: { 1: 'Authenticate-Request', 2: 'Authenticate-Ack', 3: 'Authenticate-Nak' },
  49699: { 1: 'Challenge', 2: 'Response', 3: 'Success', 4: 'Failure' },
};

/** One PPP frame or L2TP control message through the tunnel, decoded. */
interface Seen {
  readonly dir: 'tx' | 'rx';
  readonly at: number;
  /** 'L2TP' for control messages, else the PPP protocol name. */
  readonly proto: string;
  readonly protocol: number;
  /** LCP/NCP code, auth code, or the L2TP message type name. */
  readonly code: number;
  readonly name: string;
  readonly id: number;
  /** Configure-* options, as [type, value hex]. */
  readonly options: readonly (readonly [number, string])[];
  /** The PPP packet (from Code on) or IP packet, hex. */
  readonly hex: string;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function describeSeen(s: Seen): string {
  const opts = s.options.length > 0 ? ` [${s.options.map(([t, v]) => `${t}:${v}`).join(' ')}]` : '';
  if (s.proto === 'L2TP') return `${s.dir} L2TP ${s.name}`;
  if (s.proto === 'IPv4') return `${s.dir} IPv4 ${s.hex.slice(0, 40)}…`;
  return `${s.dir} ${s.proto} ${s.name} id=${s.id}${opts}${s.options.length === 0 ? ` ${s.hex}` : ''}`;
}

/** Decodes what went through the tunnel: control message names, PPP frames in full. */
function decodeDatagram(dir: 'tx' | 'rx', bytes: Uint8Array, t0: number): Seen | undefined {
  const at = performance.now() - t0;
  if (((bytes[0] as number) & 0x80) !== 0) {
    const { message } = parseControl(bytes);
    if (message.type === 'ZLB') return undefined;
    const base = { dir, at, proto: 'L2TP', protocol: 0, code: 0, id: 0, options: [], hex: '' };
    return { ...base, name: message.type };
  }
  const frame = decodeFrame(decodeDataV2(bytes).payload);
  const proto = PROTOCOL_NAMES[frame.protocol] ?? `0x${frame.protocol.toString(16)}`;
  if (frame.protocol === 0x0021) {
    const base = { dir, at, proto, protocol: frame.protocol, code: 0, name: '', id: 0 };
    return { ...base, options: [], hex: hex(frame.information) };
  }
  const packet = decodeControl(frame.information);
  const auth = AUTH_CODE_NAMES[frame.protocol];
  const name = auth?.[packet.code] ?? CODE_NAMES[packet.code] ?? `code ${packet.code}`;
  const configure = auth === undefined && packet.code >= 1 && packet.code <= 4;
  const options = configure
    ? decodeOptions(packet.data).map((o) => [o.type, hex(o.data)] as const)
    : [];
  return {
    dir,
    at,
    proto,
    protocol: frame.protocol,
    code: packet.code,
    name,
    id: packet.id,
    options,
    hex: hex(packet.packet),
  };
}

// ---------------------------------------------------------------------------------------------
// ICMP Echo through the tunnel (RFC 791, RFC 792), built and checked here.

/** The Internet checksum (RFC 1071) of `b`. */
function inetChecksum(b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) sum += ((b[i] as number) << 8) | (b[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

const ipBytes = (a: string) => a.split('.').map(Number);
const ipText = (b: Uint8Array, at: number) => Array.from(b.subarray(at, at + 4)).join('.');

/** An IPv4 ICMP Echo Request (type 8), both checksums filled. */
function echoRequest(src: string, dst: string, id: number, seq: number, data: Uint8Array) {
  const p = new Uint8Array(20 + 8 + data.length);
  p[0] = 0x45; // version 4, IHL 5
  p[2] = p.length >> 8;
  p[3] = p.length & 0xff;
  p[4] = seq >> 8; // Identification
  p[5] = seq & 0xff;
  p[6] = 0x40; // DF
  p[8] = 64; // TTL
  p[9] = 1; // ICMP
  p.set(ipBytes(src), 12);
  p.set(ipBytes(dst), 16);
  const ipSum = inetChecksum(p.subarray(0, 20));
  p[10] = ipSum >> 8;
  p[11] = ipSum & 0xff;
  const icmp = p.subarray(20);
  icmp[0] = 8;
  icmp[4] = id >> 8;
  icmp[5] = id & 0xff;
  icmp[6] = seq >> 8;
  icmp[7] = seq & 0xff;
  icmp.set(data, 8);
  const icmpSum = inetChecksum(icmp);
  icmp[2] = icmpSum >> 8;
  icmp[3] = icmpSum & 0xff;
  return p;
}

/** The fields of an IPv4 ICMP packet, with whether both checksums verify. */
function readIcmp(p: Uint8Array) {
  const ihl = ((p[0] as number) & 0x0f) * 4;
  const total = ((p[2] as number) << 8) | (p[3] as number);
  const icmp = p.subarray(ihl, total);
  return {
    version: (p[0] as number) >> 4,
    protocol: p[9] as number,
    src: ipText(p, 12),
    dst: ipText(p, 16),
    ipChecksumOk: inetChecksum(p.subarray(0, ihl)) === 0,
    icmpChecksumOk: inetChecksum(icmp) === 0,
    type: icmp[0] as number,
    code: icmp[1] as number,
    id: ((icmp[4] as number) << 8) | (icmp[5] as number),
    seq: ((icmp[6] as number) << 8) | (icmp[7] as number),
    data: icmp.subarray(8),
  };
}

// ---------------------------------------------------------------------------------------------

/** Resolves when `predicate` holds (checked every 5 ms); rejects after `timeoutMs`. */
async function until(predicate: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timeout (${timeoutMs} ms): ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A LAC with one call to l2tpns running PPP as client, and a record of the tunnel's traffic. */
interface Client {
  readonly ep: Endpoint;
  readonly transport: UdpTransport;
  readonly tunnel: Tunnel;
  readonly session: Session;
  readonly ppp: PppSession;
  readonly seen: Seen[];
  readonly t0: number;
  readonly ups: PppUpInfo[];
  readonly auths: [boolean, string | undefined][];
  readonly downs: PppReason[];
  readonly sessionDowns: DownReason[];
  readonly packets: Uint8Array[];
}

const clients: Client[] = [];

async function connect(l: L2tpns, password: string): Promise<Client> {
  const transport = await UdpTransport.open({ address: l.clientAddress });
  const seen: Seen[] = [];
  const t0 = performance.now();
  const record = (dir: 'tx' | 'rx', bytes: Uint8Array) => {
    const s = decodeDatagram(dir, bytes, t0);
    if (s !== undefined) seen.push(s);
  };
  const tap: DatagramTransport = {
    send(data, peer) {
      record('tx', data instanceof Uint8Array ? data.slice() : Buffer.concat([data[0], data[1]]));
      transport.send(data, peer);
    },
    onDatagram: (handler) =>
      transport.onDatagram((bytes, peer) => {
        record('rx', bytes);
        handler(bytes, peer);
      }),
    close: () => transport.close(),
  };
  const ep = new Endpoint({
    transport: tap,
    clock: nodeClock,
    timers: nodeTimers,
    randomBytes: nodeRandomBytes,
    crypto: nodeCrypto,
  });
  const tunnel = ep.tunnel(
    { address: l.address, port: L2TPNS_PORT },
    { version: 2, mode: 'lac', hostName: 'l2tp-core-lac.test', vendorName: 'l2tp-core', ...TIMERS },
  );
  // PPP listens from the moment the call is up: l2tpns's Configure-Request follows its ICCN ack.
  const session = tunnel.beginSession();
  const ppp = new PppSession(session, {
    role: 'client',
    clock: nodeClock,
    timers: nodeTimers,
    randomBytes: nodeRandomBytes,
    crypto: nodePppAuthCrypto,
    credentials: { name: USER, password },
  });
  const c: Client = {
    ep,
    transport,
    tunnel,
    session,
    ppp,
    seen,
    t0,
    ups: [],
    auths: [],
    downs: [],
    sessionDowns: [],
    packets: [],
  };
  ppp.on('up', (info) => c.ups.push(info));
  ppp.on('auth', (ok, message) => c.auths.push([ok, message]));
  ppp.on('down', (reason) => c.downs.push(reason));
  ppp.on('packet', (p) => c.packets.push(p.slice()));
  session.once('down', (reason) => c.sessionDowns.push(reason));
  clients.push(c);
  return c;
}

async function dispose(c: Client): Promise<void> {
  c.ep.destroy();
  await c.transport.close();
}

function show(label: string, c: Client): void {
  if (!SHOW) return;
  const lines = c.seen.map((s) => `  ${s.at.toFixed(1).padStart(7)} ms ${describeSeen(s)}`);
  console.log(`${label}:\n${lines.join('\n')}`);
}

const ppp = (c: Client, dir: 'tx' | 'rx', proto: string, name?: string) =>
  c.seen.filter(
    (s) => s.dir === dir && s.proto === proto && (name === undefined || s.name === name),
  );

const opt = (type: number, value: string) => [type, value] as const;

/**
 * The LCP exchange l2tpns 2.4.1 has with us: its Configure-Request with MRU 1462, the
 * Auth-Protocol of `radius_authtypes`, a Magic-Number, MRRU (17) and Endpoint Discriminator
 * (19, class 2: its IP address); our Configure-Reject of exactly 17 and 19; its second request
 * without them, which we acknowledge; and our request (Magic-Number only) acknowledged as sent.
 */
function expectLcp(c: Client, auth: string) {
  const theirs = ppp(c, 'rx', 'LCP', 'Configure-Request');
  expect(theirs.length).toBeGreaterThanOrEqual(2);
  const first = theirs[0] as Seen;
  expect(first.options.map(([t]) => t)).toEqual([1, 3, 5, 17, 19]);
  expect(first.options[0]).toEqual(opt(1, (1462).toString(16).padStart(4, '0')));
  expect(first.options[1]).toEqual(opt(3, auth));
  // 19: class 2 (IPv4 address) and its own address.
  expect(first.options[4]).toEqual(
    opt(19, `02${Buffer.from(ipBytes(L2TPNS_PEER_ADDRESS)).toString('hex')}`),
  );
  const rejects = ppp(c, 'tx', 'LCP', 'Configure-Reject');
  expect(rejects).toHaveLength(1);
  expect(rejects[0]?.id).toBe(first.id);
  expect(rejects[0]?.options).toEqual([first.options[3], first.options[4]]);
  const second = theirs[1] as Seen;
  expect(second.options.map(([t]) => t)).toEqual([1, 3, 5]);
  expect(second.options).toEqual(first.options.slice(0, 3));
  const acks = ppp(c, 'tx', 'LCP', 'Configure-Ack');
  expect(acks.map((a) => a.id)).toContain(second.id);
  expect(acks.find((a) => a.id === second.id)?.options).toEqual(second.options);
  expect(ppp(c, 'tx', 'LCP', 'Configure-Nak')).toEqual([]);
  const ours = ppp(c, 'tx', 'LCP', 'Configure-Request');
  expect(ours).toHaveLength(1);
  expect(ours[0]?.options.map(([t]) => t)).toEqual([5]);
  expect(ppp(c, 'rx', 'LCP', 'Configure-Ack')[0]?.options).toEqual(ours[0]?.options);
}

/**
 * IPCP: l2tpns's request (its address, 192.0.2.1) acknowledged; ours (address, primary and
 * secondary DNS, all 0.0.0.0) Nak'd with the pool address and its primary DNS, then acknowledged.
 */
function expectIpcp(c: Client, up: PppUpInfo) {
  const theirs = ppp(c, 'rx', 'IPCP', 'Configure-Request');
  expect(theirs).toHaveLength(1);
  expect(theirs[0]?.options).toEqual([opt(3, 'c0000201')]);
  expect(ppp(c, 'tx', 'IPCP', 'Configure-Ack')[0]?.options).toEqual(theirs[0]?.options);
  const ours = ppp(c, 'tx', 'IPCP', 'Configure-Request');
  expect(ours[0]?.options).toEqual([
    opt(3, '00000000'),
    opt(129, '00000000'),
    opt(131, '00000000'),
  ]);
  const naks = ppp(c, 'rx', 'IPCP', 'Configure-Nak');
  expect(naks.length).toBeGreaterThanOrEqual(1);
  const address = Buffer.from(ipBytes(up.ipcp.localAddress)).toString('hex');
  const dns = Buffer.from(ipBytes(L2TPNS_DNS)).toString('hex');
  expect(naks[0]?.options).toEqual([opt(3, address), opt(129, dns)]);
  const last = ours[ours.length - 1] as Seen;
  expect(last.options.slice(0, 2)).toEqual([opt(3, address), opt(129, dns)]);
  expect(ppp(c, 'rx', 'IPCP', 'Configure-Ack').at(-1)?.options).toEqual(last.options);
}

/**
 * Pings l2tpns's address through the tunnel, one Echo Request per entry of `sizes` (the IPv4
 * packet's total length), each after the previous reply; returns the RTTs in ms. Each reply must
 * come from 192.0.2.1 to us with valid IP and ICMP checksums, our identifier and sequence
 * number, and our data.
 */
async function ping(c: Client, from: string, sizes: readonly number[]): Promise<number[]> {
  const rtts: number[] = [];
  const id = 0x4c32; // "L2"
  for (const [i, size] of sizes.entries()) {
    const seq = i + 1;
    const data = Buffer.alloc(size - 28, `l2tp-core ping ${seq} `);
    const request = echoRequest(from, L2TPNS_PEER_ADDRESS, id, seq, data);
    expect(request.length).toBe(size);
    const reply = new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        c.ppp.off('packet', listener);
        reject(new Error(`no Echo Reply ${seq} (${size} octets) within 2 s`));
      }, 2000);
      const listener = (p: Uint8Array) => {
        clearTimeout(timer);
        c.ppp.off('packet', listener);
        resolve(p.slice());
      };
      c.ppp.on('packet', listener);
    });
    const sent = performance.now();
    expect(c.ppp.send(request)).toBe(true);
    const got = readIcmp(await reply);
    rtts.push(performance.now() - sent);
    expect(got).toMatchObject({
      version: 4,
      protocol: 1,
      src: L2TPNS_PEER_ADDRESS,
      dst: from,
      ipChecksumOk: true,
      icmpChecksumOk: true,
      type: 0,
      code: 0,
      id,
      seq,
    });
    expect(Buffer.from(got.data)).toEqual(data);
  }
  return rtts;
}

/** Waits for a log line matching `re` from line `from` on, and checks that there is only one. */
async function once(log: ProcessLog, re: RegExp, from: number): Promise<void> {
  await log.waitFor(re, { from, timeoutMs: 5000 });
  expect(log.grep(re, from), `${log.name}: ${re}`).toHaveLength(1);
}

const ms = (t: number) => `${t.toFixed(1)} ms`;
const reEscape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
// 84: ping's default (56 octets of data); 1462: l2tpns's MRU, the largest packet it takes.
const PING_SIZES = [84, 84, 84, 1462];

describe('l2tpns interop', () => {
  it('l2tpns and freeradius are installed on CI (scripts/install-peers.sh), so this really runs there', () => {
    expect(AVAILABLE.available || !onCi(), `l2tpns missing on CI: ${AVAILABLE.reason}`).toBe(true);
  });
});

describe.skipIf(!AVAILABLE.available)(
  `l2tp-core PPP client ↔ ${AVAILABLE.version ?? 'l2tpns'}`,
  () => {
    // One l2tpns per radius_authtypes, started side by side (each ~3 s to cluster master).
    const peers: { pap?: L2tpns; chap?: L2tpns } = {};
    let failed = false;

    beforeAll(async () => {
      const started = performance.now();
      const results = await Promise.allSettled([
        L2tpns.start({ authTypes: 'pap', users: { [USER]: PASSWORD } }),
        L2tpns.start({ authTypes: 'chap', users: { [USER]: PASSWORD } }),
      ]);
      if (results[0].status === 'fulfilled') peers.pap = results[0].value;
      if (results[1].status === 'fulfilled') peers.chap = results[1].value;
      for (const r of results) if (r.status === 'rejected') throw r.reason;
      console.log(
        `l2tpns-ppp: both l2tpns ready in ${ms(performance.now() - started)} (cluster master ${ms(peers.pap?.readyMs ?? 0)} / ${ms(peers.chap?.readyMs ?? 0)} after start)`,
      );
    }, 30_000);

    afterAll(async () => {
      for (const c of clients.splice(0)) await dispose(c);
      const stopping = performance.now();
      for (const l of [peers.pap, peers.chap]) {
        if (l !== undefined && failed) console.log(`${l.options.authTypes}:\n${l.logs()}`);
      }
      await Promise.all([peers.pap?.stop(), peers.chap?.stop()]);
      console.log(`l2tpns-ppp: both stopped in ${ms(performance.now() - stopping)}`);
    }, 30_000);

    const cases = [
      {
        method: 'pap',
        authTypes: 'pap',
        authOption: 'c023',
        request: ['PAP', 'Authenticate-Request'],
        failure: ['PAP', 'Authenticate-Nak'],
        login: /PAP login alice\/wonderland$/,
      },
      {
        method: 'chap-md5',
        authTypes: 'chap',
        authOption: 'c22305',
        request: ['CHAP', 'Response'],
        failure: ['CHAP', 'Failure'],
        login: /CHAP login alice$/,
      },
    ] as const;

    for (const k of cases) {
      it(`${k.method}: LCP with MRRU/Endpoint Discriminator rejected, ${k.method} through RADIUS, an address from the pool, pings to ${L2TPNS_PEER_ADDRESS} answered`, async ({
        annotate,
        onTestFailed,
      }) => {
        onTestFailed(() => {
          failed = true;
        });
        const l = peers[k.authTypes] as L2tpns;
        const mark = l.log.mark();
        const radiusMark = l.radiusLog.mark();
        const c = await connect(l, PASSWORD);
        await until(() => c.ups.length > 0 || c.downs.length > 0, 10_000, 'PPP up');
        const upMs = performance.now() - c.t0;
        show(k.method, c);
        expect(c.downs).toEqual([]);
        const up = c.ups[0] as PppUpInfo;
        expect(c.auths).toEqual([[true, undefined]]);
        expect(up.lcp).toMatchObject({
          mtu: 1462,
          authenticateSelf: k.method,
          authenticatePeer: undefined,
        });
        expect(up.ipcp).toMatchObject({
          peerAddress: L2TPNS_PEER_ADDRESS,
          primaryDns: L2TPNS_DNS,
          secondaryDns: undefined,
        });
        expect(up.ipcp.localAddress).toMatch(/^10\.10\.10\.\d+$/);
        expectLcp(c, k.authOption);
        expectIpcp(c, up);
        expect(ppp(c, 'rx', k.request[0]).map((s) => s.name)).not.toContain(k.failure[1]);

        // l2tpns's side: the login through RADIUS and the address it gave.
        const login = new RegExp(
          `Login by alice at ${reEscape(up.ipcp.localAddress)} from ${reEscape(l.clientAddress)} \\(l2tp-core-lac\\.test\\)`,
        );
        await once(l.log, login, mark);
        await once(l.log, k.login, mark);
        await once(l.log, /Remote rejected MRRU negotiation$/, mark);
        await once(l.log, /Remote rejected Endpoint Discriminator$/, mark);
        await once(l.log, /IPCP: Opened, session is now active$/, mark);
        await once(l.radiusLog, /Login OK: \[alice\//, radiusMark);

        // ICMP Echo through the tunnel to l2tpns's tun0 address, answered by its kernel.
        const rtts = await ping(c, up.ipcp.localAddress, PING_SIZES);
        expect(c.packets).toHaveLength(PING_SIZES.length); // nothing but the replies
        const small = rtts.slice(0, 3);
        const note =
          `${k.method}: PPP up ${ms(upMs)} after SCCRQ, address ${up.ipcp.localAddress}; ` +
          `ping RTT ${small.map(ms).join(', ')}; ${PING_SIZES.at(-1)} octets ${ms(rtts.at(-1) as number)}`;
        console.log(`l2tpns-ppp: ${note}`);
        await annotate(note);

        // Tear-down: LCP Terminate-Request acknowledged, our CDN, StopCCN acknowledged.
        const closing = performance.now();
        c.ppp.close('test done');
        await until(() => c.sessionDowns.length > 0, 5000, 'call cleared');
        expect(await c.tunnel.close()).toBe('acknowledged');
        show(`${k.method} (closed)`, c);
        expect(c.downs).toEqual([{ by: 'local', code: 'admin-close', message: 'test done' }]);
        expect(ppp(c, 'rx', 'LCP', 'Terminate-Ack')).toHaveLength(1);
        expect(c.seen.filter((s) => s.proto === 'L2TP').map((s) => `${s.dir} ${s.name}`)).toEqual([
          'tx SCCRQ',
          'rx SCCRP',
          'tx SCCCN',
          'tx ICRQ',
          'rx ICRP',
          'tx ICCN',
          'tx CDN',
          'tx StopCCN',
        ]);
        await once(l.log, /Shutting down session \d+: No general error$/, mark);
        await once(l.log, /Received StopCCN$/, mark);
        console.log(`l2tpns-ppp: ${k.method}: closed in ${ms(performance.now() - closing)}`);
      });
    }

    for (const k of cases) {
      it(`${k.method}: a wrong password — no ${k.failure.join(' ')}, l2tpns clears the call (CDN Result 3) at once`, async ({
        annotate,
        onTestFailed,
      }) => {
        onTestFailed(() => {
          failed = true;
        });
        const l = peers[k.authTypes] as L2tpns;
        const mark = l.log.mark();
        const radiusMark = l.radiusLog.mark();
        const c = await connect(l, 'not-the-password');
        await until(() => c.downs.length > 0, 10_000, 'PPP down');
        show(`${k.method} wrong password`, c);

        // LCP as always, our credentials sent once, and the next thing from l2tpns is a CDN.
        expectLcp(c, k.authOption);
        const sent = ppp(c, 'tx', k.request[0], k.request[1]);
        expect(sent).toHaveLength(1);
        const after = c.seen.filter((s) => s.dir === 'rx' && s.at > (sent[0] as Seen).at);
        expect(after.map((s) => `${s.proto} ${s.name}`)).toEqual(['L2TP CDN']);
        const cdnMs = (after[0] as Seen).at - (sent[0] as Seen).at;
        expect(cdnMs).toBeLessThan(1000); // RADIUS Access-Reject, then the CDN: no retry, no timer

        // The call ended by the peer with Result 3 (no message) while we authenticated: the
        // client reads it as the authentication failure it is, with the CDN's words.
        expect(c.sessionDowns).toEqual([{ by: 'peer', resultCode: 3 }]);
        expect(c.downs).toHaveLength(1);
        const refused = 'the peer cleared the call during authentication (CDN Result 3)';
        expect(c.ppp.downReason).toEqual({ by: 'peer', code: 'auth-failed', message: refused });
        expect(c.auths).toHaveLength(1);
        expect(c.auths).toEqual([[false, refused]]);
        expect(c.ups).toEqual([]);
        expect(c.tunnel.isUp).toBe(true); // only the call is gone

        // l2tpns's and freeradius's side.
        await once(l.log, /Authentication rejected for alice$/, mark);
        await once(l.log, /Kill session \d+ \(alice\): Authentication rejected$/, mark);
        await once(l.radiusLog, /Login incorrect/, radiusMark);

        expect(await c.tunnel.close()).toBe('acknowledged');
        await once(l.log, /Received StopCCN$/, mark);
        const note = `${k.method} wrong password: CDN Result 3 ${ms(cdnMs)} after our ${k.request.join(' ')}`;
        console.log(`l2tpns-ppp: ${note}`);
        await annotate(note);
      });
    }
  },
);
