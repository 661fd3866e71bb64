// l2tp-core example: an LNS whose PPP logins are checked by a RADIUS server (issue #16).
//
// PppServer asks the host's async `verify(request)` about every login; here that question becomes
// one RADIUS Access-Request (RFC 2865) through the npm package "radius" (node-radius: encoding,
// decoding and authenticators; the UDP round trip, retransmission and timeout are below):
//
// - PAP:       User-Name + User-Password (RFC 2865 §5.2).
// - CHAP-MD5:  User-Name + CHAP-Password (Identifier ‖ Response, §5.3) + CHAP-Challenge (§5.40);
//              the server computes MD5 itself, the password never reaches this process.
// - MS-CHAPv2: User-Name + the Microsoft vendor attributes MS-CHAP-Challenge and
//              MS-CHAP2-Response (RFC 2548 §2.3.2); the Access-Accept's MS-CHAP2-Success carries
//              the "S=…" authenticator response the client checks (RFC 2759 §5). The package
//              ships RFC dictionaries only: examples/radius/dictionary.microsoft adds these.
//
// Access-Accept → { ok: true }, Access-Reject → { ok: false } with the Reply-Message (§5.18) as
// the PAP Nak / CHAP Failure text. No answer after the retries: `verify` rejects, PppServer
// emits 'error' with the reason and refuses the login ("authentication unavailable").
// Every request carries a Message-Authenticator (RFC 3579 §3.2), and every reply is checked
// against the shared secret (Response Authenticator, and Message-Authenticator when present).
//
// Run (from a checkout: npm run build first):
//   RADIUS_SERVER=127.0.0.1 RADIUS_PORT=1812 RADIUS_SECRET=testing123 node examples/radius-lns.mjs
// Environment: L2TP_ADDRESS (0.0.0.0), L2TP_PORT (1701), L2TP_SECRET (tunnel secret, none by
// default), POOL (10.77.0.0/24), RADIUS_NAS_ID (l2tp-core). Without an IP port the sessions'
// packets are only routed between sessions: give PppServer a TUN device (`port`, see
// examples/linux-host/tun.mjs and `l2tp-core lns --ppp`) to reach a real network.

