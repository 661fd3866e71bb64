// RFC 2661 §4.3: hidden AVP values may carry random padding after the original value, so their
// length says nothing of it; `hiddenValueMinLength` pads each hidden value to at least that many
// octets (l2tpns refuses hidden values shorter than 8). The peer unhides them as usual.

import { expect, test } from 'vitest';
import { AvpType } from '../../src/constants.js';
import { EnginePair, SECRET } from './pair.js';
import { isControl, nameOf, rawAvps } from './wire.js';

test.each([
  [0, 4],
  [16, 16],
])(
  'hiddenValueMinLength %d: the hidden Assigned Session ID is %d octets on the wire and the call comes up',
  (min, wire) => {
    const p = new EnginePair({
      a: {
        secret: SECRET,
        hiddenFields: ['assignedSessionId'],
        hiddenValueMinLength: min,
      },
      b: { secret: SECRET },
    });
    p.establish();
    const id = p.openSession(p.a);
    p.driveBounded(() => p.a.engine.isSessionUp(id) && p.b.eventsOf('session-up').length === 1);
    const icrq = p.a.sent.find((s) => isControl(s.bytes) && nameOf(s.bytes, SECRET) === 'ICRQ');
    const avp = rawAvps(icrq?.bytes as Uint8Array).find(
      (a) => a.attributeType === AvpType.AssignedSessionId,
    );
    expect(avp?.hidden).toBe(true);
    // The hidden value: 2-octet original length + 2-octet id + padding.
    expect(avp?.value.length).toBe(wire);
    expect(p.b.eventsOf('session-up')[0]?.value.peerSessionId).toBe(id);
  },
);
