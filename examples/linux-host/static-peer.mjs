#!/usr/bin/env node
// One side of an unmanaged (static) L2TPv3 Ethernet pseudowire, like the kernel's
// `ip l2tp add tunnel … / add session …` + l2tpeth0, in user space: a TAP interface whose frames
// go through a StaticTunnelHost over UDP (UdpTransport) or IP protocol 115 (raw-socket +
// IpTransport), and back. Run as root (TAP and raw sockets), typically under `ip netns exec`.
// Prints `ready {json}` once running; on SIGTERM/SIGINT closes everything, prints
// `counters {json}` and exits by itself (no open handles left). Flags: `--help`.
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
// The core, built by `npm run build` in the repository root (not a dependency of this package).
import { StaticTunnelHost, toKernelStats } from '../../dist/index.js';
import { IpTransport, nodeClock, nodeTimers, UdpTransport } from '../../dist/node/index.js';
import { TapDevice } from './tap.mjs';

const USAGE = `usage: static-peer.mjs --tunnel_id N --peer_tunnel_id N --session_id N --peer_session_id N
    --local ADDR --remote ADDR [--encap udp|ip] [--udp_sport P --udp_dport P]
    [--cookie HEX] [--peer_cookie HEX] [--seq none|send|recv|both] [--l2spec_type none|default]
    [--reorder_timeout MS] [--tap NAME] [--address A/LEN --peer_address B/LEN] [--mtu N]
  --address/--peer_address: configure the TAP like the seed's
    ip addr add 10.5.1.2/32 peer 10.5.1.1/32 dev l2tpeth0; ip link set l2tpeth0 up`;

const str = { type: 'string' };
const { values: f } = parseArgs({
  options: {
    tunnel_id: str,
    peer_tunnel_id: str,
    session_id: str,
    peer_session_id: str,
    udp_sport: str,
    udp_dport: str,
    local: str,
    remote: str,
    encap: { type: 'string', default: 'udp' },
    cookie: str,
    peer_cookie: str,
    seq: str,
    l2spec_type: str,
    reorder_timeout: str,
    tap: { type: 'string', default: 'l2tpeth0' },
    address: str,
    peer_address: str,
    mtu: str,
    help: { type: 'boolean' },
  },
});
if (f.help) {
  console.log(USAGE);
  process.exit(0);
}

function int(name, required = true) {
  const v = f[name];
  if (v === undefined) {
    if (!required) return undefined;
    console.error(`static-peer: --${name} is required\n${USAGE}`);
    process.exit(2);
  }
  const n = Number(v);
  if (!Number.isInteger(n)) {
    console.error(`static-peer: --${name} must be an integer, got ${v}`);
    process.exit(2);
  }
  return n;
}

const encap = f.encap;
if (encap !== 'udp' && encap !== 'ip') {
  console.error(`static-peer: --encap must be udp or ip, got ${encap}`);
  process.exit(2);
}
if (f.local === undefined || f.remote === undefined) {
  console.error(`static-peer: --local and --remote are required\n${USAGE}`);
  process.exit(2);
}
const v6 = f.remote.includes(':');

let transport;
if (encap === 'udp') {
  // Connected to the peer like the kernel's tunnel socket: the kernel drops other sources, and
  // an unreachable peer (ICMP) shows up as an error.
  transport = await UdpTransport.open({
    address: f.local,
    port: int('udp_sport'),
    connect: { address: f.remote, port: int('udp_dport') },
    onError: (error, ctx) => onTransportError(error, ctx),
  });
} else {
  // raw-socket has no bind(): it receives every protocol-115 packet of this host (or netns); the
  // tunnel host keeps those from `remote`. The source address is the route's.
  const raw = createRequire(import.meta.url)('raw-socket');
  const socket = raw.createSocket({
    protocol: 115,
    addressFamily: v6 ? raw.AddressFamily.IPv6 : raw.AddressFamily.IPv4,
    bufferSize: 65535,
  });
  transport = new IpTransport(socket, {
    family: v6 ? 'IPv6' : 'IPv4',
    onError: (error, ctx) => onTransportError(error, ctx),
  });
}

let session;
function onTransportError(error, ctx) {
  if (ctx.op === 'send') session?.countTxError();
  console.error(`static-peer: ${ctx.op} error: ${error.message}`);
}

const tap = TapDevice.open(f.tap);
const host = new StaticTunnelHost({
  tunnel: {
    tunnel_id: int('tunnel_id'),
    peer_tunnel_id: int('peer_tunnel_id'),
    encap,
    remote: f.remote,
    udp_dport: encap === 'udp' ? int('udp_dport') : undefined,
  },
  transport,
  clock: nodeClock,
  timers: nodeTimers,
  onFrame: (frame) => tap.write(frame),
});
session = host.addSession({
  session_id: int('session_id'),
  peer_session_id: int('peer_session_id'),
  cookie: f.cookie,
  peer_cookie: f.peer_cookie,
  seq: f.seq,
  l2spec_type: f.l2spec_type,
  reorderTimeoutMs: int('reorder_timeout', false),
});
tap.start(
  // The TAP reader leaves headroom before each frame: the header goes there, one array is sent.
  (frame) => host.send(session, frame, { inPlace: true }),
  (error) => console.error(`static-peer: tap read error: ${error.message}`),
);

// `ip` does what ifconfig does in the seed: addresses, MTU, link up.
const ip = (...args) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'inherit'] });
if (f.mtu !== undefined) ip('link', 'set', 'dev', tap.name, 'mtu', String(int('mtu')));
if (f.address !== undefined) {
  const peer = f.peer_address === undefined ? [] : ['peer', f.peer_address];
  ip('addr', 'add', f.address, ...peer, 'dev', tap.name);
}
ip('link', 'set', 'dev', tap.name, 'up');

console.log(
  `ready ${JSON.stringify({ pid: process.pid, tap: tap.name, encap, local: f.local, remote: f.remote, session_id: session.sessionId, peer_session_id: session.peerSessionId })}`,
);

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  const counters = {
    session: toKernelStats(session.stats()),
    tunnel: host.stats(),
    transport: transport.stats(),
    tap: tap.stats(),
  };
  host.close(); // closes the transport too
  tap.close();
  console.log(`counters ${JSON.stringify(counters)}`);
  process.off('SIGTERM', stop);
  process.off('SIGINT', stop);
  // No process.exit(): the process ends when nothing is left open, which proves the cleanup.
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
