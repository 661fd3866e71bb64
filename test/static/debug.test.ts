// Debug mask (src/debug.ts): the kernel's PPPOL2TP_MSG_* bits mapped to `debug` namespaces; a
// message is written only when the mask bit AND the namespace are on, runtime enable/disable
// takes effect at once, messages carry the scope, and bad masks are refused.

import createDebug from 'debug';
import { describe, expect, test } from 'vitest';
import { DEBUG_NAMESPACES, DebugCategory, DebugLog, isDebugMask } from '../../src/debug.js';
import { UsageError } from '../../src/errors.js';
import { captureDebugLines } from '../helpers/debug-lines.js';

const debugLines = captureDebugLines();

describe('DebugLog', () => {
  test('categories are the kernel bits and map to l2tp:* namespaces', () => {
    expect(DebugCategory).toEqual({ Debug: 1, Control: 2, Seq: 4, Data: 8 });
    expect(DEBUG_NAMESPACES[DebugCategory.Data]).toBe('l2tp:data');
    expect(DEBUG_NAMESPACES[DebugCategory.Seq]).toBe('l2tp:seq');
    expect(DEBUG_NAMESPACES[DebugCategory.Control]).toBe('l2tp:control');
    expect(DEBUG_NAMESPACES[DebugCategory.Debug]).toBe('l2tp:debug');
  });

  test('writes only when mask bit and namespace are both on', () => {
    const log = new DebugLog('session 7', 0);
    createDebug.enable('l2tp:*');
    expect(log.data).toBe(false); // mask off, namespace on
    log.setMask(DebugCategory.Data);
    const data = log.data;
    expect(data).not.toBe(false);
    if (data) data('rx %d octets', 60);
    expect(log.seq).toBe(false); // namespace on, mask bit off
    createDebug.disable();
    expect(log.data).toBe(false); // mask on, namespace off
    expect(log.enabled(DebugCategory.Data)).toBe(false);
    expect(debugLines.lines()).toHaveLength(1);
    expect(debugLines.lines()[0]).toContain('l2tp:data');
    expect(debugLines.lines()[0]).toContain('session 7: rx 60 octets');
  });

  test('createDebug.enable at runtime takes effect without rebuilding the DebugLog', () => {
    const log = new DebugLog('t', DebugCategory.Seq | DebugCategory.Control);
    expect(log.seq).toBe(false);
    createDebug.enable('l2tp:seq');
    expect(log.enabled(DebugCategory.Seq)).toBe(true);
    expect(log.control).toBe(false); // l2tp:control not enabled
    const seq = log.seq;
    if (seq) seq('Ns %d', 5);
    createDebug.enable('l2tp:control,-l2tp:seq');
    expect(log.seq).toBe(false);
    const control = log.control;
    if (control) control('up');
    expect(debugLines.lines().map((l) => /l2tp:\w+/.exec(l)?.[0])).toEqual([
      'l2tp:seq',
      'l2tp:control',
    ]);
  });

  test('the logger is built once; % in the scope is text, not a format', () => {
    createDebug.enable('l2tp:debug');
    const log = new DebugLog('100%d', DebugCategory.Debug);
    const a = log.debug;
    expect(a).toBe(log.debug);
    if (a) a('x=%s', 'y');
    expect(debugLines.lines()[0]).toContain('100%d: x=y');
  });

  test('masks: undefined bits dropped, non-integers refused (mask unchanged)', () => {
    const log = new DebugLog('', 0xff);
    expect(log.mask).toBe(0x0f);
    expect(() => log.setMask(-1)).toThrow(UsageError);
    expect(() => log.setMask(1.5)).toThrow(UsageError);
    expect(() => new DebugLog('', Number.NaN)).toThrow(UsageError);
    expect(log.mask).toBe(0x0f);
    log.setMask(0);
    expect(log.mask).toBe(0);
    expect(isDebugMask(15)).toBe(true);
    expect(isDebugMask(16)).toBe(false);
    expect(isDebugMask('1')).toBe(false);
  });
});
