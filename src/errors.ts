/**
 * Every error l2tp-core throws. Nothing else in the library defines an Error class.
 *
 * - DecodeError: untrusted bytes could not be read (truncated, inconsistent lengths, bad version).
 *   Decoders throw only this; never RangeError.
 * - ProtocolError: the bytes were readable but break a rule the RFC answers on the wire
 *   (RFC 2661 §4.4.2, RFC 3931 §5.4): it carries the Result Code and Error Code to send back
 *   in a StopCCN or CDN.
 * - UsageError: the host called the API wrongly (bad options, unknown session, encode of an
 *   impossible value). Never caused by peer input.
 * - ChannelError: the reliable control channel gave up (retry budget exhausted).
 */

/** Stable, machine-readable error codes. New codes may be added; existing ones never change. */
export type L2tpErrorCode =
  // decoding
  | 'L2TP_ERR_TRUNCATED'
  | 'L2TP_ERR_BAD_VERSION'
  | 'L2TP_ERR_BAD_LENGTH'
  | 'L2TP_ERR_BAD_HEADER'
  | 'L2TP_ERR_BAD_AVP_LENGTH'
  | 'L2TP_ERR_BAD_AVP_VALUE'
  | 'L2TP_ERR_HIDDEN_NO_SECRET'
  | 'L2TP_ERR_HIDDEN_NO_RANDOM_VECTOR'
  | 'L2TP_ERR_HIDDEN_BAD_LENGTH'
  // protocol (answered on the wire)
  | 'L2TP_ERR_MISSING_MESSAGE_TYPE'
  | 'L2TP_ERR_UNKNOWN_MESSAGE_TYPE'
  | 'L2TP_ERR_MISSING_AVP'
  | 'L2TP_ERR_UNKNOWN_MANDATORY_AVP'
  | 'L2TP_ERR_INVALID_AVP'
  | 'L2TP_ERR_DIGEST_MISMATCH'
  | 'L2TP_ERR_PROTOCOL'
  // channel
  | 'L2TP_ERR_RETRIES_EXHAUSTED'
  | 'L2TP_ERR_QUEUE_FULL'
  | 'L2TP_ERR_CLOSED'
  // how a tunnel or call ended (TunnelDownError; DownReason has the details)
  | 'L2TP_ERR_PEER_CLOSED'
  | 'L2TP_ERR_REFUSED'
  | 'L2TP_ERR_TIE_LOST'
  | 'L2TP_ERR_DESTROYED'
  | 'L2TP_ERR_ABORTED'
  | 'L2TP_ERR_HOST'
  // usage
  | 'L2TP_ERR_USAGE';

/** Where an {@link L2tpError} was found, and what caused it. */
export interface L2tpErrorOptions {
  /** Byte offset in the input where the problem was found. */
  readonly offset?: number;
  /** Attribute type of the AVP concerned, when there is one. */
  readonly attributeType?: number;
  /** Vendor ID of the AVP concerned (0 = IETF). */
  readonly vendorId?: number;
  /** The underlying error, when this one wraps another. */
  readonly cause?: unknown;
}

/**
 * Base class of every error l2tp-core throws on purpose. `code` is stable and meant for programs;
 * `message` is for people. Catch this to tell the library's errors from bugs.
 */
export class L2tpError extends Error {
  readonly code: L2tpErrorCode;
  // `declare`d and set only when known, so a printed error shows no `undefined` fields.
  /** Byte offset in the input where the problem was found (decoding errors). */
  declare readonly offset?: number;
  /** Attribute type of the AVP concerned, when there is one. */
  declare readonly attributeType?: number;
  /** Vendor ID of the AVP concerned (0 = IETF), when there is one. */
  declare readonly vendorId?: number;

  constructor(code: L2tpErrorCode, message: string, options: L2tpErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    const self = this as { offset?: number; attributeType?: number; vendorId?: number };
    if (options.offset !== undefined) self.offset = options.offset;
    if (options.attributeType !== undefined) self.attributeType = options.attributeType;
    if (options.vendorId !== undefined) self.vendorId = options.vendorId;
  }
}

/** Bytes that cannot be decoded. The datagram is dropped and counted (RFC 2661 §3.1). */
export class DecodeError extends L2tpError {}

/** The Result/Error codes and scope a {@link ProtocolError} answers with. */
export interface ProtocolErrorOptions extends L2tpErrorOptions {
  /** Result Code to send in StopCCN (tunnel scope) or CDN (session scope). */
  readonly resultCode: number;
  /** General Error Code (RFC 2661 §4.4.2); absent when Result Code alone says it all. */
  readonly errorCode?: number;
  /** Whether the violation concerns the whole tunnel (StopCCN) or one session (CDN). */
  readonly scope?: 'tunnel' | 'session';
}

/** A peer broke a protocol rule; carries the codes to answer with (RFC 2661 §4.4.2). */
export class ProtocolError extends L2tpError {
  readonly resultCode: number;
  /** General Error Code, when the Result Code alone does not say it all. */
  declare readonly errorCode?: number;
  readonly scope: 'tunnel' | 'session';

  constructor(code: L2tpErrorCode, message: string, options: ProtocolErrorOptions) {
    super(code, message, options);
    this.resultCode = options.resultCode;
    if (options.errorCode !== undefined)
      (this as { errorCode?: number }).errorCode = options.errorCode;
    this.scope = options.scope ?? 'tunnel';
  }
}

/** The host used the API wrongly. Never caused by bytes from the network. */
export class UsageError extends L2tpError {
  constructor(message: string, options: L2tpErrorOptions = {}) {
    super('L2TP_ERR_USAGE', message, options);
  }
}

/** The reliable control channel failed or refused work. */
export class ChannelError extends L2tpError {}

/** What {@link emitOrThrow} needs of an emitter (eventemitter3's and node:events' both fit). */
export interface ErrorEmitter {
  /** How many 'error' listeners there are. */
  listenerCount(event: 'error'): number;
  /** Calls them with the error. */
  emit(event: 'error', error: Error): boolean;
}

/**
 * A host fault that no caller took: to the emitter's 'error' listeners, else thrown from a
 * microtask, as node:events does with an unheard 'error', so that it never goes unnoticed.
 */
export function emitOrThrow(emitter: ErrorEmitter, error: Error): void {
  if (emitter.listenerCount('error') > 0) {
    emitter.emit('error', error);
    return;
  }
  queueMicrotask(() => {
    throw error;
  });
}
