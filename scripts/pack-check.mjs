#!/usr/bin/env node
// Install-size check: packs l2tp-core, installs the tarball with --omit=dev into an empty temp
// project (as a user would), then loads every `exports` subpath with import and require and runs
// the bin. Prints packed size, unpacked size, node_modules size and package count (the numbers in
// docs/performance.md "Package"). Needs the npm registry or a warm npm cache for the runtime deps.
// Usage: node scripts/pack-check.mjs [--no-build] [--json]
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = new Set(process.argv.slice(2));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const run = (cmd, argv, cwd) =>
  execFileSync(cmd, argv, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

if (!args.has('--no-build')) run('npm', ['run', 'build', '--silent'], root);

const tmp = mkdtempSync(join(tmpdir(), 'l2tp-pack-'));
try {
  const [packed] = JSON.parse(run('npm', ['pack', '--json', '--pack-destination', tmp], root));
  const project = join(tmp, 'consumer');
  run('mkdir', ['-p', project]);
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', version: '0.0.0', private: true, type: 'module' }),
  );
  const t0 = performance.now();
  run(
    'npm',
    ['install', '--omit=dev', '--no-audit', '--no-fund', join(tmp, packed.filename)],
    project,
  );
  const installMs = performance.now() - t0;

  // Every directory holding a package.json under node_modules is one installed package.
  const packages = [];
  let bytes = 0;
  const walk = (dir, inModules) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (inModules && !e.name.startsWith('@') && !e.name.startsWith('.')) packages.push(p);
        walk(p, e.name === 'node_modules' || (inModules && e.name.startsWith('@')));
      } else bytes += lstatSync(p).size;
    }
  };
  walk(join(project, 'node_modules'), true);
  const names = packages.map((p) => p.slice(p.lastIndexOf('node_modules/') + 13)).sort();

  // Load each subpath both ways. `arbitraries` needs its optional peer fast-check and `metrics`
  // prom-client, which a user of that subpath installs; add them now that the sizes above are
  // measured without them.
  const peers = Object.entries(pkg.peerDependencies).map(([name, range]) => `${name}@${range}`);
  run('npm', ['install', '--no-audit', '--no-fund', ...peers], project);
  const loads = {};
  for (const sub of Object.keys(pkg.exports)) {
    if (sub === './package.json') continue;
    const spec = sub === '.' ? pkg.name : `${pkg.name}/${sub.slice(2)}`;
    const result = {};
    for (const [how, code] of [
      ['import', `const m = await import('${spec}'); console.log(Object.keys(m).length)`],
      ['require', `console.log(Object.keys(require('${spec}')).length)`],
    ]) {
      try {
        const input = how === 'import' ? ['--input-type=module'] : [];
        result[how] = `${run(process.execPath, [...input, '-e', code], project).trim()} exports`;
      } catch (err) {
        result[how] = `fails: ${String(err.stderr).match(/(Error \[\w+\]|Error): [^\n]*/)?.[0]}`;
      }
    }
    loads[spec] = result;
  }
  const help = run(join(project, 'node_modules/.bin/l2tp-core'), ['--help'], project);

  const report = {
    node: process.version,
    tarball: packed.filename,
    packedBytes: packed.size,
    unpackedBytes: packed.unpackedSize,
    files: packed.entryCount,
    installMs: Math.round(installMs),
    nodeModulesBytes: bytes,
    packageCount: names.length,
    packages: names,
    loads,
    bin: help.startsWith('Usage: l2tp-core') ? 'ok' : 'unexpected output',
  };
  if (args.has('--json')) console.log(JSON.stringify(report, null, 2));
  else {
    const kB = (n) => `${(n / 1000).toFixed(1)} kB`;
    console.log(`${report.tarball} on Node ${report.node}`);
    console.log(`  packed ${kB(report.packedBytes)}, unpacked ${kB(report.unpackedBytes)}`);
    console.log(`  ${report.files} files in the tarball`);
    console.log(`  npm install --omit=dev: ${report.installMs} ms`);
    console.log(`  node_modules ${kB(bytes)}, ${names.length} packages: ${names.join(', ')}`);
    for (const [spec, r] of Object.entries(loads))
      console.log(`  ${spec}: import ${r.import}; require ${r.require}`);
    console.log(`  bin l2tp-core --help: ${report.bin}`);
    console.log(`  (loads checked after \`npm install ${peers.join(' ')}\`, the optional peers)`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
