/**
 * A PPP peer for xl2tpd's pty that can start LCP on its own, for the switch interop test
 * (test/interop/xl2tpd-switch.test.ts): two xl2tpd, each with the harness's `lcp` stand-in, would
 * both wait for the other's first frame. Installed over the harness's `lcp` script of a running
 * xl2tpd (started with `pppd: 'lcp'`, before any call: xl2tpd runs the script anew per call).
 *
 * 'active': sends LCP Configure-Request (RFC 1661 §5.1) with a Magic-Number option at once and
 * again every 300 ms until acknowledged (the Restart timer, §4.6, made short); once LCP is open
 * (its request acknowledged and the peer's acknowledged) it sends one Echo-Request (§5.8).
 * 'passive': as the harness's stand-in, answers only, and sends its own Configure-Request (no
 * options) after the first frame it gets. Both: Configure-Request → Configure-Ack with the same
 * options, Echo-Request → Echo-Reply with its own magic, Terminate-Request → Terminate-Ack.
 *
 * Every frame is logged to xl2tpd's stderr, in the harness's format plus the frame's octets
 * between the HDLC flags, unescaped, without the FCS (RFC 1662 §3–4):
 * `pppd-standin: rx|tx LCP <code name> id=<n> len=<n> frame=<hex>`.
 * Not here: NCPs, authentication; anything about l2tp-core.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Xl2tpd } from './xl2tpd-harness.js';

/** One frame a stand-in logged. */
export interface StandinFrame {
  readonly dir: 'rx' | 'tx';
  /** e.g. `LCP Configure-Request`, `proto 0x21`. */
  readonly what: string;
  readonly id: number;
  /** The PPP frame as on the pty, FF 03 included when sent, without FCS. */
  readonly frame: Uint8Array;
}

const LINE = /^pppd-standin: (rx|tx) (.+?) id=(\d+) len=\d+ frame=([0-9a-f]+)$/;

/** The frames in a stand-in's log lines (lines of other kinds are skipped). */
export function standinFrames(lines: readonly string[]): StandinFrame[] {
  const out: StandinFrame[] = [];
  for (const l of lines) {
    const m = LINE.exec(l);
    if (m === null) continue;
    out.push({
      dir: m[1] as 'rx' | 'tx',
      what: m[2] as string,
      id: Number(m[3]),
      frame: Uint8Array.from(Buffer.from(m[4] as string, 'hex')),
    });
  }
  return out;
}

/** The magic number the active stand-in puts in its Configure-Request and Echo-Request. */
export const ACTIVE_MAGIC = 0x1a2b3c4d;
/** The passive stand-in's magic in Echo-Reply. */
export const PASSIVE_MAGIC = 0x5e6f7081;

/** Replaces the harness's `lcp` stand-in of `x` (started with `pppd: 'lcp'`) by this one. */
export async function installPppPeer(x: Xl2tpd, mode: 'active' | 'passive'): Promise<void> {
  if (x.options.pppd !== 'lcp') throw new Error("installPppPeer needs an xl2tpd with pppd: 'lcp'");
  const magic = mode === 'active' ? ACTIVE_MAGIC : PASSIVE_MAGIC;
  const script = `const ACTIVE = ${mode === 'active'};\nconst MAGIC = ${magic};\n${PEER}`;
  await writeFile(join(x.dir, 'lcp-standin.mjs'), script);
}

