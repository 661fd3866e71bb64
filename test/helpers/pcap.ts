/**
 * Classic pcap (libpcap) files for the interop tests: a writer that wraps L2TP payloads in IPv4+UDP
 * (RFC 2661 §8.1, RFC 3931 §4.1.2.1) or in IPv4 protocol 115 (L2TPv3 over IP, RFC 3931 §4.1.1),
 * and a reader that gets the IP and UDP payloads back out of captures with Ethernet (1), Linux
 * cooked (113) or raw IP (101, 228) link types. Test-only: plain DataView code, no dependency.
 * Not here: pcapng (convert with `editcap -F pcap in.pcapng out.pcap`), IP reassembly, TCP.
 */

/** pcap link-layer header types (https://www.tcpdump.org/linktypes.html). */
export const LinkType = {
  ETHERNET: 1,
  RAW: 101,
  LINUX_SLL: 113,
  IPV4: 228,
} as const;
/** A link-layer header type number. */
export type LinkType = (typeof LinkType)[keyof typeof LinkType];

/** IP protocol numbers used here. */
export const IpProto = { UDP: 17, L2TP: 115 } as const;

/** The default L2TP UDP port (RFC 2661 §8.1). */
export const L2TP_PORT = 1701;

/** One captured frame. `data` is a view into the file bytes (valid while those bytes are). */
export interface PcapRecord {
  /** 1-based frame number, as Wireshark counts. */
  readonly frame: number;
  /** Capture time, seconds part. */
  readonly tsSec: number;
  /** Capture time, sub-second part in microseconds (nanosecond files are scaled down). */
  readonly tsUsec: number;
  /** Original length on the wire in bytes (may exceed `data.length` when truncated). */
  readonly origLen: number;
  readonly data: Uint8Array;
}

/** A parsed classic pcap file. */
export interface PcapFile {
  readonly linkType: number;
  readonly snapLen: number;
  readonly records: readonly PcapRecord[];
}

/** An IPv4 or IPv6 packet found in a frame; `payload` is a view of the bytes after the IP header. */
export interface IpPacket {
  readonly frame: number;
  readonly version: 4 | 6;
  readonly protocol: number;
  readonly src: string;
  readonly dst: string;
  readonly payload: Uint8Array;
}

/** A UDP datagram found in a frame; `payload` is a view into the file bytes. */
export interface UdpDatagram {
  readonly frame: number;
  readonly src: string;
  readonly dst: string;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Uint8Array;
}

/** One L2TP message to put into a pcap; addresses default to 127.0.0.1, ports to 1701. */
export interface L2tpDatagram {
  readonly payload: Uint8Array;
  readonly src?: string;
  readonly dst?: string;
  /** UDP only; ignored for L2TPv3 over IP. */
  readonly srcPort?: number;
  /** UDP only; ignored for L2TPv3 over IP. */
  readonly dstPort?: number;
}

/** Options for {@link writePcap}. */
export interface WritePcapOptions {
  /** Link type written in the file header; default {@link LinkType.IPV4}. */
  readonly linkType?: number;
  /** Timestamp of the first record in seconds; records follow 1 ms apart. Default 1_700_000_000. */
  readonly startSec?: number;
}

const PCAP_MAGIC_USEC = 0xa1b2c3d4;
const PCAP_MAGIC_NSEC = 0xa1b23c4d;
const PCAPNG_MAGIC = 0x0a0d0d0a;
const MAX_SNAPLEN = 262_144;

/** Writes a classic little-endian microsecond pcap with one record per frame (frames are copied). */
export function writePcap(
  frames: readonly Uint8Array[],
  options: WritePcapOptions = {},
): Uint8Array {
  const linkType = options.linkType ?? LinkType.IPV4;
  const startSec = options.startSec ?? 1_700_000_000;
  let size = 24;
  for (const f of frames) size += 16 + f.length;
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, PCAP_MAGIC_USEC, true);
  view.setUint16(4, 2, true); // version 2.4
  view.setUint16(6, 4, true);
  view.setUint32(16, MAX_SNAPLEN, true);
  view.setUint32(20, linkType, true);
  let off = 24;
  frames.forEach((f, i) => {
    const usec = i * 1000;
    view.setUint32(off, startSec + Math.floor(usec / 1_000_000), true);
    view.setUint32(off + 4, usec % 1_000_000, true);
    view.setUint32(off + 8, f.length, true);
    view.setUint32(off + 12, f.length, true);
    out.set(f, off + 16);
    off += 16 + f.length;
  });
  return out;
}

