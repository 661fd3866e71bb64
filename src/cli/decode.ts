/**
 * `l2tp-core decode`: L2TP datagrams (hex or from a capture) to one readable line each, the AVPs
 * with `-v`, JSON lines with `--json`. With `--secret`: hidden AVPs are unhidden (RFC 2661 §4.3,
 * RFC 3931 §5.3), v2 Challenge Responses are checked against the challenges seen earlier in the
 * same tunnel (RFC 2661 §4.2, §5.1.1) and v3 Message Digests with the nonces seen (RFC 3931 §5.4.1).
 * Malformed datagrams are reported with their byte offset and reason, and decoding goes on.
 * Not here: argument parsing (main.ts), capture framing (capture.ts).
 */

import { verifyChallengeResponse, verifyMessageDigest } from '../avp/auth.js';
import { describeAvp, describeControlMessage } from '../avp/describe.js';
import { deriveV3HidingKey, unhideAvps } from '../avp/hidden.js';
import { decodeAvps, findAvp, messageTypeOf, type RawAvp } from '../avp/raw.js';
import { lookupAvp } from '../avp/registry.js';
import { classify } from '../codec/classify.js';
import type { RawControlMessage } from '../codec/control.js';
import { decodeControlHeader, decodeDataV2, type Encapsulation } from '../codec/header.js';
import { AvpType, avpTypeName, MessageType, messageTypeName, vendorIdName } from '../constants.js';
import { L2tpError } from '../errors.js';
import { nodeCrypto } from '../node/crypto.js';

/** What `decode` prints and checks. */
export interface DecodeOptions {
  /** Print every AVP under its message. */
  readonly verbose: boolean;
  /** One JSON object per datagram instead of text. */
  readonly json: boolean;
  /** Shared secret: unhide AVPs, verify Challenge Responses and Message Digests. */
  readonly secret?: string;
}

/** Where a datagram came from: a capture frame (with addresses) or the n-th hex input. */
export interface DatagramSource {
  /** Capture frame number, or the 1-based index of the hex input. */
  readonly frame: number;
  readonly encap: Encapsulation;
  readonly src?: string;
  readonly dst?: string;
  readonly srcPort?: number;
  readonly dstPort?: number;
}

/** Result of one authentication check, as printed. */
interface AuthNote {
  readonly check: 'challenge-response' | 'message-digest';
  /** true verified, false mismatch, undefined not checkable. */
  readonly ok: boolean | undefined;
  readonly text: string;
}

/** What one end of a control connection advertised in its SCCRQ or SCCRP. */
interface ConnectionEnd {
  readonly frame: number;
  readonly challenge: Uint8Array | undefined;
  readonly nonce: Uint8Array | undefined;
  /** Key of the other end, once its SCCRP (or the SCCRP answering it) was seen. */
  peer: string | undefined;
}

const CHALLENGE = AvpType.Challenge;
const CHALLENGE_RESPONSE = AvpType.ChallengeResponse;
const NONCE = AvpType.ControlMessageAuthenticationNonce;
const DIGEST = AvpType.MessageDigest;

function u32(b: Uint8Array): number | undefined {
  if (b.length !== 4) return undefined;
  return (
    (b[0] as number) * 0x1000000 +
    (((b[1] as number) << 16) | ((b[2] as number) << 8) | (b[3] as number))
  );
}

function u16(b: Uint8Array): number | undefined {
  return b.length === 2 ? ((b[0] as number) << 8) | (b[1] as number) : undefined;
}

/** Name of an AVP for JSON: the IETF name, or `Vendor:name`. */
function avpName(avp: RawAvp): string {
  if (avp.vendorId === 0) return avpTypeName(avp.attributeType);
  const info = lookupAvp(avp.vendorId, avp.attributeType);
  return `${vendorIdName(avp.vendorId)}:${info?.name ?? avp.attributeType}`;
}

/** The value part of describeAvp's `Name (type) [MH] = value`. */
function avpValueText(avp: RawAvp, kind: 'StopCCN' | 'CDN' | undefined): string {
  const line = describeAvp(avp, kind);
  const at = line.indexOf('] = ');
  return at < 0 ? line : line.slice(at + 4);
}

