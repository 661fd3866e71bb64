/**
 * `hex` template tag for golden bytes written as annotated hex, e.g.
 *   hex`c8 02 00 0c  // T L S, Ver 2, Length 12`
 * Whitespace is ignored and `//` starts a comment to the end of the line. Interpolated values are
 * pasted in as text (use them for hex strings). Throws on odd digit counts or non-hex characters,
 * so a typo in a fixture fails loudly instead of shifting every later field.
 */

/** Parses annotated hex into a new Uint8Array. */
export function hex(strings: TemplateStringsArray, ...values: unknown[]): Uint8Array {
  let text = strings[0] ?? '';
  for (let k = 0; k < values.length; k++) text += String(values[k]) + (strings[k + 1] ?? '');
  const digits = text.replace(/\/\/[^\n]*/g, '').replace(/\s+/g, '');
  if (!/^(?:[0-9a-fA-F]{2})*$/.test(digits)) {
    throw new Error(`hex: not an even run of hex digits: ${JSON.stringify(digits)}`);
  }
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Renders bytes as space-separated lower-case hex (for assertion messages). */
export function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join(' ');
}
