// Types of testbed.mjs for the TypeScript interop tests (they import it from the repository).
import type { IpTransportStats } from '../../src/node/ip.js';
import type { KernelStats, StaticTunnelStats } from '../../src/static.js';

export interface PeerFlags {
  readonly [flag: string]: string | number | undefined;
}
/** Host parameters as static-peer.mjs flags (the seed's names). */
export type HostParams = {
  readonly tunnel_id: number;
  readonly peer_tunnel_id: number;
  readonly session_id: number;
  readonly peer_session_id: number;
  readonly udp_sport: number;
  readonly udp_dport: number;
  readonly local: string;
  readonly remote: string;
  readonly address: string;
  readonly peer_address: string;
};
export declare const HOST1: HostParams;
export declare const HOST2: HostParams;
export declare const HOST1_V6: HostParams;
export declare const HOST2_V6: HostParams;
export interface Availability {
  readonly available: boolean;
  readonly reason?: string;
  readonly missing?: readonly string[];
}
export declare function testbedAvailability(): Availability;
export interface PingResult {
  readonly code: number | null;
  readonly output: string;
  readonly transmitted: number | undefined;
  readonly received: number | undefined;
  readonly lossPercent: number | undefined;
  readonly rtt: { min: number; avg: number; max: number; mdev: number } | undefined;
}
export declare function counterProblems(a: PeerCounters, b: PeerCounters, pings: number): string[];
export declare function parsePing(output: string): Omit<PingResult, 'code' | 'output'>;
/** What static-peer.mjs prints on SIGTERM. */
export interface PeerCounters {
  readonly session: KernelStats;
  readonly tunnel: StaticTunnelStats;
  /** UdpTransportStats or IpTransportStats (badHeaders only for encap ip). */
  readonly transport: Omit<IpTransportStats, 'badHeaders'> & { readonly badHeaders?: number };
  readonly tap: TapStats;
}
export interface TapStats {
  readonly rxFrames: number;
  readonly rxBytes: number;
  readonly txFrames: number;
  readonly txBytes: number;
  readonly txDropped: number;
  readonly errors: number;
}
export interface StopResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly cleanExit: boolean;
  readonly counters: PeerCounters | undefined;
  readonly stderr: string;
  readonly output: string;
}
export declare class Peer {
  info: Record<string, unknown> | undefined;
  readonly output: string;
  stop(timeoutMs?: number): Promise<StopResult>;
  kill(): void;
}
export declare class Testbed {
  readonly a: string;
  readonly b: string;
  static create(): Testbed;
  startPeer(ns: string, flags: PeerFlags): Promise<Peer>;
  ping(ns: string, target: string, count?: number): Promise<PingResult>;
  destroy(): void;
}
