// TypeDoc plugin: sorts the ~400 exports of the main entry (src/index.ts, re-exports only) into
// the library's layers by the source file that declares them, as TypeDoc categories; the
// navigation shows them (navigation.includeCategories) and src/index.ts's module comment
// describes each (@categoryDescription). No @category tag is needed in the sources: a new export
// lands in its file's layer. An export declared in a file that LAYERS does not place is a warning,
// and warnings are errors in `npm run docs`.
import { relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Comment, CommentTag, Converter, ReflectionKind, TypeScript as ts } from 'typedoc';

/** Source path prefix (relative to src/, '/'-separated) → layer; the longest prefix wins. */
export const LAYERS = {
  'codec/': 'codec',
  'constants.ts': 'codec',
  'avp/': 'avp',
  'seq/': 'seq',
  'fsm/': 'fsm',
  'engine/': 'engine',
  'options.ts': 'engine',
  'stats.ts': 'engine',
  'tunnel.ts': 'shell',
  'endpoint.ts': 'shell',
  'debug.ts': 'shell',
  'static.ts': 'static',
  'keepalive.ts': 'static',
  'switch/': 'switch',
  'config.ts': 'config',
  'pw/': 'pw',
  'transport.ts': 'ports',
  'crypto.ts': 'ports',
  'errors.ts': 'errors',
};

const MAIN_ENTRY = 'index.ts';
const SRC = fileURLToPath(new URL('../../../src/', import.meta.url));

/** @param {import('typedoc').Application} app */
export function load(app) {
  /** Reflection id → source file relative to src/ ('/'-separated). */
  const files = new Map();

  app.converter.on(Converter.EVENT_CREATE_DECLARATION, (context, reflection) => {
    const file = declaringFile(context, reflection);
    if (file === undefined) return;
    files.set(reflection.id, relative(SRC, file).split(sep).join('/'));
  });

  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => {
    for (const module of context.project.getReflectionsByKind(ReflectionKind.Module)) {
      if (files.get(module.id) !== MAIN_ENTRY) continue;
      for (const child of module.children ?? []) {
        const target = child.isReference() ? child.getTargetReflectionDeep() : child;
        const file = files.get(target.id);
        const layer = file === undefined ? undefined : layerOf(file);
        if (layer === undefined) {
          app.logger.warn(
            `layers: ${child.name} (src/${file ?? '?'}) is in no layer: add its file to LAYERS in tools/typedoc/plugins/layers.mjs`,
          );
          continue;
        }
        child.comment ??= new Comment();
        if (!child.comment.blockTags.some((tag) => tag.tag === '@category')) {
          child.comment.blockTags.push(
            new CommentTag('@category', [{ kind: 'text', text: layer }]),
          );
        }
      }
    }
  });
}

/** The layer of a source file (relative to src/), or undefined. */
export function layerOf(file) {
  let best;
  for (const prefix of Object.keys(LAYERS)) {
    if (
      (file === prefix || file.startsWith(prefix)) &&
      (best === undefined || prefix.length > best.length)
    ) {
      best = prefix;
    }
  }
  return best === undefined ? undefined : LAYERS[best];
}

function declaringFile(context, reflection) {
  let symbol = context.getSymbolFromReflection(reflection);
  if (symbol === undefined) return undefined;
  if (symbol.flags & ts.SymbolFlags.Alias) symbol = context.checker.getAliasedSymbol(symbol);
  const declaration = symbol.declarations?.[0];
  return declaration?.getSourceFile().fileName;
}
