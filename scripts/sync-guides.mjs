// Copies each guide program (docs/guides/code/<name>.ts) into the guide that embeds it, between
// `<!-- code: <name>.ts -->` and `<!-- /code -->`. test/docs/guides.test.ts checks they match;
// run `node scripts/sync-guides.mjs` after editing a program.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

const dir = new URL('../docs/guides/', import.meta.url);
const block = /<!-- code: ([\w.-]+) -->\n```ts\n[\s\S]*?```\n<!-- \/code -->/g;
for (const name of readdirSync(dir).filter((f) => f.endsWith('.md'))) {
  const path = new URL(name, dir);
  const text = readFileSync(path, 'utf8');
  const synced = text.replace(block, (_, file) => {
    const code = readFileSync(new URL(`code/${file}`, dir), 'utf8');
    return `<!-- code: ${file} -->\n\`\`\`ts\n${code}\`\`\`\n<!-- /code -->`;
  });
  if (synced !== text) {
    writeFileSync(path, synced);
    console.log(`updated docs/guides/${name}`);
  }
}
