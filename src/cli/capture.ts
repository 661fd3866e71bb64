/**
 * Capture-file reading for `l2tp-core decode --pcap`: classic pcap and pcapng files, the link
 * layers Ethernet (1, with 802.1Q/802.1ad tags), Linux cooked (113) and raw IP (101, 228, 229),
 * IPv4 and IPv6, and the L2TP payloads in them: UDP on the given ports (RFC 2661 §8.1, RFC 3931
 * §4.1.2.1) and IP protocol 115 (L2TPv3 over IP, RFC 3931 §4.1.1).
 * The framing is declared with binary-parser (cold path, one parse per frame); the L2TP bytes
 * themselves go to the library's own codec. Not here: IP reassembly (fragments are counted and
 * skipped), TCP, compressed or encrypted captures.
 */

import { Parser } from 'binary-parser';
import { classify } from '../codec/classify.js';
import { DecodeError } from '../errors.js';

/** IP protocol number of L2TPv3 over IP (RFC 3931 §4.1.1). */
export const IP_PROTO_L2TP = 115;
const IP_PROTO_UDP = 17;

/** Link-layer header types this reader understands (https://www.tcpdump.org/linktypes.html). */
export const LinkType = {
  ETHERNET: 1,
  RAW: 101,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
} as const;

/** One frame of a capture file. `data` is a view into the file bytes. */
export interface CaptureFrame {
  /** 1-based frame number, as Wireshark counts. */
  readonly frame: number;
  /** Byte offset of the frame's data in the file. */
  readonly fileOffset: number;
  readonly linkType: number;
  readonly data: Uint8Array;
}

/** An L2TP datagram found in a capture. `payload` is a view into the file bytes. */
export interface L2tpPacket {
  readonly frame: number;
  /** 'udp', or 'ip' for IP protocol 115. */
  readonly encap: 'udp' | 'ip';
  readonly src: string;
  readonly dst: string;
  /** UDP ports; 0 for IP protocol 115. */
  readonly srcPort: number;
  readonly dstPort: number;
  /** Byte offset of `payload` in the file. */
  readonly fileOffset: number;
  readonly payload: Uint8Array;
}

/** A frame that looked like L2TP but could not be framed (bad IP or UDP lengths, truncated). */
export interface CaptureProblem {
  readonly frame: number;
  /** Byte offset in the frame (in the file when `frame` is 0) where the problem was found. */
  readonly offset: number;
  /** The DecodeError code. */
  readonly code: string;
  readonly reason: string;
}

/** A UDP port seen in a capture on datagrams that were not taken as L2TP. */
export interface OtherUdpPort {
  readonly port: number;
  /** Datagrams with this port at either end. */
  readonly datagrams: number;
  /** Of those, the ones whose payload reads as an L2TP header (a hint, not a decode). */
  readonly l2tpLike: number;
}

/** Everything {@link readCapture} found. */
export interface CaptureContents {
  readonly format: 'pcap' | 'pcapng';
  readonly frames: number;
  readonly packets: readonly L2tpPacket[];
  readonly problems: readonly CaptureProblem[];
  /** Frames skipped because they were IP fragments (no reassembly here). */
  readonly fragments: number;
  /**
   * UDP ports of the datagrams not on `ports`, most L2TP-like first, then most frequent: what
   * to suggest for `--port` when nothing was found.
   */
  readonly otherUdpPorts: readonly OtherUdpPort[];
}

// --- binary-parser declarations. parse() returns `any`; each has a typed wrapper below. ---------

interface PcapHeader {
  magic: number;
  versionMajor: number;
  versionMinor: number;
  snapLen: number;
  linkType: number;
}
interface PcapRecordHeader {
  tsSec: number;
  tsSub: number;
  inclLen: number;
  origLen: number;
}
const pcapHeader = (e: 'big' | 'little') =>
  new Parser()
    .endianness(e)
    .uint32('magic')
    .uint16('versionMajor')
    .uint16('versionMinor')
    .seek(8) // thiszone, sigfigs
    .uint32('snapLen')
    .uint32('linkType');
const pcapRecord = (e: 'big' | 'little') =>
  new Parser().endianness(e).uint32('tsSec').uint32('tsSub').uint32('inclLen').uint32('origLen');
const PCAP_HEADER = { big: pcapHeader('big'), little: pcapHeader('little') };
const PCAP_RECORD = { big: pcapRecord('big'), little: pcapRecord('little') };

