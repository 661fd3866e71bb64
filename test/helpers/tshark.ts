/**
 * Wireshark as an interop oracle: runs `tshark -r file -T pdml` and turns the PDML XML into small
 * per-packet objects (L2TP header fields, the AVP list with M/H/length/vendor/type and displayed
 * values, expert-info items, "Malformed" markers). A minimal hand-written XML reader, since PDML is
 * flat, machine-written XML; no dependency. Test-only; needs the Debian `tshark` package
 * (scripts/install-peers.sh). Not here: hidden-AVP unhiding (tshark does not do it).
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type L2tpDatagram,
  pcapFromL2tpIp,
  pcapFromL2tpUdp,
  type WritePcapOptions,
} from './pcap.js';

/** One `<proto>` or `<field>` element of PDML with its attributes (entities decoded). */
export interface PdmlNode {
  readonly kind: 'proto' | 'field';
  /** Field abbreviation, e.g. `l2tp.avp.type`; empty for text-only subtree labels. */
  readonly name: string;
  /** The tree line Wireshark shows, e.g. `Host Name: lns.test`. */
  readonly showname: string;
  /** The display value, e.g. `lns.test`; for text-only nodes the label (`Host Name AVP`). */
  readonly show: string;
  /** The field's bytes as hex (or the masked value for bit fields). */
  readonly value: string;
  /** Byte offset in the frame. */
  readonly pos: number;
  readonly size: number;
  /** `hide="yes"`: a field not shown in the tree (still present in PDML). */
  readonly hidden: boolean;
  readonly children: PdmlNode[];
}

/** One `<packet>`: its top-level protocols (frame, eth, ip, udp, l2tp, …). */
export interface PdmlPacket {
  readonly protos: PdmlNode[];
}

/** An expert-info item anywhere in a packet. */
export interface TsharkExpert {
  /** `Chat`, `Note`, `Warning`, `Error` or `Comment`. */
  readonly severity: string;
  /** e.g. `Malformed`, `Protocol`, `Sequence`. */
  readonly group: string;
  readonly message: string;
}

/** One value line inside an AVP (everything except the AVP header fields). */
export interface TsharkAvpValue {
  /** Field abbreviation, e.g. `l2tp.avp.host_name`; empty for a text-only line. */
  readonly field: string;
  /** Display value, e.g. `lns.test`. */
  readonly show: string;
  /** Full tree line, e.g. `Host Name: lns.test`. */
  readonly showname: string;
}

/** One AVP as Wireshark dissected it. */
export interface TsharkAvp {
  /** The subtree label, e.g. `Host Name AVP`. */
  readonly label: string;
  readonly mandatory: boolean;
  readonly hidden: boolean;
  /** The 10-bit AVP length field, in bytes. */
  readonly length: number;
  readonly vendorId: number;
  /** Attribute type (IETF or vendor-specific). */
  readonly type: number;
  /** The whole AVP as hex (header and value), as seen in the frame. */
  readonly raw: string;
  readonly values: TsharkAvpValue[];
}

/** The L2TP layer of one packet. Optional fields are absent when tshark did not show them. */
export interface TsharkL2tp {
  /** 2 or 3 (L2TPv3 data over IP has no version field; reported as 3). */
  readonly version: number;
  readonly control: boolean;
  /** Message Type AVP value; absent for ZLB and data messages. */
  readonly messageType?: number;
  /** Wireshark's message name, e.g. `Start_Control_Request`; `ZLB` for a control without AVPs. */
  readonly messageName?: string;
  readonly length?: number;
  /** L2TPv2 Tunnel ID. */
  readonly tunnelId?: number;
  /** L2TPv2 Session ID. */
  readonly sessionId?: number;
  /** L2TPv3 Control Connection ID. */
  readonly ccid?: number;
  /** L2TPv3 Session ID (data messages). */
  readonly v3SessionId?: number;
  readonly ns?: number;
  readonly nr?: number;
  readonly avps: TsharkAvp[];
  /** The raw PDML subtree for anything not lifted out above. */
  readonly node: PdmlNode;
}

