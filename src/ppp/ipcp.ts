/**
 * IPCP, the IP Control Protocol (0x8021, RFC 1332), with the name-server options of RFC 1877.
 *
 * IP-Address (3, §3.3), both roles:
 * - server (`peerAddress` set): the peer's 0.0.0.0, or any other address than the assigned one,
 *   is Nak'd with `peerAddress`; a peer that leaves the option out gets it appended to a Nak once
 *   (§3.3: "SHOULD be appended"; not again if it still leaves it out, as RFC 5072 §4.1 says for
 *   its identifier);
 * - client (no `localAddress`): we ask for 0.0.0.0 and take the address the peer Naks with. A
 *   Reject of our 0.0.0.0 (the peer has nothing to give), or an Ack of it, closes IPCP with
 *   `no-address`.
 * Our own address, when configured, is asked for as is; `acceptLocalAddress` lets the peer's Nak
 * change it.
 * DNS/NBNS (129–132, RFC 1877 §1): as client we ask for the ones in `requestDns`/`requestNbns`
 * with 0.0.0.0 and take the Nak'd values (a Reject drops the one asked for); as server we Nak the
 * peer's request with the configured servers, and Reject what we have not got.
 * IP-Compression-Protocol (2, Van Jacobson) and the deprecated IP-Addresses (1) are rejected,
 * and so is any option we do not know.
 */

import { UsageError } from '../errors.js';
import {
  ACK,
  type AutomatonOptions,
  nak,
  type OptionNegotiator,
  type OptionVerdict,
  PppAutomaton,
  REJECT,
} from './automaton.js';
import {
  defaultFraming,
  optionU32,
  type PppFraming,
  type PppOption,
  PppProtocol,
  u32Option,
} from './frame.js';
import type { IpcpValues, PppReason } from './types.js';

/** IPCP Configuration Option types (RFC 1332 §3, RFC 1877 §1). */
export const IpcpOption = {
  IpAddresses: 1,
  IpCompressionProtocol: 2,
  IpAddress: 3,
  PrimaryDns: 129,
  PrimaryNbns: 130,
  SecondaryDns: 131,
  SecondaryNbns: 132,
} as const;

/** Options of IPCP. Addresses are dotted quads. */
export interface IpcpOptions extends AutomatonOptions {
  /** Our address. Omitted or 0.0.0.0: ask the peer for one (client). */
  readonly localAddress?: string | undefined;
  /** The address we assign to the peer (server). Omitted: we have none to give. */
  readonly peerAddress?: string | undefined;
  /**
   * Let the peer's Nak change a configured `localAddress`. Default false (without a
   * `localAddress` the Nak'd address is always taken).
   */
  readonly acceptLocalAddress?: boolean | undefined;
  /** Acknowledge any non-zero address the peer asks for, even if not `peerAddress`. Default false. */
  readonly acceptPeerAddress?: boolean | undefined;
  /** Client: ask for the primary and secondary DNS servers (129, 131). Default false. */
  readonly requestDns?: boolean | undefined;
  /** Client: ask for the primary and secondary NBNS servers (130, 132). Default false. */
  readonly requestNbns?: boolean | undefined;
  /** Server: the DNS servers to give, primary first (at most two). */
  readonly dns?: readonly string[] | undefined;
  /** Server: the NBNS servers to give, primary first (at most two). */
  readonly nbns?: readonly string[] | undefined;
}

/** Reads a dotted-quad IPv4 address as an unsigned 32-bit number. @throws UsageError. */
export function parseIpv4(text: string): number {
  const parts = text.split('.');
  if (parts.length !== 4) throw new UsageError(`not an IPv4 address: ${text}`);
  let v = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255)
      throw new UsageError(`not an IPv4 address: ${text}`);
    v = v * 256 + Number(p);
  }
  return v;
}

/** An unsigned 32-bit number as a dotted quad. */
export function formatIpv4(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}

