/**
 * TunnelSwitch (draft-ietf-l2tpext-tunnel-switching-08) between two real xl2tpd 1.3.18 on
 * 127.0.0.1: xl2tpd as LAC → l2tp-core TSA → xl2tpd as LNS, each xl2tpd with a PPP stand-in on its
 * pty (test/interop/ppp-peer-standin.ts: the LAC's starts LCP and sends an Echo-Request, the LNS's
 * answers). Shown: the call is switched (ICRQ/ICCN AVPs relayed, TSA ID stacked), LCP
 * Configure-Request/Ack and Echo cross end to end byte for byte (stand-in logs, the TSA's
 * sessions, its socket); a CDN from either xl2tpd reaches the other with its cause, a StopCCN
 * of the LAC clears the LNS's call; the LNS dying ends the First call with CDN 2/10 (next hop
 * unreachable) once the Second tunnel times out; tshark decodes both legs without expert items
 * (but its note on the TSA ID AVP, which tshark 4.0.17 cannot decode).
 * Skipped with a message when xl2tpd (or tshark, for those checks) is missing; fails on CI.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { RawAvp } from '../../src/avp/raw.js';
import { decodeControl } from '../../src/codec/control.js';
import { decodeDataV2 } from '../../src/codec/header.js';
import { AvpType, CdnResult, GeneralError, MessageType } from '../../src/constants.js';
import type { ResultCodes } from '../../src/fsm/types.js';
import { nodeClock, nodeRandomBytes, nodeTimers } from '../../src/node/clock.js';
import { nodeCrypto } from '../../src/node/crypto.js';
import { UdpTransport } from '../../src/node/udp.js';
import {
  type SwitchCallInfo,
  type SwitchedCall,
  TunnelSwitch,
  type UnswitchedInfo,
} from '../../src/switch/switch.js';
import type { DatagramTransport, PeerAddress } from '../../src/transport.js';
import type { Session } from '../../src/tunnel.js';
import { pcapFromL2tpUdp } from '../helpers/pcap.js';
import { type TsharkPacket, tsharkAvailable, tsharkDecode } from '../helpers/tshark.js';
import {
  ACTIVE_MAGIC,
  installPppPeer,
  PASSIVE_MAGIC,
  type StandinFrame,
  standinFrames,
} from './ppp-peer-standin.js';
import { next, onCi, Xl2tpd, type Xl2tpdOptions, xl2tpdAvailability } from './xl2tpd-harness.js';

const AVAILABLE = xl2tpdAvailability();
if (!AVAILABLE.available) {
  console.warn(`xl2tpd-switch: skipping the xl2tpd switch interop tests: ${AVAILABLE.reason}`);
}
const HAVE_TSHARK = tsharkAvailable();

const TSA_HOST = 'l2tp-core-tsa.test';
const TSA_ID = 'l2tp-core-tsa-1';
// The Second tunnel (TSA → xl2tpd LNS): a HELLO after 500 ms of silence, retransmitted after
// 100, 200, 400 and 800 ms, so a dead LNS is noticed ~2 s after it went quiet.
const SECOND_TUNNEL = {
  version: 2,
  hostName: TSA_HOST,
  retransmitTimeoutMs: 100,
  maxRetransmitTimeoutMs: 1000,
  maxRetransmits: 3,
  helloIntervalMs: 500,
} as const;

// Processes, sockets and the switch of the current test, undone in reverse even when it failed.
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
}, 20_000);

const dir = mkdtempSync(join(tmpdir(), 'l2tp-xl2tpd-switch-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function startXl2tpd(options: Xl2tpdOptions): Promise<Xl2tpd> {
  const x = await Xl2tpd.start(options);
  cleanups.push(() => x.stop());
  return x;
}

/** One datagram on the TSA's socket, copied before the switch forwards it in place. */
interface Datagram {
  readonly dir: 'in' | 'out';
  readonly peer: PeerAddress;
  readonly bytes: Uint8Array;
}

