// TypeDoc plugin: the Markdown files of docs/ and CHANGELOG.md as documents of the site
// (projectDocuments in typedoc.json), so that the README's and the documents' links to each other
// open site pages rather than raw .md files. The Markdown files stay plain (no front matter), as
// GitHub and the registry show them; this plugin gives each document
// - its first heading as its name ("Build an LNS", not "build-an-lns");
// - a navigation category by folder (Guides, Documents, Project);
// - the place the README's list of links gives it (docs/overview.md first), others after;
// - a URL after its file, stable when the heading changes: documents/guides/build-an-lns.html
//   (the `l2tp` router, selected by the `router` option).
// In the README and the documents, a fenced block without a language is plain text (TypeDoc
// would highlight it as TypeScript); the README's own "# l2tp-core" goes, as the site's front
// page already has the project's name as its title. Their headings get GitHub's anchors (code
// spans included: "### `--metrics [ADDR:]PORT`" is #--metrics-addrport), so that links like
// cli.md#--metrics-addrport work on GitHub, on the registry and on the site alike.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Application, Converter, JSX, KindRouter, MarkdownEvent, Slugger } from 'typedoc';

const README = fileURLToPath(new URL('../../../README.md', import.meta.url));

/** Document path (relative to the repository, no extension) → navigation category. */
export function categoryOf(path) {
  if (path.startsWith('docs/guides/')) return 'Guides';
  if (path.startsWith('docs/')) return 'Documents';
  return 'Project';
}

/** The docs the README links to, in its order, as document paths ('docs/overview'). */
function readmeOrder() {
  const text = readFileSync(README, 'utf8');
  const paths = [...text.matchAll(/\]\((docs\/[^)#\s]+)\.md[)#]/g)].map((m) => m[1]);
  return [...new Set(paths)];
}

/** Gives each fenced block that has no language the language `text`. */
export function plainFences(markdown) {
  let fence;
  return markdown.replace(/^( {0,3})(`{3,}|~{3,})(.*)$/gm, (line, indent, marks, info) => {
    if (fence === undefined) {
      fence = marks;
      return info.trim() === '' ? `${indent}${marks}text` : line;
    }
    if (marks[0] === fence[0] && marks.length >= fence.length && info.trim() === '') {
      fence = undefined;
    }
    return line;
  });
}

// Before TypeDoc's own MarkdownEvent.PARSE listener (priority 0) turns the Markdown into HTML.
const BEFORE_MARKDOWN = 100;

// Plain-text blocks are mostly drawings (trees, boxes): scroll them sideways, never wrap them.
const STYLE = 'pre:has(> code.text) { white-space: pre; overflow-x: auto; }';

/** GitHub's heading anchors (github-slugger): lower case, punctuation dropped, spaces → '-'. */
class GithubSlugger extends Slugger {
  serialize(value) {
    const slug = value
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
      .replace(/ /g, '-');
    return slug || '_';
  }
}

/**
 * markdown-it core rule: TypeDoc names a heading after its text tokens only, so a heading that is
 * all code (### `decode`) got the anchor "_"; give code spans in headings their text too.
 */
function headingCodeText(state) {
  state.tokens.forEach((token, i) => {
    if (token.type !== 'heading_open') return;
    for (const child of state.tokens[i + 1]?.children ?? []) {
      if (child.type === 'code_inline' && !child.children) {
        child.children = [{ type: 'text', content: child.content }];
      }
    }
  });
}

/** @param {import('typedoc').Application} app */
export function load(app) {
  /** Document → its path relative to the repository, without extension. */
  const paths = new WeakMap();

  app.converter.on(Converter.EVENT_CREATE_DOCUMENT, (_context, document) => {
    const path = document.name;
    paths.set(document, path);
    const text = document.content.map((part) => part.text).join('');
    const heading = /^# (.+)$/m.exec(text)?.[1];
    if (heading !== undefined) document.name = heading.replaceAll('`', '').trim();
    if (!('category' in document.frontmatter)) document.frontmatter.category = categoryOf(path);
  });

  // markdownItLoader can only be set once the options are read, that is after plugins load.
  app.on(Application.EVENT_BOOTSTRAP_END, () => {
    const loader = app.options.getValue('markdownItLoader');
    app.options.setValue('markdownItLoader', (parser) => {
      loader(parser);
      parser.core.ruler.push('heading_code_text', headingCodeText);
    });
  });

  app.renderer.hooks.on('head.end', () =>
    JSX.createElement('style', null, JSX.createElement(JSX.Raw, { html: STYLE })),
  );

  app.renderer.on(
    MarkdownEvent.PARSE,
    (event) => {
      const model = event.page.model;
      if (model.isProject() || model.isDocument()) event.parsedText = plainFences(event.parsedText);
    },
    BEFORE_MARKDOWN,
  );

  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    const project = context.project;
    const first = project.readme?.[0];
    const title = `# ${project.name}\n`;
    if (first?.kind === 'text' && first.text.startsWith(title)) {
      first.text = first.text.slice(title.length).replace(/^\n+/, '');
    }
    const order = readmeOrder();
    const rank = (document) => {
      const i = order.indexOf(paths.get(document));
      return i === -1 ? order.length : i;
    };
    // Stable: documents the README does not list keep their (alphabetical) order, after.
    const sorted = [...(project.documents ?? [])].sort((a, b) => rank(a) - rank(b));
    project.documents = sorted;
    const others = project.childrenIncludingDocuments.filter((r) => !r.isDocument());
    project.childrenIncludingDocuments = [...sorted, ...others];
  });

  app.renderer.defineRouter(
    'l2tp',
    class extends KindRouter {
      buildPages(project) {
        const pages = super.buildPages(project);
        for (const target of this.sluggers.keys()) {
          if (target.isProject() || target.isDocument()) {
            this.sluggers.set(target, new GithubSlugger(this.sluggerConfiguration));
          }
        }
        return pages;
      }

      getIdealBaseName(reflection) {
        const path = paths.get(reflection);
        if (path === undefined) return super.getIdealBaseName(reflection);
        return `documents/${path.replace(/^docs\//, '')}`;
      }
    },
  );
}