interface BlockHeader {
  type: number;
  length: number;
}
interface IdbBody {
  linkType: number;
  snapLen: number;
}
interface EpbBody {
  interfaceId: number;
  capLen: number;
  origLen: number;
}
const blockHeader = (e: 'big' | 'little') =>
  new Parser().endianness(e).uint32('type').uint32('length');
const idbBody = (e: 'big' | 'little') =>
  new Parser().endianness(e).uint16('linkType').seek(2).uint32('snapLen');
const epbBody = (e: 'big' | 'little') =>
  new Parser().endianness(e).uint32('interfaceId').seek(8).uint32('capLen').uint32('origLen');
// Obsolete Packet Block (type 2): 16-bit interface id and drop count.
const opbBody = (e: 'big' | 'little') =>
  new Parser().endianness(e).uint16('interfaceId').seek(10).uint32('capLen').uint32('origLen');
const BLOCK = { big: blockHeader('big'), little: blockHeader('little') };
const IDB = { big: idbBody('big'), little: idbBody('little') };
const EPB = { big: epbBody('big'), little: epbBody('little') };
const OPB = { big: opbBody('big'), little: opbBody('little') };

interface Ethernet {
  etherType: number;
}
const ETHERNET = new Parser().seek(12).uint16('etherType');
const VLAN_TAG = new Parser().seek(2).uint16('etherType');
// Linux cooked capture v1: packet type, ARPHRD, address length, 8 address octets, protocol.
const LINUX_SLL = new Parser().seek(14).uint16('etherType');

interface Ipv4Header {
  version: number;
  ihl: number;
  totalLength: number;
  moreFragments: number;
  fragmentOffset: number;
  protocol: number;
  src: Uint8Array;
  dst: Uint8Array;
}
const IPV4 = new Parser()
  .bit4('version')
  .bit4('ihl')
  .seek(1)
  .uint16('totalLength')
  .seek(2)
  .bit1('reserved')
  .bit1('dontFragment')
  .bit1('moreFragments')
  .bit13('fragmentOffset')
  .seek(1)
  .uint8('protocol')
  .seek(2)
  .buffer('src', { length: 4 })
  .buffer('dst', { length: 4 });

interface Ipv6Header {
  payloadLength: number;
  nextHeader: number;
  src: Uint8Array;
  dst: Uint8Array;
}
const IPV6 = new Parser()
  .seek(4)
  .uint16('payloadLength')
  .uint8('nextHeader')
  .seek(1)
  .buffer('src', { length: 16 })
  .buffer('dst', { length: 16 });
interface Ipv6Extension {
  nextHeader: number;
  length: number;
}
const IPV6_EXTENSION = new Parser().uint8('nextHeader').uint8('length');

interface UdpHeader {
  srcPort: number;
  dstPort: number;
  length: number;
}
const UDP = new Parser().uint16('srcPort').uint16('dstPort').uint16('length');

/** Runs a binary-parser parser on `bytes` at `offset` after checking `need` octets are there. */
function parseAt<T>(
  parser: { parse(buffer: Uint8Array): unknown },
  bytes: Uint8Array,
  offset: number,
  need: number,
  what: string,
): T {
  if (offset < 0 || offset + need > bytes.length) {
    throw new DecodeError(
      'L2TP_ERR_TRUNCATED',
      `${what}: needs ${need} bytes at offset ${offset}, ${Math.max(0, bytes.length - offset)} left`,
      { offset },
    );
  }
  // binary-parser throws RangeError on short input; the check above rules that out.
  return parser.parse(bytes.subarray(offset)) as T;
}

// --- file formats ------------------------------------------------------------------------------

const PCAP_MAGIC_USEC = 0xa1b2c3d4;
const PCAP_MAGIC_NSEC = 0xa1b23c4d;
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BYTE_ORDER_MAGIC = 0x1a2b3c4d;

function u32be(b: Uint8Array, at: number): number {
  return (
    (b[at] as number) * 0x1000000 +
    (((b[at + 1] as number) << 16) | ((b[at + 2] as number) << 8) | (b[at + 3] as number))
  );
}

/**
 * Splits a classic pcap or a pcapng file into frames. Frame data are views into `file`.
 * @throws DecodeError (offset = file offset) when the file is neither format or is cut short;
 *   frames read before the problem are lost, so callers wanting them use {@link readCapture}.
 */
export function readFrames(
  file: Uint8Array,
  onFrame: (frame: CaptureFrame) => void,
): 'pcap' | 'pcapng' {
  if (file.length < 4) {
    const what = file.length === 0 ? 'empty file' : `${file.length} bytes`;
    throw new DecodeError('L2TP_ERR_TRUNCATED', `not a capture file: ${what}`, { offset: 0 });
  }
  if (u32be(file, 0) === PCAPNG_SHB) {
    readPcapng(file, onFrame);
    return 'pcapng';
  }
  readPcap(file, onFrame);
  return 'pcap';
}

