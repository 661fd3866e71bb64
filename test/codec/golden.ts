/**
 * Golden L2TP headers built by hand from the RFC figures (RFC 2661 §3.1, RFC 3931 §3.2.1,
 * §4.1.1.1–2, §4.1.2.1, §4.6, RFC 4454 §4.1), as annotated hex, with the values each field must
 * decode to. Shared by the header, classifier, property and oracle tests.
 */

import type {
  ControlHeader,
  DataHeader,
  DataMessage,
  DataParams,
  Encapsulation,
} from '../../src/codec/header.js';
import { SUBLAYER_BITS } from '../../src/codec/header.js';
import { hex } from '../helpers/hex.js';

export interface ControlCase {
  name: string;
  encap: Encapsulation;
  bytes: Uint8Array; // whole message: header + body
  header: ControlHeader;
  headerLength: number;
}

export const CONTROL_CASES: ControlCase[] = [
  {
    name: 'v2 control (SCCRQ-sized)',
    encap: 'udp',
    bytes: hex`
      c8 02        // T=1 L=1 S=1 O=0 P=0, Ver 2   (RFC 2661 §3.1)
      00 14        // Length 20
      12 34        // Tunnel ID 0x1234
      ab cd        // Session ID 0xabcd
      01 02        // Ns 258
      03 04        // Nr 772
      80 08 00 00 00 00 00 01   // body: Message Type AVP (not decoded here)
    `,
    header: { version: 2, tunnelId: 0x1234, sessionId: 0xabcd, ns: 258, nr: 772, length: 20 },
    headerLength: 12,
  },
  {
    name: 'v2 ZLB',
    encap: 'udp',
    bytes: hex`c8 02  00 0c  ff ff  00 00  ff ff  00 00   // Length 12 = header only`,
    header: { version: 2, tunnelId: 0xffff, sessionId: 0, ns: 0xffff, nr: 0, length: 12 },
    headerLength: 12,
  },
  {
    name: 'v3 control over UDP',
    encap: 'udp',
    bytes: hex`
      c8 03        // T=1 L=1 S=1, Ver 3          (RFC 3931 §3.2.1)
      00 14        // Length 20
      de ad be ef  // Control Connection ID 0xdeadbeef (> 2^31: must stay unsigned)
      00 05        // Ns 5
      00 06        // Nr 6
      80 08 00 00 00 00 00 14   // body
    `,
    header: { version: 3, connectionId: 0xdeadbeef, ns: 5, nr: 6, length: 20 },
    headerLength: 12,
  },
  {
    name: 'v3 control over IP',
    encap: 'ip',
    bytes: hex`
      00 00 00 00  // Session ID 0 = control       (RFC 3931 §4.1.1.2)
      c8 03        // T=1 L=1 S=1, Ver 3
      00 14        // Length 20, from the T bit on (the zero Session ID is not counted)
      ff ff ff ff  // Control Connection ID 2^32-1
      ff ff        // Ns 65535
      00 00        // Nr 0
      80 08 00 00 00 00 00 14   // body
    `,
    header: { version: 3, connectionId: 0xffffffff, ns: 0xffff, nr: 0, length: 20 },
    headerLength: 16,
  },
];

export interface DataCase {
  name: string;
  params: DataParams;
  bytes: Uint8Array; // whole datagram: header + payload
  fields: DataHeader;
  message: DataMessage;
  headerLength: number;
}

export const LCP = hex`ff 03 c0 21 09 01 00 08 de ad be ef`; // PPP LCP Echo-Request
export const ETH = hex`ff ff ff ff ff ff 02 00 00 00 00 01 08 06`; // start of an Ethernet ARP frame
export const COOKIE8 = hex`01 23 45 67 89 ab cd ef`;
export const COOKIE4 = hex`ca fe f0 0d`;

