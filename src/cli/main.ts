#!/usr/bin/env node
/**
 * The `l2tp-core` command: `l2tp-core <command> [options]`, arguments parsed by args.ts.
 * Commands: `decode` (decode.ts, capture.ts), `lac` and `lns` (lac.ts, lns.ts, run.ts),
 * `switch` (switch.ts, switch-routes.ts), `connect` (connect.ts, ppp-host.ts).
 * `main(argv, io)` runs the synchronous commands and returns the exit code, so tests call it
 * without a build or a child process; `runCommand` also runs `lac` / `lns` / `switch` /
 * `connect`; the last
 * lines run it when this file is the program (the package `bin`).
 * Exit codes: 0 ok, 1 problems found in the input (malformed packets, failed checks) or a runtime
 * failure of lac/lns/switch/connect, 2 usage error or unreadable input file.
 */

import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CliUsage, parseCommandArgs, wantsHelp } from './args.js';
import { type OtherUdpPort, readCapture } from './capture.js';
import { CONNECT_HELP, type ConnectOptions, parseConnectArgs, runConnect } from './connect.js';
import { type DatagramSource, Decoder, parseHex } from './decode.js';
import { runLac } from './lac.js';
import { runLns } from './lns.js';
import {
  LAC_HELP,
  type LacOptions,
  LNS_HELP,
  type LnsOptions,
  parseLacArgs,
  parseLnsArgs,
  type RunIo,
  wallClockMs,
} from './run.js';
import { parseSwitchArgs, runSwitch, SWITCH_HELP, type SwitchOptions } from './switch.js';

/** What the CLI touches: output streams and file reading (`-` is standard input). */
export interface CliIo {
  /** Writes text to standard output (the text carries its own newlines). */
  readonly stdout: (text: string) => void;
  /** Writes text to standard error. */
  readonly stderr: (text: string) => void;
  /** Reads a whole file; `-` means standard input. Throws on failure (message is shown). */
  readonly readFile: (path: string) => Uint8Array;
}

/** Exit codes a script can rely on. */
export const ExitCode = {
  OK: 0,
  PROBLEMS_FOUND: 1,
  /**
   * lac / lns / switch / connect: a tunnel or session refused or timed out, echoes missing, a
   * socket error; connect: no TUN device, authentication failed, the link lost.
   */
  RUNTIME_FAILURE: 1,
  USAGE: 2,
} as const;

const MAIN_HELP = `Usage: l2tp-core <command> [options]

Commands:
  decode     decode L2TP packets from hex or from a pcap/pcapng capture
  lac        open tunnels and sessions to an LNS, send test frames, print statistics
  lns        accept tunnels and sessions, echo data frames
  switch     an L2TP tunnel switch: take calls from LACs, relay each to a next hop by route
  connect    an L2TP/PPP VPN client: a tunnel, a call, PPP, a TUN device with routes

Run \`l2tp-core <command> --help\` for the options of a command,
\`l2tp-core --version\` for the version.

Exit codes: 0 ok, 1 problems found in the input (decode) or a runtime failure (lac, lns,
switch, connect), 2 usage error or unreadable file.
`;

const DECODE_HELP = `Usage: l2tp-core decode [options] <hex>...
       l2tp-core decode [options] -          (hex lines on standard input)
       l2tp-core decode [options] --pcap FILE

Decodes L2TPv2/L2TPv3 datagrams: one line per message, like tshark's summary.

Input:
  <hex>...          one datagram per argument (spaces and ':' allowed, optional 0x)
  -                 one datagram per line of standard input (empty and # lines skipped)
  --pcap FILE       a pcap or pcapng capture (Ethernet, Linux cooked, raw IPv4/IPv6)
  --port N          UDP port carrying L2TP (either end), repeatable; default 1701.
                    IP protocol 115 (L2TPv3 over IP) is always decoded.
  --encap udp|ip    encapsulation of hex input (default udp; ip = L2TPv3 over IP,
                    starting with the 4-byte Session ID)

Output:
  -v, --verbose     every AVP with its name and decoded value
  --json            one JSON object per datagram (JSON lines)
  --secret S        shared secret: unhide hidden AVPs, verify L2TPv2 Challenge
                    Responses and L2TPv3 Message Digests seen in the input
  -h, --help        this help

Malformed datagrams are reported with their byte offset and reason, and decoding goes on.
When a capture has no L2TP on the --port(s), the UDP ports it has are listed on stderr.
Exit codes: 0 ok, 1 malformed datagrams or failed checks, 2 usage error, or a file that
cannot be read or is not a whole pcap/pcapng capture (empty, other format, cut short).
`;

