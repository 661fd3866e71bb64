// RFC 2661 §4.1 end to end: an ICRQ whose Call Serial Number AVP has a reserved header bit set
// (flags 0xa0, the vector of issue 14) is refused as an unknown mandatory AVP would be.

import { describe, expect, test } from 'vitest';
import { fromTyped } from '../../src/avp/messages.js';
import { encodeControl } from '../../src/codec/control.js';
import { EnginePair } from './pair.js';
import { headerOf, nameOf, typed } from './wire.js';

describe('reserved AVP header bits in L2TPv2 (RFC 2661 §4.1)', () => {
  test('RFC 2661 §4.1: an ICRQ with a reserved bit on its M=1 Call Serial Number is answered with CDN 2/8', () => {
    const p = new EnginePair();
    p.establish();
    p.drive(1000);
    const s = p.a.engine.stats().channel;
    const avps = fromTyped({
      type: 'ICRQ',
      version: 2,
      assignedSessionId: 4242,
      callSerialNumber: 1,
    }).map((a) => (a.attributeType === 15 ? { ...a, reserved: 0b1000 } : a));
    const icrq = encodeControl({
      header: {
        version: 2,
        tunnelId: p.b.engine.localTunnelId,
        sessionId: 0,
        ns: s.nextNs,
        nr: s.nr,
      },
      avps,
    });
    expect(icrq[icrq.length - 10]).toBe(0xa0); // the vector's flags octet
    p.b.perform(p.b.engine, p.b.engine.handleDatagram(icrq, p.now), p.now);
    p.drive(500);
    const cdn = p.b.sent.find((x) => nameOf(x.bytes) === 'CDN')?.bytes as Uint8Array;
    expect(typed(cdn)).toMatchObject({ type: 'CDN', resultCode: { resultCode: 2, errorCode: 8 } });
    expect(headerOf(cdn).sessionId).toBe(4242);
    expect(p.b.engine.state).toBe('established'); // session scope: the tunnel stays
    expect(p.b.eventsOf('session-up')).toEqual([]);
  });
});