function readPcap(file: Uint8Array, onFrame: (frame: CaptureFrame) => void): void {
  const magic = u32be(file, 0);
  const le = magic !== PCAP_MAGIC_USEC && magic !== PCAP_MAGIC_NSEC;
  const e = le ? 'little' : 'big';
  const header = parseAt<PcapHeader>(PCAP_HEADER[e], file, 0, 24, 'pcap file header');
  if (header.magic !== PCAP_MAGIC_USEC && header.magic !== PCAP_MAGIC_NSEC) {
    throw new DecodeError(
      'L2TP_ERR_BAD_HEADER',
      `not a pcap or pcapng file (magic 0x${magic.toString(16).padStart(8, '0')})`,
      { offset: 0 },
    );
  }
  // The top bits of the link-type word carry FCS flags (pcap-savefile(5)).
  const linkType = header.linkType & 0x0fffffff;
  let off = 24;
  let frame = 0;
  while (off < file.length) {
    const rec = parseAt<PcapRecordHeader>(PCAP_RECORD[e], file, off, 16, 'pcap record header');
    frame++;
    if (off + 16 + rec.inclLen > file.length) {
      throw new DecodeError(
        'L2TP_ERR_TRUNCATED',
        `pcap record ${frame} claims ${rec.inclLen} bytes, ${file.length - off - 16} left`,
        { offset: off + 8 },
      );
    }
    onFrame({
      frame,
      fileOffset: off + 16,
      linkType,
      data: file.subarray(off + 16, off + 16 + rec.inclLen),
    });
    off += 16 + rec.inclLen;
  }
}

function readPcapng(file: Uint8Array, onFrame: (frame: CaptureFrame) => void): void {
  let e: 'big' | 'little' = 'big';
  let interfaces: IdbBody[] = [];
  let off = 0;
  let frame = 0;
  while (off < file.length) {
    if (off + 12 > file.length) {
      throw new DecodeError(
        'L2TP_ERR_TRUNCATED',
        `pcapng: ${file.length - off} stray bytes at the end`,
        {
          offset: off,
        },
      );
    }
    if (u32be(file, off) === PCAPNG_SHB) {
      // A Section Header Block sets the byte order of its whole section (pcapng §4.1).
      const bom = u32be(file, off + 8);
      if (bom === PCAPNG_BYTE_ORDER_MAGIC) e = 'big';
      else if (bom === 0x4d3c2b1a) e = 'little';
      else {
        throw new DecodeError('L2TP_ERR_BAD_HEADER', 'pcapng: bad byte-order magic', {
          offset: off + 8,
        });
      }
      interfaces = [];
    }
    const block = parseAt<BlockHeader>(BLOCK[e], file, off, 8, 'pcapng block header');
    if (block.length < 12 || block.length % 4 !== 0 || off + block.length > file.length) {
      throw new DecodeError(
        block.length < 12 || block.length % 4 !== 0 ? 'L2TP_ERR_BAD_LENGTH' : 'L2TP_ERR_TRUNCATED',
        `pcapng: block of type ${block.type} has length ${block.length}`,
        { offset: off + 4 },
      );
    }
    const body = off + 8;
    const bodyEnd = off + block.length - 4;
    const packet = (ifaceId: number, capLen: number, dataAt: number) => {
      frame++;
      const iface = interfaces[ifaceId];
      if (iface === undefined) {
        throw new DecodeError(
          'L2TP_ERR_BAD_HEADER',
          `pcapng: packet for unknown interface ${ifaceId}`,
          {
            offset: off,
          },
        );
      }
      if (dataAt + capLen > bodyEnd) {
        throw new DecodeError(
          'L2TP_ERR_BAD_LENGTH',
          `pcapng: packet of ${capLen} bytes overruns its block`,
          {
            offset: dataAt,
          },
        );
      }
      onFrame({
        frame,
        fileOffset: dataAt,
        linkType: iface.linkType,
        data: file.subarray(dataAt, dataAt + capLen),
      });
    };
    switch (block.type) {
      case 1: // Interface Description Block
        interfaces.push(parseAt<IdbBody>(IDB[e], file, body, 8, 'pcapng interface block'));
        break;
      case 6: {
        // Enhanced Packet Block
        const epb = parseAt<EpbBody>(EPB[e], file, body, 20, 'pcapng enhanced packet block');
        packet(epb.interfaceId, epb.capLen, body + 20);
        break;
      }
      case 3: {
        // Simple Packet Block: interface 0; the captured length is what the block holds.
        const orig = parseAt<{ length: number }>(
          BLOCK[e],
          file,
          off + 4,
          8,
          'pcapng simple packet block',
        );
        const snap = interfaces[0]?.snapLen || Number.MAX_SAFE_INTEGER;
        packet(0, Math.min(orig.length, snap, bodyEnd - body - 4), body + 4);
        break;
      }
      case 2: {
        const opb = parseAt<EpbBody>(OPB[e], file, body, 20, 'pcapng packet block');
        packet(opb.interfaceId, opb.capLen, body + 20);
        break;
      }
      default:
        break; // statistics, name resolution, custom blocks: not needed here
    }
    off += block.length;
  }
}