const Usage = CliUsage;

function parsePort(text: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) throw new Usage(`--port: not a UDP port: ${text}`);
  return n;
}

function decodeCommand(args: readonly string[], io: CliIo): number {
  const parsed = parseCommandArgs(
    args,
    {
      help: { type: 'boolean', short: 'h' },
      verbose: { type: 'boolean', short: 'v' },
      json: { type: 'boolean' },
      secret: { type: 'string' },
      pcap: { type: 'string' },
      port: { type: 'string', multiple: true },
      encap: { type: 'string' },
    },
    true,
  );
  const positionals = parsed.positionals;
  const values = parsed.values as {
    help?: boolean;
    verbose?: boolean;
    json?: boolean;
    secret?: string;
    pcap?: string;
    port?: string[];
    encap?: string;
  };
  if (values.help === true) {
    io.stdout(DECODE_HELP);
    return ExitCode.OK;
  }
  const encap = values.encap ?? 'udp';
  if (encap !== 'udp' && encap !== 'ip')
    throw new Usage(`--encap: expected udp or ip, got ${encap}`);
  const ports = (values.port ?? ['1701']).map(parsePort);
  if (values.pcap !== undefined && positionals.length > 0) {
    throw new Usage('give either --pcap FILE or hex input, not both');
  }
  if (values.pcap === undefined && positionals.length === 0) {
    throw new Usage('nothing to decode: give hex, - (standard input) or --pcap FILE');
  }
  if (values.pcap === undefined && values.port !== undefined) {
    throw new Usage('--port applies to --pcap only');
  }
  if (values.pcap !== undefined && values.encap !== undefined) {
    throw new Usage('--encap applies to hex input only (captures say it themselves)');
  }
  const decoder = new Decoder(
    {
      verbose: values.verbose === true,
      json: values.json === true,
      ...(values.secret === undefined ? {} : { secret: values.secret }),
    },
    (line) => io.stdout(`${line}\n`),
  );

  if (values.pcap !== undefined) {
    const file = readInput(io, values.pcap);
    if (file === undefined) return ExitCode.USAGE;
    const capture = readCapture(file, { ports });
    // Problems and packets are reported in frame order. A file-level problem (frame 0: not a
    // capture, empty, cut short) is not a datagram: stderr and exit 2, as for a missing file.
    const fileProblem = capture.problems.find((q) => q.frame === 0);
    const problems = capture.problems.filter((q) => q.frame !== 0);
    for (const p of capture.packets) {
      while (
        problems.length > 0 &&
        (problems[0]?.frame ?? 0) !== 0 &&
        (problems[0]?.frame ?? 0) < p.frame
      ) {
        const q = problems.shift();
        if (q !== undefined)
          decoder.problem({ frame: q.frame, encap: 'udp' }, q.offset, q.code, q.reason);
      }
      const source: DatagramSource = {
        frame: p.frame,
        encap: p.encap,
        src: p.src,
        dst: p.dst,
        srcPort: p.srcPort,
        dstPort: p.dstPort,
      };
      decoder.datagram(source, p.payload);
    }
    for (const q of problems) {
      decoder.problem({ frame: q.frame, encap: 'udp' }, q.offset, q.code, q.reason);
    }
    if (fileProblem === undefined || capture.frames > 0) {
      io.stderr(
        `${capture.format}: ${capture.frames} frames, ${capture.packets.length} L2TP datagrams, ` +
          `${decoder.errors} malformed, ${decoder.mismatches} failed checks` +
          `${capture.fragments > 0 ? `, ${capture.fragments} IP fragments skipped` : ''}\n`,
      );
    }
    if (fileProblem !== undefined) {
      io.stderr(
        `l2tp-core decode: ${values.pcap}: ${fileProblem.reason} (file offset ${fileProblem.offset})\n`,
      );
      return ExitCode.USAGE;
    }
    if (capture.packets.length === 0 && capture.otherUdpPorts.length > 0) {
      io.stderr(portHint(capture.otherUdpPorts, ports, values.pcap));
    }
  } else {
    const inputs: string[] = [];
    for (const arg of positionals) {
      if (arg === '-') {
        const stdin = readInput(io, '-');
        if (stdin === undefined) return ExitCode.USAGE;
        for (const line of new TextDecoder().decode(stdin).split(/\r?\n/)) {
          const t = line.trim();
          if (t !== '' && !t.startsWith('#')) inputs.push(t);
        }
      } else {
        inputs.push(arg);
      }
    }
    inputs.forEach((text, i) => {
      const source: DatagramSource = { frame: i + 1, encap };
      const bytes = parseHex(text);
      if (typeof bytes === 'string') decoder.problem(source, 0, 'hex', bytes);
      else decoder.datagram(source, bytes);
    });
  }
  return decoder.errors + decoder.mismatches > 0 ? ExitCode.PROBLEMS_FOUND : ExitCode.OK;

  function readInput(cli: CliIo, path: string): Uint8Array | undefined {
    try {
      return cli.readFile(path);
    } catch (err) {
      cli.stderr(
        `l2tp-core decode: cannot read ${path === '-' ? 'standard input' : path}: ${(err as Error).message}\n`,
      );
      return undefined;
    }
  }
}