function optionalAddress(text: string | undefined): number {
  return text === undefined ? 0 : parseIpv4(text);
}

function servers(name: string, list: readonly string[] | undefined): [number, number] {
  if (list !== undefined && list.length > 2) throw new UsageError(`${name}: at most two servers`);
  return [optionalAddress(list?.[0]), optionalAddress(list?.[1])];
}

// The four RFC 1877 options as slots: [type, index into dns/nbns, which list].
const NAME_SERVER_SLOTS = [
  [IpcpOption.PrimaryDns, 0, 'dns'],
  [IpcpOption.PrimaryNbns, 0, 'nbns'],
  [IpcpOption.SecondaryDns, 1, 'dns'],
  [IpcpOption.SecondaryNbns, 1, 'nbns'],
] as const;

function slotOf(type: number): number {
  return type >= IpcpOption.PrimaryDns && type <= IpcpOption.SecondaryNbns
    ? type - IpcpOption.PrimaryDns
    : -1;
}

/** The IPCP plug-in of the automaton. */
export class IpcpNegotiator implements OptionNegotiator<'ipcp'> {
  readonly name = 'ipcp' as const;
  readonly protocol = PppProtocol.Ipcp;
  readonly #localCfg: number;
  readonly #peerCfg: number;
  readonly #acceptLocal: boolean;
  readonly #acceptPeer: boolean;
  /** What we give, by slot (129, 130, 131, 132): 0 = nothing. */
  readonly #give: number[];
  /** What we ask for, by slot. */
  readonly #want: boolean[];
  // Our wishes.
  #addr = 0;
  #addrOn = true;
  #ns = [0, 0, 0, 0];
  #nsOn = [false, false, false, false];
  // Acknowledged values.
  #local = 0;
  #localNs = [0, 0, 0, 0];
  #peer: number | undefined;
  #askedForAddress = false;
  #failure: PppReason | undefined;

  constructor(options: IpcpOptions = {}) {
    this.#localCfg = optionalAddress(options.localAddress);
    this.#peerCfg = optionalAddress(options.peerAddress);
    this.#acceptLocal = options.acceptLocalAddress ?? false;
    this.#acceptPeer = options.acceptPeerAddress ?? false;
    const dns = servers('dns', options.dns);
    const nbns = servers('nbns', options.nbns);
    this.#give = NAME_SERVER_SLOTS.map(([, i, list]) => (list === 'dns' ? dns[i] : nbns[i]));
    const rd = options.requestDns ?? false;
    const rn = options.requestNbns ?? false;
    this.#want = NAME_SERVER_SLOTS.map(([, , list]) => (list === 'dns' ? rd : rn));
    this.reset();
  }

  reset(): void {
    this.#addr = this.#localCfg;
    this.#addrOn = true;
    this.#ns = [0, 0, 0, 0];
    this.#nsOn = [...this.#want];
    this.#local = 0;
    this.#localNs = [0, 0, 0, 0];
    this.#peer = undefined;
    this.#askedForAddress = false;
  }