interface Chain {
  readonly lns: Xl2tpd;
  readonly lac: Xl2tpd;
  readonly sw: TunnelSwitch;
  readonly tsaPort: number;
  /** Every datagram the TSA sent and received, in order. */
  readonly datagrams: Datagram[];
  readonly routed: SwitchCallInfo[];
  readonly switched: SwitchedCall[];
  readonly unswitched: UnswitchedInfo[];
  readonly refused: ResultCodes[];
  /** Frames the First sessions delivered to the switch (copies), per session. */
  readonly firstFrames: Map<Session, Uint8Array[]>;
  /** Frames the Second sessions delivered (copies), per session. */
  readonly secondFrames: Map<Session, Uint8Array[]>;
  /** `c <lac>` on the LAC (default `peer`); resolves with the switched call once the TSA reports it. */
  dial(lac?: string): Promise<SwitchedCall>;
}

/** A second LAC section of xl2tpd#2 (`c peer2`), dialling the TSA on a tunnel of its own. */
const PEER2 = 'peer2';

/**
 * xl2tpd#1 as LNS, the TSA on its own loopback socket (routing every call to xl2tpd#1), xl2tpd#2
 * as LAC dialling the TSA. The TSA's transport is wrapped to record every datagram.
 */
async function chain(options: { readonly peer2?: boolean } = {}): Promise<Chain> {
  const lns = await startXl2tpd({ role: 'lns', pppd: 'lcp', hostname: 'xl2tpd-lns.test' });
  await installPppPeer(lns, 'passive');
  const transport = await UdpTransport.open({ address: '127.0.0.1' });
  const datagrams: Datagram[] = [];
  // Registered before the switch's own handler: sees each datagram before it is forwarded in place.
  transport.onDatagram((bytes, peer) => datagrams.push({ dir: 'in', peer, bytes: bytes.slice() }));
  const tap: DatagramTransport = {
    send(data, peer) {
      const bytes = data instanceof Uint8Array ? data.slice() : Buffer.concat([data[0], data[1]]);
      datagrams.push({ dir: 'out', peer, bytes: Uint8Array.from(bytes) });
      transport.send(data, peer);
    },
    onDatagram: (handler, options) => transport.onDatagram(handler, options),
    close: () => transport.close(),
  };
  const routed: SwitchCallInfo[] = [];
  const sw = new TunnelSwitch({
    transport: tap,
    clock: nodeClock,
    timers: nodeTimers,
    randomBytes: nodeRandomBytes,
    crypto: nodeCrypto,
    accept: { version: 2, mode: 'lns', hostName: TSA_HOST },
    tsaId: TSA_ID,
    route: (info) => {
      routed.push(info);
      return { peer: { address: '127.0.0.1', port: lns.port }, tunnel: SECOND_TUNNEL };
    },
  });
  const errors: Error[] = [];
  sw.on('error', (e) => errors.push(e));
  cleanups.push(async () => {
    sw.destroy();
    await transport.close();
    expect(errors).toEqual([]);
  });
  const switched: SwitchedCall[] = [];
  const unswitched: UnswitchedInfo[] = [];
  const refused: ResultCodes[] = [];
  sw.on('switched', (c) => switched.push(c));
  sw.on('unswitched', (u) => unswitched.push(u));
  sw.on('refused', (_s, codes) => refused.push(codes));
  const firstFrames = new Map<Session, Uint8Array[]>();
  const secondFrames = new Map<Session, Uint8Array[]>();
  const collect = (into: Map<Session, Uint8Array[]>, s: Session) => {
    const list: Uint8Array[] = [];
    into.set(s, list);
    s.on('frame', (f) => list.push(f.slice()));
  };
  // First sessions from their 'up' on (a frame may arrive while the Second call is set up);
  // Second sessions from 'switched' (their peer can send nothing before our ICCN).
  sw.endpoint.on('tunnel', (t) => t.on('session-up', (s) => collect(firstFrames, s)));
  sw.on('switched', (c) => collect(secondFrames, c.second as Session));

  const lac = await startXl2tpd({
    role: 'lac',
    pppd: 'lcp',
    lnsPort: transport.local.port,
    hostname: 'xl2tpd-lac.test',
    // The harness ends xl2tpd.conf with the [lac peer] section: these lines add one after it.
    sectionLines:
      options.peer2 === true
        ? [
            `[lac ${PEER2}]`,
            `lns = 127.0.0.1:${transport.local.port}`,
            'hostname = xl2tpd-lac2.test',
            'autodial = no',
            'redial = no',
            'length bit = yes',
          ]
        : [],
  });
  await installPppPeer(lac, 'active');
  const dial = async (name = 'peer') => {
    const up = next<SwitchedCall>(sw, 'switched');
    expect(await lac.control(`c ${name}`)).toBe('00 OK');
    return up;
  };
  return {
    lns,
    lac,
    sw,
    tsaPort: transport.local.port,
    datagrams,
    routed,
    switched,
    unswitched,
    refused,
    firstFrames,
    secondFrames,
    dial,
  };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const isControl = (d: Datagram) => ((d.bytes[0] as number) & 0x80) !== 0;
const leg = (c: Chain, x: Xl2tpd) => c.datagrams.filter((d) => d.peer.port === x.port);

/** PPP payloads (FF 03 included, as on the wire) of the data messages in `dir` on a leg. */
function payloads(c: Chain, x: Xl2tpd, dir: 'in' | 'out'): string[] {
  return leg(c, x)
    .filter((d) => d.dir === dir && !isControl(d))
    .map((d) => hex(decodeDataV2(d.bytes).payload));
}

/** The control messages of one type sent or received on a leg, decoded. */
function controls(c: Chain, x: Xl2tpd, dir: 'in' | 'out', type: number) {
  return leg(c, x)
    .filter((d) => d.dir === dir && isControl(d) && d.bytes.length > 12)
    .map((d) => decodeControl(d.bytes))
    .filter((m) => m.avps[0]?.attributeType === AvpType.MessageType && m.avps[0].value[1] === type);
}

const avpTypes = (avps: readonly RawAvp[]) =>
  avps.filter((a) => a.vendorId === 0).map((a) => a.attributeType);
const avp = (avps: readonly RawAvp[], type: number) =>
  avps.find((a) => a.vendorId === 0 && a.attributeType === type);
const avpView = (avps: readonly RawAvp[]) =>
  avps.map((a) => ({ type: a.attributeType, m: a.mandatory, value: hex(a.value) }));

const lcpFrames = (x: Xl2tpd) => standinFrames(x.lines);
const pick = (frames: StandinFrame[], dir: 'rx' | 'tx', what: string) =>
  frames.filter((f) => f.dir === dir && f.what === `LCP ${what}`).map((f) => hex(f.frame));

/**
 * Each leg of the TSA (to the LAC, to the LNS) as its own pcap, dissected by tshark (the TSA's
 * port decoded as L2TP): no expert item, nothing malformed, the expected control messages.
 */
function tsharkLegs(c: Chain, name: string): { lac: TsharkPacket[]; lns: TsharkPacket[] } {
  const decode = (x: Xl2tpd, which: string) => {
    const file = join(dir, `${name}-${which}.pcap`);
    const datagrams = leg(c, x).map((d) => ({
      payload: d.bytes,
      srcPort: d.dir === 'in' ? x.port : c.tsaPort,
      dstPort: d.dir === 'in' ? c.tsaPort : x.port,
    }));
    writeFileSync(file, pcapFromL2tpUdp(datagrams));
    const packets = tsharkDecode(file, {
      decodeAs: [`udp.port==${c.tsaPort},l2tp`],
      prefs: { 'udp.check_checksum': 'TRUE' },
    });
    expect(packets).toHaveLength(datagrams.length);
    for (const p of packets) {
      // tshark 4.0.17 has no decoder for AVP 93 (TSA ID, draft §4): one "Vendor-Specific AVP
      // data" note (Warning, Undecoded) per TSA ID AVP, as tshark-crosscheck documents; nothing
      // else anywhere.
      const tsaIds = (p.l2tp?.avps ?? []).filter((a) => a.vendorId === 0 && a.type === 93);
      const undecoded = p.expert.filter(isUndecodedNote);
      expect([which, p.frame, p.malformed, p.expert.length - undecoded.length]).toEqual([
        which,
        p.frame,
        false,
        0,
      ]);
      expect([which, p.frame, undecoded.length]).toEqual([which, p.frame, tsaIds.length]);
      expect(p.l2tp?.version).toBe(2);
    }
    return packets;
  };
  return { lac: decode(c.lac, 'lac'), lns: decode(c.lns, 'lns') };
}

const isUndecodedNote = (e: TsharkPacket['expert'][number]) =>
  e.severity === 'Warning' && e.group === 'Undecoded' && e.message === 'Vendor-Specific AVP data';

const names = (packets: TsharkPacket[]) =>
  packets
    .filter((p) => p.l2tp?.control === true && p.l2tp.messageName !== 'ZLB')
    .map((p) => p.l2tp?.messageName);

/** Waits until `re` matched `n` log lines of `x`. */
async function logCount(x: Xl2tpd, re: RegExp, n: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (x.grep(re).length < n) {
    if (Date.now() > deadline) throw new Error(`${re} not ${n} times in the log:\n${x.log}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const ms = (t: number) => `${t.toFixed(0)} ms`;
// xl2tpd's log of a CDN it got: "result_code_avp: peer closing for reason 2 (General error--Error
// Code indicates the problem), error = 10 (the other tunnel failed)" and then "control_finish:
// Connection closed to 127.0.0.1, serial 1 (…)".
const peerClosing = (result: number, error?: number) =>
  new RegExp(
    `result_code_avp: peer closing for reason ${result} \\(.*?\\)${error === undefined ? '' : `, error = ${error} `}`,
  );

describe('xl2tpd switch interop', () => {
  it('xl2tpd and tshark are installed on CI (scripts/install-peers.sh)', () => {
    expect(AVAILABLE.available || !onCi(), `xl2tpd missing on CI: ${AVAILABLE.reason}`).toBe(true);
    expect(HAVE_TSHARK || !onCi(), 'tshark missing on CI').toBe(true);
  });
});

describe.skipIf(!AVAILABLE.available)(
  `${AVAILABLE.version ?? 'xl2tpd'} LAC → l2tp-core TSA → ${AVAILABLE.version ?? 'xl2tpd'} LNS`,
  () => {
    it('switched: call AVPs relayed, LCP Configure-Request/Ack and Echo cross byte for byte', async ({
      annotate,
    }) => {
      const c = await chain();
      const t0 = performance.now();
      const call = await c.dial();
      const switchMs = performance.now() - t0;
      expect(call).toMatchObject({ call: 'incoming', state: 'up' });
      const first = call.first;
      const second = call.second as Session;
      await c.lac.waitForLog(/Call established with 127\.0\.0\.1, Local: \d+/);
      await c.lns.waitForLog(
        new RegExp(
          `Call established with 127\\.0\\.0\\.1, PID: \\d+, Local: ${second.peerId}, Remote: ${second.id}\\b`,
        ),
      );
      // The LAC's LCP: its Configure-Request acknowledged, the LNS's acknowledged, then its
      // Echo-Request answered by the LNS's stand-in (with that one's magic number).
      await c.lac.waitForLog(/pppd-standin: rx LCP Echo-Reply id=32 /);
      const lcpMs = performance.now() - t0;

      // What xl2tpd's LAC put in its ICRQ and ICCN, as the route saw it: Assigned Session ID,
      // Call Serial Number, Bearer Type 0; Tx Connect Speed 0, Framing Type 1 (sync), Rx
      // Connect Speed 0 (M = 0). No Called/Calling Number, no Proxy LCP or authentication.
      expect(c.routed).toHaveLength(1);
      const info = c.routed[0] as SwitchCallInfo;
      expect(info).toMatchObject({
        call: 'incoming',
        calledNumber: undefined,
        callingNumber: undefined,
        proxyAuthenName: undefined,
        tsaIds: [],
      });
      expect(avpTypes(info.request)).toEqual([
        AvpType.MessageType,
        AvpType.AssignedSessionId,
        AvpType.CallSerialNumber,
        AvpType.BearerType,
      ]);
      expect(avpTypes(info.connect)).toEqual([
        AvpType.MessageType,
        AvpType.TxConnectSpeed,
        AvpType.FramingType,
        AvpType.RxConnectSpeed,
      ]);

      // The Second ICRQ and ICCN to xl2tpd's LNS: the same AVPs, our Assigned Session ID, and
      // our TSA ID (M = 0) appended to the ICRQ (draft §3.1, §4).
      const [icrq] = controls(c, c.lns, 'out', MessageType.ICRQ);
      const [iccn] = controls(c, c.lns, 'out', MessageType.ICCN);
      expect(avpTypes(icrq?.avps ?? [])).toEqual([
        AvpType.MessageType,
        AvpType.AssignedSessionId,
        AvpType.CallSerialNumber,
        AvpType.BearerType,
        AvpType.TunnelSwitchingAggregatorId,
      ]);
      const relayed = (avps: readonly RawAvp[], type: number) =>
        avpView([avp(avps, type) as RawAvp]);
      for (const type of [AvpType.CallSerialNumber, AvpType.BearerType]) {
        expect(relayed(icrq?.avps ?? [], type)).toEqual(relayed(info.request, type));
      }
      expect(avp(icrq?.avps ?? [], AvpType.TunnelSwitchingAggregatorId)).toMatchObject({
        mandatory: false,
        value: new TextEncoder().encode(TSA_ID),
      });
      expect(avpView(iccn?.avps ?? [])).toEqual(avpView(info.connect));
      // xl2tpd's LNS took them: it logs each, and ignores the TSA ID it does not know (M = 0).
      for (const line of [
        /call_serno_avp: serial number is 1/,
        /bearer_type_avp: peer bears:/,
        /handle_avps: {2}don't know how to handle attribute 93\./,
        /tx_speed_avp: transmit baud rate is 0/,
        /frame_type_avp: peer uses:sync frames/,
        /rx_speed_avp: receive baud rate is 0/,
      ]) {
        expect(c.lns.grep(line), String(line)).toHaveLength(1);
      }

      // End to end, byte for byte: each stand-in received exactly the PPP frames the other sent.
      await c.lns.waitForLog(/pppd-standin: tx LCP Echo-Reply id=32 /);
      const atLac = lcpFrames(c.lac);
      const atLns = lcpFrames(c.lns);
      const txOf = (f: StandinFrame[]) => f.filter((x) => x.dir === 'tx').map((x) => hex(x.frame));
      const rxOf = (f: StandinFrame[]) => f.filter((x) => x.dir === 'rx').map((x) => hex(x.frame));
      expect(rxOf(atLns)).toEqual(txOf(atLac));
      expect(rxOf(atLac)).toEqual(txOf(atLns));
      const lcpHex = (code: number, id: number, data: number[]) =>
        hex(Uint8Array.of(0xff, 0x03, 0xc0, 0x21, code, id, 0, 4 + data.length, ...data));
      const magic = (m: number) => [m >>> 24, (m >>> 16) & 0xff, (m >>> 8) & 0xff, m & 0xff];
      const request = lcpHex(1, 1, [5, 6, ...magic(ACTIVE_MAGIC)]);
      expect(pick(atLac, 'tx', 'Configure-Request')[0]).toBe(request);
      // (Once more if the stand-in's Restart timer, 300 ms, fired before the Ack came.)
      expect([...new Set(pick(atLac, 'rx', 'Configure-Ack'))]).toEqual([
        lcpHex(2, 1, [5, 6, ...magic(ACTIVE_MAGIC)]),
      ]);
      expect(pick(atLns, 'tx', 'Configure-Request')).toEqual([lcpHex(1, 0x42, [])]);
      expect(pick(atLac, 'tx', 'Configure-Ack')).toEqual([lcpHex(2, 0x42, [])]);
      const ping = [0x70, 0x69, 0x6e, 0x67];
      expect(pick(atLns, 'rx', 'Echo-Request')).toEqual([
        lcpHex(9, 0x20, [...magic(ACTIVE_MAGIC), ...ping]),
      ]);
      expect(pick(atLac, 'rx', 'Echo-Reply')).toEqual([
        lcpHex(10, 0x20, [...magic(PASSIVE_MAGIC), ...ping]),
      ]);

      // At the TSA: the payloads it received from one xl2tpd are the ones it sent the other, in
      // order, and they are the stand-ins' frames (xl2tpd keeps FF 03 and adds nothing).
      const fromLac = payloads(c, c.lac, 'in');
      const fromLns = payloads(c, c.lns, 'in');
      expect(payloads(c, c.lns, 'out')).toEqual(fromLac);
      expect(payloads(c, c.lac, 'out')).toEqual(fromLns);
      expect(fromLac).toEqual(txOf(atLac));
      expect(fromLns).toEqual(txOf(atLns));
      // The sessions' 'frame' events: the same frames, FF 03 removed.
      const strip = (h: string) => h.replace(/^ff03/, '');
      expect((c.firstFrames.get(first) ?? []).map(hex)).toEqual(fromLac.map(strip));
      expect((c.secondFrames.get(second) ?? []).map(hex)).toEqual(fromLns.map(strip));
      expect(call).toMatchObject({
        framesToSecond: fromLac.length,
        framesToFirst: fromLns.length,
        framesDropped: 0,
      });
      expect(c.sw.stats()).toMatchObject({ calls: 1, callsUp: 1, secondTunnels: 1, switched: 1 });
      expect(first.tunnel.stats()).toMatchObject({ protocolErrors: 0, datagramsDropped: 0 });
      expect(second.tunnel.stats()).toMatchObject({ protocolErrors: 0, datagramsDropped: 0 });

      if (HAVE_TSHARK) {
        const legs = tsharkLegs(c, 'lcp');
        const calls = [
          'Start_Control_Request',
          'Start_Control_Reply',
          'Start_Control_Connected',
          'Incoming_Call_Request',
          'Incoming_Call_Reply',
          'Incoming_Call_Connected',
        ];
        expect(names(legs.lac)).toEqual(calls);
        expect(names(legs.lns).filter((n) => n !== 'Hello')).toEqual(calls);
        // PPP inside: the LCP frames of both stand-ins, as Wireshark dissects them.
        for (const l of [legs.lac, legs.lns]) {
          expect(l.filter((p) => p.protocols.endsWith(':l2tp:ppp:lcp'))).toHaveLength(
            fromLac.length + fromLns.length,
          );
        }
      }
      expect(c.unswitched).toEqual([]);
      await annotate(
        `'c peer' → switched ${ms(switchMs)}; → LCP Echo-Reply at the LAC ${ms(lcpMs)}`,
      );
    });

    it("the LAC ends two calls on one Second tunnel, by CDN (`h`) and by StopCCN (`d`): xl2tpd's LNS gets a CDN for each", async ({
      annotate,
    }) => {
      const c = await chain({ peer2: true });
      const one = await c.dial();
      const two = await c.dial(PEER2);
      // Two First tunnels (one per LAC section of xl2tpd#2), one shared Second tunnel.
      expect(two.first.tunnel).not.toBe(one.first.tunnel);
      expect(two.second?.tunnel).toBe(one.second?.tunnel);
      expect(c.sw.stats()).toMatchObject({ calls: 2, callsUp: 2, secondTunnels: 1 });
      // Both calls' PPP went through (and no stand-in is still starting when xl2tpd stops it).
      await logCount(c.lac, /pppd-standin: rx LCP Echo-Reply id=32 /, 2);
      await logCount(c.lns, /pppd-standin: tx LCP Echo-Reply id=32 /, 2);

      // `h <call>`: xl2tpd's LAC hangs up its call (its Session ID is our First's peer id) with
      // CDN Result 1, Error 0, "Goodbye!"; the TSA relays all three to xl2tpd's LNS (§3.1).
      let mark = c.lns.mark();
      let down = next<UnswitchedInfo>(c.sw, 'unswitched');
      let t0 = performance.now();
      expect(await c.lac.control(`h ${one.first.peerId}`)).toBe('00 OK');
      const u1 = await down;
      expect(u1).toMatchObject({
        call: one,
        endedBy: 'first',
        reason: { by: 'peer', resultCode: 1, errorCode: 0, message: 'Goodbye!' },
        carried: { resultCode: 1, errorCode: 0, message: 'Goodbye!' },
      });
      // xl2tpd names Result Codes from the StopCCN table even in a CDN ("General request to
      // clear control connection" for CDN Result 1, lost carrier).
      await c.lns.waitForLog(/peer closing for reason 1 \(.*\), error = 0 \(Goodbye!\)/, {
        from: mark,
      });
      await c.lns.waitForLog(/Connection closed to 127\.0\.0\.1, serial \d+ \(Goodbye!\)/, {
        from: mark,
      });
      await c.lns.waitForLog(/Terminating pppd: sending TERM signal/, { from: mark });
      const cdnMs = performance.now() - t0;
      expect(one.second?.downReason).toMatchObject({ by: 'local', resultCode: 1 });
      // The other call is untouched.
      expect(two.state).toBe('up');
      expect(c.sw.stats()).toMatchObject({ calls: 1, callsUp: 1, secondTunnels: 1 });

      // `d peer2`: StopCCN (Result 1 "Goodbye!") of xl2tpd's second LAC tunnel; its call ends
      // with the tunnel, and the TSA clears the Second call with CDN Result 3 (administrative).
      mark = c.lns.mark();
      down = next<UnswitchedInfo>(c.sw, 'unswitched');
      t0 = performance.now();
      expect(await c.lac.control(`d ${PEER2}`)).toBe('00 OK');
      const u2 = await down;
      expect(u2).toMatchObject({
        call: two,
        endedBy: 'first',
        reason: { by: 'peer' },
        carried: { resultCode: CdnResult.Administrative },
      });
      expect(two.first.tunnel.downReason).toMatchObject({
        by: 'peer',
        resultCode: 1,
        message: 'Goodbye!',
      });
      await c.lns.waitForLog(/peer closing for reason 3 \(.*\), error = 0 \(the other half/, {
        from: mark,
      });
      await c.lns.waitForLog(/Terminating pppd: sending TERM signal/, { from: mark });
      const stopMs = performance.now() - t0;
      expect(two.second?.downReason).toMatchObject({ by: 'local', resultCode: 3 });
      // No call left; the Second tunnel waits for the next one (idle time 10 s).
      expect(c.sw.stats()).toMatchObject({ calls: 0, secondTunnels: 1, switched: 2 });
      expect(one.second?.tunnel.isUp).toBe(true);

      if (HAVE_TSHARK) {
        const legs = tsharkLegs(c, 'hangup');
        const count = (l: TsharkPacket[], n: string) => names(l).filter((x) => x === n).length;
        expect(count(legs.lac, 'Call_Disconnect_Notification')).toBe(1);
        expect(count(legs.lac, 'Stop_Control_Notification')).toBe(1);
        expect(count(legs.lns, 'Call_Disconnect_Notification')).toBe(2);
        expect(count(legs.lns, 'Stop_Control_Notification')).toBe(0);
      }
      await annotate(`'h' → CDN at the LNS, its pppd stopped ${ms(cdnMs)}; 'd' → ${ms(stopMs)}`);
    });

    it("the LNS's PPP ends: xl2tpd's CDN (Result 1) reaches the LAC with its cause", async ({
      annotate,
    }) => {
      const c = await chain();
      const call = await c.dial();
      await c.lac.waitForLog(/pppd-standin: rx LCP Echo-Reply id=32 /);
      const [pid] = await c.lns.standinPids();
      const mark = c.lac.mark();
      const down = next<UnswitchedInfo>(c.sw, 'unswitched');
      const t0 = performance.now();
      // The LNS's "pppd" exits: xl2tpd hangs up the call with CDN Result 1, Error 0, no message.
      process.kill(pid as number, 'SIGKILL');
      const u = await down;
      expect(u).toMatchObject({
        call,
        endedBy: 'second',
        reason: { by: 'peer', resultCode: 1, errorCode: 0 },
        carried: { resultCode: 1, errorCode: 0 },
      });
      expect(u.reason.message).toBeUndefined();
      await c.lns.waitForLog(/pppd terminated for call \d+ by signal 9/);
      await c.lac.waitForLog(peerClosing(1, 0), { from: mark });
      await c.lac.waitForLog(/Connection closed to 127\.0\.0\.1, serial \d+ \(\)/, { from: mark });
      await c.lac.waitForLog(/Terminating pppd: sending TERM signal/, { from: mark });
      const cdnMs = performance.now() - t0;
      expect(call.first.downReason).toMatchObject({ by: 'local', resultCode: 1, errorCode: 0 });
      // Both tunnels stay up (the Second one idle until the next call).
      expect(call.first.tunnel.isUp).toBe(true);
      expect(call.second?.tunnel.isUp).toBe(true);
      expect(c.sw.stats()).toMatchObject({ calls: 0, secondTunnels: 1 });

      if (HAVE_TSHARK) {
        const legs = tsharkLegs(c, 'lns-hangup');
        expect(names(legs.lac).at(-1)).toBe('Call_Disconnect_Notification');
        expect(names(legs.lns).at(-1)).toBe('Call_Disconnect_Notification');
      }
      await annotate(`the LNS's pppd killed → CDN at the LAC, its pppd stopped ${ms(cdnMs)}`);
    });

    it('the LNS dies (SIGKILL): the Second tunnel times out, the LAC gets CDN 2/10', async ({
      annotate,
    }) => {
      const c = await chain();
      const call = await c.dial();
      await c.lac.waitForLog(/pppd-standin: rx LCP Echo-Reply/);
      const mark = c.lac.mark();
      const down = next<UnswitchedInfo>(c.sw, 'unswitched', 15_000);
      const t0 = performance.now();
      process.kill(-c.lns.pid, 'SIGKILL');
      const u = await down;
      const timeoutMs = performance.now() - t0;
      expect(u).toMatchObject({
        endedBy: 'second',
        reason: { by: 'timeout' },
        carried: { resultCode: CdnResult.GeneralError, errorCode: GeneralError.NextHopUnreachable },
      });
      await c.lac.waitForLog(peerClosing(2, 10), { from: mark });
      await c.lac.waitForLog(/Terminating pppd: sending TERM signal/, { from: mark });
      expect(call.first.downReason).toMatchObject({ by: 'local', resultCode: 2, errorCode: 10 });
      expect(call.second?.tunnel.downReason).toMatchObject({ by: 'timeout' });
      // The First tunnel stays up for the next call; the dead Second tunnel is gone.
      expect(call.first.tunnel.isUp).toBe(true);
      expect(c.sw.stats()).toMatchObject({ calls: 0, secondTunnels: 0 });
      // The call was up: an unswitched call, not a refused one.
      expect(c.refused).toEqual([]);
      if (HAVE_TSHARK) {
        const legs = tsharkLegs(c, 'lns-dies');
        expect(names(legs.lac)).toContain('Call_Disconnect_Notification');
        expect(names(legs.lns).filter((n) => n === 'Hello').length).toBeGreaterThanOrEqual(4);
      }
      await annotate(`LNS killed → CDN 2/10 to the LAC ${ms(timeoutMs)}`);
    });
  },
);
