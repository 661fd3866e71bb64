/**
 * TunnelEngine, the sans-I/O core of one control connection and its sessions, and its public
 * types. Layout: engine.ts (the control connection), calls.ts (the control side of its calls),
 * data-path.ts (the data plane of every session), messages.ts (message builders), records.ts
 * (what is kept per call), deadlines.ts (the deadline heap), types.ts (outputs, events, counters).
 */
export * from './engine.js';
export * from './types.js';
