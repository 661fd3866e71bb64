/**
 * Zero-copy views for the per-packet path, made through the typed-array prototype's own getters
 * and methods.
 *
 * Node 20's V8 (11.3) compiles `view.buffer`, `view.byteOffset` and method loads such as
 * `view.set` on typed arrays to generic inline-cache calls in optimized code (about 150 machine
 * instructions each, measured with callgrind); calling the prototype's function directly is one
 * builtin call. Node 22 and later inline `byteOffset` and `set` lookups themselves, where the
 * direct call costs a few instructions more. See docs/performance.md "Data plane".
 */

type Getter<T> = (this: Uint8Array) => T;

const TypedArrayPrototype: object = Object.getPrototypeOf(Uint8Array.prototype);

function getter<T>(name: 'buffer' | 'byteOffset'): Getter<T> {
  const get = Object.getOwnPropertyDescriptor(TypedArrayPrototype, name)?.get;
  if (get === undefined) throw new TypeError(`no typed-array ${name} getter`);
  return get as Getter<T>;
}

const bufferOf: Getter<ArrayBufferLike> = getter('buffer');
const byteOffsetOf: Getter<number> = getter('byteOffset');
const { set: setOf } = Uint8Array.prototype;

/**
 * A plain Uint8Array over `length` octets of `bytes` from `start` (no copy). `bytes` may be a
 * subclass such as Node's Buffer; the view is a Uint8Array all the same (its `slice()` copies).
 * The caller has checked `start + length <= bytes.length`.
 */
export function plainView(bytes: Uint8Array, start: number, length: number): Uint8Array {
  return new Uint8Array(bufferOf.call(bytes), byteOffsetOf.call(bytes) + start, length);
}

/**
 * A plain Uint8Array over the `headroom` octets before `frame` and `frame` itself, in frame's
 * buffer. `at` is `headroomOf(frame)`, which the caller has checked is at least `headroom`.
 */
export function withHeadroom(frame: Uint8Array, headroom: number, at: number): Uint8Array {
  return new Uint8Array(bufferOf.call(frame), at - headroom, headroom + frame.length);
}

/** Octets of `frame`'s buffer before its first octet (its byteOffset). */
export function headroomOf(frame: Uint8Array): number {
  return byteOffsetOf.call(frame);
}

/** Copies `source` to the start of `target` (TypedArray#set). */
export function copyInto(target: Uint8Array, source: Uint8Array): void {
  setOf.call(target, source);
}