/** Parses hex text (whitespace, `:` separators and a `0x` prefix allowed); a reason on failure. */
export function parseHex(text: string): Uint8Array | string {
  const clean = text.replace(/^\s*0x/i, '').replace(/[\s:]/g, '');
  if (clean.length === 0) return 'empty hex input';
  const bad = clean.search(/[^0-9a-fA-F]/);
  if (bad >= 0) return `not a hex digit: ${JSON.stringify(clean[bad])} at character ${bad}`;
  if (clean.length % 2 !== 0) return `odd number of hex digits (${clean.length})`;
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Decodes datagrams one by one and writes their description through `write` (one call per
 * output line, without the newline). Keeps the per-tunnel state that authentication checks need,
 * so feed the datagrams of one capture in order to one instance.
 */
export class Decoder {
  /** Datagrams that could not be decoded (or unhidden). */
  errors = 0;
  /** Authentication checks that failed. */
  mismatches = 0;
  /** Datagrams seen. */
  datagrams = 0;
  readonly #options: DecodeOptions;
  readonly #write: (line: string) => void;
  readonly #secret: Uint8Array | undefined;
  readonly #v3HidingKey: Uint8Array | undefined;
  readonly #ends = new Map<string, ConnectionEnd>();

  constructor(options: DecodeOptions, write: (line: string) => void) {
    this.#options = options;
    this.#write = write;
    if (options.secret !== undefined) {
      this.#secret = new TextEncoder().encode(options.secret);
      this.#v3HidingKey = deriveV3HidingKey(this.#secret, nodeCrypto);
    }
  }

  /** Reports a datagram that never reached the L2TP decoder (capture framing problem). */
  problem(source: DatagramSource, offset: number, code: string, reason: string): void {
    this.errors++;
    if (this.#options.json) {
      this.#write(JSON.stringify({ ...sourceJson(source), kind: 'error', code, offset, reason }));
    } else {
      this.#write(`${prefix(source)}malformed at offset ${offset}: ${reason} (${code})`);
    }
  }

  /** Decodes and prints one L2TP datagram (UDP payload, or IP payload for encap 'ip'). */
  datagram(source: DatagramSource, bytes: Uint8Array): void {
    this.datagrams++;
    try {
      const cls = classify(bytes, source.encap);
      if (cls.kind === 'data') {
        this.#data(source, bytes);
        return;
      }
      const { header, avpStart, end } = decodeControlHeader(bytes, source.encap);
      let avps: readonly RawAvp[] = decodeAvps(bytes, avpStart, end);
      // The H bits as on the wire: unhiding clears them, the output keeps them (as tshark does).
      const wasHidden = avps.map((a) => a.hidden);
      if (this.#secret !== undefined && avps.some((a) => a.hidden)) {
        const key = header.version === 2 ? this.#secret : this.#v3HidingKey;
        avps = unhideAvps(avps, key, nodeCrypto);
      }
      const message: RawControlMessage = { header, avps };
      const notes =
        this.#secret === undefined ? [] : this.#authenticate(source, bytes, message, avpStart, end);
      this.#printControl(source, message, notes, wasHidden);
    } catch (err) {
      if (!(err instanceof L2tpError)) throw err;
      this.problem(source, err.offset ?? 0, err.code, err.message);
    }
  }

  #data(source: DatagramSource, bytes: Uint8Array): void {
    const cls = classify(bytes, source.encap);
    if (cls.kind !== 'data') return;
    if (cls.version === 2) {
      const d = decodeDataV2(bytes);
      const seq = d.ns === undefined ? '' : `, Ns=${d.ns}, Nr=${d.nr}`;
      if (this.#options.json) {
        this.#write(
          JSON.stringify({
            ...sourceJson(source),
            kind: 'data',
            version: 2,
            tunnelId: d.tunnelId,
            sessionId: d.sessionId,
            ns: d.ns ?? null,
            nr: d.nr ?? null,
            payloadLength: d.payload.length,
          }),
        );
      } else {
        this.#write(
          `${prefix(source)}L2TPv2 data (tunnel ${d.tunnelId}, session ${d.sessionId}${seq}, ${d.payload.length} bytes)`,
        );
      }
      return;
    }
    // Cookie length and sublayer are negotiated, not in the packet: show what follows the id.
    const after = bytes.length - (source.encap === 'ip' ? 4 : 8);
    const id = `0x${cls.sessionId.toString(16).padStart(8, '0')}`;
    if (this.#options.json) {
      this.#write(
        JSON.stringify({
          ...sourceJson(source),
          kind: 'data',
          version: 3,
          sessionId: cls.sessionId,
          payloadLength: after,
        }),
      );
    } else {
      this.#write(
        `${prefix(source)}L2TPv3 data (session ${id}, ${after} bytes after the Session ID)`,
      );
    }
  }

  #printControl(
    source: DatagramSource,
    message: RawControlMessage,
    notes: readonly AuthNote[],
    wasHidden: readonly boolean[],
  ): void {
    // Hidden on the wire, plaintext here: unhidden with the secret.
    const unhidden = (a: RawAvp, i: number) => wasHidden[i] === true && !a.hidden;
    const type = messageTypeOf(message.avps);
    const kind =
      type === MessageType.StopCCN ? 'StopCCN' : type === MessageType.CDN ? 'CDN' : undefined;
    if (this.#options.json) {
      const h = message.header;
      this.#write(
        JSON.stringify({
          ...sourceJson(source),
          kind: 'control',
          version: h.version,
          ...(h.version === 2
            ? { tunnelId: h.tunnelId, sessionId: h.sessionId }
            : { connectionId: h.connectionId }),
          ns: h.ns,
          nr: h.nr,
          length: h.length,
          messageType: type ?? null,
          type:
            message.avps.length === 0 ? 'ZLB' : type === undefined ? null : messageTypeName(type),
          avps: message.avps.map((a, i) => ({
            vendorId: a.vendorId,
            attributeType: a.attributeType,
            name: avpName(a),
            mandatory: a.mandatory,
            hidden: a.hidden || unhidden(a, i),
            ...(unhidden(a, i) ? { unhidden: true } : {}),
            length: a.value.length,
            value: avpValueText(a, kind),
          })),
          ...(notes.length === 0
            ? {}
            : { auth: notes.map((n) => ({ check: n.check, ok: n.ok ?? null, text: n.text })) }),
        }),
      );
      return;
    }
    this.#write(`${prefix(source)}${describeControlMessage(message)}`);
    if (this.#options.verbose) {
      message.avps.forEach((a, i) => {
        this.#write(`  ${describeAvp(a, kind, { unhidden: unhidden(a, i) })}`);
      });
    }
    for (const n of notes) this.#write(`  ${n.text}`);
  }

  /** Records what SCCRQ/SCCRP advertise and checks responses and digests (RFC 2661 §5.1.1). */
  #authenticate(
    source: DatagramSource,
    bytes: Uint8Array,
    message: RawControlMessage,
    avpStart: number,
    end: number,
  ): AuthNote[] {
    const notes: AuthNote[] = [];
    const h = message.header;
    const v = h.version;
    const type = messageTypeOf(message.avps);
    const headerId = v === 2 ? h.tunnelId : h.connectionId;
    const key = (id: number) => `v${v}:${id}`;
    const receiver = this.#ends.get(key(headerId));
    const assignedAvp =
      v === 2
        ? findAvp(message.avps, AvpType.AssignedTunnelId)
        : findAvp(message.avps, AvpType.AssignedControlConnectionId);
    const assigned =
      assignedAvp === undefined
        ? undefined
        : v === 2
          ? u16(assignedAvp.value)
          : u32(assignedAvp.value);
    if ((type === MessageType.SCCRQ || type === MessageType.SCCRP) && assigned !== undefined) {
      const end: ConnectionEnd = {
        frame: source.frame,
        challenge: findAvp(message.avps, CHALLENGE)?.value,
        nonce: findAvp(message.avps, NONCE)?.value,
        peer: type === MessageType.SCCRP ? key(headerId) : undefined,
      };
      this.#ends.set(key(assigned), end);
      if (type === MessageType.SCCRP && receiver !== undefined) receiver.peer = key(assigned);
    }

    // v2 Challenge Response: in the SCCRP (Identifier 2) for the SCCRQ's challenge, in the SCCCN
    // (Identifier 3) for the SCCRP's; the challenge belongs to the receiver (RFC 2661 §4.2).
    const response = findAvp(message.avps, CHALLENGE_RESPONSE);
    if (response !== undefined && (type === MessageType.SCCRP || type === MessageType.SCCCN)) {
      const secret = this.#secret as Uint8Array;
      if (receiver?.challenge === undefined) {
        notes.push({
          check: 'challenge-response',
          ok: undefined,
          text: `challenge response not checked: no challenge seen for ${v === 2 ? 'tunnel' : 'connection'} ${headerId}`,
        });
      } else if (response.hidden) {
        notes.push({
          check: 'challenge-response',
          ok: undefined,
          text: 'challenge response hidden',
        });
      } else {
        const ok = verifyChallengeResponse(
          type,
          secret,
          receiver.challenge,
          response.value,
          nodeCrypto,
        );
        if (!ok) this.mismatches++;
        notes.push({
          check: 'challenge-response',
          ok,
          text: `challenge response ${ok ? 'verified' : 'MISMATCH'} (challenge of frame ${receiver.frame})`,
        });
      }
    }

    // v3 Message Digest (RFC 3931 §5.4.1), nonces from the receiver's point of view.
    const digestAt = v === 3 ? findAvpOffset(bytes, avpStart, end, DIGEST) : undefined;
    if (digestAt !== undefined) {
      const base = source.encap === 'ip' ? 4 : 0; // the digest covers the message after the Session ID
      const body = bytes.subarray(base, end);
      const sender = receiver?.peer === undefined ? undefined : this.#ends.get(receiver.peer);
      const senderNonce =
        type === MessageType.SCCRP ? findAvp(message.avps, NONCE)?.value : sender?.nonce;
      const nonces =
        type === MessageType.SCCRQ || receiver?.nonce === undefined || senderNonce === undefined
          ? undefined
          : { local: receiver.nonce, remote: senderNonce };
      const secret = this.#secret as Uint8Array;
      let text: string;
      let ok: boolean;
      if (verifyMessageDigest(body, digestAt - base, secret, nonces, nodeCrypto)) {
        ok = true;
        text =
          nonces === undefined
            ? 'message digest verified'
            : 'message digest verified (with nonces)';
      } else if (
        verifyMessageDigest(body, digestAt - base, new Uint8Array(0), undefined, nodeCrypto)
      ) {
        ok = true;
        text = 'message digest verified (integrity only, empty secret)';
      } else {
        ok = false;
        text = `message digest MISMATCH${nonces === undefined ? ' (nonces unknown)' : ''}`;
      }
      if (!ok) this.mismatches++;
      notes.push({ check: 'message-digest', ok, text });
    }
    return notes;
  }
}

