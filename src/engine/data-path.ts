/**
 * DataPath: the data plane of every session of one control connection (RFC 2661 §3.1, §5.4;
 * RFC 3931 §4.1, §4.6, §5.4.4): data headers out (v2 with FF 03, v3 with cookie, sublayer and
 * the pseudowire framer's prefix), data messages in (cookie, sublayer, sequencing and the
 * reorder buffer, framer and MRU), the kernel's per-session counters and runtime options, and
 * the sessions' reorder deadlines in one heap. The fast paths (`receiveOne`, `sendOne`) take
 * the common case without output arrays; everything else goes through the general path.
 * Not here: call setup (calls.ts), what is kept per call (records.ts).
 */

import { readU32 } from '../codec/bytes.js';
import {
  cookieMatches,
  type DataHeaderV2,
  type DataHeaderV3,
  dataHeaderLength,
  decodeDataV2,
  decodeDataV3,
  encodeDataHeaderV2,
  encodeDataHeaderV3,
  HEADER_BITS,
  SUBLAYER_BITS,
} from '../codec/header.js';
import { headroomOf, plainView, withHeadroom } from '../codec/view.js';
import { DecodeError, UsageError } from '../errors.js';
import type { RuntimeSessionOptions, SessionDataOptions } from '../options.js';
import { ATM_CELL_LENGTH } from '../pw/atm.js';
import { DataSequencer } from '../seq/data.js';
import { DeadlineHeap } from './deadlines.js';
import {
  checkAtmFlags,
  EMPTY,
  FAST_RX_MASK,
  framerFor,
  PPP_AC_0,
  PPP_AC_1,
  peekSessionV2,
  type SessionRecord,
  setSessionLogMask,
  type V3Session,
} from './records.js';
import type { EngineOutput, SendFrameOptions, SessionWire } from './types.js';

/** The data plane of one control connection's sessions. */
export class DataPath {
  // What the engine keeps current here (plain fields, not callbacks: 100,000 tunnels).
  /** Every live session by our Session ID (the engine's map). */
  sessions: ReadonlyMap<number, SessionRecord>;
  /** The control connection is established (data flows only then). */
  established = false;
  readonly localTunnelId: number;
  peerTunnelId = 0;
  /** When data was last received: activity for the HELLO timer (RFC 2661 §5.5); -1: never. */
  lastActivity = -1;
  /** Where `frame` outputs go: the engine's output list of the current call. */
  out: EngineOutput[] = [];
  readonly #version: 2 | 3;
  readonly #v3: boolean;
  readonly #encap: 'udp' | 'ip';
  /** Sessions whose data sequencer has a reorder deadline, by that deadline. */
  #timers: DeadlineHeap<SessionRecord> | undefined; // made when a session first holds a frame
  /** Sessions the fast paths used last (a stream of frames skips the map lookup). */
  #lastRx: SessionRecord | undefined;
  #lastTx: SessionRecord | undefined;
  /** The Session ID of the frame `receiveOne` returned last. */
  rxSessionId = 0;
  // Tunnel-level counters (TunnelEngineStats).
  framesSent = 0;
  framesReceived = 0;
  framesDropped = 0;
  framesSuppressed = 0;

  constructor(
    sessions: ReadonlyMap<number, SessionRecord>,
    localTunnelId: number,
    version: 2 | 3,
    encap: 'udp' | 'ip',
  ) {
    this.sessions = sessions;
    this.localTunnelId = localTunnelId;
    this.#version = version;
    this.#v3 = version === 3;
    this.#encap = encap;
  }

  /** Earliest reorder deadline of any session; O(1). */
  nextDeadline(): number | undefined {
    return this.#timers?.peekDeadline();
  }

  /** Releases what the reorder timers of the sessions due at `now` hold, earliest first. */
  handleTimeout(now: number): void {
    const timers = this.#timers;
    if (timers === undefined) return;
    for (let s = timers.popDue(now); s !== undefined; s = timers.popDue(now)) {
      this.deliver(s, s.seq.handleTimeout(now));
      this.rearm(s);
    }
  }

