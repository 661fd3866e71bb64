// Guide "Tunnel switching" (docs/guides/tunnel-switching.md): an L2TP Tunnel Switching Aggregator
// (draft-ietf-l2tpext-tunnel-switching-08) on one UDP socket. It accepts tunnels and incoming
// calls from LACs as an LNS, routes each call by the realm of the user's name (Proxy Authen Name
// or Called Number, `user@realm`) to an LNS, and re-tunnels it there as a LAC. Calls to the same
// LNS share one tunnel; frames cross without a copy. Unknown realms get CDN 2/10.
import {
  type PeerAddress,
  type SwitchRoute,
  type TunnelOptions,
  TunnelSwitch,
  type TunnelSwitchStats,
} from 'l2tp-core';
import { nodeClock, nodeCrypto, nodeRandomBytes, nodeTimers, UdpTransport } from 'l2tp-core/node';

/** What the TSA needs to know. */
export interface TsaConfig {
  readonly address?: string;
  /** UDP port for the LACs' tunnels (and the source of ours); 0 lets the system choose. */
  readonly port?: number;
  /** Our TSA ID (draft §4): a call that already crossed it is refused (loop, CDN 26). */
  readonly tsaId: string;
  /** Shared secret with the LACs and the LNSs (one for all, to keep the example short). */
  readonly secret: string;
  /** The LNS of each realm, and of calls with no known realm (`'*'`). */
  readonly realms: Readonly<Record<string, PeerAddress>>;
  /** Control channel timers of every tunnel; RFC 2661's defaults when omitted. */
  readonly timers?: Pick<
    TunnelOptions,
    'retransmitTimeoutMs' | 'maxRetransmitTimeoutMs' | 'maxRetransmits'
  >;
  readonly log?: (line: string) => void;
}

/** A running TSA. */
export interface Tsa {
  readonly port: number;
  stats(): TunnelSwitchStats;
  /** StopCCN on every tunnel (First and Second), then the socket. */
  close(): Promise<void>;
}

const realmOf = (name: string | undefined) => name?.split('@')[1]?.toLowerCase();

export async function main(config: TsaConfig): Promise<Tsa> {
  const log = config.log ?? console.log;
  const transport = await UdpTransport.open({
    address: config.address ?? '0.0.0.0',
    port: config.port ?? 1701,
  });
  const common = { hostName: 'tsa.example.net', secret: config.secret, ...config.timers };

  // Asked once per First call, after it is up: where it goes, or a refusal.
  const route: SwitchRoute = (call) => {
    const realm = realmOf(call.proxyAuthenName) ?? realmOf(call.calledNumber) ?? '*';
    const lns = config.realms[realm] ?? config.realms['*'];
    if (lns === undefined) return { refuse: 'unreachable' }; // CDN 2/10
    return { peer: lns, tunnel: { version: 2, ...common } }; // one shared tunnel per LNS
  };

  const tsa = new TunnelSwitch({
    transport,
    clock: nodeClock,
    timers: nodeTimers,
    randomBytes: nodeRandomBytes,
    crypto: nodeCrypto,
    accept: { mode: 'lns', version: 2, ...common }, // First tunnels, from LACs
    route,
    tsaId: config.tsaId,
  });

  tsa.on('switched', (c) => {
    const to = c.destination?.peer;
    log(`call ${c.first.id} switched to ${to?.address}:${to?.port} as call ${c.second?.id}`);
  });
  tsa.on('refused', (_first, codes) =>
    log(`call refused: CDN ${codes.resultCode}/${codes.errorCode ?? 0} ${codes.message ?? ''}`),
  );
  tsa.on('unswitched', ({ call, endedBy, carried }) =>
    log(
      `call ${call.first.id} ended by the ${endedBy} half, the other told ${carried?.resultCode}`,
    ),
  );
  tsa.on('error', (err) => log(`error: ${err.message}`));

  return {
    port: transport.local.port,
    stats: () => tsa.stats(),
    async close() {
      await tsa.close();
      await transport.close();
    },
  };
}
