/**
 * Runs a real xl2tpd (Debian 1.3.18) as LNS or LAC on 127.0.0.1 for interop tests: writes its
 * configuration and secrets into a temporary directory, starts it in the foreground (-D) with
 * its own control FIFO, collects its log lines, drives it through the FIFO (`c`, `d`, `h`, …
 * with the result-file protocol of xl2tpd-control) and stops it, killing everything it started.
 *
 * xl2tpd finds no kernel L2TP here and runs in user-space mode: after ICCN it starts
 * /usr/sbin/pppd on a pty. The real pppd exits at once (no /dev/ppp) and xl2tpd then ends the
 * call with CDN. To keep sessions up, a stand-in is bind-mounted over /usr/sbin/pppd inside
 * `unshare --mount` (private to xl2tpd; the host is untouched): `hold` just waits, `lcp` speaks
 * async-HDLC PPP on the pty (RFC 1662) and answers LCP Configure-Request, Echo-Request and
 * Terminate-Request (RFC 1661 §5), logging every frame to xl2tpd's stderr.
 * Needs root for unshare/mount. Not here: anything about l2tp-core itself.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { constants as fsConstants, openSync } from 'node:fs';
import { chmod, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProcessLog } from './process-log.js';

/** The name of the LAC section xl2tpd gets in LAC role (`c peer`, `d peer`). */
export const XL2TPD_LAC_NAME = 'peer';

/** What replaces /usr/sbin/pppd for xl2tpd's sessions. */
export type PppdMode =
  /** The real pppd: it exits at once without /dev/ppp, so xl2tpd sends CDN ~10 ms after ICCN. */
  | 'real'
  /** A stand-in that only waits: the session stays up, no PPP frames flow. */
  | 'hold'
  /** A stand-in that answers LCP on the pty: PPP frames flow through the session. */
  | 'lcp';

/** How to run xl2tpd. */
export interface Xl2tpdOptions {
  readonly role: 'lns' | 'lac';
  /** xl2tpd's own UDP port on 127.0.0.1. Default: a free port. */
  readonly port?: number;
  /** LAC role: the LNS to dial, `lns = 127.0.0.1:<lnsPort>` (required for a LAC). */
  readonly lnsPort?: number;
  /** Tunnel secret, written to the auth file as `* * <secret>`. */
  readonly secret?: string;
  /** `challenge = yes`: demand tunnel authentication (RFC 2661 §5.1.1). */
  readonly challenge?: boolean;
  /** `hidden bit = yes` (xl2tpd 1.3.18 then adds a Random Vector but never hides an AVP). */
  readonly hiddenBit?: boolean;
  /** `length bit`. Default true. */
  readonly lengthBit?: boolean;
  /** `hostname =` of the section. Default `xl2tpd-lns.test` / `xl2tpd-lac.test`. */
  readonly hostname?: string;
  /** Default `hold`. */
  readonly pppd?: PppdMode;
  /** More lines for the `[lns default]` or `[lac peer]` section. */
  readonly sectionLines?: readonly string[];
  /** Milliseconds to wait for xl2tpd to listen. Default 5000. */
  readonly startTimeoutMs?: number;
}

/** Whether xl2tpd can run here, and why not. */
export interface Xl2tpdAvailability {
  readonly available: boolean;
  /** `xl2tpd-1.3.18`, when available. */
  readonly version?: string;
  /** Why the interop tests are skipped. */
  readonly reason?: string;
}

let availability: Xl2tpdAvailability | undefined;

/**
 * Checks once for xl2tpd, unshare and root (mount needs it). Tests skip with `reason` when not
 * available, and fail on CI (`CI` set), where scripts/install-peers.sh must have run.
 */
