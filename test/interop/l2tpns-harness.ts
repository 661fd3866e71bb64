/**
 * Runs a real l2tpns (Debian 2.4.1: an L2TPv2 LNS that terminates PPP itself and routes through a
 * TUN device) with a freeradius (Debian 3.2) beside it for PPP authentication, for interop tests
 * where l2tp-core is the LAC and the PPP client. Facts behind the set-up: shared notes l2tpns.md.
 *
 * Layout. A holder process (`unshare --mount --net`) owns a fresh network and mount namespace: lo
 * up, a private config directory bind-mounted over /etc/l2tpns (l2tpns reads its ip_pool and users
 * from there, whatever `-c` says). A veth pair joins it to the namespace the test runs in:
 * `clientAddress` (ours, x.x.x.1/30) ↔ `address` (l2tpns's, x.x.x.2/30, UDP 1701). freeradius
 * (`-X`, its own config directory, 127.0.0.1:1812/1813) and l2tpns are started in the holder's
 * namespaces with nsenter, each leading its own session and process group: on exit l2tpns calls
 * kill(0, SIGTERM), which must not reach us. l2tpns is ready once it has made itself cluster
 * master (about 3 s with the cluster settings below; it ignores L2TP before that).
 *
 * Clean-up. `stop()` signals both process groups, ends the holder and deletes our veth end. If the
 * test process dies instead, the holder sees its stdin close and kills the groups recorded in
 * `pgids`; with every process gone the namespace, and the veth with it, disappear.
 * Needs root, l2tpns, freeradius, iproute2, util-linux (unshare, nsenter) and /dev/net/tun.
 * Not here: anything about l2tp-core itself.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FREERADIUS, writeFreeRadiusConfig } from './freeradius-config.js';
import { ProcessLog } from './process-log.js';

/** l2tpns's own IPCP address and tun0 address: ping it through the tunnel. */
export const L2TPNS_PEER_ADDRESS = '192.0.2.1';
/** The address pool l2tpns assigns from (its ip_pool file). */
export const L2TPNS_POOL = '10.10.10.0/24';
/** What l2tpns offers as primary DNS server in IPCP. */
export const L2TPNS_DNS = '10.10.10.53';
/** l2tpns's only UDP port. */
export const L2TPNS_PORT = 1701;

/** How to run l2tpns. */
export interface L2tpnsOptions {
  /** `radius_authtypes`: what l2tpns asks the client for in LCP (CHAP is CHAP-MD5). */
  readonly authTypes: 'pap' | 'chap';
  /** name → password, as freeradius users (`Cleartext-Password`). */
  readonly users: Readonly<Record<string, string>>;
  /** More `startup-config` lines (`set …`). */
  readonly configLines?: readonly string[];
  /** Milliseconds to wait for readiness (cluster master). Default 15000. */
  readonly startTimeoutMs?: number;
}

/** Whether l2tpns can run here, and why not. */
export interface L2tpnsAvailability {
  readonly available: boolean;
  /** `l2tpns 2.4.1-1+b1, freeradius 3.2.1+dfsg-4+deb12u1`, when available. */
  readonly version?: string;
  /** Why the interop tests are skipped. */
  readonly reason?: string;
}

let availability: L2tpnsAvailability | undefined;

const L2TPNS = '/usr/sbin/l2tpns';
const RADIUS_SECRET = 'l2tp-core-radius-secret';

function packageVersion(pkg: string): string | undefined {
  // dpkg-query's own ${field} syntax, not a template.
  const format = ['-f=$', '{Version}'].join('');
  const r = spawnSync('dpkg-query', ['-W', format, pkg], { encoding: 'utf8' });
  return r.status === 0 && r.stdout !== '' ? r.stdout : undefined;
}

/**
 * Checks once for l2tpns, freeradius, root and namespaces. Tests skip with `reason` when not
 * available, and fail on CI (`CI` set), where scripts/install-peers.sh must have run.
 */
