/**
 * ATM pseudowires, RFC 4454: AAL5 SDU mode (type 2; §5.1: the CPCS-SDU without trailer or padding,
 * the ATM-Specific Sublayer REQUIRED, T=1 marking one admin cell instead) and cell relay modes
 * (types 9 VCC, 10 VPC, 3 port; §5.2: one or more 52-octet cells, 4-octet header without HEC +
 * 48-octet payload, at most the peer's ATM Maximum Concatenated Cells, §6). The sublayer octet is
 * read and written by src/codec/header.ts (`atmFlags`); this module gives those bits meaning.
 * Not here: AAL5 segmentation/reassembly, CRC-32, OAM processing, L2TP fragmentation (B/E bits).
 */

import { ATM_FLAGS_MASK, SUBLAYER_BITS } from '../codec/header.js';
import { DecodeError, UsageError } from '../errors.js';

/** Octets of one cell on the pseudowire (header without HEC + payload). */
export const ATM_CELL_LENGTH = 52;
/** Octets of an ATM cell header as carried (HEC removed). */
export const ATM_CELL_HEADER_LENGTH = 4;
/** Octets of an ATM cell payload. */
export const ATM_CELL_PAYLOAD_LENGTH = 48;
/** Largest AAL5 CPCS-SDU (the CPCS-PDU Length field is 16 bits). */
export const AAL5_MAX_SDU_LENGTH = 65535;

/** The ATM-Specific Sublayer flags of RFC 4454 §4.1 as booleans. */
export interface AtmSublayerFlags {
  /** B: fragmentation begin (RFC 4623); 0 when fragmentation is not used. */
  readonly b: boolean;
  /** E: fragmentation end (RFC 4623); 0 when fragmentation is not used. */
  readonly e: boolean;
  /** T: the packet holds one admin (OAM) cell rather than an AAL5 payload. */
  readonly t: boolean;
  /** G: EFCI of the last cell of the AAL5 payload (or of the single cell). */
  readonly g: boolean;
  /** C: CLP of any cell of the AAL5 payload (or of the single cell). */
  readonly c: boolean;
  /** U: FRF.8.1 command/response (CPCS-UU least significant bit). */
  readonly u: boolean;
}

/** Splits the `atmFlags` value of a decoded v3 data header into named bits. */
export function decodeAtmSublayerFlags(atmFlags: number): AtmSublayerFlags {
  return {
    b: (atmFlags & SUBLAYER_BITS.B) !== 0,
    e: (atmFlags & SUBLAYER_BITS.E) !== 0,
    t: (atmFlags & SUBLAYER_BITS.T) !== 0,
    g: (atmFlags & SUBLAYER_BITS.G) !== 0,
    c: (atmFlags & SUBLAYER_BITS.C) !== 0,
    u: (atmFlags & SUBLAYER_BITS.U) !== 0,
  };
}

/** Builds the `atmFlags` value (within `ATM_FLAGS_MASK`) for encodeDataHeaderV3. Missing = 0. */
export function encodeAtmSublayerFlags(flags: Partial<AtmSublayerFlags>): number {
  return (
    (flags.b === true ? SUBLAYER_BITS.B : 0) |
    (flags.e === true ? SUBLAYER_BITS.E : 0) |
    (flags.t === true ? SUBLAYER_BITS.T : 0) |
    (flags.g === true ? SUBLAYER_BITS.G : 0) |
    (flags.c === true ? SUBLAYER_BITS.C : 0) |
    (flags.u === true ? SUBLAYER_BITS.U : 0)
  );
}

/** Header fields of one ATM cell (NNI layout as drawn in RFC 4454 Figure 4: 12-bit VPI). */
export interface AtmCellHeader {
  /** VPI, 0–4095 (at a UNI the top 4 bits are the GFC). */
  readonly vpi: number;
  /** VCI, 0–65535. */
  readonly vci: number;
  /** Payload Type Indicator, 0–7 (bit 1 = EFCI on user cells, 4–5 = F5 OAM). */
  readonly pti: number;
  /** Cell Loss Priority. */
  readonly clp: boolean;
}

/** One cell read from a cell-mode payload; views alias the payload. */
export interface AtmCell extends AtmCellHeader {
  /** The 52 octets of the cell; view. */
  readonly cell: Uint8Array;
  /** The 48-octet payload; view. */
  readonly payload: Uint8Array;
}

