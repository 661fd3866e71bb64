/**
 * Pseudowire framing codecs: pure functions from an L2TP data payload (after session header and
 * L2-Specific Sublayer) to a view object, and back to scatter/gather chunks. One module per family:
 * PPP (RFC 2661, PW 7), Ethernet/Ethernet-VLAN (RFC 4719), IP (PW 11), HDLC (RFC 4349),
 * Frame Relay (RFC 4591), ATM (RFC 4454), plus the PW-type table. See docs/pseudowires.md.
 */

export * from './atm.js';
export * from './ethernet.js';
export * from './frame-relay.js';
export * from './framer.js';
export * from './hdlc.js';
export * from './ip.js';
export * from './ppp.js';
export * from './types.js';
