// The engine's relay hooks (what a tunnel switch builds on): callAvps hands the host the peer's
// call AVPs (request, establishing message, CDN) with hidden values revealed; extraAvps and
// CloseReason.avps put AVPs into our ICRQ / ICCN / CDN, replacing what the engine would write.

import { describe, expect, test } from 'vitest';
import type { RawAvp } from '../../src/avp/raw.js';
import { AvpType, CdnResult } from '../../src/constants.js';
import type { IncomingSessionInfo } from '../../src/options.js';
import { EnginePair, SECRET } from './pair.js';
import { nameOf, rawAvps, sentOf } from './wire.js';

const enc = new TextEncoder();
const dec = new TextDecoder();

function avp(type: number, value: Uint8Array | string, mandatory = false): RawAvp {
  return {
    mandatory,
    hidden: false,
    vendorId: 0,
    attributeType: type,
    value: typeof value === 'string' ? enc.encode(value) : value,
  };
}

function textOf(avps: readonly RawAvp[] | undefined, type: number): string[] {
  return (avps ?? [])
    .filter((a) => a.vendorId === 0 && a.attributeType === type)
    .map((a) => dec.decode(a.value));
}

describe('callAvps / extraAvps / CloseReason.avps', () => {
  test('extra AVPs go into ICRQ and ICCN, replacing the engine’s own of the same type; the peer sees them with callAvps, hidden ones revealed', () => {
    const seen: IncomingSessionInfo[] = [];
    const p = new EnginePair({
      a: { secret: SECRET, hiddenFields: ['callingNumber'] },
      b: {
        secret: SECRET,
        callAvps: true,
        acceptSession: (i) => {
          seen.push(i);
          return true;
        },
      },
    });
    p.establish();
    const tsaId = avp(AvpType.TunnelSwitchingAggregatorId, 'tsa-1');
    const serial = avp(AvpType.CallSerialNumber, Uint8Array.from([0, 0, 0x30, 0x39]), true);
    const proxyName = avp(AvpType.ProxyAuthenName, 'alice@example.net');
    // An engine-owned type (Assigned Session ID) in the extras is ignored.
    const bogusId = avp(AvpType.AssignedSessionId, Uint8Array.from([0xff, 0xff]), true);
    p.openSession(p.a, {
      callingNumber: '5551234',
      calledNumber: 'engine-written',
      extraAvps: {
        request: [tsaId, serial, avp(AvpType.CalledNumber, 'relayed', true), bogusId],
        connect: [proxyName],
      },
    });
    p.driveBounded(() => p.b.eventsOf('session-up').length === 1);
    const icrq = rawAvps(
      p.a.sent.find((s) => nameOf(s.bytes, SECRET) === 'ICRQ')?.bytes as Uint8Array,
    );
    expect(textOf(icrq, AvpType.CalledNumber)).toEqual(['relayed']);
    expect(icrq.filter((a) => a.attributeType === AvpType.AssignedSessionId)).toHaveLength(1);
    expect(icrq.find((a) => a.attributeType === AvpType.CallSerialNumber)?.value).toEqual(
      serial.value,
    );
    // At the LNS: the request's AVPs, Calling Number revealed (it was hidden on the wire).
    const info = seen[0] as IncomingSessionInfo;
    expect(icrq.find((a) => a.attributeType === AvpType.CallingNumber)?.hidden).toBe(true);
    expect(textOf(info.avps, AvpType.CallingNumber)).toEqual(['5551234']);
    expect(textOf(info.avps, AvpType.TunnelSwitchingAggregatorId)).toEqual(['tsa-1']);
    const incoming = p.b.eventsOf('incoming-session')[0]?.value as { avps?: readonly RawAvp[] };
    expect(textOf(incoming.avps, AvpType.CalledNumber)).toEqual(['relayed']);
    // session-up at the LNS carries the ICCN's AVPs.
    const up = p.b.eventsOf('session-up')[0]?.value as { avps?: readonly RawAvp[] };
    expect(textOf(up.avps, AvpType.ProxyAuthenName)).toEqual(['alice@example.net']);
    // Without callAvps (the LAC side) nothing is attached.
    const lacUp = p.a.eventsOf('session-up')[0]?.value as { avps?: unknown };
    expect(lacUp).toBeDefined();
    expect(lacUp.avps).toBeUndefined();
  });

  test('the LAC with callAvps gets the LNS’s ICRP AVPs with session-up', () => {
    const p = new EnginePair({ a: { callAvps: true } });
    p.establish();
    p.openSession(p.a);
    p.driveBounded(() => p.a.eventsOf('session-up').length === 1);
    const up = p.a.eventsOf('session-up')[0]?.value as { avps?: readonly RawAvp[] };
    expect(up.avps?.[0]).toMatchObject({ attributeType: AvpType.MessageType });
    expect(up.avps?.[0]?.value).toEqual(Uint8Array.from([0, 11])); // ICRP
  });

  test('CloseReason.avps go into the CDN; the peer’s down reason carries the CDN’s AVPs', () => {
    const p = new EnginePair({ b: { callAvps: true } });
    p.establish();
    const sid = p.openSession(p.a);
    p.driveBounded(() => p.b.eventsOf('session-up').length === 1);
    const q931 = avp(AvpType.Q931CauseCode, Uint8Array.from([0, 16, 0]), true);
    p.run(p.a, (e, now) =>
      e.closeSession(sid, now, {
        resultCode: CdnResult.LossOfCarrier,
        message: 'bye',
        avps: [q931],
      }),
    );
    p.driveBounded(() => p.b.eventsOf('session-down').length === 1);
    const cdn = sentOf(p.a, 'CDN')[0];
    expect(cdn).toMatchObject({ resultCode: { resultCode: 1 } });
    const down = p.b.eventsOf('session-down')[0]?.value as {
      reason: { by: string; avps?: readonly RawAvp[] };
    };
    expect(down.reason.by).toBe('peer');
    expect(down.reason.avps?.find((a) => a.attributeType === AvpType.Q931CauseCode)?.value).toEqual(
      q931.value,
    );
    // The LAC (no callAvps) sees no AVPs on its own reasons.
    const mine = p.a.eventsOf('session-down')[0]?.value as { reason: { avps?: unknown } };
    expect(mine.reason.avps).toBeUndefined();
  });
});

describe('notifyPeer', () => {
  test('sends a WEN with the given AVPs; refuses one without Call Errors and a session not established', () => {
    const p = new EnginePair({ b: { callAvps: true } });
    p.establish();
    const sid = p.openSession(p.a);
    p.driveBounded(() => p.b.eventsOf('session-up').length === 1);
    const callErrors = new Uint8Array(26);
    callErrors[5] = 9; // CRC errors = 9
    p.run(p.a, (e, now) =>
      e.notifyPeer(sid, 'WEN', [avp(AvpType.CallErrors, callErrors, true)], now),
    );
    p.driveBounded(() => p.b.eventsOf('wen').length === 1);
    const wen = p.b.eventsOf('wen')[0]?.value as {
      callErrors: { crcErrors: number };
      avps?: readonly RawAvp[];
    };
    expect(wen.callErrors.crcErrors).toBe(9);
    expect(wen.avps?.find((a) => a.attributeType === AvpType.CallErrors)?.value).toEqual(
      callErrors,
    );
    expect(() => p.a.engine.notifyPeer(sid, 'WEN', [], p.now)).toThrow(/notifyPeer\(WEN\)/);
    expect(() => p.a.engine.notifyPeer(sid + 1, 'WEN', [], p.now)).toThrow(/not established/);
  });
});
