/** `npm run docs:api`: rewrites the generated route reference of `docs/api.md` (between its markers). */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { withReference } from '../lambdas/contract/api-reference.ts';

export const API_DOC = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'api.md');

if (import.meta.url === `file://${process.argv[1]}`) {
  await writeFile(API_DOC, withReference(await readFile(API_DOC, 'utf8')));
  console.log(`wrote the route reference of ${API_DOC}`);
}
