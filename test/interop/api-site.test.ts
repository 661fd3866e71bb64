/**
 * The API site (`npm run docs`) in a real browser: Debian's Chromium, headless, driven by
 * playwright-core. The site is built into a temporary directory with the repository's TypeDoc
 * configuration (tools/typedoc), served over HTTP on 127.0.0.1, and read as a visitor would:
 * - the mermaid diagrams of the overview, the state machines and the wire format are drawn:
 *   one rendered <svg> per ```mermaid block of the Markdown file, and no diagram source
 *   (`flowchart TB`, `stateDiagram-v2`, `packet-beta`) or mermaid error as visible text;
 * - the README is the front page and its links, like the overview's, open the documents on the
 *   site (no link to a raw .md file); a guide opens from the overview;
 * - the main entry's page and the navigation show the layers (codec … errors);
 * - the Tunnel, Session and Endpoint pages list their events, the same as their events maps;
 * - nothing is fetched from anywhere but 127.0.0.1 (mermaid is bundled, no CDN), no page error.
 * Skipped without Chromium (scripts/install-peers.sh installs it); on CI a missing Chromium fails.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) {
  console.warn(
    `api-site: ${CHROMIUM} not found, skipping the browser check of the API site ` +
      '(install it with scripts/install-peers.sh)',
  );
}

/** Layers of the main entry, in the navigation and on its page (tools/typedoc/plugins/layers.mjs). */
const LAYERS = [
  'codec',
  'avp',
  'seq',
  'fsm',
  'engine',
  'shell',
  'static',
  'switch',
  'config',
  'pw',
  'ports',
  'errors',
];