/** Reads a classic pcap (either byte order, µs or ns timestamps). Throws Error on bad input. */
export function readPcap(bytes: Uint8Array): PcapFile {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length >= 4 && view.getUint32(0, false) === PCAPNG_MAGIC) {
    throw new Error('pcap: this is pcapng; convert it with `editcap -F pcap in.pcapng out.pcap`');
  }
  if (bytes.length < 24) throw new Error(`pcap: file too short (${bytes.length} bytes)`);
  const magicBE = view.getUint32(0, false);
  let le: boolean;
  let nsec: boolean;
  if (magicBE === PCAP_MAGIC_USEC || magicBE === PCAP_MAGIC_NSEC) {
    le = false;
    nsec = magicBE === PCAP_MAGIC_NSEC;
  } else {
    const magicLE = view.getUint32(0, true);
    if (magicLE !== PCAP_MAGIC_USEC && magicLE !== PCAP_MAGIC_NSEC) {
      throw new Error(`pcap: bad magic 0x${magicBE.toString(16)}`);
    }
    le = true;
    nsec = magicLE === PCAP_MAGIC_NSEC;
  }
  const snapLen = view.getUint32(16, le);
  // The top bits of the link-type word carry FCS flags (pcap-savefile(5)).
  const linkType = view.getUint32(20, le) & 0x0fffffff;
  const records: PcapRecord[] = [];
  let off = 24;
  while (off < bytes.length) {
    if (off + 16 > bytes.length) throw new Error(`pcap: truncated record header at ${off}`);
    const inclLen = view.getUint32(off + 8, le);
    if (off + 16 + inclLen > bytes.length) {
      throw new Error(`pcap: record ${records.length + 1} claims ${inclLen} bytes past the end`);
    }
    const sub = view.getUint32(off + 4, le);
    records.push({
      frame: records.length + 1,
      tsSec: view.getUint32(off, le),
      tsUsec: nsec ? Math.floor(sub / 1000) : sub,
      origLen: view.getUint32(off + 12, le),
      data: bytes.subarray(off + 16, off + 16 + inclLen),
    });
    off += 16 + inclLen;
  }
  return { linkType, snapLen, records };
}

/** Returns the IP packet in a frame of the given link type, or undefined (not IP, unsupported). */
function ipOf(linkType: number, data: Uint8Array): Uint8Array | undefined {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let off: number;
  let etherType: number | undefined;
  switch (linkType) {
    case LinkType.ETHERNET:
      if (data.length < 14) return undefined;
      etherType = view.getUint16(12);
      off = 14;
      // Skip 802.1Q / 802.1ad tags.
      while ((etherType === 0x8100 || etherType === 0x88a8) && off + 4 <= data.length) {
        etherType = view.getUint16(off + 2);
        off += 4;
      }
      break;
    case LinkType.LINUX_SLL:
      if (data.length < 16) return undefined;
      etherType = view.getUint16(14);
      off = 16;
      break;
    case LinkType.RAW:
    case LinkType.IPV4:
      off = 0;
      break;
    default:
      throw new Error(`pcap: unsupported link type ${linkType}`);
  }
  if (etherType !== undefined && etherType !== 0x0800 && etherType !== 0x86dd) return undefined;
  return data.subarray(off);
}

function ipv4Text(b: Uint8Array, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

function ipv6Text(b: Uint8Array, at: number): string {
  const view = new DataView(b.buffer, b.byteOffset + at, 16);
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(view.getUint16(i).toString(16));
  return groups.join(':');
}

/**
 * Extracts every unfragmented IPv4/IPv6 packet (IPv6 without extension headers) from a pcap.
 * Fragments and non-IP frames are skipped. Payloads are views into `bytes`.
 */
export function ipPacketsFromPcap(bytes: Uint8Array): IpPacket[] {
  const file = readPcap(bytes);
  const out: IpPacket[] = [];
  for (const rec of file.records) {
    const ip = ipOf(file.linkType, rec.data);
    if (ip === undefined || ip.length < 1) continue;
    const version = (ip[0] ?? 0) >> 4;
    const view = new DataView(ip.buffer, ip.byteOffset, ip.byteLength);
    if (version === 4) {
      if (ip.length < 20) continue;
      const ihl = ((ip[0] ?? 0) & 0x0f) * 4;
      const total = view.getUint16(2);
      const frag = view.getUint16(6);
      // More-fragments bit or a non-zero offset: not a whole datagram.
      if ((frag & 0x2000) !== 0 || (frag & 0x1fff) !== 0) continue;
      if (ihl < 20 || total < ihl || total > ip.length) continue;
      out.push({
        frame: rec.frame,
        version: 4,
        protocol: ip[9] ?? 0,
        src: ipv4Text(ip, 12),
        dst: ipv4Text(ip, 16),
        payload: ip.subarray(ihl, total),
      });
    } else if (version === 6) {
      if (ip.length < 40) continue;
      const payloadLen = view.getUint16(4);
      if (40 + payloadLen > ip.length) continue;
      out.push({
        frame: rec.frame,
        version: 6,
        protocol: ip[6] ?? 0,
        src: ipv6Text(ip, 8),
        dst: ipv6Text(ip, 24),
        payload: ip.subarray(40, 40 + payloadLen),
      });
    }
  }
  return out;
}

/** Extracts every UDP datagram's payload from a pcap (views into `bytes`). */
export function udpPayloadsFromPcap(bytes: Uint8Array): UdpDatagram[] {
  const out: UdpDatagram[] = [];
  for (const ip of ipPacketsFromPcap(bytes)) {
    if (ip.protocol !== IpProto.UDP || ip.payload.length < 8) continue;
    const view = new DataView(ip.payload.buffer, ip.payload.byteOffset, 8);
    const udpLen = view.getUint16(4);
    if (udpLen < 8 || udpLen > ip.payload.length) continue;
    out.push({
      frame: ip.frame,
      src: ip.src,
      dst: ip.dst,
      srcPort: view.getUint16(0),
      dstPort: view.getUint16(2),
      payload: ip.payload.subarray(8, udpLen),
    });
  }
  return out;
}

function parseIpv4(text: string): Uint8Array {
  const parts = text.split('.').map((p) => Number(p));
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`pcap: not an IPv4 address: ${text}`);
  }
  return Uint8Array.from(parts);
}