/** A cell to encode: header fields plus a 48-octet payload. */
export interface AtmCellInput extends AtmCellHeader {
  readonly payload: Uint8Array;
}

function readCell(bytes: Uint8Array, at: number): AtmCell {
  const b0 = bytes[at] as number;
  const b1 = bytes[at + 1] as number;
  const b2 = bytes[at + 2] as number;
  const b3 = bytes[at + 3] as number;
  return {
    vpi: (b0 << 4) | (b1 >>> 4),
    vci: ((b1 & 0x0f) << 12) | (b2 << 4) | (b3 >>> 4),
    pti: (b3 >>> 1) & 0x07,
    clp: (b3 & 0x01) !== 0,
    cell: bytes.subarray(at, at + ATM_CELL_LENGTH),
    payload: bytes.subarray(at + ATM_CELL_HEADER_LENGTH, at + ATM_CELL_LENGTH),
  };
}

/** Writes a 4-octet cell header at `at`; throws UsageError for out-of-range fields. */
function writeCellHeader(target: Uint8Array, at: number, h: AtmCellHeader): void {
  if ((h.vpi & 0x0fff) !== h.vpi || (h.vci & 0xffff) !== h.vci || (h.pti & 0x07) !== h.pti) {
    throw new UsageError(`ATM cell header out of range (VPI ${h.vpi}, VCI ${h.vci}, PTI ${h.pti})`);
  }
  target[at] = h.vpi >>> 4;
  target[at + 1] = ((h.vpi & 0x0f) << 4) | (h.vci >>> 12);
  target[at + 2] = (h.vci >>> 4) & 0xff;
  target[at + 3] = ((h.vci & 0x0f) << 4) | (h.pti << 1) | (h.clp ? 1 : 0);
}

/** Options of the cell-mode codec. */
export interface AtmCellOptions {
  /**
   * ATM Maximum Concatenated Cells (RFC 4454 §6): on receive, the value this end signalled; on
   * send, the value the peer signalled. Undefined = no limit beyond the packet size.
   */
  readonly maxCells?: number;
}

/**
 * Reads the cells of a cell-mode payload (after any sublayer). The payload must hold a whole
 * number (≥ 1) of 52-octet cells, at most `maxCells`. Throws DecodeError `L2TP_ERR_TRUNCATED`
 * (empty or partial cell) or `L2TP_ERR_BAD_LENGTH` (more cells than allowed).
 */
export function decodeAtmCells(payload: Uint8Array, options: AtmCellOptions = {}): AtmCell[] {
  const count = Math.floor(payload.length / ATM_CELL_LENGTH);
  if (count === 0 || count * ATM_CELL_LENGTH !== payload.length) {
    throw new DecodeError(
      'L2TP_ERR_TRUNCATED',
      `ATM cell payload of ${payload.length} octets is not a whole number of 52-octet cells`,
      { offset: count * ATM_CELL_LENGTH },
    );
  }
  if (options.maxCells !== undefined && count > options.maxCells) {
    throw new DecodeError(
      'L2TP_ERR_BAD_LENGTH',
      `${count} concatenated ATM cells exceed the maximum of ${options.maxCells}`,
      { offset: options.maxCells * ATM_CELL_LENGTH },
    );
  }
  const cells: AtmCell[] = [];
  for (let i = 0; i < count; i++) cells.push(readCell(payload, i * ATM_CELL_LENGTH));
  return cells;
}

/**
 * Encodes cells as scatter/gather chunks `[header₁, payload₁, header₂, payload₂, …]`: the four-octet
 * headers are views of one fresh buffer, payloads are passed through uncopied. Throws UsageError
 * for no cells, more than `maxCells`, a payload not of 48 octets or a header field out of range.
 */
export function encodeAtmCells(
  cells: readonly AtmCellInput[],
  options: AtmCellOptions = {},
): Uint8Array[] {
  if (cells.length === 0) throw new UsageError('no ATM cells to send');
  if (options.maxCells !== undefined && cells.length > options.maxCells) {
    throw new UsageError(`${cells.length} cells exceed the peer's maximum of ${options.maxCells}`);
  }
  const headers = new Uint8Array(cells.length * ATM_CELL_HEADER_LENGTH);
  const chunks: Uint8Array[] = [];
  cells.forEach((cell, i) => {
    if (cell.payload.length !== ATM_CELL_PAYLOAD_LENGTH) {
      throw new UsageError(`ATM cell payload must be 48 octets, got ${cell.payload.length}`);
    }
    const at = i * ATM_CELL_HEADER_LENGTH;
    writeCellHeader(headers, at, cell);
    chunks.push(headers.subarray(at, at + ATM_CELL_HEADER_LENGTH), cell.payload);
  });
  return chunks;
}

