// Managed tunnels at ISP scale (issue #13). Long-running, so not a *.bench.mjs (bench/run.mjs
// does not pick it up). Run after a build: `npm run bench:managed`, or
//   npx tsc -p tsconfig.build.json && node bench/managed-scale.mjs
// Each case runs in its own node process (fresh heap; the scale case with --expose-gc and a
// large heap), from bench/managed/:
//   perpacket  receive + send of one data frame on a managed L2TPv2 session with 1 … 65,535
//              sessions in the tunnel, in memory; ns/op and ratio to the 1-session figure
//   scale      100,000 tunnels × 10 sessions in one process: setup rate, LNS heap per tunnel and
//              per session, CPU of one idle second of timer work
//   echo       managed L2TPv2 echo vs raw node:dgram echo over loopback UDP, 64 B and 1400 B
//   setup      LNS CPU (child process) to set up 400 tunnels × 25 sessions over loopback UDP, cold
//              (a fresh LNS) and warm (an LNS that has set up the same load once already)
// Env: ONLY=perpacket,scale,echo,setup (default all, in that order); each case's own variables
// are listed at the top of its file (SIZES, N_TUNNELS, N_SESSIONS, ROUNDS, SETUP_ROUNDS, …);
// SCALE_HEAP_MB (default 12288) sizes the scale case's heap.
// Everything uses the package entry points only (dist/index.js, dist/node/index.js,
// dist/testing/index.js). Figures are ratios against baselines measured in the same run.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { envList, envNumber } from './managed/common.mjs';

const CASES = ['perpacket', 'scale', 'echo', 'setup'];
const only = envList('ONLY', CASES.join(','));
for (const name of only) {
  if (!CASES.includes(name)) throw new Error(`ONLY: unknown case ${name} (${CASES.join(', ')})`);
}
const heapMb = envNumber('SCALE_HEAP_MB', 12_288);

console.log(
  `managed-scale: node ${process.version}, ${process.platform}/${process.arch}, cases: ${only.join(', ')}`,
);
let failed = false;
for (const name of CASES.filter((c) => only.includes(c))) {
  const file = fileURLToPath(new URL(`./managed/${name}.mjs`, import.meta.url));
  const flags = ['--expose-gc'];
  if (name === 'scale') flags.push(`--max-old-space-size=${heapMb}`);
  console.log(`\n=== ${name}`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [...flags, file], { stdio: 'inherit', env: process.env });
  console.log(`(${name}: ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
  if (r.status !== 0) {
    failed = true;
    console.log(`${name} failed (exit ${r.status ?? r.signal})`);
  }
}
if (failed) process.exitCode = 1;
