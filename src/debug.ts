/**
 * The Linux L2TP driver's per-tunnel/per-session debug mask (DEBUG socket option; kernel
 * Documentation/networking/l2tp.txt: PPPOL2TP_MSG_DEBUG 1, _CONTROL 2, _SEQ 4, _DATA 8) mapped
 * onto `debug` namespaces `l2tp:debug`, `l2tp:control`, `l2tp:seq`, `l2tp:data`. A message is
 * written only when the object's mask bit AND the namespace are on; a disabled check costs a
 * property read and a bit test. Not here: what gets logged (the callers), log formatting.
 */

import createDebug from 'debug';
import { UsageError } from './errors.js';

/** Debug mask bits, the kernel's PPPOL2TP_MSG_* values. */
export const DebugCategory = {
  /** PPPOL2TP_MSG_DEBUG: verbose debug. */
  Debug: 1,
  /** PPPOL2TP_MSG_CONTROL: configuration and state changes. */
  Control: 2,
  /** PPPOL2TP_MSG_SEQ: sequence number handling. */
  Seq: 4,
  /** PPPOL2TP_MSG_DATA: per-packet data path events. */
  Data: 8,
} as const;

/** One debug category bit. */
export type DebugCategory = (typeof DebugCategory)[keyof typeof DebugCategory];

/** Every defined bit; masks are validated against it. */
export const DEBUG_MASK_ALL = 0x0f;

/** The `debug` namespace of each category (enable with `DEBUG=l2tp:seq,l2tp:data` etc.). */
export const DEBUG_NAMESPACES = Object.freeze({
  [DebugCategory.Debug]: 'l2tp:debug',
  [DebugCategory.Control]: 'l2tp:control',
  [DebugCategory.Seq]: 'l2tp:seq',
  [DebugCategory.Data]: 'l2tp:data',
} as const);

/** A log function: printf-style format (`%s`, `%d`, `%o`, …) and arguments, as `debug` takes them. */
export type Logger = (formatter: string, ...args: unknown[]) => void;

// One createDebug instance per namespace for the whole library; `.enabled` is a getter that
// re-reads createDebug.enable()/disable() cheaply (a string identity check).
const NS_DEBUG = createDebug(DEBUG_NAMESPACES[DebugCategory.Debug]);
const NS_CONTROL = createDebug(DEBUG_NAMESPACES[DebugCategory.Control]);
const NS_SEQ = createDebug(DEBUG_NAMESPACES[DebugCategory.Seq]);
const NS_DATA = createDebug(DEBUG_NAMESPACES[DebugCategory.Data]);

/** True for a mask made only of {@link DebugCategory} bits (an integer 0 … 15). */
export function isDebugMask(mask: unknown): mask is number {
  return typeof mask === 'number' && Number.isInteger(mask) && (mask & DEBUG_MASK_ALL) === mask;
}

// The kernel takes any u32 and tests the bits it knows; so do we, but refuse non-integers.
function checkMask(mask: number): number {
  if (!Number.isInteger(mask) || mask < 0 || mask > 0xffffffff) {
    throw new UsageError(`debug mask must be an integer in 0…4294967295, got ${String(mask)}`);
  }
  return mask & DEBUG_MASK_ALL;
}

function scoped(ns: createDebug.Debugger, scope: string): Logger {
  if (scope === '') return (formatter, ...args) => ns(formatter, ...args);
  // The scope goes in as an argument, never as format text, so a % in it is printed as is.
  return (formatter, ...args) => ns(`%s: ${formatter}`, scope, ...args);
}

/**
 * The debug mask of one tunnel or session. Hot paths write `if (log.data) log.data('…', …)`:
 * each getter returns `false` unless the mask bit is set and the namespace is enabled (checked
 * on every read, so `createDebug.enable()` at runtime takes effect), else a logger that prefixes
 * messages with the scope. Loggers are built once per instance.
 */
export class DebugLog {
  // The prefix, or (forSession) undefined until a line needs it: two numbers per session rather
  // than a string nobody may ever print (100,000 sessions).
  #scope: string | undefined;
  #tunnelId = 0;
  #sessionId = 0;
  #mask: number;
  // Built on first use, by category bit.
  #loggers: Record<number, Logger | undefined> | undefined; // made when first needed

  /**
   * @param scope prefix of every message (may be empty).
   * @param mask {@link DebugCategory} bits, default 0 (silent, like the kernel's default);
   *   undefined bits are dropped.
   * @throws UsageError when `mask` is not an integer in 0 … 2^32 − 1.
   */
  constructor(scope: string, mask = 0) {
    this.#scope = scope;
    this.#mask = checkMask(mask);
  }

  /** The debug mask of session `sessionId` of tunnel `tunnelId` (scope `tunnel T session S`). */
  static forSession(tunnelId: number, sessionId: number, mask = 0): DebugLog {
    const log = new DebugLog('', mask);
    log.#scope = undefined;
    log.#tunnelId = tunnelId;
    log.#sessionId = sessionId;
    return log;
  }

  /** Prefix of every message, e.g. `tunnel 42 session 128`. */
  get scope(): string {
    this.#scope ??= `tunnel ${this.#tunnelId} session ${this.#sessionId}`;
    return this.#scope;
  }

  /** The current mask (0 … 15). */
  get mask(): number {
    return this.#mask;
  }

  /**
   * Replaces the mask (the DEBUG socket option / netlink L2TP_ATTR_DEBUG); undefined bits are
   * dropped. @throws UsageError as the constructor (the mask is then unchanged).
   */
  setMask(mask: number): void {
    this.#mask = checkMask(mask);
  }

  /** True when `category` would be written now (mask bit and namespace both on). */
  enabled(category: DebugCategory): boolean {
    if ((this.#mask & category) === 0) return false;
    return Boolean(namespaceOf(category).enabled);
  }

  // The getters test the bit with a literal (the DebugCategory value) so that their bytecode
  // stays small enough for V8 to inline them into per-packet code whatever else is inlined there.

  /** PPPOL2TP_MSG_DEBUG → `l2tp:debug`. */
  get debug(): false | Logger {
    return this.#mask & 1 ? this.logger(1) : false;
  }

  /** PPPOL2TP_MSG_CONTROL → `l2tp:control`. */
  get control(): false | Logger {
    return this.#mask & 2 ? this.logger(2) : false;
  }

  /** PPPOL2TP_MSG_SEQ → `l2tp:seq`. */
  get seq(): false | Logger {
    return this.#mask & 4 ? this.logger(4) : false;
  }

  /** PPPOL2TP_MSG_DATA → `l2tp:data`. */
  get data(): false | Logger {
    return this.#mask & 8 ? this.logger(8) : false;
  }

  /**
   * The logger of `category` when its mask bit and its namespace are both on, else false (what
   * the category getters return). Loggers are built once.
   */
  logger(category: DebugCategory): false | Logger {
    if (!this.enabled(category)) return false;
    this.#loggers ??= {};
    let logger = this.#loggers[category];
    if (logger === undefined) {
      logger = scoped(namespaceOf(category), this.scope);
      this.#loggers[category] = logger;
    }
    return logger;
  }
}

function namespaceOf(category: DebugCategory): createDebug.Debugger {
  switch (category) {
    case DebugCategory.Debug:
      return NS_DEBUG;
    case DebugCategory.Control:
      return NS_CONTROL;
    case DebugCategory.Seq:
      return NS_SEQ;
    default:
      return NS_DATA;
  }
}