/** RFC 1071 ones' complement sum of `data`, folded to 16 bits, starting from `initial`. */
function onesSum(data: Uint8Array, initial: number): number {
  let sum = initial;
  for (let i = 0; i + 1 < data.length; i += 2) sum += ((data[i] ?? 0) << 8) | (data[i + 1] ?? 0);
  if (data.length % 2 === 1) sum += (data[data.length - 1] ?? 0) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/** Builds an IPv4 header (20 bytes, checksum filled) followed by `payload`. */
export function ipv4Packet(
  protocol: number,
  payload: Uint8Array,
  src = '127.0.0.1',
  dst = '127.0.0.1',
): Uint8Array {
  const total = 20 + payload.length;
  if (total > 0xffff) throw new Error(`pcap: IPv4 packet too long (${total})`);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out[0] = 0x45;
  view.setUint16(2, total);
  view.setUint16(6, 0x4000); // DF, no fragmentation
  out[8] = 64;
  out[9] = protocol;
  out.set(parseIpv4(src), 12);
  out.set(parseIpv4(dst), 16);
  view.setUint16(10, ~onesSum(out.subarray(0, 20), 0) & 0xffff);
  out.set(payload, 20);
  return out;
}

/** Builds IPv4 + UDP (checksum filled, RFC 768) around `payload`. */
export function ipv4UdpPacket(
  payload: Uint8Array,
  srcPort = L2TP_PORT,
  dstPort = L2TP_PORT,
  src = '127.0.0.1',
  dst = '127.0.0.1',
): Uint8Array {
  const udp = new Uint8Array(8 + payload.length);
  const view = new DataView(udp.buffer);
  view.setUint16(0, srcPort);
  view.setUint16(2, dstPort);
  view.setUint16(4, udp.length);
  udp.set(payload, 8);
  const pseudo = new Uint8Array(12);
  pseudo.set(parseIpv4(src), 0);
  pseudo.set(parseIpv4(dst), 4);
  pseudo[9] = IpProto.UDP;
  new DataView(pseudo.buffer).setUint16(10, udp.length);
  const sum = ~onesSum(udp, onesSum(pseudo, 0)) & 0xffff;
  view.setUint16(6, sum === 0 ? 0xffff : sum); // 0 means "no checksum" in UDP
  return ipv4Packet(IpProto.UDP, udp, src, dst);
}

function asDatagram(d: Uint8Array | L2tpDatagram): L2tpDatagram {
  return d instanceof Uint8Array ? { payload: d } : d;
}

/** Writes a pcap (LINKTYPE_IPV4) with each L2TP payload in its own IPv4+UDP packet. */
export function pcapFromL2tpUdp(
  datagrams: readonly (Uint8Array | L2tpDatagram)[],
  options: WritePcapOptions = {},
): Uint8Array {
  const frames = datagrams.map((x) => {
    const d = asDatagram(x);
    return ipv4UdpPacket(d.payload, d.srcPort, d.dstPort, d.src, d.dst);
  });
  return writePcap(frames, { ...options, linkType: options.linkType ?? LinkType.IPV4 });
}

/**
 * Writes a pcap (LINKTYPE_IPV4) with each L2TPv3 message directly in IPv4 protocol 115. The
 * payload starts with the 32-bit Session ID (0 for control messages, RFC 3931 §4.1.1.2).
 */
export function pcapFromL2tpIp(
  datagrams: readonly (Uint8Array | L2tpDatagram)[],
  options: WritePcapOptions = {},
): Uint8Array {
  const frames = datagrams.map((x) => {
    const d = asDatagram(x);
    return ipv4Packet(IpProto.L2TP, d.payload, d.src, d.dst);
  });
  return writePcap(frames, { ...options, linkType: options.linkType ?? LinkType.IPV4 });
}