  /** A session ended: out of the heap and the fast paths' memory. */
  forget(rec: SessionRecord): void {
    this.#timers?.remove(rec);
    if (this.#lastRx === rec) this.#lastRx = undefined;
    if (this.#lastTx === rec) this.#lastTx = undefined;
  }

  /** Every session ended (the tunnel went down). */
  clear(): void {
    this.#timers?.clear();
    this.#lastRx = undefined;
    this.#lastTx = undefined;
  }

  /** Test hook: throws unless the heap agrees with a scan of every session. */
  audit(): void {
    let scan: number | undefined;
    const sessions = this.sessions;
    for (const s of sessions.values()) {
      const d = s.seq.nextDeadline();
      const filed = s.heapIndex >= 0 ? s.heapDeadline : undefined;
      if (filed !== d) throw new Error(`session ${s.id}: deadline ${d} filed as ${filed}`);
      if (d !== undefined && (scan === undefined || d < scan)) scan = d;
    }
    const top = this.#timers?.peekDeadline();
    const filed = this.#timers?.size ?? 0;
    if (top !== scan || filed > sessions.size) {
      throw new Error(`heap earliest ${top} (${filed} filed), scan ${scan}`);
    }
  }

  /** A data message for this tunnel (anything but control): the general receive path. */
  receive(bytes: Uint8Array, now: number): void {
    if (this.#v3) this.#receiveV3(bytes, now);
    else this.#receiveV2(bytes, now);
  }

  /** `TunnelEngine.sendFrame` after the session and state checks: see there. */
  sendFrame(
    rec: SessionRecord,
    frame: Uint8Array,
    options: SendFrameOptions | undefined,
  ): EngineOutput[] {
    const priority = options?.priority === true;
    if (priority && rec.v3 !== undefined) {
      throw new UsageError('priority (the P bit) exists in L2TPv2 data headers only');
    }
    const atmFlags = options?.atmFlags;
    if (atmFlags !== undefined && atmFlags !== 0) checkAtmFlags(rec, atmFlags);
    const d = rec.d;
    if (d.mtu !== 0 && frame.length > d.mtu) {
      d.txErrors++;
      const log = d.log.data;
      if (log) log('tx drop: %d octets > mtu %d', frame.length, d.mtu);
      return [];
    }
    const inPlace = options?.inPlace ?? false;
    if (rec.v3 !== undefined) return this.#sendFrameV3(rec, rec.v3, frame, atmFlags ?? 0, inPlace);
    // Linux pppol2tp puts FF 03 in front of every PPP frame; a host that already did is not doubled.
    const ac = d.pppAddressControl && !(frame[0] === PPP_AC_0 && frame[1] === PPP_AC_1);
    const ns = rec.seq.nextSendNs();
    const fields: DataHeaderV2 = {
      version: 2,
      tunnelId: this.peerTunnelId,
      sessionId: rec.peerId,
      ns,
      nr: ns === undefined ? undefined : 0,
      priority,
    };
    const size = dataHeaderLength(fields);
    const header = new Uint8Array(ac ? size + 2 : size);
    encodeDataHeaderV2(fields, header, 0);
    if (ac) {
      header[size] = PPP_AC_0;
      header[size + 1] = PPP_AC_1;
    }
    return this.#sent(rec, header, frame, ns, inPlace);
  }

  /** `TunnelEngine.setSessionOptions` after the options were checked: see there. */
  configure(rec: SessionRecord, options: RuntimeSessionOptions, now: number): void {
    const d = rec.d;
    const p = rec.v3;
    if (p !== undefined) {
      if (options.sendSeq === true && p.txSublayer === 'none') {
        throw new UsageError(
          'sendSeq needs the peer to ask for the Default or ATM L2-Specific Sublayer',
        );
      }
      if (options.recvSeq === true && p.rxSublayer === 'none') {
        throw new UsageError(
          "recvSeq needs l2SpecificSublayer 'default' or 'atm' (RFC 3931 §4.6, RFC 4454 §4.2)",
        );
      }
    }
    const control = d.log.control;
    if (control) control('options %o', options);
    if (options.debugMask !== undefined) {
      setSessionLogMask(d, this.localTunnelId, rec.id, options.debugMask);
    }
    if (options.mtu !== undefined) d.mtu = options.mtu;
    if (options.mru !== undefined) d.mru = options.mru;
    if (
      options.pppAddressControl !== undefined &&
      options.pppAddressControl !== d.pppAddressControl
    ) {
      d.pppAddressControl = options.pppAddressControl;
      if (p !== undefined)
        p.framer = framerFor(p.pwType, d.pppAddressControl, p.maxCells, p.peerMaxCells);
    }
    const recvSeq = options.recvSeq ?? d.recvSeq;
    const lnsMode = options.lnsMode ?? d.lnsMode;
    const reorderTimeoutMs = options.reorderTimeoutMs ?? d.reorderTimeoutMs;
    if (recvSeq !== d.recvSeq || lnsMode !== d.lnsMode || reorderTimeoutMs !== d.reorderTimeoutMs) {
      d.recvSeq = recvSeq;
      d.lnsMode = lnsMode;
      d.reorderTimeoutMs = reorderTimeoutMs;
      this.#renewSequencer(rec, now);
      this.rearm(rec);
    }
    if (options.sendSeq !== undefined) rec.seq.setSendSeq(options.sendSeq);
  }

  /** The current data-plane options of a session. */
  options(rec: SessionRecord): SessionDataOptions {
    const d = rec.d;
    return {
      sendSeq: rec.seq.sendSeq,
      recvSeq: d.recvSeq,
      lnsMode: d.lnsMode,
      reorderTimeoutMs: d.reorderTimeoutMs,
      debugMask: d.log.mask,
      mtu: d.mtu,
      mru: d.mru,
      pppAddressControl: d.pppAddressControl,
    };
  }

  /** What a session puts on the wire (see `TunnelEngine.sessionWire`). */
  wire(rec: SessionRecord): SessionWire {
    const p = rec.v3;
    if (p === undefined) {
      return {
        pseudowireType: 7,
        txSublayer: 'none',
        rxSublayer: 'none',
        cookie: EMPTY,
        peerCookie: EMPTY,
      };
    }
    return {
      pseudowireType: p.pwType,
      txSublayer: p.txSublayer,
      rxSublayer: p.rxSublayer,
      cookie: p.peerCookie.slice(),
      peerCookie: p.cookie.slice(),
    };
  }

  /**
   * @internal `handleDatagram`'s common case for L2TPv2 data, without output arrays or objects
   * (the shell calls it per datagram): returns the frame to deliver, a view into `bytes` whose
   * session `rxSessionId` names; undefined when the datagram was taken with nothing to deliver
   * (a frame over the MRU, counted); null when `handleDatagram` must take it instead — anything
   * but an L2TPv2 data message without L, O or P bits, in order (or unsequenced with nothing
   * held) for an established session with debug output off. Counts as `handleDatagram` would.
   */
  receiveOne(bytes: Uint8Array, now: number): Uint8Array | undefined | null {
    if (this.#v3 || !this.established) return null;
    const n = bytes.length;
    if (n < 6) return null;
    const word = ((bytes[0] as number) << 8) | (bytes[1] as number);
    // T, L, O and P clear, version 2 (RFC 2661 §3.1); S may be set.
    if ((word & FAST_RX_MASK) !== 2) return null;
    if ((((bytes[2] as number) << 8) | (bytes[3] as number)) !== this.localTunnelId) return null;
    const sid = ((bytes[4] as number) << 8) | (bytes[5] as number);
    let rec = this.#lastRx;
    if (rec === undefined || rec.id !== sid) {
      rec = this.sessions.get(sid);
      if (rec === undefined) return null;
      this.#lastRx = rec;
    }
    const d = rec.d;
    if (rec.state !== 'established' || d.log.data || d.log.seq) return null;
    let at = 6;
    let ns: number | undefined;
    if ((word & HEADER_BITS.S) !== 0) {
      if (n < 10) return null;
      ns = ((bytes[6] as number) << 8) | (bytes[7] as number);
      at = 10;
    }
    // In order (or unsequenced with nothing held): taken now, or left to the general path.
    if (!rec.seq.acceptNow(ns)) return null;
    this.lastActivity = now; // RFC 2661 §5.5: data counts as activity
    if (at + 1 < n && bytes[at] === PPP_AC_0 && bytes[at + 1] === PPP_AC_1) at += 2;
    const length = n - at;
    if (d.mru !== 0 && length > d.mru) {
      d.rxDropped++;
      return undefined;
    }
    d.rxBytes += length;
    this.framesReceived++;
    this.rxSessionId = sid;
    return plainView(bytes, at, length);
  }

  /**
   * @internal `sendFrame`'s common case for L2TPv2 without output arrays: the packet to send
   * (`[header, frame]`, or one array with the header written before the frame when `inPlace`),
   * or null when `sendFrame` must handle the call (v3, P bit, over the MTU, debug output on,
   * not established — it then counts, logs or throws as documented).
   * @throws UsageError when `inPlace` and fewer octets than the header precede the frame.
   */
  sendOne(
    sessionId: number,
    frame: Uint8Array,
    inPlace: boolean | 'if-room',
  ): Uint8Array | readonly [Uint8Array, Uint8Array] | null {
    if (this.#v3 || !this.established) return null;
    let rec = this.#lastTx;
    if (rec === undefined || rec.id !== sessionId) {
      rec = this.sessions.get(sessionId);
      if (rec === undefined) return null;
      this.#lastTx = rec;
    }
    const d = rec.d;
    const length = frame.length;
    if (!rec.announced || d.log.data || (d.mtu !== 0 && length > d.mtu)) return null;
    // Linux pppol2tp puts FF 03 in front of every PPP frame; a host that already did is not doubled.
    const ac = d.pppAddressControl && !(frame[0] === PPP_AC_0 && frame[1] === PPP_AC_1);
    const seq = rec.seq;
    const size = (seq.sendSeq ? 10 : 6) + (ac ? 2 : 0);
    let header: Uint8Array;
    let packet: Uint8Array | readonly [Uint8Array, Uint8Array];
    const room = inPlace === false ? 0 : headroomOf(frame);
    if (inPlace === true && room < size) {
      throw new UsageError(`inPlace needs ${size} octets before the frame, it has ${room}`);
    }
    if (room >= size) {
      header = withHeadroom(frame, size, room);
      packet = header;
    } else {
      header = new Uint8Array(size);
      packet = [header, frame];
    }
    const ns = seq.nextSendNs();
    const tid = this.peerTunnelId;
    const sid = rec.peerId;
    header[0] = 0;
    header[1] = 2;
    header[2] = tid >>> 8;
    header[3] = tid & 0xff;
    header[4] = sid >>> 8;
    header[5] = sid & 0xff;
    let at = 6;
    if (ns !== undefined) {
      header[0] = HEADER_BITS.S >>> 8; // Nr is 0: reserved on data (RFC 2661 §3.1)
      header[6] = ns >>> 8;
      header[7] = ns & 0xff;
      header[8] = 0;
      header[9] = 0;
      at = 10;
    }
    if (ac) {
      header[at] = PPP_AC_0;
      header[at + 1] = PPP_AC_1;
    }
    d.txPackets++;
    d.txBytes += length;
    this.framesSent++;
    return packet;
  }

  // RFC 3931 §4.1: the peer's Session ID and cookie, and the sublayer it asked for.
  #sendFrameV3(
    rec: SessionRecord,
    p: V3Session,
    frame: Uint8Array,
    atmFlags: number,
    inPlace: boolean | 'if-room',
  ): EngineOutput[] {
    if (!p.peerCircuitActive) {
      // RFC 3931 §5.4.5: no data towards a peer whose circuit is not active.
      this.framesSuppressed++;
      return [];
    }
    const framer = p.framer;
    let why = framer === undefined ? undefined : framer.checkTx(frame);
    // RFC 4454 §4.1: T = 1 carries one admin cell in VCC cell relay encapsulation.
    if ((atmFlags & SUBLAYER_BITS.T) !== 0 && frame.length !== ATM_CELL_LENGTH) {
      why = `ATM admin cell of ${frame.length} octets (must be 52)`;
    }
    if (why !== undefined) {
      rec.d.txErrors++;
      const log = rec.d.log.data;
      if (log) log('tx drop: %s', why);
      return [];
    }
    const ns = p.txSublayer === 'none' ? undefined : rec.seq.nextSendNs();
    const fields: DataHeaderV3 = {
      version: 3,
      encap: this.#encap,
      sessionId: rec.peerId,
      cookie: p.peerCookie,
      sublayer: p.txSublayer,
      ns,
      atmFlags,
    };
    const size = dataHeaderLength(fields);
    const prefix = framer === undefined ? EMPTY : framer.txPrefix;
    const header = new Uint8Array(size + prefix.length);
    encodeDataHeaderV3(fields, header, 0);
    if (prefix.length !== 0) header.set(prefix, size);
    return this.#sent(rec, header, frame, ns, inPlace);
  }

  #sent(
    rec: SessionRecord,
    header: Uint8Array,
    frame: Uint8Array,
    ns: number | undefined,
    inPlace: boolean | 'if-room',
  ): EngineOutput[] {
    let packet: Uint8Array | readonly [Uint8Array, Uint8Array] = [header, frame];
    const room = inPlace === false ? 0 : headroomOf(frame);
    if (inPlace === true && room < header.length) {
      rec.seq.rewindSendNs(ns);
      throw new UsageError(
        `inPlace needs ${header.length} octets before the frame, it has ${room}`,
      );
    }
    if (inPlace !== false && room >= header.length) {
      packet = withHeadroom(frame, header.length, room);
      packet.set(header, 0);
    }
    const d = rec.d;
    d.txPackets++;
    d.txBytes += frame.length;
    this.framesSent++;
    const log = d.log.data;
    if (log) log('tx %d octets ns %s', frame.length, ns === undefined ? '-' : ns);
    return [{ type: 'transmit', packet }];
  }

  // A new sequencer with the new options; held frames are released first (kernel: changing
  // REORDERTO does not drop them), then numbering and the expected Ns carry over.
  #renewSequencer(rec: SessionRecord, now: number): void {
    const old = rec.seq;
    this.deliver(rec, old.handleTimeout(now));
    this.deliver(rec, old.flush());
    const f = old.stats();
    const d = rec.d;
    d.base ??= { rxPackets: 0, rxSeqDiscards: 0, rxOosPackets: 0, rxErrors: 0 };
    d.base.rxPackets += f.rxPackets;
    d.base.rxSeqDiscards += f.rxSeqDiscards;
    d.base.rxOosPackets += f.rxOosPackets;
    d.base.rxErrors += f.rxErrors;
    rec.seq = new DataSequencer<Uint8Array>({
      version: this.#version,
      lnsMode: d.lnsMode,
      sendSeq: f.sendSeq,
      recvSeq: d.recvSeq,
      reorderTimeoutMs: d.reorderTimeoutMs,
      initialNs: f.nextNs,
      initialNr: d.seenSeq ? f.expectedNs : undefined,
    });
    const log = d.log.seq;
    if (log) {
      log(
        'sequencer renewed: recvseq %s lnsmode %s reorderto %d next ns %d expected ns %s',
        d.recvSeq,
        d.lnsMode,
        d.reorderTimeoutMs,
        f.nextNs,
        d.seenSeq ? f.expectedNs : '-',
      );
    }
  }

  deliver(rec: SessionRecord, frames: readonly Uint8Array[]): void {
    const d = rec.d;
    const atm = rec.v3?.rxAtmFlags;
    const framer = rec.v3?.framer;
    for (let i = 0; i < frames.length; i++) {
      const raw = frames[i] as Uint8Array;
      // The flags are kept by the frame sequencing released (the view decode returns may differ).
      const atmFlags = atm === undefined ? 0 : (atm.get(raw) ?? 0);
      let frame: Uint8Array | undefined = raw;
      if (framer !== undefined) {
        try {
          frame = framer.decode(raw, atmFlags);
        } catch (err) {
          if (!(err instanceof DecodeError)) throw err;
          const log = d.log.data;
          if (log) log('rx drop %d octets: %s', raw.length, err.message);
          frame = undefined;
        }
      }
      if (frame !== undefined && d.mru !== 0 && frame.length > d.mru) {
        const log = d.log.data;
        if (log) log('rx drop: %d octets > mru %d', frame.length, d.mru);
        frame = undefined;
      }
      if (frame === undefined) {
        d.rxDropped++;
        continue;
      }
      d.rxBytes += frame.length;
      if (atm === undefined) this.#frame(rec.id, frame);
      else {
        this.framesReceived++;
        this.out.push({ type: 'frame', sessionId: rec.id, frame, atmFlags });
      }
    }
  }

  #frame(sessionId: number, frame: Uint8Array): void {
    this.framesReceived++;
    this.out.push({ type: 'frame', sessionId, frame });
  }

  // Files a session's reorder deadline (or removes it) after its sequencer changed.
  rearm(rec: SessionRecord): void {
    const d = rec.seq.nextDeadline();
    if (d !== undefined || rec.heapIndex >= 0) {
      this.#timers ??= new DeadlineHeap<SessionRecord>();
      this.#timers.set(rec, d);
    }
  }

  // RFC 3931 §4.1: the Session ID alone names the session; then its cookie is checked
  // (mismatch → drop, §4.5) and the sublayer read with the session's own parameters.
  #receiveV3(bytes: Uint8Array, now: number): void {
    const encap = this.#encap;
    const at = encap === 'udp' ? 4 : 0;
    const rec = bytes.length < at + 4 ? undefined : this.sessions.get(readU32(bytes, at));
    const p = rec?.v3;
    if (!this.established || rec === undefined || p === undefined || rec.state !== 'established') {
      this.framesDropped++;
      return;
    }
    const d = rec.d;
    let m: ReturnType<typeof decodeDataV3>;
    try {
      m = decodeDataV3(bytes, {
        version: 3,
        encap,
        cookieLength: p.cookie.length as 0 | 4 | 8,
        sublayer: p.rxSublayer,
      });
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      this.#invalid(rec, err);
      return;
    }
    if (!cookieMatches(bytes, m, p.cookie)) {
      d.rxCookie++;
      const log = d.log.data;
      if (log) log('rx drop: cookie mismatch');
      return;
    }
    this.lastActivity = now;
    const frame = m.payload;
    // AAL5 SDU mode: the flags go with the frame through reordering (cell modes: reserved bits).
    // The framer and the MRU judge frames as sequencing releases them (#deliver), as the kernel
    // does: a refused frame still uses up its Ns, so the frames after it are not lost.
    if (m.atmFlags !== 0 && p.rxAtmFlags !== undefined) p.rxAtmFlags.set(frame, m.atmFlags);
    // RFC 3931 §5.4.4: without our Data Sequencing request (RECVSEQ), received Ns are ignored.
    this.#receive(rec, frame, d.recvSeq ? m.ns : undefined, false, now);
  }

