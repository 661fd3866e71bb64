// Runs every benchmark in bench/ one after another (they import the built dist/).
import { readdirSync } from 'node:fs';

const files = readdirSync(new URL('.', import.meta.url))
  .filter((f) => f.endsWith('.bench.mjs'))
  .sort();
for (const file of files) {
  console.log(`\n=== ${file}`);
  await import(new URL(file, import.meta.url).href);
}