/**
 * True for idle/unassigned cells (VPI 0, VCI 0), which an LCCE MUST discard on a port-mode
 * pseudowire (RFC 4454 §5.2.3). Assumes the GFC bits, if any, are 0.
 */
export function isIdleOrUnassignedCell(cell: AtmCellHeader): boolean {
  return cell.vpi === 0 && cell.vci === 0;
}

/** An AAL5 SDU mode packet: an SDU, or (T = 1) a single admin cell. Views alias the payload. */
export type AtmAal5Packet =
  | {
      readonly kind: 'sdu';
      /** The AAL5 CPCS-SDU (no trailer, no padding); view. */
      readonly sdu: Uint8Array;
      readonly flags: AtmSublayerFlags;
    }
  | {
      readonly kind: 'admin-cell';
      /** The OAM cell in VCC cell relay encapsulation (RFC 4454 §4.1, T bit). */
      readonly cell: AtmCell;
      readonly flags: AtmSublayerFlags;
    };

/**
 * Reads an AAL5 SDU mode payload given the sublayer flags from the data header (`atmFlags`; the
 * ATM-Specific Sublayer is REQUIRED in this mode, RFC 4454 §4). B/E are reported as received.
 * Throws DecodeError `L2TP_ERR_BAD_LENGTH` for an SDU above 65535 octets or an admin cell that
 * is not exactly 52 octets.
 */
export function decodeAtmAal5(payload: Uint8Array, atmFlags: number): AtmAal5Packet {
  const flags = decodeAtmSublayerFlags(atmFlags & ATM_FLAGS_MASK);
  if (flags.t) {
    if (payload.length !== ATM_CELL_LENGTH) {
      throw new DecodeError('L2TP_ERR_BAD_LENGTH', `ATM admin cell of ${payload.length} octets`, {
        offset: 0,
      });
    }
    return { kind: 'admin-cell', cell: readCell(payload, 0), flags };
  }
  if (payload.length > AAL5_MAX_SDU_LENGTH) {
    throw new DecodeError('L2TP_ERR_BAD_LENGTH', `AAL5 SDU of ${payload.length} octets > 65535`, {
      offset: AAL5_MAX_SDU_LENGTH,
    });
  }
  return { kind: 'sdu', sdu: payload, flags };
}

/** What to put in the data header and after it for one AAL5 SDU mode packet. */
export interface AtmAal5Encoded {
  /** Value for `atmFlags` of the v3 data header (ATM-Specific Sublayer). */
  readonly atmFlags: number;
  /** Payload chunks (no copy of the SDU or cell payload). */
  readonly chunks: Uint8Array[];
}

/**
 * Encodes an AAL5 SDU: `atmFlags` carries G (EFCI), C (CLP), U (C/R); B/E and T are 0.
 * Throws UsageError above 65535 octets.
 */
export function encodeAtmAal5(
  sdu: Uint8Array,
  flags: { readonly efci?: boolean; readonly clp?: boolean; readonly cr?: boolean } = {},
): AtmAal5Encoded {
  if (sdu.length > AAL5_MAX_SDU_LENGTH) {
    throw new UsageError(`AAL5 SDU of ${sdu.length} octets exceeds 65535`);
  }
  const atmFlags = encodeAtmSublayerFlags({
    ...(flags.efci === undefined ? {} : { g: flags.efci }),
    ...(flags.clp === undefined ? {} : { c: flags.clp }),
    ...(flags.cr === undefined ? {} : { u: flags.cr }),
  });
  return { atmFlags, chunks: [sdu] };
}

/**
 * Encodes one admin (OAM) cell on an AAL5 SDU mode pseudowire: T = 1, G and C copied from the
 * cell's EFCI (PTI bit 1 on user cells) and CLP (RFC 4454 §4.1).
 */
export function encodeAtmAal5AdminCell(cell: AtmCellInput): AtmAal5Encoded {
  const efci = cell.pti < 4 && (cell.pti & 0x02) !== 0;
  return {
    atmFlags: encodeAtmSublayerFlags({ t: true, g: efci, c: cell.clp }),
    chunks: encodeAtmCells([cell]),
  };
}