/** One dissected frame. */
export interface TsharkPacket {
  /** 1-based frame number. */
  readonly frame: number;
  /** `frame.protocols`, e.g. `raw:ip:udp:l2tp`. */
  readonly protocols: string;
  readonly l2tp?: TsharkL2tp;
  /** Every expert-info item in the packet (any layer). */
  readonly expert: TsharkExpert[];
  /** True when any `_ws.malformed` item is present. */
  readonly malformed: boolean;
  readonly pdml: PdmlPacket;
}

/** Options for running tshark. */
export interface TsharkOptions {
  /** Preferences passed as `-o key:value`, e.g. `{ 'l2tp.cookie_size': '4' }`. */
  readonly prefs?: Readonly<Record<string, string | number | boolean>>;
  /** Decode-as rules passed as `-d`, e.g. `udp.port==17010,l2tp`. */
  readonly decodeAs?: readonly string[];
  /** Display filter (`-Y`). */
  readonly displayFilter?: string;
}

let available: boolean | undefined;

/** True when a `tshark` binary runs here (cached). Use it to skip interop tests. */
export function tsharkAvailable(): boolean {
  if (available === undefined) {
    const r = spawnSync('tshark', ['--version'], { encoding: 'utf8', timeout: 20_000 });
    available = r.status === 0 && r.stdout.startsWith('TShark');
  }
  return available;
}

/** First line of `tshark --version`, or undefined when tshark is missing. */
export function tsharkVersion(): string | undefined {
  if (!tsharkAvailable()) return undefined;
  return execFileSync('tshark', ['--version'], { encoding: 'utf8' }).split('\n')[0];
}

function tsharkArgs(file: string, options: TsharkOptions): string[] {
  const args = ['-r', file, '-T', 'pdml', '-n'];
  for (const [k, v] of Object.entries(options.prefs ?? {})) args.push('-o', `${k}:${String(v)}`);
  for (const d of options.decodeAs ?? []) args.push('-d', d);
  if (options.displayFilter !== undefined) args.push('-Y', options.displayFilter);
  return args;
}