// --- link and network layers -------------------------------------------------------------------

function ipv4Text(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** RFC 5952 text form of an IPv6 address (longest run of zero groups shortened to `::`). */
export function ipv6Text(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] as number) << 8) | (b[i + 1] as number));
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (g: number[]) => g.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

/** Offset of the IP header in a frame, or undefined when the frame does not carry IP. */
function ipOffset(frame: CaptureFrame): number | undefined {
  const { data } = frame;
  let etherType: number;
  let off: number;
  switch (frame.linkType) {
    case LinkType.ETHERNET: {
      etherType = parseAt<Ethernet>(ETHERNET, data, 0, 14, 'Ethernet header').etherType;
      off = 14;
      // 802.1Q / 802.1ad tags, possibly stacked.
      while (etherType === 0x8100 || etherType === 0x88a8) {
        etherType = parseAt<Ethernet>(VLAN_TAG, data, off, 4, 'VLAN tag').etherType;
        off += 4;
      }
      break;
    }
    case LinkType.LINUX_SLL:
      etherType = parseAt<Ethernet>(LINUX_SLL, data, 0, 16, 'Linux cooked header').etherType;
      off = 16;
      break;
    case LinkType.RAW:
    case LinkType.IPV4:
    case LinkType.IPV6:
      return 0;
    default:
      throw new DecodeError('L2TP_ERR_BAD_HEADER', `unsupported link type ${frame.linkType}`, {
        offset: 0,
      });
  }
  return etherType === 0x0800 || etherType === 0x86dd ? off : undefined;
}

interface IpPayload {
  readonly src: string;
  readonly dst: string;
  readonly protocol: number;
  readonly start: number;
  readonly end: number;
}

// IPv6 extension headers that may precede the upper layer: hop-by-hop, routing, destination options.
const IPV6_SKIPPABLE = new Set([0, 43, 60]);
const IPV6_FRAGMENT = 44;

/** The IP packet at `off` in `data`: addresses, protocol and payload bounds; 'fragment' or throws. */
function ipPayload(data: Uint8Array, off: number): IpPayload | 'fragment' {
  const version = off < data.length ? (data[off] as number) >> 4 : -1;
  if (version === 4) {
    const ip = parseAt<Ipv4Header>(IPV4, data, off, 20, 'IPv4 header');
    const ihl = ip.ihl * 4;
    if (ihl < 20 || ip.totalLength < ihl) {
      throw new DecodeError(
        'L2TP_ERR_BAD_LENGTH',
        `IPv4 header length ${ihl}, total ${ip.totalLength}`,
        {
          offset: off,
        },
      );
    }
    if (off + ip.totalLength > data.length) {
      throw new DecodeError(
        'L2TP_ERR_TRUNCATED',
        `IPv4 total length ${ip.totalLength}, ${data.length - off} bytes captured`,
        { offset: off + 2 },
      );
    }
    if (ip.moreFragments !== 0 || ip.fragmentOffset !== 0) return 'fragment';
    return {
      src: ipv4Text(ip.src),
      dst: ipv4Text(ip.dst),
      protocol: ip.protocol,
      start: off + ihl,
      end: off + ip.totalLength,
    };
  }
  if (version === 6) {
    const ip = parseAt<Ipv6Header>(IPV6, data, off, 40, 'IPv6 header');
    const end = off + 40 + ip.payloadLength;
    if (end > data.length) {
      throw new DecodeError(
        'L2TP_ERR_TRUNCATED',
        `IPv6 payload length ${ip.payloadLength}, ${data.length - off - 40} bytes captured`,
        { offset: off + 4 },
      );
    }
    let next = ip.nextHeader;
    let at = off + 40;
    // Each extension header advances `at` by at least 8 octets, so this loop ends.
    while (IPV6_SKIPPABLE.has(next)) {
      const ext = parseAt<Ipv6Extension>(IPV6_EXTENSION, data, at, 2, 'IPv6 extension header');
      next = ext.nextHeader;
      at += (ext.length + 1) * 8;
      if (at > end) {
        throw new DecodeError('L2TP_ERR_BAD_LENGTH', 'IPv6 extension header overruns the packet', {
          offset: at,
        });
      }
    }
    if (next === IPV6_FRAGMENT) return 'fragment';
    return { src: ipv6Text(ip.src), dst: ipv6Text(ip.dst), protocol: next, start: at, end };
  }
  throw new DecodeError('L2TP_ERR_BAD_VERSION', `IP version ${version}`, { offset: off });
}

