// src/ppp/lcp.ts: the Configure-Request bytes, option judgement (RFC 1661 §6.1–§6.6, RFC 1662
// §7.1), authentication negotiation both ways, Magic-Number loopback detection (§6.4), the Echo
// keepalive (§5.8), Protocol-Reject (§5.7), Code-Reject and RFC 1570's codes 12 and 13.

import { describe, expect, test } from 'vitest';
import { UsageError } from '../../src/errors.js';
import {
  decodeControl,
  decodeFrame,
  decodeOptions,
  encodeControl,
  encodeOptions,
  type PppOption,
  u16Option,
  u32Option,
} from '../../src/ppp/frame.js';
import {
  authOption,
  decodeAuthOption,
  LcpEngine,
  LcpNegotiator,
  type LcpOptions,
} from '../../src/ppp/lcp.js';
import type { PppOutput } from '../../src/ppp/types.js';
import { hex } from '../helpers/hex.js';
import { packetStation, scriptedBytes, seededBytes, Wire } from './helpers.js';

function lcp(options: Partial<LcpOptions> = {}, seed = 1): LcpEngine {
  return new LcpEngine({ randomBytes: seededBytes(seed), ...options });
}

function pair(a: Partial<LcpOptions>, b: Partial<LcpOptions>) {
  const A = lcp(a, 1);
  const B = lcp(b, 2);
  const w = new Wire([packetStation(A), packetStation(B)]);
  for (const [i, x] of [A, B].entries()) {
    w.deliver(i as 0 | 1, x.open(0));
    w.deliver(i as 0 | 1, x.up(0));
  }
  w.pump();
  return { A, B, w };
}

type Sent = { code: number; id: number; data: Uint8Array };
function sent(out: readonly PppOutput[]): Sent[] {
  return out.flatMap((o) => {
    if (o.type !== 'transmit') return [];
    const p = decodeControl(decodeFrame(o.frame).information);
    return [{ code: p.code, id: p.id, data: p.data }];
  });
}

function req(id: number, ...options: PppOption[]): Uint8Array {
  return encodeControl(1, id, encodeOptions(options));
}

/** An LCP in Req-Sent; returns it and the options of its request. */
function reqSent(options: Partial<LcpOptions> = {}) {
  const e = lcp(options);
  e.open(0);
  const [r] = sent(e.up(0)) as [Sent];
  return { e, r };
}

describe('our Configure-Request', () => {
  test('golden: MRU 1400 and a magic number from randomBytes, no FF 03 by default', () => {
    const e = lcp({ mru: 1400, randomBytes: scriptedBytes(0x1a2b3c4d) });
    e.open(0);
    const [o] = e.up(0) as [Extract<PppOutput, { type: 'transmit' }>];
    expect(o.frame).toEqual(hex`
      c0 21              // LCP
      01 01 00 0e        // Configure-Request, id 1, Length 14
      01 04 05 78        // MRU 1400
      05 06 1a 2b 3c 4d  // Magic-Number
    `);
  });

  test('MRU 1500 is the default and is not sent (§5.1); PFC, ACFC, ACCM, auth when asked', () => {
    const e = lcp({
      randomBytes: scriptedBytes(0x01020304),
      pfc: true,
      acfc: true,
      accm: 0,
      authenticate: ['chap-md5'],
    });
    e.open(0);
    const [r] = sent(e.up(0)) as [Sent];
    expect(r.data).toEqual(hex`02 06 00 00 00 00  03 05 c2 23 05  05 06 01 02 03 04  07 02  08 02`);
  });

  test('LCP frames keep FF 03 and a 2-octet protocol even after ACFC/PFC (§6.5, §6.6)', () => {
    const framing = { addressControl: true, acfc: true, pfc: true, mtu: 1500 };
    const e = new LcpEngine({ randomBytes: seededBytes(3) }, framing);
    e.open(0);
    const [o] = e.up(0) as [Extract<PppOutput, { type: 'transmit' }>];
    expect(Array.from(o.frame.subarray(0, 4))).toEqual([0xff, 0x03, 0xc0, 0x21]);
  });

  test('a zero or looping generator still gives a non-zero magic', () => {
    const e = lcp({ randomBytes: () => new Uint8Array(4) });
    e.open(0);
    const [r] = sent(e.up(0)) as [Sent];
    const [m] = decodeOptions(r.data) as [PppOption];
    expect(Array.from(m.data)).not.toEqual([0, 0, 0, 0]);
  });

  test('bad options are refused up front', () => {
    expect(() => lcp({ mru: 0 })).toThrow(UsageError);
    expect(() => lcp({ accm: -1 })).toThrow(UsageError);
    expect(() => lcp({ authenticate: ['md4' as never] })).toThrow(UsageError);
    expect(() => new LcpEngine({} as LcpOptions)).toThrow(UsageError);
    expect(() => lcp({ echoIntervalMs: -5 })).toThrow(UsageError);
  });
});

