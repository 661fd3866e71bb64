// @ts-check
import { Endpoint } from 'l2tp-core';
import { nodeClock, nodeCrypto, nodeRandomBytes, nodeTimers, UdpTransport } from 'l2tp-core/node';

const io = {
  clock: nodeClock,
  timers: nodeTimers,
  randomBytes: nodeRandomBytes,
  crypto: nodeCrypto,
};

// LNS on 127.0.0.1 (port 0: any free port; 1701 in production): takes tunnels with the shared
// secret and echoes every PPP frame.
const lnsSocket = await UdpTransport.open({ address: '127.0.0.1' });
const lns = new Endpoint({
  ...io,
  transport: lnsSocket,
  acceptTunnel: { mode: 'lns', hostName: 'lns.example.net', secret: 's3cret' },
});
lns.on('error', (err) => console.error('LNS host fault:', err)); // unheard errors are thrown
lns.on('tunnel', (tunnel) => tunnel.on('frame', (session, frame) => session.send(frame.slice())));

// LAC: a tunnel and an incoming call, then one PPP frame.
const lacSocket = await UdpTransport.open({ address: '127.0.0.1' });
const lac = new Endpoint({ ...io, transport: lacSocket });
lac.on('error', (err) => console.error('LAC host fault:', err));
const tunnel = await lac.connect(lnsSocket.local, {
  mode: 'lac',
  hostName: 'lac.example.net',
  secret: 's3cret',
  hiddenFields: ['assignedSessionId'],
});
tunnel.on('down', (reason) => console.log('tunnel down:', reason)); // { by: 'local', resultCode: 1 }
const session = await tunnel.openSession({ sendSequenceNumbers: true });

const lcpConfigureRequest = Uint8Array.of(0xc0, 0x21, 0x01, 0x01, 0x00, 0x04); // FF 03 is added
const echo = new Promise((resolve) => session.once('frame', resolve));
session.send(lcpConfigureRequest); // [header, frame] scatter/gather: the frame is not copied
console.log('echoed:', await echo);

// StopCCN; resolves once the LNS acknowledged it: 'acknowledged'. The LNS, as the receiver,
// holds its side for a full retransmission cycle (31 s, RFC 2661 §5.7) in case its ack was
// lost; destroy() ends that at once. The sockets are ours to close.
console.log('close:', await tunnel.close());
lac.destroy();
lns.destroy();
lacSocket.close();
lnsSocket.close();