/** Runs `tshark -T pdml` on a capture file and returns the XML. Throws when tshark fails. */
export function tsharkPdml(file: string, options: TsharkOptions = {}): string {
  const r = spawnSync('tshark', tsharkArgs(file, options), {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    timeout: 60_000,
  });
  if (r.error !== undefined) throw r.error;
  if (r.status !== 0) throw new Error(`tshark exited with ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** Dissects a capture file with tshark. */
export function tsharkDecode(file: string, options: TsharkOptions = {}): TsharkPacket[] {
  return parsePdml(tsharkPdml(file, options)).map(toPacket);
}

/** Dissects in-memory pcap bytes (written to a temporary file that is removed afterwards). */
export function tsharkDecodePcap(pcap: Uint8Array, options: TsharkOptions = {}): TsharkPacket[] {
  const dir = mkdtempSync(join(tmpdir(), 'l2tp-tshark-'));
  try {
    const file = join(dir, 'capture.pcap');
    writeFileSync(file, pcap);
    return tsharkDecode(file, options);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Wraps L2TP payloads in IPv4+UDP (port 1701 by default) and dissects them. */
export function tsharkDecodeL2tpUdp(
  datagrams: readonly (Uint8Array | L2tpDatagram)[],
  options: TsharkOptions & WritePcapOptions = {},
): TsharkPacket[] {
  return tsharkDecodePcap(pcapFromL2tpUdp(datagrams, options), options);
}

/** Wraps L2TPv3 messages in IPv4 protocol 115 and dissects them. */
export function tsharkDecodeL2tpIp(
  datagrams: readonly (Uint8Array | L2tpDatagram)[],
  options: TsharkOptions & WritePcapOptions = {},
): TsharkPacket[] {
  return tsharkDecodePcap(pcapFromL2tpIp(datagrams, options), options);
}

// ---------------------------------------------------------------------------------------------
// PDML reading

const ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
};

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[a-z]+);/g, (m, e: string) => {
    if (e.startsWith('#x')) return String.fromCodePoint(Number.parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return String.fromCodePoint(Number.parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? m;
  });
}

// A tag with double-quoted attributes; `>` inside quotes does not end it.
const TAG = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w.:-]+="[^"]*")*)\s*(\/?)>/g;
const ATTR = /([\w.:-]+)="([^"]*)"/g;

interface MutableNode {
  kind: 'proto' | 'field';
  name: string;
  showname: string;
  show: string;
  value: string;
  pos: number;
  size: number;
  hidden: boolean;
  children: MutableNode[];
}

/** Parses tshark's PDML into packets of proto/field trees. Throws on unbalanced tags. */
export function parsePdml(xml: string): PdmlPacket[] {
  const packets: PdmlPacket[] = [];
  let current: MutableNode[] | undefined; // top-level protos of the open packet
  const stack: MutableNode[] = [];
  for (const m of xml.matchAll(TAG)) {
    const closing = m[1] === '/';
    const tag = m[2] ?? '';
    const selfClosing = m[4] === '/';
    if (tag === 'packet') {
      if (closing) {
        if (current === undefined || stack.length !== 0) throw new Error('pdml: unbalanced packet');
        packets.push({ protos: current });
        current = undefined;
      } else {
        current = [];
      }
      continue;
    }
    if (tag !== 'proto' && tag !== 'field') continue; // pdml, ?xml, comments
    if (closing) {
      if (stack.pop()?.kind !== tag) throw new Error(`pdml: unexpected </${tag}>`);
      continue;
    }
    if (current === undefined) throw new Error(`pdml: <${tag}> outside <packet>`);
    const attrs: Record<string, string> = {};
    for (const a of (m[3] ?? '').matchAll(ATTR)) attrs[a[1] ?? ''] = decodeEntities(a[2] ?? '');
    const node: MutableNode = {
      kind: tag,
      name: attrs.name ?? '',
      showname: attrs.showname ?? '',
      show: attrs.show ?? '',
      value: attrs.value ?? '',
      pos: Number(attrs.pos ?? 0),
      size: Number(attrs.size ?? 0),
      hidden: attrs.hide === 'yes',
      children: [],
    };
    const parent = stack[stack.length - 1];
    if (parent === undefined) current.push(node);
    else parent.children.push(node);
    if (!selfClosing) stack.push(node);
  }
  if (current !== undefined || stack.length !== 0) throw new Error('pdml: truncated document');
  return packets;
}

/** Depth-first walk over a node list. */
export function* walk(nodes: readonly PdmlNode[]): Generator<PdmlNode> {
  for (const n of nodes) {
    yield n;
    yield* walk(n.children);
  }
}

/** The first node named `name` in a subtree (depth-first), or undefined. */
export function findField(nodes: readonly PdmlNode[], name: string): PdmlNode | undefined {
  for (const n of walk(nodes)) if (n.name === name) return n;
  return undefined;
}

function numberOf(nodes: readonly PdmlNode[], name: string): number | undefined {
  const n = findField(nodes, name);
  if (n === undefined) return undefined;
  const v = Number(n.show);
  return Number.isFinite(v) ? v : undefined;
}

// Fields holding the AVP attribute type: IETF and the vendor AVPs Wireshark knows.
const AVP_TYPE_FIELDS = new Set([
  'l2tp.avp.type',
  'l2tp.avp.ciscotype',
  'l2tp.avp.broadbandtype',
  'l2tp.avp.cablelabstype',
  'l2tp.avp.ericssontype',
]);
const AVP_HEADER_FIELDS = new Set([
  'l2tp.avp.mandatory',
  'l2tp.avp.hidden',
  'l2tp.avp.length',
  'l2tp.avp.vendor_id',
  ...AVP_TYPE_FIELDS,
]);

function toAvp(n: PdmlNode): TsharkAvp {
  const direct = (name: string): PdmlNode | undefined => n.children.find((c) => c.name === name);
  const typeNode = n.children.find((c) => AVP_TYPE_FIELDS.has(c.name));
  // An unknown vendor's AVP has no type field: read it from the raw header (bytes 4-5).
  const type =
    typeNode !== undefined ? Number(typeNode.show) : Number.parseInt(n.value.slice(8, 12), 16);
  return {
    label: n.show,
    mandatory: direct('l2tp.avp.mandatory')?.show === '1',
    hidden: direct('l2tp.avp.hidden')?.show === '1',
    length: Number(direct('l2tp.avp.length')?.show ?? Number.NaN),
    vendorId: Number(direct('l2tp.avp.vendor_id')?.show ?? Number.NaN),
    type,
    raw: n.value,
    values: [...walk(n.children)]
      .filter((c) => !AVP_HEADER_FIELDS.has(c.name) && !c.name.startsWith('_ws.'))
      .map((c) => ({ field: c.name, show: c.show, showname: c.showname })),
  };
}

function toL2tp(proto: PdmlNode, v3OverIp: boolean): TsharkL2tp {
  const kids = proto.children;
  // AVP subtrees are the text-only nodes that carry an AVP length field directly.
  const avps = kids
    .filter((c) => c.kind === 'field' && c.children.some((g) => g.name === 'l2tp.avp.length'))
    .map(toAvp);
  // L2TPv3 data over IP has no T bit or version: Session ID then payload (RFC 3931 §4.1.1.1).
  const control = numberOf(kids, 'l2tp.type') === 1;
  const mt = findField(kids, 'l2tp.avp.message_type');
  const out: {
    -readonly [K in keyof TsharkL2tp]: TsharkL2tp[K];
  } = {
    version: numberOf(kids, 'l2tp.version') ?? (v3OverIp ? 3 : Number.NaN),
    control,
    avps,
    node: proto,
  };
  if (mt !== undefined) {
    out.messageType = Number(mt.show);
    out.messageName = /: (.*) \(\d+\)$/.exec(mt.showname)?.[1] ?? mt.show;
  } else if (control && avps.length === 0) {
    out.messageName = 'ZLB';
  }
  const set = (key: 'length' | 'tunnelId' | 'sessionId' | 'ccid' | 'ns' | 'nr', f: string) => {
    const v = numberOf(kids, f);
    if (v !== undefined) out[key] = v;
  };
  set('length', 'l2tp.length');
  set('tunnelId', 'l2tp.tunnel');
  set('sessionId', 'l2tp.session');
  set('ccid', 'l2tp.ccid');
  set('ns', 'l2tp.Ns');
  set('nr', 'l2tp.Nr');
  const sid = numberOf(kids, 'l2tp.sid');
  if (sid !== undefined) out.v3SessionId = sid;
  return out;
}

function expertOf(n: PdmlNode): TsharkExpert {
  const sub = (name: string) => n.children.find((c) => c.name === name)?.showname ?? '';
  return {
    severity: sub('_ws.expert.severity').replace(/^Severity level: /, ''),
    group: sub('_ws.expert.group').replace(/^Group: /, ''),
    message: n.children.find((c) => c.name === '_ws.expert.message')?.show ?? n.showname,
  };
}

/** Lifts the L2TP layer, expert items and malformed markers out of one PDML packet. */
export function toPacket(pdml: PdmlPacket): TsharkPacket {
  const all = [...walk(pdml.protos)];
  const l2tpProto = pdml.protos.find((p) => p.name === 'l2tp');
  const packet: { -readonly [K in keyof TsharkPacket]: TsharkPacket[K] } = {
    frame: numberOf(pdml.protos, 'frame.number') ?? Number.NaN,
    protocols: findField(pdml.protos, 'frame.protocols')?.show ?? '',
    expert: all.filter((n) => n.name === '_ws.expert').map(expertOf),
    malformed: all.some((n) => n.name === '_ws.malformed'),
    pdml,
  };
  if (l2tpProto !== undefined) {
    // Over IP (proto 115) there is no UDP layer.
    const overIp = !pdml.protos.some((p) => p.name === 'udp');
    packet.l2tp = toL2tp(l2tpProto, overIp);
  }
  return packet;
}