import { createHash, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import radius from 'radius';

radius.add_dictionary(fileURLToPath(new URL('./radius/dictionary.microsoft', import.meta.url)));

/**
 * @typedef {object} RadiusOptions
 * @property {string} secret the RADIUS shared secret
 * @property {string} [server] address of the RADIUS server (default 127.0.0.1)
 * @property {number} [port] its authentication port (default 1812)
 * @property {string} [nasIdentifier] NAS-Identifier (default "l2tp-core")
 * @property {number} [timeoutMs] wait per transmission (default 2000)
 * @property {number} [retries] retransmissions after the first (default 2)
 */

/**
 * A `verify` for PppServer/PppSession that asks a RADIUS server. Call `close()` on the result
 * when done: it holds one UDP socket.
 * @param {RadiusOptions} options
 */
export function radiusVerify(options) {
  const server = options.server ?? '127.0.0.1';
  const port = options.port ?? 1812;
  const timeoutMs = options.timeoutMs ?? 2000;
  const retries = options.retries ?? 2;
  const socket = dgram.createSocket(server.includes(':') ? 'udp6' : 'udp4');
  socket.unref(); // a pending login keeps its own timer; an idle verifier keeps nothing alive
  /** @type {Map<number, (reply: Buffer) => void>} identifier → waiter */
  const pending = new Map();
  let nextId = randomBytes(1)[0] ?? 0;

  socket.on('message', (reply) => {
    if (reply.length >= 20) pending.get(reply[1] ?? -1)?.(reply);
  });
  socket.on('error', () => {}); // an ICMP error just means no answer: the timeout decides

  /**
   * The Response Authenticator, MD5(Code ‖ Identifier ‖ Length ‖ Request Authenticator ‖
   * Attributes ‖ Secret) (RFC 2865 §3), and the reply's Message-Authenticator when it has one.
   * (The package's verify_response also demands a Message-Authenticator in every reply to a
   * request that had one, which servers before the BlastRADIUS fixes, freeradius 3.2.1 among
   * them, do not send.)
   * @param {Buffer} reply
   * @param {Buffer} request
   */
  function authentic(reply, request) {
    const length = reply.readUInt16BE(2);
    if (length < 20 || length > reply.length) return false;
    const md5 = createHash('md5')
      .update(reply.subarray(0, 4))
      .update(request.subarray(4, 20))
      .update(reply.subarray(20, length))
      .update(options.secret)
      .digest();
    if (!md5.equals(reply.subarray(4, 20))) return false;
    for (let at = 20; at + 2 <= length; at += reply[at + 1] || length) {
      if (reply[at] === 80) {
        try {
          return radius.verify_response({
            request,
            response: Buffer.from(reply.subarray(0, length)),
            secret: options.secret,
          });
        } catch {
          return false;
        }
      }
    }
    return true;
  }

  /** One Access-Request, retransmitted unchanged (RFC 5080 §2.2.1) until answered. */
  function exchange(attributes) {
    let identifier = -1;
    for (let i = 0; i < 256 && identifier < 0; i++) {
      const id = (nextId + i) & 0xff;
      if (!pending.has(id)) identifier = id;
    }
    if (identifier < 0) return Promise.reject(new Error('256 RADIUS requests outstanding'));
    nextId = (identifier + 1) & 0xff;
    const request = radius.encode({
      code: 'Access-Request',
      secret: options.secret,
      identifier,
      attributes,
      add_message_authenticator: true,
    });
    return new Promise((resolve, reject) => {
      let sent = 0;
      let timer;
      const send = () => {
        if (sent++ > retries) {
          pending.delete(identifier);
          reject(new Error(`no answer from RADIUS server ${server}:${port}`));
          return;
        }
        socket.send(request, port, server);
        timer = setTimeout(send, timeoutMs);
      };
      pending.set(identifier, (reply) => {
        // A reply that does not check out against the secret is dropped, not believed.
        if (!authentic(reply, request)) return;
        clearTimeout(timer);
        pending.delete(identifier);
        resolve(radius.decode({ packet: reply, secret: options.secret }));
      });
      send();
    });
  }

  /**
   * @param {import('l2tp-core/ppp').VerifyRequest} request
   * @returns {Promise<import('l2tp-core/ppp').VerifyDecision
   *   | import('l2tp-core/ppp').MsChapV2VerifyResult>}
   */
  async function verify(request) {
    const attributes = [
      ['User-Name', Buffer.from(request.peerNameBytes)],
      ['NAS-Identifier', options.nasIdentifier ?? 'l2tp-core'],
      ['Service-Type', 'Framed-User'],
      ['Framed-Protocol', 'PPP'],
      ['NAS-Port-Type', 'Virtual'],
    ];
    switch (request.method) {
      case 'pap':
        // The package encrypts the text itself; RADIUS needs 1 to 128 octets.
        if (request.password === '') return { ok: false, message: 'empty password' };
        attributes.push(['User-Password', request.password]);
        break;
      case 'chap-md5':
        attributes.push(
          ['CHAP-Password', Buffer.from([request.identifier, ...request.response])],
          ['CHAP-Challenge', Buffer.from(request.challenge)],
        );
        break;
      case 'mschapv2': {
        // Ident, Flags, Peer-Challenge (16), Reserved (8), Response (24): RFC 2548 §2.3.2.
        const response = Buffer.alloc(50);
        response.set(request.peerChallenge, 2);
        response.set(request.ntResponse, 26);
        attributes.push([
          'Vendor-Specific',
          'Microsoft',
          [
            ['MS-CHAP-Challenge', Buffer.from(request.authenticatorChallenge)],
            ['MS-CHAP2-Response', response],
          ],
        ]);
        break;
      }
    }
    const reply = await exchange(attributes);
    const text = reply.attributes['Reply-Message'];
    const message = Array.isArray(text) ? text.join('\n') : text;
    const withMessage = message === undefined ? {} : { message };
    const ms = reply.attributes['Vendor-Specific'] ?? {};
    if (reply.code === 'Access-Accept') {
      if (request.method !== 'mschapv2') return { ok: true, ...withMessage };
      // MS-CHAP2-Success: Ident, then "S=" and 40 hex digits (RFC 2548 §2.3.3).
      const success = ms['MS-CHAP2-Success'];
      const s = Buffer.isBuffer(success)
        ? /S=[0-9A-Fa-f]{40}/.exec(success.toString('latin1'))
        : null;
      if (s === null) return { ok: false, message: 'RADIUS accepted without MS-CHAP2-Success' };
      return { ok: true, authenticatorResponse: s[0].toUpperCase(), ...withMessage };
    }
    if (request.method === 'mschapv2') {
      // MS-CHAP-Error: Ident, then "E=691 R=0 …" (RFC 2548 §2.1.5): keep the error code.
      const e = /E=(\d+)/.exec(String(ms['MS-CHAP-Error'] ?? ''));
      return { ok: false, ...withMessage, ...(e === null ? {} : { error: Number(e[1]) }) };
    }
    return { ok: false, ...withMessage };
  }

  return { verify, close: () => socket.close() };
}

/**
 * The LNS: an Endpoint on UDP that accepts L2TPv2 tunnels, and a PppServer that runs PPP on
 * every call, authenticating through `radiusVerify`.
 * @param {{ address?: string, port?: number, secret?: string, pool?: string,
 *   radius: RadiusOptions }} options
 */
export async function startRadiusLns(options) {
  const { Endpoint } = await import('l2tp-core');
  const { PppServer } = await import('l2tp-core/ppp');
  const node = await import('l2tp-core/node');
  const io = {
    clock: node.nodeClock,
    timers: node.nodeTimers,
    randomBytes: node.nodeRandomBytes,
  };
  const transport = await node.UdpTransport.open({
    address: options.address ?? '0.0.0.0',
    port: options.port ?? 1701,
  });
  const endpoint = new Endpoint({
    ...io,
    crypto: node.nodeCrypto,
    transport,
    acceptTunnel: {
      version: 2,
      mode: 'lns',
      hostName: 'lns.radius.example',
      ...(options.secret === undefined ? {} : { secret: options.secret }),
    },
  });
  const auth = radiusVerify(options.radius);
  const server = new PppServer({
    ...io,
    crypto: node.nodePppAuthCrypto,
    pool: options.pool ?? '10.77.0.0/24',
    authenticate: ['mschapv2', 'chap-md5', 'pap'],
    verify: auth.verify,
  });
  server.serve(endpoint);
  return {
    endpoint,
    server,
    transport,
    async close() {
      server.close();
      endpoint.destroy();
      auth.close();
      await transport.close();
    },
  };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const env = process.env;
  const lns = await startRadiusLns({
    address: env.L2TP_ADDRESS ?? '0.0.0.0',
    port: Number(env.L2TP_PORT ?? 1701),
    ...(env.L2TP_SECRET === undefined ? {} : { secret: env.L2TP_SECRET }),
    pool: env.POOL ?? '10.77.0.0/24',
    radius: {
      server: env.RADIUS_SERVER ?? '127.0.0.1',
      port: Number(env.RADIUS_PORT ?? 1812),
      secret: env.RADIUS_SECRET ?? 'testing123',
      nasIdentifier: env.RADIUS_NAS_ID ?? 'l2tp-core',
    },
  });
  lns.endpoint.on('error', (err) => console.error('LNS host fault:', err));
  lns.server.on('error', (err) => console.error('PPP host fault:', err));
  lns.server.on('auth', (_ppp, ok, message, name) =>
    console.log(
      `login ${name ?? '?'}: ${ok ? 'accepted' : 'refused'}${message ? ` (${message})` : ''}`,
    ),
  );
  lns.server.on('up', (_ppp, info) =>
    console.log(`${info.peerName} up as ${info.ipcp.peerAddress}`),
  );
  lns.server.on('down', (_ppp, reason) =>
    console.log(`session down: ${reason.message ?? reason.code}`),
  );
  const { address, port } = lns.transport.local;
  console.log(`LNS on UDP ${address}:${port}, RADIUS at ${env.RADIUS_SERVER ?? '127.0.0.1'}`);
  process.once('SIGINT', () => lns.close());
  process.once('SIGTERM', () => lns.close());
}