export function xl2tpdAvailability(): Xl2tpdAvailability {
  if (availability !== undefined) return availability;
  const v = spawnSync('xl2tpd', ['-v'], { encoding: 'utf8', timeout: 5000 });
  const version = /xl2tpd-[\w.]+/.exec(`${v.stdout}${v.stderr}`)?.[0];
  if (v.error !== undefined || version === undefined) {
    availability = {
      available: false,
      reason: 'xl2tpd not found (run scripts/install-peers.sh as root)',
    };
  } else if (process.getuid?.() !== 0) {
    availability = { available: false, reason: 'xl2tpd interop needs root (unshare --mount)' };
  } else if (spawnSync('unshare', ['--mount', 'true'], { timeout: 5000 }).status !== 0) {
    availability = { available: false, reason: 'unshare --mount does not work here' };
  } else {
    availability = { available: true, version };
  }
  return availability;
}

/** True when the `CI` environment variable is set to something. */
export function onCi(): boolean {
  return (process.env.CI ?? '') !== '';
}

/** A free UDP port on 127.0.0.1 (bound and released; fine for loopback tests). */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind({ address: '127.0.0.1', port: 0 }, () => resolve());
  });
  const { port } = s.address();
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A running xl2tpd. Always `stop()` it (afterEach/afterAll): it kills and cleans up. */
export class Xl2tpd {
  /** UDP port xl2tpd listens on (127.0.0.1). */
  readonly port: number;
  /** Temporary directory with xl2tpd.conf, l2tp-secrets, the FIFO and the stand-in. */
  readonly dir: string;
  readonly options: Xl2tpdOptions;
  readonly #child: ChildProcess;
  readonly #log = new ProcessLog('xl2tpd');
  #exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #exited = false;
  #stopped: Promise<void> | undefined;
  #controlSeq = 0;