describe('judging the peer’s Configure-Request', () => {
  const judge = (options: Partial<LcpOptions>, ...o: PppOption[]) => {
    const { e } = reqSent(options);
    return sent(e.handlePacket(req(0x40, ...o), 1));
  };

  test('MRU, ACCM, magic, PFC, ACFC: acknowledged as sent', () => {
    const opts = [u16Option(1, 1492), u32Option(2, 0xa0000), u32Option(5, 0x55667788)];
    const [ack] = judge(
      {},
      ...opts,
      { type: 7, data: new Uint8Array(0) },
      { type: 8, data: new Uint8Array(0) },
    );
    expect(ack?.code).toBe(2);
    expect(ack?.id).toBe(0x40);
    expect(ack?.data).toEqual(hex`01 04 05 d4  02 06 00 0a 00 00  05 06 55 66 77 88  07 02  08 02`);
  });

  test('an MRU below minMru is Nak’d with minMru; a bad MRU Length with 1500 (§6)', () => {
    expect(judge({ minMru: 576 }, u16Option(1, 100))).toEqual([
      { code: 3, id: 0x40, data: hex`01 04 02 40` },
    ]);
    expect(judge({}, { type: 1, data: hex`05` })[0]?.data).toEqual(hex`01 04 05 dc`);
  });

  test('Quality-Protocol, unknown options, a second MRU and PFC with data are Rejected', () => {
    const [r] = judge(
      {},
      u16Option(1, 1500),
      { type: 4, data: hex`c0 25` },
      { type: 13, data: hex`06` },
      u16Option(1, 1400),
      { type: 7, data: hex`00` },
    );
    expect(r?.code).toBe(4);
    expect(r?.data).toEqual(hex`04 04 c0 25  0d 03 06  01 04 05 78  07 03 00`);
  });

  test('PFC and ACFC are Rejected when not accepted', () => {
    const [r] = judge(
      { acceptPfc: false, acceptAcfc: false },
      { type: 7, data: new Uint8Array(0) },
    );
    expect(r?.code).toBe(4);
  });

  test('Magic-Number 0 is Nak’d with a non-zero one (§6.4)', () => {
    const [r] = judge({ randomBytes: scriptedBytes(0x11111111, 0x22222222) }, u32Option(5, 0));
    expect(r).toEqual({ code: 3, id: 0x40, data: hex`05 06 22 22 22 22` });
  });

  describe('Authentication-Protocol as the authenticated side (§6.2)', () => {
    test('a protocol we support is acknowledged, CHAP algorithms told apart', () => {
      const s = { authSupported: ['mschapv2', 'pap'] as const };
      expect(judge({ authSupported: [...s.authSupported] }, authOption('pap'))[0]?.code).toBe(2);
      expect(judge({ authSupported: [...s.authSupported] }, authOption('mschapv2'))[0]?.code).toBe(
        2,
      );
      const [r] = judge({ authSupported: [...s.authSupported] }, authOption('chap-md5'));
      expect(r).toEqual({ code: 3, id: 0x40, data: hex`03 05 c2 23 81` });
    });
    test('nothing supported: Rejected', () => {
      expect(judge({}, authOption('pap'))[0]?.code).toBe(4);
    });
    test('decodeAuthOption', () => {
      expect(decodeAuthOption(hex`c0 23`)).toBe('pap');
      expect(decodeAuthOption(hex`c0 23 00`)).toBeUndefined();
      expect(decodeAuthOption(hex`c2 23 05`)).toBe('chap-md5');
      expect(decodeAuthOption(hex`c2 23 80`)).toBeUndefined();
      expect(decodeAuthOption(hex`c2`)).toBeUndefined();
    });
  });
});