/** Lines that only a diagram left as source shows (its first line), or mermaid's error picture. */
const RAW_MERMAID =
  /^\s*(flowchart \w+|graph \w+|stateDiagram-v2|packet-beta)\s*$|Syntax error in text/m;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`);
  }
}

/** Builds the site as `npm run docs` does (warnings are errors), into `out`. */
function buildSite(out: string): void {
  const typedoc = join(ROOT, 'tools/typedoc/node_modules/.bin/typedoc');
  if (!existsSync(typedoc))
    run('npm', ['ci', '--prefix', 'tools/typedoc', '--no-audit', '--no-fund']);
  run(typedoc, ['--options', 'tools/typedoc/typedoc.json', '--out', out]);
}

/** A static file server for `root` on 127.0.0.1; records the paths it had no file for. */
async function serve(root: string, missing: string[]): Promise<Server> {
  const server = createServer(async (request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname));
    if (path === '/favicon.ico') {
      response.writeHead(204).end();
      return;
    }
    try {
      const body = await readFile(join(root, path.endsWith('/') ? `${path}index.html` : path));
      response.writeHead(200, {
        'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
      });
      response.end(body);
    } catch {
      missing.push(path);
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

/** How many ```mermaid blocks a Markdown file of the repository has. */
function mermaidBlocks(file: string): number {
  return readFileSync(join(ROOT, file), 'utf8').match(/^```mermaid$/gm)?.length ?? 0;
}

/** The event names of an events map (`export interface TunnelEvents { up: [...]; … }`). */
function eventNames(file: string, map: string): string[] {
  const source = readFileSync(join(ROOT, file), 'utf8');
  const body = new RegExp(`export interface ${map} \\{([\\s\\S]*?)\\n\\}`).exec(source)?.[1] ?? '';
  return [...body.matchAll(/^ {2}'?([\w-]+)'?\??: \[/gm)].map((m) => `${m[1]}`);
}

interface Diagrams {
  /** 'done' once mermaid drew every diagram, 'failed' when it threw. */
  readonly state: string | undefined;
  readonly containers: number;
  /** Rendered <svg>s of a real size. */
  readonly drawn: number;
  /** The page's visible text (innerText). */
  readonly text: string;
}

// Run in the page (a string: the project's TypeScript has no DOM types).
const DIAGRAMS = `(() => ({
  state: document.documentElement.dataset.mermaid,
  containers: document.querySelectorAll('.mermaid-diagram').length,
  drawn: [...document.querySelectorAll('.mermaid-diagram svg')].filter(
    (svg) => svg.getBoundingClientRect().width > 100 && svg.querySelector('g') !== null,
  ).length,
  text: document.body.innerText,
}))()`;

describe('tools', () => {
  it('Chromium is installed on CI (scripts/install-peers.sh), so the browser check runs there', () => {
    const onCi = process.env.CI !== undefined && process.env.CI !== '';
    expect(HAVE_CHROMIUM || !onCi, `${CHROMIUM} is missing on CI`).toBe(true);
  });
});

describe.skipIf(!HAVE_CHROMIUM)('the API site in headless Chromium', () => {
  let out = '';
  let server: Server;
  let browser: Browser;
  let context: BrowserContext;
  let base = '';
  const missing: string[] = [];
  const external: string[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), 'l2tp-api-site-'));
    buildSite(out);
    server = await serve(out, missing);
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // playwright starts Chromium with a fresh temporary --user-data-dir and --headless.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
    await context.route('**/*', async (route) => {
      const url = route.request().url();
      if (new URL(url).hostname === '127.0.0.1') return route.continue();
      external.push(url);
      return route.abort();
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => server?.close(resolve));
    if (out !== '') rmSync(out, { recursive: true, force: true });
  });

  async function open(path: string): Promise<Page> {
    const page = await context.newPage();
    page.on('pageerror', (error) => errors.push(`${path}: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`${path}: console: ${message.text()}`);
    });
    const response = await page.goto(`${base}/${path}`);
    expect(response?.status(), path).toBe(200);
    return page;
  }

  /** Waits for the diagrams of the page (the plugin marks <html data-mermaid> when done). */
  async function diagrams(page: Page): Promise<Diagrams> {
    await page.waitForSelector('html[data-mermaid]', { timeout: 20_000 }).catch(() => undefined);
    return (await page.evaluate(DIAGRAMS)) as Diagrams;
  }

  it.each([
    ['documents/overview.html', 'docs/overview.md'],
    ['documents/states.html', 'docs/states.md'],
    ['documents/wire-format.html', 'docs/wire-format.md'],
  ])(
    '%s draws every mermaid diagram of %s; no diagram source is left as text',
    async (path, md) => {
      const blocks = mermaidBlocks(md);
      expect(blocks, `${md} has diagrams`).toBeGreaterThan(0);
      const page = await open(path);
      const found = await diagrams(page);
      expect(found.text).not.toMatch(RAW_MERMAID);
      expect(found.state, 'mermaid ran and succeeded').toBe('done');
      expect(found.containers).toBe(blocks);
      expect(found.drawn, 'a drawn <svg> per diagram').toBe(blocks);
      await page.close();
    },
  );

  it('the README is the front page; its links and the overview’s open documents of the site', async () => {
    const front = await open('index.html');
    const heading = await front.locator('.col-content h1').first().textContent();
    expect(heading).toBe('l2tp-core');
    const hrefs = (page: Page) =>
      page.$$eval('.col-content a[href]', (links) =>
        links.map((a) => a.getAttribute('href') ?? ''),
      );
    const readmeLinks = await hrefs(front);
    expect(readmeLinks.filter((href) => /\.md(#|$)/.test(href))).toEqual([]);
    expect(readmeLinks).toContain('documents/overview.html');
    expect(readmeLinks).toContain('documents/guides/build-an-lns.html');
    expect(readmeLinks).toContain('documents/wire-format.html');

    const overview = await open('documents/overview.html');
    expect((await hrefs(overview)).filter((href) => /\.md(#|$)/.test(href))).toEqual([]);
    await overview.getByRole('link', { name: 'guides/build-an-lns.md' }).click();
    await overview.waitForURL(/documents\/guides\/build-an-lns\.html$/);
    expect(await overview.locator('.col-content h1').first().textContent()).toBe('Build an LNS');
    await front.close();
    await overview.close();
  });

  it('the main entry’s page and the navigation show the API by layer', async () => {
    const page = await open('modules/l2tp-core.html');
    const sections = await page.$$eval('.col-content h2', (hs) => hs.map((h) => h.textContent));
    expect(sections).toEqual(LAYERS);
    // The navigation is built by the site's script: l2tp-core's folders are the layers.
    await page.waitForSelector('.site-menu .tsd-navigation a');
    const menu = await page.$$eval('.site-menu summary', (s) =>
      s.map((e) => e.textContent?.trim()),
    );
    for (const name of ['Documents', 'Guides', 'API reference', ...LAYERS]) {
      expect(menu, `navigation folder ${name}`).toContain(name);
    }
    await page.close();
  });

  it.each([
    ['Tunnel', 'src/tunnel.ts', 'TunnelEvents'],
    ['Session', 'src/tunnel.ts', 'SessionEvents'],
    ['Endpoint', 'src/endpoint.ts', 'EndpointEvents'],
  ])('the %s page lists its events (%s, %s)', async (name, file, map) => {
    const expected = eventNames(file, map);
    expect(expected.length, `${map} found in ${file}`).toBeGreaterThan(1);
    // Reached as a visitor would: from the main entry's page.
    const page = await open('modules/l2tp-core.html');
    await page.locator('.col-content').getByRole('link', { name, exact: true }).click();
    await page.waitForURL(new RegExp(`classes/l2tp-core\\.${name}\\.html$`));
    const events = page.locator('.tsd-tag-events');
    expect(await events.locator('h4').textContent()).toBe('Events');
    const rows = await events
      .locator('tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
      );
    expect(rows.map((cells) => cells[0])).toEqual(expected.map((event) => `'${event}'`));
    for (const cells of rows) expect(cells[2]?.trim(), `${cells[0]} is described`).not.toBe('');
    await page.close();
  });

  it('fetched nothing from outside 127.0.0.1, missed no file, threw no error', () => {
    expect(external).toEqual([]);
    expect(missing).toEqual([]);
    expect(errors).toEqual([]);
  });
});