/** What to say when a capture had UDP but none on the decode ports: the ports, and a try. */
function portHint(other: readonly OtherUdpPort[], ports: readonly number[], file: string): string {
  const shown = other.slice(0, 8).map((p) => {
    const like =
      p.l2tpLike === 0 ? '' : `, ${p.l2tpLike} look${p.l2tpLike === 1 ? 's' : ''} like L2TP`;
    return `${p.port} (${p.datagrams} datagram${p.datagrams === 1 ? '' : 's'}${like})`;
  });
  const more = other.length > shown.length ? `, and ${other.length - shown.length} more` : '';
  const on = ports.length === 1 ? `UDP port ${ports[0]}` : `UDP ports ${ports.join(', ')}`;
  const best = (other[0] as OtherUdpPort).port;
  return (
    `no L2TP on ${on}; UDP ports in the capture: ${shown.join(', ')}${more}\n` +
    `to decode one of them as L2TP: l2tp-core decode --pcap ${file} --port ${best}\n`
  );
}

const HELP: Readonly<Record<string, string>> = {
  decode: DECODE_HELP,
  lac: LAC_HELP,
  lns: LNS_HELP,
  switch: SWITCH_HELP,
  connect: CONNECT_HELP,
};

/**
 * Runs the CLI with `argv` (the arguments after the program name) and returns the exit code
 * ({@link ExitCode}). Never calls process.exit; output goes through `io` only. `lac`, `lns`
 * and `switch` are only parsed here (help, usage errors); {@link runCommand} runs them.
 */