export const DATA_CASES: DataCase[] = [
  {
    name: 'v2 data, no optional fields',
    params: { version: 2 },
    bytes: hex`
      00 02        // T=0 L=0 S=0 O=0 P=0, Ver 2  (RFC 2661 §3.1)
      00 07        // Tunnel ID 7
      ff ee        // Session ID 0xffee
      ${'ff 03 c0 21 09 01 00 08 de ad be ef'}   // payload (LCP)
    `,
    fields: { version: 2, tunnelId: 7, sessionId: 0xffee },
    message: {
      version: 2,
      tunnelId: 7,
      sessionId: 0xffee,
      length: undefined,
      ns: undefined,
      nr: undefined,
      offsetSize: undefined,
      priority: false,
      payload: LCP,
    },
    headerLength: 6,
  },
  {
    name: 'v2 data, L S O P all set',
    params: { version: 2 },
    bytes: hex`
      4b 02        // T=0 L=1 S=1 O=1 P=1, Ver 2
      00 1d        // Length 29 = 17 header + 12 payload
      00 01        // Tunnel ID 1
      00 02        // Session ID 2
      00 03        // Ns 3
      00 00        // Nr 0 (reserved on data)
      00 03        // Offset Size 3
      00 00 00     // offset padding
      ${'ff 03 c0 21 09 01 00 08 de ad be ef'}
    `,
    fields: {
      version: 2,
      tunnelId: 1,
      sessionId: 2,
      length: 29,
      ns: 3,
      nr: 0,
      offsetSize: 3,
      priority: true,
    },
    message: {
      version: 2,
      tunnelId: 1,
      sessionId: 2,
      length: 29,
      ns: 3,
      nr: 0,
      offsetSize: 3,
      priority: true,
      payload: LCP,
    },
    headerLength: 17,
  },
  {
    name: 'v3 data over UDP, 8-byte cookie, default sublayer',
    params: { version: 3, encap: 'udp', cookieLength: 8, sublayer: 'default' },
    bytes: hex`
      00 03 00 00                // T=0, Ver 3, Reserved   (RFC 3931 §4.1.2.1)
      80 00 00 01                // Session ID 0x80000001
      01 23 45 67 89 ab cd ef    // Cookie (64 bits)
      40 00 00 2a                // Default sublayer: S=1, Sequence Number 42 (RFC 3931 §4.6)
      ${'ff ff ff ff ff ff 02 00 00 00 00 01 08 06'}
    `,
    fields: {
      version: 3,
      encap: 'udp',
      sessionId: 0x80000001,
      cookie: COOKIE8,
      sublayer: 'default',
      ns: 42,
    },
    message: {
      version: 3,
      sessionId: 0x80000001,
      cookieOffset: 8,
      cookieLength: 8,
      ns: 42,
      atmFlags: 0,
      payload: ETH,
    },
    headerLength: 20,
  },
  {
    name: 'v3 data over IP, 4-byte cookie, ATM sublayer',
    params: { version: 3, encap: 'ip', cookieLength: 4, sublayer: 'atm' },
    bytes: hex`
      ff ff ff fe                // Session ID 0xfffffffe  (RFC 3931 §4.1.1.1)
      ca fe f0 0d                // Cookie (32 bits)
      4a ff ff fe                // ATM sublayer: S=1 T=1 C=1, Sequence 0xfffffe (RFC 4454 §4.1)
      ${'ff 03 c0 21 09 01 00 08 de ad be ef'}
    `,
    fields: {
      version: 3,
      encap: 'ip',
      sessionId: 0xfffffffe,
      cookie: COOKIE4,
      sublayer: 'atm',
      ns: 0xfffffe,
      atmFlags: SUBLAYER_BITS.T | SUBLAYER_BITS.C,
    },
    message: {
      version: 3,
      sessionId: 0xfffffffe,
      cookieOffset: 4,
      cookieLength: 4,
      ns: 0xfffffe,
      atmFlags: 0x0a,
      payload: LCP,
    },
    headerLength: 12,
  },
  {
    name: 'v3 data over IP, no cookie, no sublayer',
    params: { version: 3, encap: 'ip', cookieLength: 0, sublayer: 'none' },
    bytes: hex`00 00 00 01   // Session ID 1
               ${'ff ff ff ff ff ff 02 00 00 00 00 01 08 06'}`,
    fields: { version: 3, encap: 'ip', sessionId: 1, sublayer: 'none' },
    message: {
      version: 3,
      sessionId: 1,
      cookieOffset: 4,
      cookieLength: 0,
      ns: undefined,
      atmFlags: 0,
      payload: ETH,
    },
    headerLength: 4,
  },
  {
    name: 'v3 data over UDP, no cookie, default sublayer without sequence',
    params: { version: 3, encap: 'udp', cookieLength: 0, sublayer: 'default' },
    bytes: hex`00 03 00 00  00 00 00 09  00 00 00 00  // S=0: Sequence Number ignored
               ${'ff 03 c0 21 09 01 00 08 de ad be ef'}`,
    fields: { version: 3, encap: 'udp', sessionId: 9, sublayer: 'default' },
    message: {
      version: 3,
      sessionId: 9,
      cookieOffset: 8,
      cookieLength: 0,
      ns: undefined,
      atmFlags: 0,
      payload: LCP,
    },
    headerLength: 12,
  },
];