/** Options for {@link readCapture}. */
export interface ReadCaptureOptions {
  /** UDP ports that carry L2TP (either end matches). Default [1701]. */
  readonly ports?: readonly number[];
}

/**
 * Reads a pcap or pcapng file and returns every L2TP datagram in it: UDP with either port in
 * `ports`, and IP protocol 115. Frames that cannot be framed are listed in `problems` and
 * skipped; a file problem (bad magic, a cut-off record) ends the reading with one last problem
 * with frame 0 and a file offset. Payloads are views into `file`.
 */
export function readCapture(file: Uint8Array, options: ReadCaptureOptions = {}): CaptureContents {
  const ports = new Set(options.ports ?? [1701]);
  const packets: L2tpPacket[] = [];
  const problems: CaptureProblem[] = [];
  let fragments = 0;
  let frames = 0;
  const other = new Map<number, { datagrams: number; l2tpLike: number }>();
  const countOther = (port: number, l2tpLike: boolean) => {
    const c = other.get(port) ?? { datagrams: 0, l2tpLike: 0 };
    c.datagrams++;
    if (l2tpLike) c.l2tpLike++;
    other.set(port, c);
  };
  let format: 'pcap' | 'pcapng' =
    file.length >= 4 && u32be(file, 0) === PCAPNG_SHB ? 'pcapng' : 'pcap';
  const onFrame = (f: CaptureFrame) => {
    frames = f.frame;
    try {
      const at = ipOffset(f);
      if (at === undefined) return;
      const ip = ipPayload(f.data, at);
      if (ip === 'fragment') {
        fragments++;
        return;
      }
      const base = { frame: f.frame, src: ip.src, dst: ip.dst };
      if (ip.protocol === IP_PROTO_L2TP) {
        packets.push({
          ...base,
          encap: 'ip',
          srcPort: 0,
          dstPort: 0,
          fileOffset: f.fileOffset + ip.start,
          payload: f.data.subarray(ip.start, ip.end),
        });
      } else if (ip.protocol === IP_PROTO_UDP) {
        const udp = parseAt<UdpHeader>(UDP, f.data, ip.start, 8, 'UDP header');
        if (!ports.has(udp.srcPort) && !ports.has(udp.dstPort)) {
          const end = Math.min(ip.end, ip.start + Math.max(8, udp.length));
          const like = classify(f.data.subarray(ip.start + 8, end), 'udp').kind !== 'invalid';
          countOther(udp.srcPort, like);
          if (udp.dstPort !== udp.srcPort) countOther(udp.dstPort, like);
          return;
        }
        if (udp.length < 8 || ip.start + udp.length > ip.end) {
          throw new DecodeError('L2TP_ERR_BAD_LENGTH', `UDP length ${udp.length}`, {
            offset: ip.start + 4,
          });
        }
        packets.push({
          ...base,
          encap: 'udp',
          srcPort: udp.srcPort,
          dstPort: udp.dstPort,
          fileOffset: f.fileOffset + ip.start + 8,
          payload: f.data.subarray(ip.start + 8, ip.start + udp.length),
        });
      }
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      problems.push({
        frame: f.frame,
        offset: err.offset ?? 0,
        code: err.code,
        reason: err.message,
      });
    }
  };
  try {
    format = readFrames(file, onFrame);
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    problems.push({ frame: 0, offset: err.offset ?? 0, code: err.code, reason: err.message });
  }
  const otherUdpPorts = [...other]
    .map(([port, c]) => ({ port, ...c }))
    .sort((a, b) => b.l2tpLike - a.l2tpLike || b.datagrams - a.datagrams || a.port - b.port);
  return { format, frames, packets, problems, fragments, otherUdpPorts };
}
