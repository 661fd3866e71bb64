// TypeDoc plugin: an "Events" section on the page of every class that extends eventemitter3's
// `EventEmitter<Events>` with an events map of this project (Tunnel, Session, Endpoint): one row
// per event with its listener's arguments and the map's doc comment, generated from the map
// (TunnelEvents, SessionEvents, EndpointEvents), so the section cannot go stale. TypeDoc itself
// shows the map only as an interface of tuples, on its own page.
import { CommentTag, Converter, JSX, ReflectionKind } from 'typedoc';

const STYLE = '.tsd-tag-events td:first-child code { white-space: nowrap; }';

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.renderer.hooks.on('head.end', () =>
    JSX.createElement('style', null, JSX.createElement(JSX.Raw, { html: STYLE })),
  );
  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => {
    for (const cls of context.project.getReflectionsByKind(ReflectionKind.Class)) {
      const events = eventsMap(cls);
      if (events === undefined || cls.comment === undefined) continue;
      if (cls.comment.blockTags.some((tag) => tag.tag === '@events')) continue;
      cls.comment.blockTags.push(new CommentTag('@events', eventsSection(cls, events)));
      for (const property of events.children ?? []) {
        if (property.comment === undefined || property.comment.summary.length === 0) {
          app.logger.warn(
            `events: ${events.name}.${property.name} has no doc comment, which the Events table of ${cls.name} shows`,
          );
        }
      }
    }
  });
}

/** The project's interface that `cls` passes to EventEmitter<…>, if any. */
function eventsMap(cls) {
  for (const type of cls.extendedTypes ?? []) {
    if (type.type !== 'reference' || type.name !== 'EventEmitter') continue;
    const map = type.typeArguments?.[0];
    const target = map?.type === 'reference' ? map.reflection : undefined;
    if (target?.kindOf(ReflectionKind.Interface)) return target;
  }
  return undefined;
}

const text = (value) => ({ kind: 'text', text: value });
const code = (value) => ({ kind: 'code', text: `\`${value}\`` });
const link = (target) => ({ kind: 'inline-tag', tag: '@link', text: target.name, target });

/** One Markdown table cell: no line breaks, no bare pipes. */
function cell(parts) {
  return parts.map((part) => {
    const flat = part.text.replace(/\s*\n\s*/g, ' ').replaceAll('|', '\\|');
    return { ...part, text: flat };
  });
}

/** `name: Type` for each listener argument, the type linked when it is one of ours. */
function argumentsOf(property) {
  const tuple = property.type;
  if (tuple?.type !== 'tuple') return [code(String(tuple))];
  const parts = [];
  tuple.elements.forEach((element, i) => {
    if (i > 0) parts.push(text(', '));
    const named = element.type === 'namedTupleMember';
    const type = named ? element.element : element;
    if (named) parts.push(text(`${element.name}${element.isOptional ? '?' : ''}: `));
    if (type.type === 'reference' && type.reflection !== undefined)
      parts.push(link(type.reflection));
    else parts.push(code(String(type)));
  });
  return parts.length === 0 ? [text('(none)')] : parts;
}

function eventsSection(cls, events) {
  const variable = cls.name[0].toLowerCase() + cls.name.slice(1);
  const parts = [
    text('Listen with '),
    code(`${variable}.on(event, listener)`),
    text(' (eventemitter3); the listener gets the arguments below, as '),
    link(events),
    text(' declares them.\n\n| Event | Listener arguments | When |\n| --- | --- | --- |\n'),
  ];
  for (const property of events.children ?? []) {
    if (!property.kindOf(ReflectionKind.Property)) continue;
    const summary = property.comment?.summary ?? [];
    parts.push(
      text('| '),
      code(`'${property.name}'`),
      text(' | '),
      ...cell(argumentsOf(property)),
      text(' | '),
      ...cell(summary),
      text(' |\n'),
    );
  }
  return parts;
}
