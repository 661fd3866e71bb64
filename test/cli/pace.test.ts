/**
 * `lac --rate` (src/cli/pace.ts) and which received frames count as echoes (src/cli/lac.ts), on
 * a fake clock and plain bytes.
 */
import { describe, expect, it } from 'vitest';
import { isTestFrameEcho, testFrame } from '../../src/cli/lac.js';
import { Pacer } from '../../src/cli/pace.js';

describe('Pacer', () => {
  it('lets send k go at start + k / rate, never earlier, sleeping only when ahead', async () => {
    let now = 1000;
    const sleeps: number[] = [];
    const pacer = new Pacer(200, {
      now: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
    });
    const sentAt: number[] = [];
    for (let k = 0; k < 5; k++) {
      await pacer.due(k);
      sentAt.push(now);
    }
    expect(sentAt).toEqual([1000, 1005, 1010, 1015, 1020]);
    expect(sleeps).toEqual([5, 5, 5, 5]);
    // A sender that fell behind sends at once until it catches up.
    now = 1100;
    await pacer.due(5);
    await pacer.due(6);
    expect(now).toBe(1100);
    expect(sleeps).toHaveLength(4);
  });
});

describe('isTestFrameEcho', () => {
  it('v2: our LCP Echo-Request back, with or without FF 03; other PPP frames are not', () => {
    const f = testFrame(2, 7, 3);
    expect(isTestFrameEcho(2, 7, f)).toBe(true);
    expect(isTestFrameEcho(2, 7, f.subarray(2))).toBe(true);
    // The peer's own LCP Configure-Request, and an Echo-Reply with its magic number.
    expect(isTestFrameEcho(2, 7, Uint8Array.of(0xc0, 0x21, 0x01, 0x01, 0x00, 0x04))).toBe(false);
    const reply = f.slice(2);
    reply[2] = 0x0a;
    expect(isTestFrameEcho(2, 7, reply)).toBe(false);
  });

  it('v3: our Ethernet test frame for this session back; another session or frame is not', () => {
    const f = testFrame(3, 0x01020304, 9);
    expect(isTestFrameEcho(3, 0x01020304, f)).toBe(true);
    expect(isTestFrameEcho(3, 0x01020305, f)).toBe(false);
    const broadcast = f.slice();
    broadcast.fill(0xff, 0, 6);
    expect(isTestFrameEcho(3, 0x01020304, broadcast)).toBe(false);
    expect(isTestFrameEcho(3, 0x01020304, f.subarray(0, 59))).toBe(false);
  });
});
