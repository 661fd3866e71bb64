// TypeDoc plugin: renders ```mermaid blocks of the README, the documents and doc comments as
// diagrams. TypeDoc turns such a block into a highlighted <pre><code class="mermaid">; this plugin
// turns it back into the diagram's source in <pre class="mermaid"> and, on the pages that have
// one, loads mermaid's browser bundle, copied from the `mermaid` package into assets/ (no CDN:
// the site works offline). The page script waits until TypeDoc shows the page (it hides the body
// while its own script starts; mermaid measures text, which needs a visible page), then renders
// every diagram with mermaid's light or dark theme after TypeDoc's theme setting.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JSX, MarkdownEvent, RendererEvent } from 'typedoc';

const BUNDLE = fileURLToPath(
  new URL('../node_modules/mermaid/dist/mermaid.min.js', import.meta.url),
);

// After TypeDoc's own MarkdownEvent.PARSE listener (priority 0) has produced the HTML.
const AFTER_MARKDOWN = -100;

const BLOCK =
  /<pre><code class="mermaid">([\s\S]*?)<\/code><button(?: type="button")?>[\s\S]*?<\/button><\/pre>/g;

const STYLE = `
.mermaid-diagram { margin: 1em 0; overflow-x: auto; }
.mermaid-diagram pre.mermaid { background: none; border: none; padding: 0; margin: 0; text-align: center; }
.mermaid-diagram pre.mermaid:not([data-processed]) { visibility: hidden; }
.mermaid-diagram.zoomable svg { cursor: zoom-in; }
.mermaid-diagram.zoomed svg { cursor: zoom-out; max-width: none !important; }
`;

// Rendered as assets/mermaid-init.js; `mermaid` is the global of mermaid.min.js.
const INIT = `(() => {
  const dark = () => {
    const theme = document.documentElement.dataset.theme;
    return theme === 'dark' || (theme !== 'light' && matchMedia('(prefers-color-scheme: dark)').matches);
  };
  // A diagram wider than the column is drawn to fit it; a click shows it at its own size
  // (scrolling sideways), another click fits it again.
  const zoomable = (svg) => {
    const box = svg.viewBox.baseVal;
    const diagram = svg.closest('.mermaid-diagram');
    if (box === null || box.width <= diagram.clientWidth) return;
    diagram.classList.add('zoomable');
    svg.setAttribute('title', 'Click to show at full size');
    svg.addEventListener('click', () => {
      const zoomed = diagram.classList.toggle('zoomed');
      svg.style.width = zoomed ? box.width + 'px' : '';
    });
  };
  const render = () => {
    if (document.body.style.display === 'none') return setTimeout(render, 20);
    mermaid.initialize({
      startOnLoad: false,
      securityLevel: 'strict',
      theme: dark() ? 'dark' : 'default',
      // 32 bits of 20 px fit the content column unscaled.
      packet: { bitWidth: 20 },
    });
    mermaid.run({ querySelector: 'pre.mermaid' }).then(
      () => {
        for (const svg of document.querySelectorAll('.mermaid-diagram svg')) zoomable(svg);
        document.documentElement.setAttribute('data-mermaid', 'done');
      },
      (error) => {
        document.documentElement.setAttribute('data-mermaid', 'failed');
        console.error('mermaid:', error);
      },
    );
  };
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', render);
  else render();
})();
`;

/** @param {import('typedoc').Application} app */
export function load(app) {
  /** Pages (by their model) whose markdown had a diagram. */
  const pages = new WeakSet();

  app.renderer.on(
    MarkdownEvent.PARSE,
    (event) => {
      let found = false;
      event.parsedText = event.parsedText.replace(BLOCK, (_block, code) => {
        found = true;
        // The highlighter's line breaks become newlines again, its spans go; its entities stay
        // (mermaid decodes them).
        const source = code.replace(/<br\s*\/?>/g, '\n').replace(/<[^>]*>/g, '');
        return `<div class="mermaid-diagram"><pre class="mermaid">${source}</pre></div>`;
      });
      if (found) pages.add(event.page.model);
    },
    AFTER_MARKDOWN,
  );

  app.renderer.hooks.on('head.end', () =>
    JSX.createElement('style', null, JSX.createElement(JSX.Raw, { html: STYLE })),
  );

  app.renderer.hooks.on('body.end', (context) => {
    if (!pages.has(context.page.model)) return JSX.createElement(JSX.Fragment, null);
    return JSX.createElement(
      JSX.Fragment,
      null,
      JSX.createElement('script', { src: context.relativeURL('assets/mermaid.min.js') }),
      JSX.createElement('script', { src: context.relativeURL('assets/mermaid-init.js') }),
    );
  });

  app.renderer.on(RendererEvent.END, (event) => {
    const assets = join(event.outputDirectory, 'assets');
    mkdirSync(assets, { recursive: true });
    copyFileSync(BUNDLE, join(assets, 'mermaid.min.js'));
    writeFileSync(join(assets, 'mermaid-init.js'), INIT);
  });
}
