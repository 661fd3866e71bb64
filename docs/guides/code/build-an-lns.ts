// Guide "Build an LNS" (docs/guides/build-an-lns.md): an L2TPv2 LNS on one UDP socket. It accepts
// tunnels only from LACs it has a secret for (RFC 2661 §5.1.1 challenge both ways), accepts their
// incoming calls up to a global limit (CDN Result 4 beyond it, §4.4.2), and hands each PPP frame
// to a PPP stack — here a stand-in that echoes the frame back.
import {
  describeReason,
  Endpoint,
  type IncomingTunnelInfo,
  type Session,
  type TunnelOptions,
} from 'l2tp-core';
import { nodeClock, nodeCrypto, nodeRandomBytes, nodeTimers, UdpTransport } from 'l2tp-core/node';

/** What the LNS needs to know. */
export interface LnsConfig {
  /** Local address; default all IPv4 addresses. */
  readonly address?: string;
  /** UDP port; an LNS listens on 1701 (RFC 2661 §8.1). 0 lets the system choose. */
  readonly port?: number;
  /** Shared secret per LAC address: tunnels from other addresses are ignored. */
  readonly secrets: Readonly<Record<string, string>>;
  /** Most calls at once over all tunnels (a PPP stack has finite resources). */
  readonly maxCalls: number;
  /** Control channel timers; RFC 2661's defaults when omitted (1 s doubling to 8 s, 5 retries). */
  readonly timers?: Pick<
    TunnelOptions,
    'retransmitTimeoutMs' | 'maxRetransmitTimeoutMs' | 'maxRetransmits'
  >;
  readonly log?: (line: string) => void;
}

/** A running LNS. */
export interface Lns {
  /** The UDP port it listens on. */
  readonly port: number;
  /** Calls up right now. */
  calls(): number;
  /** Sends StopCCN on every tunnel, waits for the post-close holds, closes the socket. */
  close(): Promise<void>;
}

export async function main(config: LnsConfig): Promise<Lns> {
  const log = config.log ?? console.log;
  const transport = await UdpTransport.open({
    address: config.address ?? '0.0.0.0',
    port: config.port ?? 1701,
  });
  let calls = 0;

  // Called for every new SCCRQ; returning undefined drops it without an answer.
  const acceptTunnel = ({ peer }: IncomingTunnelInfo): TunnelOptions | undefined => {
    const secret = config.secrets[peer.address];
    if (secret === undefined) {
      log(`SCCRQ from unknown LAC ${peer.address}:${peer.port} ignored`);
      return undefined;
    }
    return {
      mode: 'lns',
      hostName: 'lns.example.net',
      secret, // authenticates the LAC and lets us hide AVPs
      hiddenFields: ['assignedSessionId'],
      ...config.timers,
      // Every ICRQ of this tunnel comes here first.
      acceptSession: () => (calls < config.maxCalls ? true : { resultCode: 4 }),
    };
  };

  const endpoint = new Endpoint({
    transport,
    clock: nodeClock,
    timers: nodeTimers,
    randomBytes: nodeRandomBytes,
    crypto: nodeCrypto,
    acceptTunnel,
  });

  endpoint.on('tunnel', (tunnel) => {
    tunnel.on('up', (info) => log(`tunnel ${tunnel.id} up: ${info.peerHostName}`));
    tunnel.on('session-up', (session: Session) => {
      calls++;
      log(`call ${session.id} up in tunnel ${tunnel.id}`);
    });
    tunnel.on('session-down', (session, reason) => {
      calls--;
      log(`call ${session.id} down (${describeReason(reason)})`);
    });
    // The PPP stack would take the frame here; the frame is a view into the datagram, so a
    // stack that keeps it must copy it. The stand-in echoes a copy.
    tunnel.on('frame', (session, frame) => session.send(frame.slice()));
    tunnel.on('down', (reason) => log(`tunnel ${tunnel.id} down (${describeReason(reason)})`));
  });

  return {
    port: transport.local.port,
    calls: () => calls,
    async close() {
      await endpoint.close();
      await transport.close();
    },
  };
}
