/**
 * `--pcap FILE` of `l2tp-core lac` / `lns`: a classic pcap writer (LINKTYPE_RAW, 101) that wraps
 * each UDP payload in a synthesized IPv4 or IPv6 header and a UDP header with correct lengths and
 * checksums (RFC 768, RFC 791, RFC 8200 §8.1), and a DatagramTransport wrapper that records
 * every datagram sent and received, exactly as it crosses the socket. Buffering is bounded: the
 * writer hands full chunks to its sink and keeps at most `bufferBytes` in memory.
 * Not here: reading captures (capture.ts), file handling policy (run.ts).
 */

import { closeSync, openSync, writeSync } from 'node:fs';
import { isIP } from 'node:net';
import { parseIpv6 } from '../ppp/ipv6-nd.js';
import type {
  DatagramData,
  DatagramHandler,
  DatagramTransport,
  PeerAddress,
} from '../transport.js';

/** LINKTYPE_RAW: each record starts with an IPv4 or IPv6 header (version nibble decides). */
export const LINKTYPE_RAW = 101;

const PCAP_MAGIC_USEC = 0xa1b2c3d4;
const SNAPLEN = 262_144;
const IPPROTO_UDP = 17;

/** Where finished chunks of the file go (in order). The chunk is not reused by the writer. */
export type PcapSink = (chunk: Uint8Array) => void;

/** Options of {@link PcapWriter}. */
export interface PcapWriterOptions {
  /** Bytes kept in memory before a chunk goes to the sink. Default 64 KiB. */
  readonly bufferBytes?: number;
}

/**
 * Writes a little-endian, microsecond classic pcap. The 24-byte file header goes out with the
 * first chunk. Records larger than the buffer are passed to the sink on their own.
 */
export class PcapWriter {
  readonly #sink: PcapSink;
  readonly #limit: number;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #records = 0;
  #closed = false;

  constructor(sink: PcapSink, options: PcapWriterOptions = {}) {
    this.#sink = sink;
    this.#limit = Math.max(1024, options.bufferBytes ?? 64 * 1024);
    const header = new Uint8Array(24);
    const v = new DataView(header.buffer);
    v.setUint32(0, PCAP_MAGIC_USEC, true);
    v.setUint16(4, 2, true); // version 2.4
    v.setUint16(6, 4, true);
    v.setUint32(16, SNAPLEN, true);
    v.setUint32(20, LINKTYPE_RAW, true);
    this.#push(header);
  }

  /** Records written so far. */
  get records(): number {
    return this.#records;
  }

  /** Bytes held in memory, not yet given to the sink (at most the buffer size). */
  get buffered(): number {
    return this.#buffered;
  }

  /**
   * Appends one record: `packet` (an IP packet) captured at `timeMs` (wall-clock milliseconds
   * since the Unix epoch, fractions kept to the microsecond). Ignored after close.
   */
  record(packet: Uint8Array, timeMs: number): void {
    if (this.#closed) return;
    const length = Math.min(packet.length, SNAPLEN);
    const head = new Uint8Array(16);
    const v = new DataView(head.buffer);
    const usec = Math.max(0, Math.round(timeMs * 1000));
    v.setUint32(0, Math.floor(usec / 1_000_000) >>> 0, true);
    v.setUint32(4, usec % 1_000_000, true);
    v.setUint32(8, length, true);
    v.setUint32(12, packet.length, true);
    this.#records++;
    this.#push(head);
    this.#push(length === packet.length ? packet : packet.subarray(0, length));
  }