/** Offset of the first IETF AVP of `type` between `start` and `end` (a decoded AVP list). */
function findAvpOffset(
  bytes: Uint8Array,
  start: number,
  end: number,
  type: number,
): number | undefined {
  let off = start;
  while (off + 6 <= end) {
    const length = (((bytes[off] as number) & 0x03) << 8) | (bytes[off + 1] as number);
    const vendor = ((bytes[off + 2] as number) << 8) | (bytes[off + 3] as number);
    const attr = ((bytes[off + 4] as number) << 8) | (bytes[off + 5] as number);
    if (vendor === 0 && attr === type) return off;
    if (length < 6) return undefined; // decodeAvps would have refused it; never loop
    off += length;
  }
  return undefined;
}

function prefix(s: DatagramSource): string {
  if (s.src === undefined || s.dst === undefined) return `${s.frame} `;
  const ends =
    s.encap === 'udp'
      ? `${s.src}:${s.srcPort} -> ${s.dst}:${s.dstPort}`
      : `${s.src} -> ${s.dst} (ip/115)`;
  return `${s.frame} ${ends} `;
}

function sourceJson(s: DatagramSource): Record<string, unknown> {
  return {
    frame: s.frame,
    encap: s.encap,
    ...(s.src === undefined ? {} : { src: s.src, dst: s.dst }),
    ...(s.encap === 'udp' && s.srcPort !== undefined
      ? { srcPort: s.srcPort, dstPort: s.dstPort }
      : {}),
  };
}
