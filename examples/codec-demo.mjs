// l2tp-core demo: two UDP sockets on 127.0.0.1 play LAC and LNS. The LAC side builds real L2TP
// control and data messages with l2tp-core (tunnel challenge, hidden AVPs, L2TPv3 with a Message
// Digest, a sequenced PPP data frame) and also replays messages captured from xl2tpd 1.3.18. The
// LNS side classifies every datagram, decodes and validates it, unhides hidden AVPs with the
// shared secret, verifies the challenge response and prints what it saw.
// Both reliable-channel ends run on the real clock for a tiny three-message exchange.
// Run: npm run demo   (builds first)
import dgram from 'node:dgram';
import {
  buildControl,
  challengeResponse,
  classify,
  decodeControl,
  decodeData,
  describeControlMessage,
  describeControlMessageVerbose,
  describeDataMessage,
  encodeControl,
  encodeData,
  L2tpError,
  parseControl,
  ReliableChannel,
  stringValue,
  toHex,
  unhideAvps,
  verifyChallengeResponse,
  verifyMessageDigest,
  writeMessageDigest,
} from '../dist/index.js';
import { nodeCrypto } from '../dist/node/index.js';

const secret = new TextEncoder().encode('demo-secret');
const rand = (n) => crypto.getRandomValues(new Uint8Array(n));

// Messages captured from xl2tpd 1.3.18 (LAC) talking to xl2tpd 1.3.18 (LNS) on loopback;
// provenance in docs/fixtures.md (test/fixtures/xl2tpd/basic.pcap).
const XL2TPD_CAPTURED = [
  // frame 1: SCCRQ, LAC → LNS
  'c8020069000000000000000080080000000000018008000000020100800a0000000300000003800a00000004000000000008000000060690800e000000076c61632e7465737400130000000878656c6572616e63652e636f6d800800000009893580080000000a0004',
  // frame 2: SCCRP, LNS → LAC
  'c8020069893500000000000180080000000000028008000000020100800a0000000300000003800a00000004000000000008000000060690800e000000076c6e732e7465737400130000000878656c6572616e63652e636f6d800800000009727080080000000a0004',
  // frame 5: ICRQ
  'c80200307270000000020001800800000000000a80080000000e87b0800a0000000f00000001800a0000001200000000',
  // frame 10: CDN, LNS → LAC
  'c8020026893587b000020004800800000000000e800a000000010001000080080000000ea790',
  // frame 16: StopCCN "Goodbye!"
  'c802002e72700000000500048008000000000004800800000009893580120000000100010000476f6f6462796521',
  // frame 17: ZLB
  'c802000c8935000000040006',
];

const lns = dgram.createSocket('udp4');
const lac = dgram.createSocket('udp4');
await new Promise((r) => lns.bind(0, '127.0.0.1', r));
await new Promise((r) => lac.bind(0, '127.0.0.1', r));
const lnsPort = lns.address().port;
console.log(`LNS listening on 127.0.0.1:${lnsPort}, LAC on 127.0.0.1:${lac.address().port}\n`);

const challenge = rand(16);
let expected = 0;
let received = 0;
let done;
const finished = new Promise((r) => {
  done = r;
});

lns.on('message', (bytes) => {
  received++;
  const c = classify(bytes, 'udp');
  try {
    if (c.kind === 'control') {
      const raw = decodeControl(bytes);
      console.log(`← ${describeControlMessage(raw)}`);
      const parsed = parseControl(bytes, { secret, crypto: nodeCrypto });
      const m = parsed.message;
      // Show the AVPs as the LNS sees them once unhidden, marking those that came hidden.
      const avps = unhideAvps(raw.avps, secret, nodeCrypto);
      const lines = describeControlMessageVerbose({ header: raw.header, avps })
        .split('\n')
        .slice(1);
      console.log(
        lines.map((l, i) => (raw.avps[i]?.hidden ? `${l}   (was hidden)` : l)).join('\n'),
      );
      if (m.type === 'SCCCN' && m.version === 2 && m.challengeResponse) {
        const ok = verifyChallengeResponse(3, secret, challenge, m.challengeResponse, nodeCrypto);
        console.log(`  challenge response ${ok ? 'verified' : 'WRONG'} (RFC 2661 §5.1.1)`);
      }
      if (m.version === 3 && m.messageDigest) {
        const off = digestOffset(bytes);
        const ok = verifyMessageDigest(bytes, off, secret, undefined, nodeCrypto);
        console.log(`  message digest ${ok ? 'verified' : 'WRONG'} (RFC 3931 §5.4.1)`);
      }
    } else if (c.kind === 'data') {
      const d = decodeData(bytes, { version: 2 });
      console.log(`← ${describeDataMessage(d)}`);
      console.log(`  payload (${d.payload.length} bytes): ${toHex(d.payload, 24)}`);
    } else {
      console.log(`← invalid datagram: ${c.reason}`);
    }
  } catch (err) {
    if (!(err instanceof L2tpError)) throw err;
    console.log(`  rejected: ${err.name} ${err.code}: ${err.message}`);
  }
  console.log();
  if (received === expected) done();
});

