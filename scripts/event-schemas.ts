/**
 * `npm run events:schemas`: writes `docs/events/<detail-type>.json`, the JSON Schema of each event
 * the stack publishes, generated from the zod schemas in `lambdas/modules/events/schemas.ts`.
 * `test/unit/event-schemas.test.ts` fails when the checked-in files and the schemas disagree.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EventDetails, eventJsonSchema, schemaFileName, type EventDetailType } from '../lambdas/modules/events/schemas.ts';

export const EVENTS_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs', 'events');

/** File name → text, for every detail-type. */
export function eventSchemaFiles(): Map<string, string> {
  return new Map(
    (Object.keys(EventDetails) as EventDetailType[]).map((t) => [schemaFileName(t), `${JSON.stringify(eventJsonSchema(t), null, 2)}\n`]),
  );
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await mkdir(EVENTS_DIR, { recursive: true });
  for (const [name, text] of eventSchemaFiles()) await writeFile(join(EVENTS_DIR, name), text);
  console.log(`wrote ${eventSchemaFiles().size} schemas to ${EVENTS_DIR}`);
}
