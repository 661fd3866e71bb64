// Guide "Build a LAC" (docs/guides/build-a-lac.md): an L2TPv2 LAC that dials one LNS, opens an
// incoming call (ICRQ/ICRP/ICCN, RFC 2661 §5.4) with sequenced data, sends PPP frames, counts
// what comes back, then closes the call (CDN) and the tunnel (StopCCN, §5.7). Connecting is
// bounded by an AbortSignal; failures arrive as TunnelDownError with the peer's Result Code.
import { Endpoint, type PeerAddress, type TunnelOptions } from 'l2tp-core';
import { nodeClock, nodeCrypto, nodeRandomBytes, nodeTimers, UdpTransport } from 'l2tp-core/node';

/** What the LAC needs to know. */
export interface LacConfig {
  readonly lns: PeerAddress;
  readonly secret: string;
  /** PPP frames to send on the call. */
  readonly frames: number;
  /** Give up connecting after this long, ms. */
  readonly connectTimeoutMs: number;
  readonly timers?: Pick<
    TunnelOptions,
    'retransmitTimeoutMs' | 'maxRetransmitTimeoutMs' | 'maxRetransmits'
  >;
}

/** What happened. */
export interface LacResult {
  readonly tunnelId: number;
  readonly peerTunnelId: number;
  /** True when the LNS proved it knows the secret (its Challenge Response was right). */
  readonly peerAuthenticated: boolean;
  readonly sessionId: number;
  readonly peerSessionId: number;
  /** Frames the LNS sent back on the call. */
  readonly framesReceived: number;
  /** Result Code of our StopCCN (1: general request to clear the tunnel). */
  readonly stopResultCode: number | undefined;
}

// An LCP Echo-Request (RFC 1661 §5.8) with address/control field; id = n.
function lcpEchoRequest(n: number): Uint8Array {
  return Uint8Array.of(0xff, 0x03, 0xc0, 0x21, 0x09, n & 0xff, 0x00, 0x08, 0, 0, 0, 0);
}

export async function main(config: LacConfig): Promise<LacResult> {
  const transport = await UdpTransport.open({ address: '0.0.0.0' }); // any free port
  const endpoint = new Endpoint({
    transport,
    clock: nodeClock,
    timers: nodeTimers,
    randomBytes: nodeRandomBytes,
    crypto: nodeCrypto,
    // No acceptTunnel: this endpoint only dials out.
  });
  try {
    const tunnel = await endpoint.connect(
      config.lns,
      {
        mode: 'lac',
        hostName: 'lac.example.net',
        secret: config.secret,
        hiddenFields: ['assignedTunnelId', 'assignedSessionId'],
        ...config.timers,
      },
      { signal: AbortSignal.timeout(config.connectTimeoutMs) },
    );

    // RECVSEQ on our side: the Sequencing Required AVP makes the LNS number its frames too.
    const session = await tunnel.openSession({
      sendSequenceNumbers: true,
      requireSequenceNumbers: true,
    });

    let framesReceived = 0;
    const allBack = new Promise<void>((resolve) => {
      session.on('frame', () => {
        if (++framesReceived === config.frames) resolve();
      });
    });
    for (let n = 0; n < config.frames; n++) session.send(lcpEchoRequest(n));
    await allBack;

    const callDown = new Promise((resolve) => session.once('down', resolve));
    session.close(); // CDN, Result 3 (administrative)
    await callDown;
    await tunnel.close(); // StopCCN; resolves once the LNS acknowledged it

    return {
      tunnelId: tunnel.id,
      peerTunnelId: tunnel.peerId,
      peerAuthenticated: tunnel.info?.peerAuthenticated ?? false,
      sessionId: session.id,
      peerSessionId: session.peerId,
      framesReceived,
      stopResultCode: tunnel.downReason?.resultCode,
    };
  } finally {
    endpoint.destroy();
    await transport.close();
  }
}