  request(): readonly PppOption[] {
    const r: PppOption[] = [];
    if (this.#addrOn) r.push(u32Option(IpcpOption.IpAddress, this.#addr));
    for (let s = 0; s < 4; s++) {
      if (this.#nsOn[s]) r.push(u32Option(IpcpOption.PrimaryDns + s, this.#ns[s] as number));
    }
    return r;
  }

  judge(o: PppOption): OptionVerdict {
    if (o.type === IpcpOption.IpAddress) {
      const give = this.#peerCfg;
      if (o.data.length !== 4)
        return give !== 0 ? nak(u32Option(IpcpOption.IpAddress, give)) : REJECT;
      const v = optionU32(o);
      if (give !== 0) {
        if (v === give) return ACK;
        if (v !== 0 && this.#acceptPeer && v !== this.#addr) return ACK;
        return nak(u32Option(IpcpOption.IpAddress, give));
      }
      // Nothing to assign: take a usable address, refuse to negotiate otherwise.
      return v !== 0 && v !== this.#addr ? ACK : REJECT;
    }
    const slot = slotOf(o.type);
    if (slot >= 0) {
      const give = this.#give[slot] as number;
      if (give === 0) return REJECT;
      if (o.data.length === 4 && optionU32(o) === give) return ACK;
      return nak(u32Option(o.type, give));
    }
    return REJECT; // 1 (deprecated), 2 (compression), and anything unknown
  }

  missing(request: readonly PppOption[]): readonly PppOption[] {
    if (this.#peerCfg === 0 || this.#askedForAddress) return [];
    for (const o of request) if (o.type === IpcpOption.IpAddress) return [];
    this.#askedForAddress = true;
    return [u32Option(IpcpOption.IpAddress, this.#peerCfg)];
  }

  peerAcked(options: readonly PppOption[]): void {
    this.#peer = undefined;
    for (const o of options) if (o.type === IpcpOption.IpAddress) this.#peer = optionU32(o);
  }

  acked(options: readonly PppOption[]): void {
    this.#local = 0;
    this.#localNs = [0, 0, 0, 0];
    let asked = false;
    for (const o of options) {
      if (o.type === IpcpOption.IpAddress) {
        asked = true;
        this.#local = optionU32(o);
      } else {
        const slot = slotOf(o.type);
        if (slot >= 0) this.#localNs[slot] = optionU32(o);
      }
    }
    if (!asked && this.#localCfg !== 0) this.#local = this.#localCfg;
    if (this.#local === 0) {
      this.#failure = {
        by: 'peer',
        code: 'no-address',
        message: asked ? 'the peer acknowledged 0.0.0.0' : 'no address for our end',
      };
    }
  }

  nakked(o: PppOption, requested: boolean, failing: boolean): void {
    if (failing) {
      if (requested) this.rejected(o);
      return;
    }
    if (o.data.length !== 4) return;
    const v = optionU32(o);
    if (o.type === IpcpOption.IpAddress) {
      if (v === 0) return; // no suggestion: ask again (the peer's Max-Failure will decide)
      if (this.#localCfg === 0 || this.#acceptLocal) this.#addr = v;
      this.#addrOn = true; // an appended IP-Address: the peer wants us to send one
      return;
    }
    const slot = slotOf(o.type);
    if (slot >= 0 && requested && this.#nsOn[slot] && v !== 0) this.#ns[slot] = v;
  }

  rejected(o: PppOption): void {
    if (o.type === IpcpOption.IpAddress) {
      this.#addrOn = false;
      if (this.#localCfg === 0) {
        this.#failure = {
          by: 'peer',
          code: 'no-address',
          message: 'the peer rejected IP-Address and gave us none',
        };
      }
      return;
    }
    const slot = slotOf(o.type);
    if (slot >= 0) this.#nsOn[slot] = false;
  }

  failure(): PppReason | undefined {
    const f = this.#failure;
    this.#failure = undefined;
    return f;
  }

  values(): IpcpValues {
    const ns = (s: number) => {
      const v = this.#localNs[s] as number;
      return v === 0 ? undefined : formatIpv4(v);
    };
    const peer = this.#peer ?? (this.#peerCfg === 0 ? undefined : this.#peerCfg);
    return {
      localAddress: formatIpv4(this.#local),
      peerAddress: peer === undefined || peer === 0 ? undefined : formatIpv4(peer),
      primaryDns: ns(0),
      secondaryDns: ns(2),
      primaryNbns: ns(1),
      secondaryNbns: ns(3),
    };
  }
}

/** An IPCP automaton. `framing` is the link's (shared with LCP, which keeps it up to date). */
export function createIpcp(
  options: IpcpOptions = {},
  framing: PppFraming = defaultFraming(),
): PppAutomaton<'ipcp'> {
  return new PppAutomaton(new IpcpNegotiator(options), framing, options);
}