  // RFC 2661 §3.1: L, S, O (padding skipped) and P bits are read by decodeDataV2.
  #receiveV2(bytes: Uint8Array, now: number): void {
    if (!this.established) {
      this.framesDropped++;
      return;
    }
    let m: ReturnType<typeof decodeDataV2>;
    try {
      m = decodeDataV2(bytes);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      const rec = this.sessions.get(peekSessionV2(bytes, this.localTunnelId));
      if (rec !== undefined && rec.state === 'established') this.#invalid(rec, err);
      else this.framesDropped++;
      return;
    }
    const rec = this.sessions.get(m.sessionId);
    if (m.tunnelId !== this.localTunnelId || rec === undefined || rec.state !== 'established') {
      this.framesDropped++;
      return;
    }
    this.lastActivity = now; // RFC 2661 §5.5: data counts as activity
    let frame = m.payload;
    // PPP address/control: peers differ on sending it, the host never sees it.
    if (frame[0] === PPP_AC_0 && frame[1] === PPP_AC_1) frame = frame.subarray(2);
    this.#receive(rec, frame, m.ns, m.priority, now);
  }

  // The common receive path: sequencing (or, for a P-bit frame without Ns, at once), then
  // #deliver applies the framer and the MRU.
  #receive(
    rec: SessionRecord,
    frame: Uint8Array,
    ns: number | undefined,
    priority: boolean,
    now: number,
  ): void {
    const d = rec.d;
    const data = d.log.data;
    if (data)
      data('rx %d octets ns %s%s', frame.length, ns === undefined ? '-' : ns, priority ? ' P' : '');
    if (priority && ns === undefined) {
      // RFC 2661 §3.1: P frames (LCP keepalives) get preferential treatment: delivered now,
      // never held, and not taken as the LNS switching sequencing off (§5.4) or as a RECVSEQ
      // violation: they travel outside the numbered stream.
      d.rxPriority++;
      this.deliver(rec, [frame]);
      return;
    }
    if (ns !== undefined) d.seenSeq = true;
    const seq = rec.seq;
    const log = d.log.seq;
    if (!log) {
      this.deliver(rec, seq.receive(frame, ns, now));
      this.rearm(rec);
      return;
    }
    const before = seq.stats();
    const out = seq.receive(frame, ns, now);
    const after = seq.stats();
    if (after.rxSeqDiscards !== before.rxSeqDiscards || after.rxErrors !== before.rxErrors) {
      log('ns %s discarded (expected %d)', ns === undefined ? '-' : ns, before.expectedNs);
    }
    if (after.held !== before.held)
      log('held %d frames (expected ns %d)', after.held, after.expectedNs);
    if (after.sendSeq !== before.sendSeq)
      log('peer switched our sequencing %s (RFC 2661 §5.4)', after.sendSeq ? 'on' : 'off');
    this.deliver(rec, out);
    this.rearm(rec);
  }

  #invalid(rec: SessionRecord, err: DecodeError): void {
    rec.d.rxInvalid++;
    const log = rec.d.log.data;
    if (log) log('rx invalid: %s', err.message);
  }
}