function digestOffset(bytes) {
  const raw = decodeControl(bytes);
  let off = 12;
  for (const a of raw.avps) {
    if (a.vendorId === 0 && a.attributeType === 59) return off;
    off += 6 + a.value.length;
  }
  return -1;
}

const send = (bytes) =>
  new Promise((r) => {
    expected++;
    lac.send(bytes, lnsPort, '127.0.0.1', r);
  });

// 1. A reliable channel assigns Ns/Nr; here the LAC's side of a v2 control connection.
const channel = new ReliableChannel();
const now = () => performance.now();
const v2 = (tunnelId, sessionId, out) => ({
  version: 2,
  tunnelId,
  sessionId,
  ns: out.ns,
  nr: out.nr,
});

const sccrq = {
  type: 'SCCRQ',
  version: 2,
  protocolVersion: { version: 1, revision: 0 },
  hostName: stringValue('lac.demo'),
  framingCapabilities: 3,
  bearerCapabilities: 3,
  assignedTunnelId: 4242,
  receiveWindowSize: 8,
  challenge,
  vendorName: stringValue('l2tp-core demo'),
};
for (const out of channel.send(sccrq, now())) {
  if (out.type === 'transmit') {
    await send(
      buildControl(v2(0, 0, out), out.body, {
        hide: ['assignedTunnelId', 'vendorName'],
        secret,
        randomVector: rand(16),
        crypto: nodeCrypto,
      }),
    );
  }
}

// 2. The LNS's SCCRP would carry its own challenge; answer with SCCCN + Challenge Response.
const scccn = {
  type: 'SCCCN',
  version: 2,
  challengeResponse: challengeResponse(3, secret, challenge, nodeCrypto),
};
await send(buildControl({ version: 2, tunnelId: 17, sessionId: 0, ns: 1, nr: 1 }, scccn));

// 3. An incoming call, with the Call Serial Number hidden.
await send(
  buildControl(
    { version: 2, tunnelId: 17, sessionId: 0, ns: 2, nr: 1 },
    { type: 'ICRQ', version: 2, assignedSessionId: 7, callSerialNumber: 1, bearerType: 2 },
    {
      hide: ['assignedSessionId', 'callSerialNumber'],
      secret,
      randomVector: rand(16),
      crypto: nodeCrypto,
    },
  ),
);

// 4. A PPP frame (LCP Configure-Request) on session 7 with sequencing: header and payload are
//    sent scatter/gather, the payload is never copied.
const ppp = Uint8Array.from([0xff, 0x03, 0xc0, 0x21, 0x01, 0x01, 0x00, 0x04]);
const [header, payload] = encodeData({ version: 2, tunnelId: 17, sessionId: 7, ns: 0, nr: 0 }, ppp);
await send(Buffer.concat([header, payload]));

// 5. L2TPv3 SCCRQ with an HMAC-MD5 Message Digest (RFC 3931 §5.4.1), computed in place.
const v3 = buildControl(
  { version: 3, connectionId: 0, ns: 0, nr: 0 },
  {
    type: 'SCCRQ',
    version: 3,
    hostName: stringValue('lcce.demo'),
    routerId: 0x0a050101,
    assignedControlConnectionId: 0xdeadbeef,
    pseudowireCapabilitiesList: [0x0005, 0x0004],
    messageDigest: { digestType: 0, digest: new Uint8Array(16) },
    controlMessageAuthenticationNonce: rand(16),
  },
);
writeMessageDigest(v3, digestOffset(v3), secret, undefined, nodeCrypto);
await send(v3);

// 6. A malformed message: an unknown AVP with the M bit set → the LNS must tear down (StopCCN,
//    Result 2, Error 8), and a truncated datagram → dropped.
const bad = decodeControl(
  buildControl(
    { version: 2, tunnelId: 17, sessionId: 0, ns: 3, nr: 1 },
    { type: 'HELLO', version: 2 },
  ),
);
await send(
  encodeControl({
    header: { version: 2, tunnelId: 17, sessionId: 0, ns: 3, nr: 1 },
    avps: [
      ...bad.avps,
      { mandatory: true, hidden: false, vendorId: 0, attributeType: 250, value: Uint8Array.of(1) },
    ],
  }),
);
await send(Uint8Array.of(0xc8, 0x02, 0x00));

// 7. Real messages captured from xl2tpd.
for (const hex of XL2TPD_CAPTURED) await send(Buffer.from(hex, 'hex'));

// Wait for every datagram, at most 2 s; clear the timer so the process exits as soon as it is done.
let timer;
await Promise.race([finished, new Promise((r) => (timer = setTimeout(r, 2000)))]);
clearTimeout(timer);
console.log(`LNS decoded ${received} of ${expected} datagrams.`);
lac.close();
lns.close();
