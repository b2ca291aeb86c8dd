// `npm run demo`: serves the repository on http://127.0.0.1:8080 and prints the demo page's URL.
// Build first (`npm run build`, done by `npm ci`) so dist/browser/kconv.js exists.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStaticServer } from './static-server.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
if (!existsSync(join(root, 'dist', 'browser', 'kconv.js'))) {
  console.error("dist/browser/kconv.js is missing: run 'npm run build' first");
  process.exit(2);
}
const port = Number(process.env.PORT ?? 8080);
// Cross-origin isolated (COOP/COEP headers): the page then runs Conv1D over Web Workers.
const { url } = await startStaticServer(root, port, { isolate: true });
console.log(`kconv demo: ${url}/demo/  (Ctrl-C to stop)`);
