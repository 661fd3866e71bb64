/**
 * The published package as users get it: `npm pack` makes the real tarball, which is unpacked into
 * a temp project's node_modules (runtime dependencies linked from ours, so no registry is needed).
 * Checks the packed file list, package.json fields, that every `exports` subpath resolves by name
 * with import and require and carries types a NodeNext TypeScript consumer can use, and which
 * entries may reach Node built-ins. Not here: install size (scripts/pack-check.mjs), publint/attw
 * (`npm run check:package`).
 */
import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, ROOT } from './dist.js';

const run = promisify(execFile);

interface PackageJson {
  name: string;
  version: string;
  repository?: { type: string; url: string };
  homepage?: string;
  bugs?: { url: string };
  type?: string;
  sideEffects?: boolean;
  engines?: { node?: string };
  files?: string[];
  bin?: Record<string, string>;
  scripts?: Record<string, string>;
  exports: Record<string, string | Record<string, string>>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
/** `exports` subpaths that are modules (not ./package.json), as import specifiers. */
const specs = Object.keys(pkg.exports)
  .filter((k) => k !== './package.json')
  .map((k) => (k === '.' ? pkg.name : `${pkg.name}/${k.slice(2)}`));

let tmp = '';
let project = ''; // the consumer project
let installed = ''; // node_modules/l2tp-core inside it
let packed: string[] = []; // paths in the tarball

beforeAll(async () => {
  await ensureBuilt();
  tmp = mkdtempSync(join(tmpdir(), 'l2tp-package-'));
  const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', tmp], { cwd: ROOT });
  const [info] = JSON.parse(stdout) as [{ filename: string; files: { path: string }[] }];
  packed = info.files.map((f) => f.path).sort();

  project = join(tmp, 'consumer');
  const modules = join(project, 'node_modules');
  mkdirSync(modules, { recursive: true });
  await run('tar', ['-xzf', join(tmp, info.filename), '-C', modules]);
  installed = join(modules, pkg.name);
  renameSync(join(modules, 'package'), installed);
  // Runtime dependencies, the peer and Node's types, linked from this repository's install.
  const linked = [
    ...Object.keys(pkg.dependencies ?? {}),
    ...Object.keys(pkg.peerDependencies ?? {}),
    '@types/node',
  ];
  for (const name of linked) {
    mkdirSync(dirname(join(modules, name)), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules', name), join(modules, name), 'dir');
  }
  writeFileSync(
    join(project, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }),
  );
}, 120_000);

afterAll(() => {
  if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

/**
 * Relative link targets in a Markdown file of the unpacked package, resolved against its root;
 * an anchor stays attached (`CHANGELOG.md#known-gaps`).
 */
function relativeLinks(file: string): string[] {
  const text = readFileSync(join(installed, file), 'utf8');
  return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1] as string)
    .filter((target) => !target.startsWith('#') && !/^[a-z][a-z0-9+.-]*:/i.test(target))
    .map((target) => join(dirname(file), target));
}

/** A link target's problem in the unpacked package (missing file or heading), or undefined. */
function deadLink(target: string): string | undefined {
  const [path, anchor] = target.split('#') as [string, string | undefined];
  if (!packed.includes(path)) return 'not packed';
  if (anchor === undefined) return undefined;
  // GitHub's and npm's heading ids: lower case, punctuation dropped, spaces as hyphens.
  const ids = [...readFileSync(join(installed, path), 'utf8').matchAll(/^#{1,6} +(.+)$/gm)].map(
    (m) =>
      (m[1] as string)
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-'),
  );
  return ids.includes(anchor) ? undefined : 'no such heading';
}

describe('packed files', () => {
  it('are the build, the docs, README, CHANGELOG, LICENSE and package.json, nothing else', () => {
    const unexpected = packed.filter(
      (p) =>
        !/^(package\.json|README\.md|CHANGELOG\.md|LICENSE(\.md)?|dist\/.+\.(js|d\.ts)|docs\/.+\.md)$/.test(
          p,
        ),
    );
    expect(unexpected).toEqual([]);
    expect(packed).toContain('README.md');
    expect(packed).toContain('CHANGELOG.md');
    // Sources, tests, fixtures, benchmarks, examples, scripts, the generated API site and the
    // guides' program files stay in the repository.
    expect(
      packed.filter((p) => /^(src|test|bench|examples|scripts|tools|docs\/api)\/|\.map$/.test(p)),
    ).toEqual([]);
  });

  it("hold every file the README's and the docs' relative links point at", () => {
    const docs = packed.filter((p) => /^docs\/.+\.md$/.test(p));
    const fromReadme = relativeLinks('README.md');
    expect(fromReadme.length).toBeGreaterThan(10);
    // The README sends readers to the CHANGELOG's list of known gaps: it must exist.
    expect(fromReadme).toEqual(expect.arrayContaining(['docs/cli.md', 'CHANGELOG.md#known-gaps']));
    const dead = ['README.md', ...docs].flatMap((file) =>
      relativeLinks(file).flatMap((target) => {
        const problem = deadLink(target);
        return problem === undefined ? [] : [`${file} → ${target}: ${problem}`];
      }),
    );
    expect(dead).toEqual([]);
  });

  it('hold every built module, and declarations for all but the CLI', () => {
    const built = filesUnder(join(ROOT, 'dist')).filter(
      (p) => !/^dist\/cli\/.*\.d\.ts$/.test(p), // the CLI is a bin: nobody imports its types
    );
    expect(packed.filter((p) => p.startsWith('dist/'))).toEqual(built.sort());
    const js = packed.filter((p) => p.endsWith('.js') && !p.startsWith('dist/cli/'));
    expect(js.length).toBeGreaterThan(10);
    expect(js.filter((p) => !packed.includes(p.replace(/\.js$/, '.d.ts')))).toEqual([]);
  });

  it('include every exports target with its types first, and the bin with a shebang', () => {
    for (const [sub, target] of Object.entries(pkg.exports)) {
      if (sub === './package.json') continue;
      expect(typeof target, sub).toBe('object');
      const t = target as Record<string, string>;
      expect(Object.keys(t), sub).toEqual(['types', 'default']);
      expect(packed, sub).toContain(t.types?.replace(/^\.\//, ''));
      expect(packed, sub).toContain(t.default?.replace(/^\.\//, ''));
    }
    for (const bin of Object.values(pkg.bin ?? {})) {
      expect(packed).toContain(bin.replace(/^\.\//, ''));
      expect(readFileSync(join(installed, bin), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n/);
    }
  });
});

describe('package.json', () => {
  it('names the repository, home page and issue tracker, and the version the CHANGELOG has', () => {
    expect(pkg.repository).toEqual({
      type: 'git',
      url: 'git+https://github.com/l2tp-core/l2tp-core.git',
    });
    expect(pkg.homepage).toBe('https://github.com/l2tp-core/l2tp-core#readme');
    expect(pkg.bugs).toEqual({ url: 'https://github.com/l2tp-core/l2tp-core/issues' });
    const changelog = readFileSync(join(ROOT, 'CHANGELOG.md'), 'utf8');
    const newest = /^## (\d+\.\d+\.\d+)\b/m.exec(changelog)?.[1];
    expect(pkg.version).toBe(newest);
    // The unpacked package.json is the one users get (npm pack may normalise it).
    const shipped = JSON.parse(
      readFileSync(join(installed, 'package.json'), 'utf8'),
    ) as PackageJson;
    expect(shipped.version).toBe(pkg.version);
    expect(shipped.repository).toEqual(pkg.repository);
  });

  it('is ESM-only, side-effect free, runs no install scripts and declares engines', () => {
    expect(pkg.type).toBe('module');
    expect(pkg.sideEffects).toBe(false);
    for (const s of ['preinstall', 'install', 'postinstall', 'prepare']) {
      expect(pkg.scripts?.[s], s).toBeUndefined();
    }
    expect(pkg.engines?.node).toMatch(/20\.19/);
    // fast-check is needed by l2tp-core/arbitraries only, prom-client by l2tp-core/metrics only.
    expect(pkg.peerDependenciesMeta?.['fast-check']?.optional).toBe(true);
    expect(pkg.peerDependenciesMeta?.['prom-client']?.optional).toBe(true);
    expect(Object.keys(pkg.peerDependencies ?? {}).sort()).toEqual(['fast-check', 'prom-client']);
  });
});

/** Runs a Node script in the consumer project; returns its stdout parsed as JSON. */
async function nodeJson(args: string[]): Promise<Record<string, string[]>> {
  const { stdout } = await run(process.execPath, args, { cwd: project });
  return JSON.parse(stdout) as Record<string, string[]>;
}

describe('exports subpaths, loaded by name from the unpacked tarball', () => {
  it('resolve with import and with require (require(esm), Node ≥ 20.19) to the same names', async () => {
    const esm = await nodeJson([
      '--input-type=module',
      '-e',
      `const out = {};
       for (const s of ${JSON.stringify(specs)}) out[s] = Object.keys(await import(s)).sort();
       console.log(JSON.stringify(out));`,
    ]);
    const cjs = await nodeJson([
      '-e',
      `const out = {};
       for (const s of ${JSON.stringify(specs)}) out[s] = Object.keys(require(s)).sort();
       console.log(JSON.stringify(out));`,
    ]);
    expect(Object.keys(esm)).toEqual(specs);
    expect(cjs).toEqual(esm);
    for (const s of specs) expect(esm[s]?.length, s).toBeGreaterThan(3);
  });

  it('l2tp-core/node carries every Node adapter, the main entry none of them', async () => {
    const nodeDir = join(installed, 'dist', 'node');
    const modules = readdirSync(nodeDir).filter((f) => f.endsWith('.js') && f !== 'index.js');
    expect(modules).toEqual(expect.arrayContaining(['clock.js', 'crypto.js', 'udp.js']));
    const out = await nodeJson([
      '--input-type=module',
      '-e',
      `const adapters = new Set();
       for (const f of ${JSON.stringify(modules)})
         for (const k of Object.keys(await import(${JSON.stringify(`${nodeDir}/`)} + f))) adapters.add(k);
       const node = await import('l2tp-core/node');
       const main = await import('l2tp-core');
       // Names in both entries, with what they are in each (a shared constant is fine).
       const shared = Object.keys(node).filter((k) => k in main)
         .map((k) => k + ': ' + typeof node[k] + ' ' + (node[k] === main[k] ? '===' : '!==') + ' ' + typeof main[k]);
       console.log(JSON.stringify({ adapters: [...adapters].sort(), node: Object.keys(node).sort(), shared }));`,
    ]);
    expect(out.node).toEqual(out.adapters);
    expect(out.node).toEqual(
      expect.arrayContaining([
        'UdpTransport',
        'openUdpTransport',
        'nodeClock',
        'nodeTimers',
        'createNodeTimerHost',
        'nodeRandomBytes',
        'nodeCrypto',
      ]),
    );
    // Only equal primitive constants (e.g. L2TP_IP_PROTOCOL) may appear in both entries.
    for (const line of out.shared ?? []) expect(line).toMatch(/^\w+: (number|string) === \1$/);
  });

  it('carry types: a strict NodeNext consumer typechecks, and misuse is a type error', async () => {
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          lib: ['ES2022'],
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          types: ['node'],
          strict: true,
          noEmit: true,
          skipLibCheck: false,
        },
        files: ['consumer.mts'],
      }),
    );
    // Every @ts-expect-error must meet an error (TS2578 otherwise), so `any` types would fail.
    writeFileSync(
      join(project, 'consumer.mts'),
      `import * as fc from 'fast-check';
import { classify, type L2tpErrorCode, ReliableChannel, type Tunnel } from 'l2tp-core';
import { rawAvpArbitrary } from 'l2tp-core/arbitraries';
import { nodeClock, nodeCrypto, UdpTransport } from 'l2tp-core/node';
import { L2TP_METRICS, type L2tpMetrics, registerL2tpMetrics } from 'l2tp-core/metrics';
import { VirtualClock } from 'l2tp-core/testing';
import { Registry } from 'prom-client';

const kind: string = classify(new Uint8Array(12), 'udp').kind;
const channel: ReliableChannel<string> = new ReliableChannel<string>();
const code: L2tpErrorCode = 'L2TP_ERR_TRUNCATED';
const now: number = nodeClock.now() + new VirtualClock(0).now();
const md5: Uint8Array = nodeCrypto.md5(new Uint8Array(1));
const open: (o?: { port?: number }) => Promise<UdpTransport> = UdpTransport.open;
fc.sample(rawAvpArbitrary(), 1);
const register: (r: Registry, o: Parameters<typeof registerL2tpMetrics>[1]) => L2tpMetrics =
  registerL2tpMetrics;
const metricNames: string[] = L2TP_METRICS.map((m) => m.name);
const registry = new Registry();
export { channel, code, kind, md5, metricNames, now, open, register, registry };

// @ts-expect-error the Node adapters live in l2tp-core/node
import { nodeTimers } from 'l2tp-core';
// @ts-expect-error now() is a number
const wrong: string = nodeClock.now();
// @ts-expect-error not an error code
const badCode: L2tpErrorCode = 'NOT_A_CODE';
// @ts-expect-error the endpoint is required
registerL2tpMetrics(registry, { perSession: true });
declare const tunnel: Tunnel;
// @ts-expect-error internal members (the Endpoint routes datagrams) are stripped from the types
tunnel.handleDatagram(new Uint8Array(12));
export { badCode, nodeTimers, wrong };
`,
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const result = await run(process.execPath, [tsc, '-p', project], { cwd: project }).catch(
      (err: { stdout: string }) => ({ stdout: err.stdout, failed: true }),
    );
    expect(result.stdout).toBe('');
    expect('failed' in result).toBe(false);
  }, 60_000);
});

/** Module specifiers imported by a compiled ES module (static, re-export and dynamic forms). */
function importsOf(source: string): string[] {
  const re =
    /\b(?:import|export)\b[^'";]*?\bfrom\s*['"]([^'"]+)['"]|\bimport\s*\(?\s*['"]([^'"]+)['"]/g;
  return [...source.matchAll(re)].map((m) => (m[1] ?? m[2]) as string);
}

/** Bare specifiers reachable from one file of the unpacked package. */
function reachable(entry: string): Set<string> {
  const seen = new Set<string>();
  const bare = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('.')) visit(join(dirname(file), spec));
      else bare.add(spec);
    }
  };
  visit(entry);
  return bare;
}

describe('module graph of the unpacked package', () => {
  it('imports only its dependencies, its optional peer and node: built-ins', () => {
    const allowed = new Set([
      ...Object.keys(pkg.dependencies ?? {}),
      ...Object.keys(pkg.peerDependencies ?? {}),
    ]);
    const js = packed.filter((p) => p.endsWith('.js'));
    const bad = js.flatMap((p) =>
      importsOf(readFileSync(join(installed, p), 'utf8'))
        .filter((s) => !s.startsWith('.') && !s.startsWith('node:') && !allowed.has(s))
        .map((s) => `${p}: ${s}`),
    );
    expect(bad).toEqual([]);
    // Relative imports all land on packed files (the `.js` suffix, NodeNext).
    for (const p of js) {
      for (const s of importsOf(readFileSync(join(installed, p), 'utf8'))) {
        if (s.startsWith('.'))
          expect(existsSync(join(installed, dirname(p), s)), `${p}: ${s}`).toBe(true);
      }
    }
  });

  it('reaches prom-client from l2tp-core/metrics only', () => {
    for (const [sub, target] of Object.entries(pkg.exports)) {
      if (sub === './package.json') continue;
      const file = join(installed, (target as Record<string, string>).default as string);
      expect(reachable(file).has('prom-client'), sub).toBe(sub === './metrics');
    }
  });

  it('without prom-client installed: l2tp-core loads, l2tp-core/metrics fails naming it', async () => {
    // A second consumer with the package and its dependencies, but none of the optional peers.
    const bare = join(tmp, 'bare');
    const modules = join(bare, 'node_modules');
    mkdirSync(modules, { recursive: true });
    cpSync(installed, join(modules, pkg.name), { recursive: true });
    for (const name of Object.keys(pkg.dependencies ?? {})) {
      mkdirSync(dirname(join(modules, name)), { recursive: true });
      symlinkSync(join(ROOT, 'node_modules', name), join(modules, name), 'dir');
    }
    const script = `const out = {};
      for (const s of ['l2tp-core', 'l2tp-core/metrics']) {
        try { out[s] = 'loaded: ' + Object.keys(await import(s)).length; }
        catch (err) { out[s] = err.code + ': ' + err.message; }
      }
      console.log(JSON.stringify(out));`;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
      cwd: bare,
    });
    const out = JSON.parse(stdout) as Record<string, string>;
    expect(out['l2tp-core']).toMatch(/^loaded: \d+$/);
    expect(out['l2tp-core/metrics']).toMatch(
      /^ERR_MODULE_NOT_FOUND: Cannot find package 'prom-client'/,
    );
    // The command says what to install, before binding anything, and exits 1.
    const bin = join(modules, pkg.name, pkg.bin?.['l2tp-core'] as string);
    const lns = await run(process.execPath, [bin, 'lns', '--port', '0', '--metrics', '0'], {
      cwd: bare,
    }).catch((err: { code: number; stdout: string; stderr: string }) => err);
    expect('code' in lns ? lns.code : 0).toBe(1);
    expect(lns.stdout).toBe('');
    expect(lns.stderr).toBe(
      'l2tp-core lns: --metrics needs prom-client, an optional peer dependency of l2tp-core: ' +
        'npm install prom-client (next to l2tp-core; -g for a global install)\n',
    );
  });

  it('reaches node: built-ins from l2tp-core/node only, not from the other entries', () => {
    for (const [sub, target] of Object.entries(pkg.exports)) {
      if (sub === './package.json') continue;
      const file = join(installed, (target as Record<string, string>).default as string);
      const builtins = [...reachable(file)].filter((s) => s.startsWith('node:')).sort();
      if (sub === './node')
        expect(builtins).toEqual(expect.arrayContaining(['node:dgram', 'node:crypto']));
      else expect(builtins, sub).toEqual([]);
    }
  });
});
