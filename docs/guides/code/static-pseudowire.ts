// Guide "A static L2TPv3 pseudowire" (docs/guides/static-pseudowire.md): the `ip l2tp` example of
// the kernel documentation (Host 1 / Host 2) in user space, with cookies (RFC 3931 §4.1) and data
// sequencing (`seq both`, the Default L2-Specific Sublayer of §4.6). No control connection: both
// ends are configured by hand. Host 2 reflects every Ethernet frame (MAC addresses swapped);
// Host 1 sends frames and counts the replies. Counters carry the kernel's names.
import { decodeEthernet, type KernelStats, StaticTunnelHost, toKernelStats } from 'l2tp-core';
import { nodeClock, nodeTimers, UdpTransport } from 'l2tp-core/node';

export interface PseudowireConfig {
  /** Host 1 and Host 2 addresses (192.168.1.1 / .2 in the kernel doc; 127.0.0.1 for both here). */
  readonly host1: string;
  readonly host2: string;
  /** udp_sport of each host (5000 and 5001 in the kernel doc; 0 = let the system choose). */
  readonly port1: number;
  readonly port2: number;
  /** Ethernet frames Host 1 sends. */
  readonly frames: number;
}

export interface PseudowireResult {
  /** Frames that came back to Host 1. */
  readonly replies: number;
  readonly host1: KernelStats;
  readonly host2: KernelStats;
}

const BROADCAST = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff);
const HOST1_MAC = Uint8Array.of(0x02, 0, 0, 0, 0, 0x01);

// A 60-octet Ethernet frame (EtherType 0x88b5, local experimental) with `n` in its payload.
function testFrame(n: number): Uint8Array {
  const frame = new Uint8Array(60);
  frame.set(BROADCAST, 0);
  frame.set(HOST1_MAC, 6);
  frame.set([0x88, 0xb5, n >> 8, n & 0xff], 12);
  return frame;
}

export async function main(config: PseudowireConfig): Promise<PseudowireResult> {
  // `local ADDR udp_sport PORT`: bind the sockets first, so each side knows the other's port.
  const t1 = await UdpTransport.open({ address: config.host1, port: config.port1 });
  const t2 = await UdpTransport.open({ address: config.host2, port: config.port2 });

  let replies = 0;
  let allBack: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    allBack = resolve;
  });

  // Host 1: ip l2tp add tunnel tunnel_id 42 peer_tunnel_id 45 encap udp local HOST1 remote HOST2 \
  //           udp_sport PORT1 udp_dport PORT2
  const host1 = new StaticTunnelHost({
    tunnel: {
      tunnel_id: 42,
      peer_tunnel_id: 45,
      encap: 'udp',
      remote: config.host2,
      udp_dport: t2.local.port,
    },
    transport: t1,
    clock: nodeClock,
    timers: nodeTimers,
    onFrame: () => {
      if (++replies === config.frames) allBack();
    },
  });
  // Host 1: ip l2tp add session tunnel_id 42 session_id 128 peer_session_id 5196755 \
  //           cookie 0102030405060708 peer_cookie 1112131415161718 seq both
  const s1 = host1.addSession({
    session_id: 128,
    peer_session_id: 5196755,
    cookie: '0102030405060708',
    peer_cookie: '1112131415161718',
    seq: 'both',
  });

  // Host 2: the mirror image — ids, ports and cookies swapped.
  const host2: StaticTunnelHost = new StaticTunnelHost({
    tunnel: {
      tunnel_id: 45,
      peer_tunnel_id: 42,
      encap: 'udp',
      remote: config.host1,
      udp_dport: t1.local.port,
    },
    transport: t2,
    clock: nodeClock,
    timers: nodeTimers,
    onFrame: (frame, session) => {
      // The frame is a view into the datagram: reply with a copy, addresses swapped.
      const eth = decodeEthernet(frame);
      const reply = frame.slice();
      reply.set(eth.source, 0);
      reply.set(Uint8Array.of(0x02, 0, 0, 0, 0, 0x02), 6);
      host2.send(session, reply);
    },
  });
  host2.addSession({
    session_id: 5196755,
    peer_session_id: 128,
    cookie: '1112131415161718',
    peer_cookie: '0102030405060708',
    seq: 'both',
  });

  try {
    for (let n = 0; n < config.frames; n++) host1.send(s1, testFrame(n));
    await done;
    const s2 = host2.session(5196755);
    if (s2 === undefined) throw new Error('Host 2 lost its session');
    return { replies, host1: toKernelStats(s1.stats()), host2: toKernelStats(s2.stats()) };
  } finally {
    host1.close(); // also closes the transports
    host2.close();
  }
}