export function main(argv: readonly string[], io: CliIo): number {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case undefined:
        io.stderr(MAIN_HELP);
        return ExitCode.USAGE;
      case '-h':
      case '--help':
        io.stdout(MAIN_HELP);
        return ExitCode.OK;
      case '-V':
      case '--version':
        io.stdout(`${packageVersion()}\n`);
        return ExitCode.OK;
      case 'help': {
        const help = HELP[rest[0] ?? ''];
        io.stdout(help ?? MAIN_HELP);
        return ExitCode.OK;
      }
      case 'decode':
      case 'lac':
      case 'lns':
      case 'switch':
      case 'connect': {
        // Help wins over the rest of the line, even when that does not parse.
        if (wantsHelp(rest)) {
          io.stdout(HELP[command] as string);
          return ExitCode.OK;
        }
        if (command === 'decode') return decodeCommand(rest, io);
        // Parsed here for help (-vh) and usage errors; running needs runCommand (asynchronous).
        const parsed = parseRunArgs(command, rest, io.readFile);
        if (parsed === 'help') {
          io.stdout(HELP[command] as string);
          return ExitCode.OK;
        }
        throw new Usage(`${command} runs asynchronously: call runCommand()`);
      }
      default:
        throw new Usage(`unknown command: ${command}`);
    }
  } catch (err) {
    if (err instanceof Usage) {
      const sub = command !== undefined && command in HELP ? command : undefined;
      const where = sub === undefined ? 'l2tp-core' : `l2tp-core ${sub}`;
      io.stderr(`${where}: ${err.message}\nRun \`${where} --help\` for usage.\n`);
      return ExitCode.USAGE;
    }
    throw err;
  }
}

/**
 * The version in the package.json of the installed package: the nearest one named l2tp-core
 * above this module (dist/cli/main.js in the package, src/cli/main.ts in the repository).
 */
export function packageVersion(): string {
  let dir = new URL('.', import.meta.url);
  for (let up = 0; up < 6; up++) {
    try {
      const pkg = JSON.parse(readFileSync(new URL('package.json', dir), 'utf8')) as {
        name?: unknown;
        version?: unknown;
      };
      if (pkg.name === 'l2tp-core' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // no package.json here: look further up
    }
    dir = new URL('..', dir);
  }
  return 'unknown';
}

type RunOptions = LacOptions | LnsOptions | SwitchOptions | ConnectOptions;

// The options of a command that runs until stopped, or 'help'. @throws CliUsage.
function parseRunArgs(
  command: 'lac' | 'lns' | 'switch' | 'connect',
  rest: readonly string[],
  readFile: CliIo['readFile'],
): RunOptions | 'help' {
  if (command === 'lac') return parseLacArgs(rest);
  if (command === 'lns') return parseLnsArgs(rest);
  if (command === 'connect') return parseConnectArgs(rest);
  return parseSwitchArgs(rest, readFile);
}

/**
 * Runs any command, `lac`, `lns`, `switch` and `connect` included; resolves with the exit code
 * ({@link ExitCode}).
 * Never calls process.exit.
 */
export async function runCommand(argv: readonly string[], io: CliIo & RunIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command !== 'lac' && command !== 'lns' && command !== 'switch' && command !== 'connect') {
    return main(argv, io);
  }
  if (wantsHelp(rest)) return main(argv, io);
  let parsed: RunOptions | 'help';
  try {
    parsed = parseRunArgs(command, rest, io.readFile);
  } catch {
    return main(argv, io); // prints the usage error the same way
  }
  if (parsed === 'help') return main(argv, io);
  if (command === 'switch') return runSwitch(parsed as SwitchOptions, io);
  if (command === 'connect') return runConnect(parsed as ConnectOptions, io);
  return command === 'lac' ? runLac(parsed as LacOptions, io) : runLns(parsed as LnsOptions, io);
}

/** The real process's streams and files. */
export const nodeIo: CliIo = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readFile: (path) => readFileSync(path === '-' ? 0 : path),
};

/** The real process: streams, files, signals, wall clock. */
export const nodeRunIo: CliIo & RunIo = {
  ...nodeIo,
  isTTY: process.stderr.isTTY === true,
  onSignal: (handler) => {
    const on = (signal: NodeJS.Signals) => handler(signal);
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
    return () => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    };
  },
  wallClockMs,
};

// Run when this file is the program (`bin` symlinks are resolved before comparing).
function isProgram(): boolean {
  const entry = process.argv[1];
  if (entry === undefined) return false;
  try {
    return realpathSync(entry) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}
if (isProgram()) {
  // `l2tp-core decode … | head`: a closed pipe ends the output, it is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  runCommand(process.argv.slice(2), nodeRunIo).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`l2tp-core: ${(err as Error).stack ?? String(err)}\n`);
      process.exitCode = ExitCode.RUNTIME_FAILURE;
    },
  );
}