  /** Gives everything buffered to the sink as one chunk. */
  flush(): void {
    if (this.#buffered === 0) return;
    const out = new Uint8Array(this.#buffered);
    let off = 0;
    for (const c of this.#chunks) {
      out.set(c, off);
      off += c.length;
    }
    this.#chunks = [];
    this.#buffered = 0;
    this.#sink(out);
  }

  /** Flushes; later records are ignored. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.flush();
    this.#closed = true;
  }

  #push(bytes: Uint8Array): void {
    if (this.#buffered + bytes.length > this.#limit) this.flush();
    if (bytes.length > this.#limit) {
      this.#sink(bytes);
      return;
    }
    this.#chunks.push(bytes);
    this.#buffered += bytes.length;
  }
}

/** A sink that appends to a file (created or truncated now), with synchronous writes. */
export interface FileSink {
  readonly write: PcapSink;
  /** Closes the file. Idempotent. */
  readonly close: () => void;
}

/** Opens `path` for writing. @throws the system error (ENOENT, EACCES, …). */
export function openFileSink(path: string): FileSink {
  let fd: number | undefined = openSync(path, 'w');
  return {
    write: (chunk) => {
      if (fd === undefined) return;
      let off = 0;
      while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
    },
    close: () => {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    },
  };
}

// --- IP and UDP headers ------------------------------------------------------------------------

/** One UDP end as written into the capture. */
export interface UdpEnd {
  /** IPv4 or IPv6 literal; IPv4-mapped IPv6 (`::ffff:a.b.c.d`) counts as IPv4. */
  readonly address: string;
  readonly port: number;
}

function unmapped(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m?.[1] ?? address;
}

function ipv4Bytes(address: string): Uint8Array {
  return Uint8Array.from(address.split('.').map(Number));
}

/** 16 bytes of an IPv6 literal (zone id dropped; embedded IPv4 tail allowed; :: if unreadable). */
export function ipv6Bytes(address: string): Uint8Array {
  return parseIpv6(address.replace(/%.*$/, '')) ?? new Uint8Array(16);
}

/** One's-complement sum of 16-bit big-endian words, folded to 16 bits (RFC 1071). */
function sum16(parts: readonly Uint8Array[], initial = 0): number {
  let sum = initial;
  let odd: number | undefined;
  for (const p of parts) {
    for (let i = 0; i < p.length; i++) {
      const b = p[i] as number;
      if (odd === undefined) odd = b;
      else {
        sum += (odd << 8) | b;
        odd = undefined;
      }
    }
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (odd !== undefined) sum += odd << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** The RFC 1071 checksum of `parts` (concatenated): the complement of the one's-complement sum. */
export function internetChecksum(parts: readonly Uint8Array[], initial = 0): number {
  return ~sum16(parts, initial) & 0xffff;
}

/**
 * An IP packet carrying one UDP datagram from `src` to `dst`: IPv4 (ID `ipId`, DF, TTL 64) when
 * both addresses are IPv4 (or IPv4-mapped), otherwise IPv6 (hop limit 64). UDP and IPv4 header
 * checksums are computed. The payload is copied into the returned array.
 */
export function udpPacket(src: UdpEnd, dst: UdpEnd, payload: DatagramData, ipId = 0): Uint8Array {
  const parts = payload instanceof Uint8Array ? [payload] : [payload[0], payload[1]];
  const payloadLength = parts.reduce((n, p) => n + p.length, 0);
  const srcText = unmapped(src.address);
  const dstText = unmapped(dst.address);
  const v4 = isIP(srcText) === 4 && isIP(dstText) === 4;
  const srcIp = v4 ? ipv4Bytes(srcText) : ipv6Bytes(src.address);
  const dstIp = v4 ? ipv4Bytes(dstText) : ipv6Bytes(dst.address);
  const ipLength = v4 ? 20 : 40;
  const udpLength = 8 + payloadLength;
  const out = new Uint8Array(ipLength + udpLength);
  const view = new DataView(out.buffer);
  if (v4) {
    out[0] = 0x45;
    view.setUint16(2, ipLength + udpLength);
    view.setUint16(4, ipId & 0xffff);
    view.setUint16(6, 0x4000); // DF
    out[8] = 64;
    out[9] = IPPROTO_UDP;
    out.set(srcIp, 12);
    out.set(dstIp, 16);
    view.setUint16(10, internetChecksum([out.subarray(0, 20)]));
  } else {
    out[0] = 0x60;
    view.setUint16(4, udpLength);
    out[6] = IPPROTO_UDP;
    out[7] = 64;
    out.set(srcIp, 8);
    out.set(dstIp, 24);
  }
  const udp = out.subarray(ipLength);
  const udpView = new DataView(out.buffer, ipLength);
  udpView.setUint16(0, src.port);
  udpView.setUint16(2, dst.port);
  udpView.setUint16(4, udpLength);
  let off = 8;
  for (const p of parts) {
    udp.set(p, off);
    off += p.length;
  }
  // Pseudo-header (RFC 768; RFC 8200 §8.1): addresses, protocol, UDP length.
  const pseudo = sum16([srcIp, dstIp], IPPROTO_UDP + udpLength);
  const checksum = internetChecksum([udp], pseudo);
  // 0 means "no checksum" in IPv4 and is forbidden in IPv6: send 0xffff instead (RFC 768).
  udpView.setUint16(6, checksum === 0 ? 0xffff : checksum);
  return out;
}

// --- the recording transport -------------------------------------------------------------------

/**
 * Wraps `inner` so every datagram sent and received is recorded into `writer` as an IP/UDP
 * packet between `local` and the peer, stamped with `wallClockMs()` (ms since the Unix epoch).
 * Sends are recorded before they are handed to `inner`; a send that throws is still recorded.
 * Received datagrams are recorded once, before any handler runs.
 */
export function recordingTransport(
  inner: DatagramTransport,
  local: UdpEnd,
  writer: PcapWriter,
  wallClockMs: () => number,
): DatagramTransport {
  let ipId = 0;
  let broken = false;
  // A failing recording (disk full, closed file) must not stop the traffic: it is reported once
  // on stderr and recording stops.
  const record = (src: UdpEnd, dst: UdpEnd, data: DatagramData) => {
    if (broken) return;
    ipId = (ipId + 1) & 0xffff;
    try {
      writer.record(udpPacket(src, dst, data, ipId), wallClockMs());
    } catch (error) {
      broken = true;
      process.stderr.write(`l2tp-core: pcap recording stopped: ${(error as Error).message}\n`);
    }
  };
  let handlers: readonly DatagramHandler[] = [];
  let unsubscribe: (() => void) | undefined;
  const dispatch = (bytes: Uint8Array, from: PeerAddress) => {
    record(from, local, bytes);
    for (const h of handlers) h(bytes, from);
  };
  return {
    send(data: DatagramData, peer: PeerAddress): void {
      record(local, peer, data);
      inner.send(data, peer);
    },
    onDatagram(handler: DatagramHandler): () => void {
      handlers = [...handlers, handler];
      unsubscribe ??= inner.onDatagram(dispatch);
      return () => {
        handlers = handlers.filter((h) => h !== handler);
      };
    },
    close(): void {
      unsubscribe?.();
      inner.close();
    },
  };
}
