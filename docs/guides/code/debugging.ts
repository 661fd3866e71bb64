// Guide "Debugging with DEBUG=l2tp:* and l2tp-core decode" (docs/guides/debugging.md). A LAC
// whose secret differs from the LNS's: the tunnel never comes up (RFC 2661 §5.1.1 challenge
// fails). The program turns on the library's debug namespaces (as DEBUG=l2tp:* would) and keeps
// their lines, records every datagram as hex like a capture, and decodes the capture with the
// library — the same bytes `l2tp-core decode --secret … -` reads.
import { format } from 'node:util';
import createDebug from 'debug';
import {
  type DatagramTransport,
  decodeControl,
  describeControlMessage,
  Endpoint,
  TunnelDownError,
} from 'l2tp-core';
import { nodeClock, nodeCrypto, nodeRandomBytes, nodeTimers, UdpTransport } from 'l2tp-core/node';

export interface DebugSessionResult {
  /** Why connect() failed: the Result Code the tunnel went down with. */
  readonly failure: { readonly by: string; readonly resultCode: number | undefined } | undefined;
  /** Lines the l2tp:* namespaces wrote. */
  readonly debugLines: readonly string[];
  /** Every datagram the LAC sent or received, as hex, in order (one per line for `decode -`). */
  readonly capture: readonly string[];
  /** One summary per captured datagram, from the library's own decoder. */
  readonly summaries: readonly string[];
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

/** Wraps a transport so every datagram, both ways, is recorded as hex. */
function recording(transport: DatagramTransport, capture: string[]): DatagramTransport {
  return {
    send(data, peer) {
      capture.push(data instanceof Uint8Array ? hex(data) : data.map(hex).join(''));
      transport.send(data, peer);
    },
    onDatagram: (handler) =>
      transport.onDatagram((bytes, from) => {
        capture.push(hex(bytes));
        handler(bytes, from);
      }),
    close: () => transport.close(),
  };
}

export async function main(lnsSecret: string, lacSecret: string): Promise<DebugSessionResult> {
  // DEBUG=l2tp:* does this at start-up; at run time it is createDebug.enable.
  const debugLines: string[] = [];
  const before = createDebug.disable();
  const writeLine = createDebug.log;
  createDebug.enable('l2tp:*');
  createDebug.log = (...args: unknown[]) => debugLines.push(format(...args));

  const capture: string[] = [];
  const io = {
    clock: nodeClock,
    timers: nodeTimers,
    randomBytes: nodeRandomBytes,
    crypto: nodeCrypto,
  };
  // Short control-channel timers so the failed tunnel's post-close hold ends quickly.
  const timers = { retransmitTimeoutMs: 50, maxRetransmitTimeoutMs: 1000, maxRetransmits: 1 };
  const lnsSocket = await UdpTransport.open({ address: '127.0.0.1' });
  const lacSocket = await UdpTransport.open({ address: '127.0.0.1' });
  const lns = new Endpoint({
    ...io,
    transport: lnsSocket,
    acceptTunnel: { mode: 'lns', hostName: 'lns.debug', secret: lnsSecret, ...timers },
  });
  const lac = new Endpoint({ ...io, transport: recording(lacSocket, capture) });

  let failure: DebugSessionResult['failure'];
  try {
    const tunnel = await lac.connect(
      { address: '127.0.0.1', port: lnsSocket.local.port },
      { mode: 'lac', hostName: 'lac.debug', secret: lacSecret, ...timers },
    );
    await tunnel.close();
  } catch (err) {
    if (!(err instanceof TunnelDownError)) throw err;
    failure = { by: err.reason.by, resultCode: err.reason.resultCode };
    // Let the LNS see the StopCCN before the sockets go.
    await new Promise((resolve) => setTimeout(resolve, 20));
  } finally {
    lac.destroy();
    lns.destroy();
    await Promise.all([lacSocket.close(), lnsSocket.close()]);
    createDebug.log = writeLine;
    createDebug.enable(before);
  }

  const summaries = capture.map((line) =>
    describeControlMessage(decodeControl(Uint8Array.from(Buffer.from(line, 'hex')))),
  );
  return { failure, debugLines, capture, summaries };
}