const PEER = `
// First of all (Node's own SIGTERM handling restores the pty's modes and asserts when the pty is
// gone, EIO); not process.exit() for the same reason.
const quit = () => process.kill(process.pid, 'SIGKILL');
process.on('SIGTERM', quit);
process.on('SIGHUP', quit);
const FCS_TABLE = new Uint16Array(256);
for (let b = 0; b < 256; b++) {
  let v = b;
  for (let i = 0; i < 8; i++) v = v & 1 ? (v >>> 1) ^ 0x8408 : v >>> 1;
  FCS_TABLE[b] = v;
}
const fcs16 = (bytes) => {
  let f = 0xffff;
  for (const b of bytes) f = (f >>> 8) ^ FCS_TABLE[(f ^ b) & 0xff];
  return f;
};
const NAMES = { 1: 'Configure-Request', 2: 'Configure-Ack', 3: 'Configure-Nak', 4: 'Configure-Reject',
  5: 'Terminate-Request', 6: 'Terminate-Ack', 9: 'Echo-Request', 10: 'Echo-Reply' };
const hex = (a) => Buffer.from(a).toString('hex');
const log = (dir, proto, body, frame) => process.stderr.write(
  'pppd-standin: ' + dir + ' ' + (proto === 0xc021 ? 'LCP ' + (NAMES[body[0]] ?? 'code ' + body[0]) : 'proto 0x' + proto.toString(16)) +
  ' id=' + body[1] + ' len=' + body.length + ' frame=' + hex(frame) + '\\n');
const m32 = (m) => [(m >>> 24) & 0xff, (m >>> 16) & 0xff, (m >>> 8) & 0xff, m & 0xff];
function send(proto, body) {
  const frame = [0xff, 0x03, proto >> 8, proto & 0xff, ...body];
  const f = fcs16(frame) ^ 0xffff;
  const out = [0x7e];
  for (const b of [...frame, f & 0xff, f >> 8]) {
    if (b < 0x20 || b === 0x7d || b === 0x7e) out.push(0x7d, b ^ 0x20);
    else out.push(b);
  }
  out.push(0x7e);
  process.stdout.write(Buffer.from(out));
  log('tx', proto, body, frame);
}
const lcp = (code, id, data) => send(0xc021, [code, id, 0, 4 + data.length, ...data]);
const REQUEST_ID = 1;
const REQUEST = ACTIVE ? [5, 6, ...m32(MAGIC)] : [];
let acked = false; // our Configure-Request was acknowledged
let ackedPeer = false; // we acknowledged the peer's
let echoed = false;
let sentRequest = false;
let restart;
function request() {
  sentRequest = true;
  lcp(1, ACTIVE ? REQUEST_ID : 0x42, REQUEST);
}
function maybeEcho() {
  if (!ACTIVE || echoed || !acked || !ackedPeer) return;
  echoed = true;
  lcp(9, 0x20, [...m32(MAGIC), 0x70, 0x69, 0x6e, 0x67]);
}
function onFrame(raw) {
  if (raw.length < 4 || fcs16(raw) !== 0xf0b8) return;
  const frame = raw.subarray(0, raw.length - 2);
  let p = frame;
  if (p[0] === 0xff && p[1] === 0x03) p = p.subarray(2);
  let proto;
  if (p[0] & 1) { proto = p[0]; p = p.subarray(1); } else { proto = (p[0] << 8) | p[1]; p = p.subarray(2); }
  log('rx', proto, p, frame);
  if (proto === 0xc021 && p.length >= 4) {
    const code = p[0], id = p[1];
    if (code === 1) { lcp(2, id, [...p.subarray(4)]); ackedPeer = true; }
    else if (code === 2 && ACTIVE && id === REQUEST_ID) { acked = true; clearInterval(restart); }
    else if (code === 9 && p.length >= 8) lcp(10, id, [...m32(MAGIC), ...p.subarray(8)]);
    else if (code === 5) lcp(6, id, []);
  }
  if (!sentRequest) request();
  maybeEcho();
}
let cur = [];
let esc = false;
process.stdin.on('data', (chunk) => {
  for (const b of chunk) {
    if (b === 0x7e) { if (cur.length > 0) onFrame(Uint8Array.from(cur)); cur = []; esc = false; }
    else if (b === 0x7d) esc = true;
    else { cur.push(esc ? b ^ 0x20 : b); esc = false; }
  }
});
process.stdin.on('end', quit);
process.stdin.on('error', quit);
process.stderr.write('pppd-standin: lcp pid ' + process.pid + ' ' + (ACTIVE ? 'active' : 'passive') + ' args ' + process.argv.slice(2).join(' ') + '\\n');
if (ACTIVE) {
  request();
  let tries = 1;
  restart = setInterval(() => {
    if (acked || tries >= 20) { clearInterval(restart); return; }
    tries++;
    request();
  }, 300);
}
`;