export function l2tpnsAvailability(): L2tpnsAvailability {
  if (availability !== undefined) return availability;
  const no = (reason: string): L2tpnsAvailability => ({ available: false, reason });
  if (process.platform !== 'linux') availability = no('not Linux');
  else if (!existsSync(L2TPNS)) {
    availability = no('l2tpns not found (run scripts/install-peers.sh as root)');
  } else if (!existsSync(FREERADIUS)) {
    availability = no('freeradius not found (run scripts/install-peers.sh as root)');
  } else if (process.getuid?.() !== 0) {
    availability = no('l2tpns interop needs root (namespaces, veth, TUN)');
  } else if (!existsSync('/dev/net/tun')) availability = no('/dev/net/tun is missing');
  else if (!existsSync('/etc/l2tpns')) availability = no('/etc/l2tpns is missing');
  else if (spawnSync('unshare', ['--mount', '--net', 'true'], { timeout: 5000 }).status !== 0) {
    availability = no('unshare --mount --net does not work here');
  } else if (spawnSync('nsenter', ['--version'], { timeout: 5000 }).status !== 0) {
    availability = no('nsenter not found (util-linux)');
  } else if (spawnSync('ip', ['-V'], { timeout: 5000 }).status !== 0) {
    availability = no('ip not found (iproute2)');
  } else {
    const l2 = packageVersion('l2tpns') ?? '?';
    const fr = packageVersion('freeradius') ?? '?';
    availability = { available: true, version: `l2tpns ${l2}, freeradius ${fr}` };
  }
  return availability;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function ip(args: readonly string[]): void {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr || r.error?.message}`);
}

// A /30 for the veth that no address of this namespace is in (tests of other checkouts may run
// at the same time): 10.213.0.0/16 in steps of 4, picked at random.
function freeSubnet(): string {
  const r = spawnSync('ip', ['-4', '-o', 'addr', 'show'], { encoding: 'utf8' });
  const used = r.stdout ?? '';
  for (let attempt = 0; attempt < 64; attempt++) {
    const n = 4 * Math.floor(Math.random() * 16_384);
    const prefix = `10.213.${n >> 8}.${n & 0xff}`;
    const first = `10.213.${n >> 8}.${(n & 0xff) + 1}/`;
    const second = `10.213.${n >> 8}.${(n & 0xff) + 2}/`;
    if (!used.includes(first) && !used.includes(second)) return prefix;
  }
  throw new Error('no free /30 in 10.213.0.0/16');
}

let counter = 0;

/** A child process with its output in a ProcessLog and a promise of its exit. */
interface Child {
  readonly process: ChildProcess;
  readonly log: ProcessLog;
  readonly exit: Promise<void>;
  exited: boolean;
}

function child(
  log: ProcessLog,
  command: string,
  args: readonly string[],
  stdin: 'pipe' | 'ignore',
): Child {
  const name = log.name;
  // detached: a new session and process group led by the child (setsid), signalled as a group.
  const p = spawn(command, args, { detached: true, stdio: [stdin, 'pipe', 'pipe'] });
  p.stdout?.on('data', (chunk: Buffer) => log.feed(chunk.toString('utf8')));
  p.stderr?.on('data', (chunk: Buffer) => log.feed(chunk.toString('utf8')));
  const c: Child = {
    process: p,
    log,
    exited: false,
    exit: new Promise<void>((resolve) => {
      p.once('error', (error) => {
        c.exited = true;
        log.close(`${name} failed to start: ${error.message}`);
        resolve();
      });
      p.once('exit', (code, signal) => {
        c.exited = true;
        log.close(`${name} exited (code ${code}, signal ${signal})`);
        resolve();
      });
    }),
  };
  return c;
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone
  }
}

async function stopChild(c: Child | undefined, signal: NodeJS.Signals, graceMs: number) {
  if (c === undefined) return;
  const pid = c.process.pid;
  if (!c.exited) {
    signalGroup(pid, signal);
    const timedOut = await Promise.race([
      c.exit.then(() => false),
      delay(graceMs).then(() => true),
    ]);
    if (timedOut) {
      signalGroup(pid, 'SIGKILL');
      await Promise.race([c.exit, delay(graceMs)]);
    }
  }
  signalGroup(pid, 'SIGKILL'); // anything left in the group
}

// In the new namespaces (bash: dash's kill takes no process group after `--`): lo up, the config
// over /etc/l2tpns, then wait for stdin to close (the test process ended it, or died) and kill
// every process group the test recorded in `pgids`, and remove the directory.
const HOLDER_SCRIPT = `set -e
ip link set lo up
mount --bind "$0/etc" /etc/l2tpns
echo "holder: ready $$"
cat >/dev/null || true
for g in $(cat "$0/pgids" 2>/dev/null); do kill -KILL -- "-$g" 2>/dev/null || true; done
rm -rf "$0"
`;

/** A running l2tpns and its freeradius, in their own namespaces. Always `stop()` it. */
export class L2tpns {
  /** l2tpns's address on the veth; it listens on UDP 1701 there. */
  readonly address: string;
  /** Our end of the veth: bind the LAC's UDP socket here. */
  readonly clientAddress: string;
  /** Temporary directory: etc/ (over /etc/l2tpns), radius/ (freeradius -d), pgids. */
  readonly dir: string;
  readonly options: L2tpnsOptions;
  /** l2tpns's log (`debug 3`: tunnels, sessions, LCP, IPCP, RADIUS). */
  readonly log: ProcessLog;
  /** freeradius -X output. */
  readonly radiusLog: ProcessLog;
  /** Milliseconds from starting l2tpns to its readiness line. */
  readyMs = 0;
  readonly #holder: Child;
  readonly #veth: string;
  #radius: Child | undefined;
  #l2tpns: Child | undefined;
  #stopped: Promise<void> | undefined;

  private constructor(options: L2tpnsOptions, dir: string, subnet: string, holder: Child) {
    this.options = options;
    this.dir = dir;
    const base = subnet.split('.').map(Number) as [number, number, number, number];
    this.clientAddress = `${base[0]}.${base[1]}.${base[2]}.${base[3] + 1}`;
    this.address = `${base[0]}.${base[1]}.${base[2]}.${base[3] + 2}`;
    this.#holder = holder;
    this.#veth = `l2tn${process.pid % 1_000_000}x${++counter}`;
    this.log = new ProcessLog('l2tpns');
    this.radiusLog = new ProcessLog('freeradius');
  }

  /**
   * Writes the configuration, builds the namespaces and the veth, starts freeradius and l2tpns;
   * resolves once l2tpns is cluster master (it answers SCCRQ from then on).
   * @throws when unavailable or when something does not come up (logs in the message); whatever
   * was started is stopped first.
   */
  static async start(options: L2tpnsOptions): Promise<L2tpns> {
    const avail = l2tpnsAvailability();
    if (!avail.available) throw new Error(`l2tpns unavailable: ${avail.reason}`);
    const dir = await mkdtemp(join(tmpdir(), 'l2tp-core-l2tpns-'));
    const subnet = freeSubnet();
    let l: L2tpns | undefined;
    try {
      await writeConfig(dir, subnet, options);
      const holder = child(
        new ProcessLog('holder'),
        'unshare',
        ['--mount', '--net', '--propagation', 'private', 'bash', '-c', HOLDER_SCRIPT, dir],
        'pipe',
      );
      l = new L2tpns(options, dir, subnet, holder);
      await l.#start();
      return l;
    } catch (error) {
      if (l === undefined) await rm(dir, { recursive: true, force: true });
      else {
        const logs = l.logs();
        await l.stop();
        // The first line says what failed (a log waiter's message goes on with its log).
        throw new Error(`${(error as Error).message.split('\n')[0]}\n${logs}`);
      }
      throw error;
    }
  }

  async #start(): Promise<void> {
    await this.#holder.log.waitFor(/^holder: ready \d+$/, { timeoutMs: 5000 });
    const ns = String(this.#holder.process.pid);
    // Our end stays here; l2tpns's end goes into the holder's namespace.
    ip(['link', 'add', `${this.#veth}h`, 'type', 'veth', 'peer', 'name', `${this.#veth}n`]);
    ip(['link', 'set', `${this.#veth}n`, 'netns', ns]);
    ip(['addr', 'add', `${this.clientAddress}/30`, 'dev', `${this.#veth}h`]);
    ip(['link', 'set', `${this.#veth}h`, 'up']);
    const inside = spawnSync(
      'nsenter',
      [
        '-t',
        ns,
        '-n',
        'sh',
        '-c',
        `ip addr add ${this.address}/30 dev "$0" && ip link set "$0" up`,
        `${this.#veth}n`,
      ],
      { encoding: 'utf8', timeout: 5000 },
    );
    if (inside.status !== 0) throw new Error(`veth in the namespace: ${inside.stderr}`);

    this.#radius = this.#spawn('freeradius', [FREERADIUS, '-X', '-d', join(this.dir, 'radius')]);
    await this.#radius.log.waitFor(/^Ready to process requests/, { timeoutMs: 10_000 });
    const started = performance.now();
    this.#l2tpns = this.#spawn('l2tpns', [L2TPNS, '-c', '/etc/l2tpns/startup-config']);
    await this.log.waitFor(/I am declaring myself the master!/, {
      timeoutMs: this.options.startTimeoutMs ?? 15_000,
    });
    this.readyMs = performance.now() - started;
  }

  #spawn(name: 'freeradius' | 'l2tpns', command: readonly string[]): Child {
    const ns = String(this.#holder.process.pid);
    const log = name === 'l2tpns' ? this.log : this.radiusLog;
    const c = child(log, 'nsenter', ['-t', ns, '-m', '-n', '--', ...command], 'ignore');
    if (c.process.pid !== undefined) {
      // nsenter without -p execs the command: this pid leads the command's group.
      void appendFile(join(this.dir, 'pgids'), `${c.process.pid}\n`);
    }
    return c;
  }

  /** Both logs, for failure messages. */
  logs(): string {
    const holder = this.#holder.log.text;
    return (
      `--- l2tpns log ---\n${this.log.text}\n--- freeradius log ---\n${this.radiusLog.text}` +
      (holder.includes('\n') ? `\n--- namespace holder ---\n${holder}` : '')
    );
  }

  /**
   * Stops l2tpns (SIGTERM to its group; SIGKILL after `graceMs`, default 2000), freeradius and
   * the holder, deletes our veth end and the directory. Idempotent; never throws.
   */
  stop(graceMs = 2000): Promise<void> {
    this.#stopped ??= this.#doStop(graceMs);
    return this.#stopped;
  }

  async #doStop(graceMs: number): Promise<void> {
    // l2tpns exits on SIGTERM once no tunnel has an unacknowledged control message (it
    // sends StopCCN to the tunnels still open first): at once when every test closed its tunnel.
    await stopChild(this.#l2tpns, 'SIGTERM', graceMs);
    await stopChild(this.#radius, 'SIGTERM', graceMs);
    this.#holder.process.stdin?.end();
    const ended = await Promise.race([
      this.#holder.exit.then(() => true),
      delay(graceMs).then(() => false),
    ]);
    if (!ended) signalGroup(this.#holder.process.pid, 'SIGKILL');
    spawnSync('ip', ['link', 'del', `${this.#veth}h`], { timeout: 5000 }); // gone with the ns
    if ((process.env.L2TPNS_SHOW_LOG ?? '') !== '') {
      process.stderr.write(`${this.logs()}\n`);
    }
    await rm(this.dir, { recursive: true, force: true });
  }
}

async function writeConfig(dir: string, subnet: string, o: L2tpnsOptions): Promise<void> {
  const base = subnet.split('.').map(Number) as [number, number, number, number];
  const address = `${base[0]}.${base[1]}.${base[2]}.${base[3] + 2}`;
  await mkdir(join(dir, 'etc'));
  await mkdir(join(dir, 'radius'));
  const config = [
    'set debug 3',
    // Relative to l2tpns's stderr: our pipe.
    'set log_file "/dev/stderr"',
    `set pid_file "${join(dir, 'l2tpns.pid')}"`,
    `set bind_address ${address}`,
    `set iftun_address ${L2TPNS_PEER_ADDRESS}`,
    `set peer_address ${L2TPNS_PEER_ADDRESS}`,
    `set primary_dns ${L2TPNS_DNS}`,
    'set primary_radius 127.0.0.1',
    'set primary_radius_port 1812',
    `set radius_secret "${RADIUS_SECRET}"`,
    `set radius_authtypes "${o.authTypes}"`,
    'set radius_accounting yes',
    'set cli_bind_address 127.0.0.1',
    // Cluster master after ~3 s instead of ~15 s.
    'set cluster_interface "lo"',
    'set cluster_hb_interval 5',
    'set cluster_hb_timeout 31',
    ...(o.configLines ?? []),
    '',
  ].join('\n');
  await writeFile(join(dir, 'etc', 'startup-config'), config);
  await writeFile(join(dir, 'etc', 'ip_pool'), `${L2TPNS_POOL}\n`);
  await writeFile(join(dir, 'etc', 'users'), '');
  await writeFile(join(dir, 'pgids'), '');
  // One client (l2tpns on 127.0.0.1; RADIUS from l2tpns may also come from its bind address),
  // PAP and CHAP against the users, accounting accepted and dropped.
  await writeFreeRadiusConfig(join(dir, 'radius'), {
    client: { name: 'l2tpns', ipaddr: '0.0.0.0/0', secret: RADIUS_SECRET },
    requireMessageAuthenticator: false,
    authPort: 1812,
    acctPort: 1813,
    logLogins: true,
    users: o.users,
  });
}