describe('two LCPs', () => {
  test('agree on MRUs, magic numbers, PFC and ACFC; the framing follows', () => {
    const { A, B } = pair({ mru: 1400, pfc: true, acfc: true }, { mru: 1460 });
    expect([A.state, B.state]).toEqual(['opened', 'opened']);
    const a = A.values;
    const b = B.values;
    expect(a).toMatchObject({ mru: 1400, mtu: 1460, rxPfc: true, rxAcfc: true, txPfc: false });
    expect(b).toMatchObject({ mru: 1460, mtu: 1400, txPfc: true, txAcfc: true, rxPfc: false });
    expect(a?.localMagic).toBe(b?.peerMagic);
    expect(b?.localMagic).toBe(a?.peerMagic);
    expect(a?.localMagic).not.toBe(a?.peerMagic);
    expect(B.framing).toMatchObject({ pfc: true, acfc: true, mtu: 1400 });
    expect(A.framing).toMatchObject({ pfc: false, acfc: false, mtu: 1460 });
  });

  test('authenticator asks CHAP-MD5, the peer only does PAP: Nak, then PAP agreed', () => {
    const { A, B } = pair({ authenticate: ['chap-md5', 'pap'] }, { authSupported: ['pap'] });
    expect(A.values?.authenticatePeer).toBe('pap');
    expect(B.values?.authenticateSelf).toBe('pap');
    expect(A.values?.authenticateSelf).toBeUndefined();
  });

  test('the peer suggests what we do not allow: our next choice; none left: auth-refused', () => {
    const { A, w } = pair({ authenticate: ['mschapv2'] }, { authSupported: ['pap'] });
    expect(A.state).toBe('closed');
    expect(w.events(0, 'finished')).toMatchObject([
      { reason: { by: 'peer', code: 'auth-refused' } },
    ]);
    const b = pair({ authenticate: ['chap-md5', 'mschapv2'] }, { authSupported: ['pap'] });
    expect(b.A.reason.code).toBe('auth-refused');
    // Both of ours were tried before giving up.
    const asked = b.w.logs[0].sent
      .map((f) => decodeControl(decodeFrame(f).information))
      .filter((p) => p.code === 1)
      .map((p) => decodeOptions(p.data).find((o) => o.type === 3)?.data[2]);
    expect(asked).toEqual([0x05, 0x81]);
  });

  test('the peer Rejects authentication: auth-refused', () => {
    const { A } = pair({ authenticate: ['pap'] }, {});
    expect(A.reason).toMatchObject({ by: 'peer', code: 'auth-refused' });
  });

  test('the peer Rejects our magic: we carry on without one (§6.4)', () => {
    const { A, B } = pair({}, { magic: false });
    // B (no magic) still acknowledges A's; only a peer asking itself would be refused.
    expect([A.state, B.state]).toEqual(['opened', 'opened']);
    expect(B.values?.localMagic).toBe(0);
    expect(A.values?.peerMagic).toBe(0);
  });
});

describe('Magic-Number loopback (§6.4)', () => {
  test('a looped link: Naks with new numbers, then LCP closes with loopback', () => {
    const e = lcp({ loopbackLimit: 3 });
    const looped = { e, out: [] as PppOutput[] };
    // Everything we send comes back to us.
    const w = new Wire([packetStation(e), packetStation(e)]);
    w.deliver(0, e.open(0));
    w.deliver(0, e.up(0));
    w.run(60_000);
    const finished = [...w.events(0, 'finished'), ...w.events(1, 'finished')];
    expect(finished[0]).toMatchObject({ reason: { code: 'loopback' } });
    expect(looped.e.state).toBe('closed');
    const naks = [...w.logs[0].sent, ...w.logs[1].sent]
      .map((f) => decodeControl(decodeFrame(f).information))
      .filter((p) => p.code === 3);
    expect(naks.length).toBeGreaterThanOrEqual(2);
    expect(naks.every((p) => p.data[0] === 5)).toBe(true);
  });

  test('our own magic is Nak’d even past Max-Failure, never Rejected', () => {
    const { e, r } = reqSent({ maxFailure: 0, loopbackLimit: 100 });
    const mine = (decodeOptions(r.data) as PppOption[]).find((o) => o.type === 5) as PppOption;
    const [x] = sent(e.handlePacket(req(1, mine), 1));
    expect(x?.code).toBe(3);
  });
});