  private constructor(options: Xl2tpdOptions, port: number, dir: string, child: ChildProcess) {
    this.options = options;
    this.port = port;
    this.dir = dir;
    this.#child = child;
    const feed = (chunk: Buffer) => this.#log.feed(chunk.toString('utf8'));
    child.stdout?.on('data', feed);
    child.stderr?.on('data', feed);
    this.#exit = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exited = true;
        this.#log.close(`xl2tpd exited (code ${code}, signal ${signal})`);
        resolve({ code, signal });
      });
    });
  }

  /**
   * Writes the configuration and starts xl2tpd; resolves once it listens on its port.
   * @throws when xl2tpd is not available, or does not come up (the log is in the message).
   */
  static async start(options: Xl2tpdOptions): Promise<Xl2tpd> {
    const avail = xl2tpdAvailability();
    if (!avail.available) throw new Error(`xl2tpd unavailable: ${avail.reason}`);
    if (options.role === 'lac' && options.lnsPort === undefined) {
      throw new Error('an xl2tpd LAC needs lnsPort');
    }
    const port = options.port ?? (await freeUdpPort());
    const dir = await mkdtemp(join(tmpdir(), 'l2tp-core-xl2tpd-'));
    try {
      await writeConfig(dir, port, options);
      const pppd = options.pppd ?? 'hold';
      const args = ['-D', '-c', join(dir, 'xl2tpd.conf'), '-p', join(dir, 'xl2tpd.pid')];
      args.push('-C', join(dir, 'control'), '-s', join(dir, 'l2tp-secrets'));
      // detached: xl2tpd leads its own process group, so stop() can signal its pppd children too.
      const child =
        pppd === 'real'
          ? spawn('xl2tpd', args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] })
          : spawn(
              'unshare',
              [
                '--mount',
                '--propagation',
                'private',
                'sh',
                '-c',
                'mount --bind "$0" /usr/sbin/pppd && exec xl2tpd "$@"',
                join(dir, 'pppd-standin'),
                ...args,
              ],
              { detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
            );
      const x = new Xl2tpd(options, port, dir, child);
      const started = x.waitForLog(
        new RegExp(`Listening on IP address 127\\.0\\.0\\.1, port ${port}`),
        {
          timeoutMs: options.startTimeoutMs ?? 5000,
        },
      );
      try {
        await Promise.race([
          started,
          x.#exit.then(({ code }) => {
            throw new Error(`xl2tpd exited during start-up (code ${code})`);
          }),
        ]);
      } catch (error) {
        const log = x.log;
        await x.stop();
        throw new Error(`${(error as Error).message}\n--- xl2tpd log ---\n${log}`);
      }
      return x;
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Process id of xl2tpd (it leads its process group). */
  get pid(): number {
    return this.#child.pid ?? -1;
  }

  /** True once xl2tpd exited. */
  get exited(): boolean {
    return this.#exited;
  }

  /** Every complete log line so far (stdout and stderr, including the pppd stand-in's). */
  get lines(): readonly string[] {
    return this.#log.lines;
  }

  /** The whole log as text. */
  get log(): string {
    return this.#log.text;
  }

  /** The index the next log line will have: pass it as `from` to wait for later lines only. */
  mark(): number {
    return this.#log.mark();
  }

  /**
   * Resolves with the first log line at index ≥ `from` (default 0) matching `re`.
   * Rejects after `timeoutMs` (default 10000), or once xl2tpd has exited, with the log in the
   * message.
   */
  waitForLog(
    re: RegExp,
    options: { readonly from?: number; readonly timeoutMs?: number } = {},
  ): Promise<RegExpExecArray> {
    return this.#log.waitFor(re, options);
  }

  /** Log lines (from index `from`) that match `re`. */
  grep(re: RegExp, from = 0): string[] {
    return this.#log.grep(re, from);
  }

  /**
   * Sends one command through the control FIFO (`c peer`, `d peer`, `h <call id>`, `t <host>`,
   * …) and resolves with xl2tpd's result line, e.g. `00 OK`. `s` (status to the log) has no
   * result and resolves with ''.
   *
   * The result protocol is xl2tpd-control's: the line is prefixed with `@<file>`, xl2tpd writes
   * the result into that file and then unlinks it. The file is a FIFO we hold open (O_RDWR, so
   * it never reports EOF), read through a net.Socket so no libuv thread blocks on it.
   */
  async control(command: string, timeoutMs = 5000): Promise<string> {
    const wantsResult = !command.startsWith('s');
    const resultPath = join(this.dir, `result.${++this.#controlSeq}`);
    let result: Promise<string> = Promise.resolve('');
    let reader: Socket | undefined;
    if (wantsResult) {
      const mk = spawnSync('mkfifo', ['-m', '600', resultPath]);
      if (mk.status !== 0) throw new Error(`mkfifo ${resultPath} failed: ${mk.stderr}`);
      const fd = openSync(resultPath, fsConstants.O_RDWR | fsConstants.O_NONBLOCK);
      const sock = new Socket({ fd, readable: true, writable: false });
      reader = sock;
      result = new Promise((resolve, reject) => {
        let text = '';
        const timer = setTimeout(() => {
          reject(new Error(`no result for control command '${command}':\n${this.log}`));
        }, timeoutMs);
        sock.on('data', (chunk: Buffer) => {
          text += chunk.toString('utf8');
          if (text.includes('\n')) {
            clearTimeout(timer);
            resolve(text.trim());
          }
        });
        sock.on('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
      });
    }
    try {
      await this.#writeControl(`${wantsResult ? `@${resultPath} ` : ''}${command}\n`, timeoutMs);
      return await result;
    } finally {
      reader?.destroy();
      await rm(resultPath, { force: true });
    }
  }

  // O_NONBLOCK: fail with ENXIO instead of blocking a libuv thread when nobody reads the FIFO.
  // xl2tpd closes and reopens the FIFO after each batch of commands, so retry briefly.
  async #writeControl(line: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const fh = await open(
          join(this.dir, 'control'),
          fsConstants.O_WRONLY | fsConstants.O_NONBLOCK,
        );
        try {
          await fh.write(line);
        } finally {
          await fh.close();
        }
        return;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if ((code !== 'ENXIO' && code !== 'EAGAIN') || Date.now() > deadline) throw error;
        await delay(10);
      }
    }
  }

  /** LAC role: `c peer`, bring up the tunnel (if needed) and place a call. */
  connect(): Promise<string> {
    return this.control(`c ${XL2TPD_LAC_NAME}`);
  }

  /** LAC role: `d peer`, StopCCN the tunnel. */
  disconnect(): Promise<string> {
    return this.control(`d ${XL2TPD_LAC_NAME}`);
  }

  /** Process ids of the pppd stand-ins started so far (each records its pid). */
  async standinPids(): Promise<number[]> {
    const text = await readFile(join(this.dir, 'pppd.pids'), 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter((l) => l !== '')
      .map(Number);
  }

  /**
   * Stops xl2tpd: SIGTERM to its process group (xl2tpd and its pppds), SIGKILL after
   * `graceMs` (default 3000), then kills any stand-in still alive and removes the directory.
   * Idempotent; never throws.
   */
  stop(graceMs = 3000): Promise<void> {
    this.#stopped ??= this.#doStop(graceMs);
    return this.#stopped;
  }

  async #doStop(graceMs: number): Promise<void> {
    const pid = this.#child.pid;
    if (pid !== undefined && !this.#exited) {
      signalGroup(pid, 'SIGTERM');
      const timedOut = await Promise.race([
        this.#exit.then(() => false),
        delay(graceMs).then(() => true),
      ]);
      if (timedOut) {
        signalGroup(pid, 'SIGKILL');
        await Promise.race([this.#exit, delay(graceMs)]);
      } else {
        signalGroup(pid, 'SIGKILL'); // stragglers in the group (pppd stand-ins)
      }
    }
    for (const p of await this.standinPids()) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    this.#log.close('xl2tpd stopped');
    if ((process.env.XL2TPD_SHOW_LOG ?? '') !== '') {
      process.stderr.write(`--- xl2tpd ${this.options.role} log (${this.dir}) ---\n${this.log}\n`);
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone
  }
}

async function writeConfig(dir: string, port: number, o: Xl2tpdOptions): Promise<void> {
  const yes = (b: boolean) => (b ? 'yes' : 'no');
  const section =
    o.role === 'lns'
      ? [
          '[lns default]',
          'ip range = 10.99.0.2-10.99.0.10',
          'local ip = 10.99.0.1',
          `hostname = ${o.hostname ?? 'xl2tpd-lns.test'}`,
          'require authentication = no',
        ]
      : [
          `[lac ${XL2TPD_LAC_NAME}]`,
          `lns = 127.0.0.1:${o.lnsPort}`,
          `hostname = ${o.hostname ?? 'xl2tpd-lac.test'}`,
          'autodial = no',
          'redial = no',
        ];
  section.push(`length bit = ${yes(o.lengthBit ?? true)}`);
  if (o.challenge !== undefined) section.push(`challenge = ${yes(o.challenge)}`);
  if (o.hiddenBit !== undefined) section.push(`hidden bit = ${yes(o.hiddenBit)}`);
  section.push(...(o.sectionLines ?? []));
  const conf = [
    '[global]',
    `port = ${port}`,
    'listen-addr = 127.0.0.1',
    `auth file = ${join(dir, 'l2tp-secrets')}`,
    'access control = no',
    'debug tunnel = yes',
    'debug state = yes',
    'debug avp = yes',
    '',
    ...section,
    '',
  ].join('\n');
  await writeFile(join(dir, 'xl2tpd.conf'), conf);
  await writeFile(join(dir, 'l2tp-secrets'), o.secret === undefined ? '' : `* * ${o.secret}\n`, {
    mode: 0o600,
  });
  const pids = join(dir, 'pppd.pids');
  const mode = o.pppd ?? 'hold';
  const standin =
    mode === 'lcp'
      ? `#!/bin/sh\necho $$ >> '${pids}'\nstty raw -echo <&0 2>/dev/null\nexec '${process.execPath}' '${join(dir, 'lcp-standin.mjs')}' "$@"\n`
      : `#!/bin/sh\necho $$ >> '${pids}'\necho "pppd-standin: hold pid $$ tty $1" >&2\nexec sleep 600\n`;
  await writeFile(join(dir, 'pppd-standin'), standin);
  await chmod(join(dir, 'pppd-standin'), 0o755);
  if (mode === 'lcp') await writeFile(join(dir, 'lcp-standin.mjs'), LCP_STANDIN);
}

/**
 * The `lcp` stand-in, run by Node on xl2tpd's pty (stdin/stdout). Async-HDLC framing with
 * FCS-16 (RFC 1662 §3–4, C.2); LCP (RFC 1661 §5): Configure-Request → Configure-Ack with the same
 * options, Echo-Request → Echo-Reply (magic 0), Terminate-Request → Terminate-Ack. Sends one
 * Configure-Request of its own (no options) after the first frame it gets. Logs every frame to
 * stderr (xl2tpd's log) as `pppd-standin: rx|tx <protocol> <code> id=<n> len=<n>`.
 */
const LCP_STANDIN = `
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
const log = (dir, proto, body) => process.stderr.write(
  'pppd-standin: ' + dir + ' ' + (proto === 0xc021 ? 'LCP ' + (NAMES[body[0]] ?? 'code ' + body[0]) : 'proto 0x' + proto.toString(16)) +
  ' id=' + body[1] + ' len=' + body.length + '\\n');
function send(proto, body) {
  const frame = [0xff, 0x03, proto >> 8, proto & 0xff, ...body];
  const f = fcs16(frame) ^ 0xffff;
  frame.push(f & 0xff, f >> 8);
  const out = [0x7e];
  for (const b of frame) {
    if (b < 0x20 || b === 0x7d || b === 0x7e) out.push(0x7d, b ^ 0x20);
    else out.push(b);
  }
  out.push(0x7e);
  process.stdout.write(Buffer.from(out));
  log('tx', proto, body);
}
let sentRequest = false;
function onFrame(frame) {
  if (frame.length < 4 || fcs16(frame) !== 0xf0b8) return;
  let p = frame.subarray(0, frame.length - 2);
  if (p[0] === 0xff && p[1] === 0x03) p = p.subarray(2);
  let proto;
  if (p[0] & 1) { proto = p[0]; p = p.subarray(1); } else { proto = (p[0] << 8) | p[1]; p = p.subarray(2); }
  log('rx', proto, p);
  if (proto !== 0xc021 || p.length < 4) return;
  const code = p[0], id = p[1];
  if (code === 1) send(0xc021, [2, id, ...p.subarray(2)]);
  else if (code === 9) send(0xc021, [10, id, p[2], p[3], 0, 0, 0, 0, ...p.subarray(8)]);
  else if (code === 5) send(0xc021, [6, id, 0, 4]);
  if (!sentRequest) { sentRequest = true; send(0xc021, [1, 0x42, 0, 4]); }
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
process.stdin.on('end', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGHUP', () => process.exit(0));
process.stderr.write('pppd-standin: lcp pid ' + process.pid + ' args ' + process.argv.slice(2).join(' ') + '\\n');
`;

/** Resolves with the first argument of the next `event` (listener attached now). */
export function next<T>(emitter: object, event: string, timeoutMs = 10_000): Promise<T> {
  const e = emitter as {
    once(event: string, listener: (value: T) => void): unknown;
    off(event: string, listener: (value: T) => void): unknown;
  };
  return new Promise<T>((resolve, reject) => {
    const listener = (value: T) => {
      clearTimeout(timer);
      resolve(value);
    };
    const timer = setTimeout(() => {
      e.off(event, listener);
      reject(new Error(`timeout (${timeoutMs} ms) waiting for '${event}'`));
    }, timeoutMs);
    e.once(event, listener);
  });
}