describe('Echo keepalive (§5.8)', () => {
  test('Echo-Request answered with our magic and the data; not answered before Opened', () => {
    const { e } = reqSent();
    expect(sent(e.handlePacket(encodeControl(9, 1, hex`00 00 00 00 aa`), 1))).toEqual([]);
    const { B, A } = pair({}, {});
    const out = sent(B.handlePacket(encodeControl(9, 7, hex`12 34 56 78 aa bb`), 5));
    const m = B.values?.localMagic ?? 0;
    expect(out).toEqual([
      {
        code: 10,
        id: 7,
        data: Uint8Array.of(m >>> 24, (m >>> 16) & 0xff, (m >>> 8) & 0xff, m & 0xff, 0xaa, 0xbb),
      },
    ]);
    expect(A.state).toBe('opened');
  });

  test('Echo-Requests every interval; replies keep the link; missed ones close it (keepalive)', () => {
    const { A, w } = pair({ echoIntervalMs: 10_000, echoMaxMissed: 2 }, {});
    expect(A.nextDeadline()).toBe(10_000);
    w.run(45_000);
    expect(A.state).toBe('opened');
    const echoes = w.logs[0].sent.filter((f) => decodeFrame(f).information[0] === 9);
    expect(echoes).toHaveLength(4);
    // The peer goes silent.
    w.drop = (from) => from === 1;
    w.run(200_000);
    expect(w.events(0, 'down')).toMatchObject([{ reason: { by: 'timeout', code: 'keepalive' } }]);
    expect(A.state).toBe('closed');
  });

  test('Echo-Replies carrying our own magic do not count as an answer', () => {
    const { A, w } = pair({ echoIntervalMs: 1000, echoMaxMissed: 1 }, {});
    const m = A.values?.localMagic ?? 0;
    // Turn the peer into a mirror of our own magic.
    w.drop = (from, f) => from === 0 && decodeFrame(f).information[0] === 9;
    w.run(1000);
    const echo = w.logs[0].sent.at(-1) as Uint8Array;
    const p = decodeControl(decodeFrame(echo).information);
    A.handlePacket(
      encodeControl(
        10,
        p.id,
        Uint8Array.of(m >>> 24, (m >>> 16) & 0xff, (m >>> 8) & 0xff, m & 0xff),
      ),
      1500,
    );
    w.run(2000);
    expect(A.reason.code).toBe('keepalive');
  });

  test('a Code-Reject of Echo-Request stops the keepalive', () => {
    const { A, w } = pair({ echoIntervalMs: 1000 }, {});
    A.handlePacket(encodeControl(7, 9, hex`09 01 00 08 00 00 00 00`), 500);
    expect(A.nextDeadline()).toBeUndefined();
    w.run(10_000);
    expect(A.state).toBe('opened');
  });
});

describe('Protocol-Reject, Code-Reject, RFC 1570 codes', () => {
  test('protocolReject(): only while Opened, Rejected-Protocol then the information, cut to MRU', () => {
    const { e } = reqSent();
    expect(e.protocolReject(0x8057, hex`01 02`, 1)).toEqual([]);
    const { A } = pair({}, { mru: 200 });
    const info = new Uint8Array(300).fill(0xee);
    const [p] = sent(A.protocolReject(0x8057, info, 2)) as [Sent];
    expect(p.code).toBe(8);
    expect(Array.from(p.data.subarray(0, 2))).toEqual([0x80, 0x57]);
    expect(p.data.length + 4).toBe(200);
  });

  test('a Protocol-Reject received for an NCP is reported; for LCP it is RXJ-', () => {
    const { A } = pair({}, {});
    const out = A.handlePacket(encodeControl(8, 3, hex`80 21 01 01 00 04`), 5);
    expect(out).toContainEqual({
      type: 'event',
      event: { type: 'protocol-rejected', protocol: 0x8021 },
    });
    expect(A.state).toBe('opened');
    const out2 = A.handlePacket(encodeControl(8, 4, hex`c0 21`), 6);
    expect(out2.some((o) => o.type === 'event' && o.event.type === 'down')).toBe(true);
    expect(A.state).toBe('stopping');
    expect(A.reason.code).toBe('protocol-rejected');
  });

  test('Identification (12) and Time-Remaining (13) are accepted silently; code 14 Code-Rejected', () => {
    const { A } = pair({}, {});
    expect(A.handlePacket(encodeControl(12, 1, hex`00 00 00 00 68 69`), 1)).toEqual([]);
    expect(A.handlePacket(encodeControl(13, 2, hex`00 00 00 00 00 00 0e 10`), 1)).toEqual([]);
    expect(A.handlePacket(encodeControl(11, 3, hex`00 00 00 00`), 1)).toEqual([]);
    const [cj] = sent(A.handlePacket(encodeControl(14, 4, hex`01`), 1)) as [Sent];
    expect(cj.code).toBe(7);
    expect(cj.data).toEqual(hex`0e 04 00 05 01`);
  });

  test('short Echo/Protocol-Reject packets are discarded', () => {
    const { A } = pair({}, {});
    const before = A.stats().discarded;
    A.handlePacket(encodeControl(9, 1, hex`00 00`), 1);
    A.handlePacket(encodeControl(10, 1, hex`00`), 1);
    A.handlePacket(encodeControl(8, 1, hex`80`), 1);
    expect(A.stats().discarded - before).toBe(3);
  });
});

test('LcpNegotiator alone: the values before anything was agreed are the defaults', () => {
  const n = new LcpNegotiator({ randomBytes: seededBytes(9) });
  expect(n.values()).toEqual({
    mru: 1500,
    mtu: 1500,
    localMagic: 0,
    peerMagic: 0,
    txPfc: false,
    rxPfc: false,
    txAcfc: false,
    rxAcfc: false,
    peerAccm: undefined,
    authenticatePeer: undefined,
    authenticateSelf: undefined,
  });
});
