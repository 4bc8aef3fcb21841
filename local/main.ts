/**
 * `npm start`: the whole local stack. Options: `--seed` loads a demo tenant; `--data-dir DIR`
 * keeps DynamoDB data between runs. Ports: PORT (3000), SES_PORT (8005), DYNAMODB_PORT (8000).
 */
import { parseArgs } from 'node:util';
import { DEMO, seed } from './seed.ts';
import { freePort, isFree } from './ports.ts';
import { integrationSettings, settingsFromEnv } from '../lambdas/runtime/index.ts';
import { startStack } from './stack.ts';

const { values } = parseArgs({
  options: { seed: { type: 'boolean', default: false }, 'data-dir': { type: 'string' }, help: { type: 'boolean', default: false } },
});
if (values.help) {
  console.log(
    'npm start [-- --seed] [-- --data-dir .local/dynamodb]\nEnvironment: PORT (3000), SES_PORT (8005), DYNAMODB_PORT (8000), HOST (127.0.0.1)',
  );
  process.exit(0);
}

const port = Number(process.env.PORT ?? 3000);
const sesPort = Number(process.env.SES_PORT ?? 8005);
// The API and the inbox ports are part of the contract: say so plainly when one is taken.
for (const [name, p, env] of [
  ['the API', port, 'PORT'],
  ['the local SES server', sesPort, 'SES_PORT'],
] as const) {
  if (!(await isFree(p))) {
    console.error(`Port ${p} for ${name} is in use (another npm start?). Stop it, or choose another port: ${env}=... npm start`);
    process.exit(1);
  }
}
// Nobody outside needs DynamoDB Local's port: when 8000 is taken and none was asked for, any will do.
const dynamoPort = process.env.DYNAMODB_PORT ? Number(process.env.DYNAMODB_PORT) : (await isFree(8000)) ? 8000 : await freePort();
const started = Date.now();
// The settings a developer may give the local stack (`SUPPORT_EMAIL_DOMAINS`, the keys, the v1.2
// integration settings: `IDENTITY_PROVIDERS`, `EMBED_ORIGINS`, ...); the others are local.
const env = settingsFromEnv();
// A bad integration setting stops the start with its variable's name, as a bad one stops `cdk synth`.
try {
  integrationSettings(env);
} catch (e) {
  console.error((e as Error).message);
  process.exit(1);
}
const stack = await startStack({
  settings: {
    ...(env.supportEmailDomains ? { supportEmailDomains: env.supportEmailDomains } : {}),
    ...(env.cursorSecret.value ? { cursorSecret: env.cursorSecret } : {}),
    ...(env.auditKey.value ? { auditKey: env.auditKey } : {}),
    ...(env.eventKey.value ? { eventKey: env.eventKey } : {}),
    integration: env.integration,
  },
  port,
  host: process.env.HOST ?? '127.0.0.1',
  sesPort,
  dynamoPort,
  ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
  expireEveryMs: 60_000,
  // Mail a change owes is sent before its answer; the timer retries failed sends after backoff.
  deliverOnWrite: true,
  deliverEveryMs: 1_000,
});
if (values.seed) await seed(stack.runtime);

const inbox = stack.sesUrl.replace('127.0.0.1', 'localhost');
const token = (who: { sub: string; email: string; name: string; groups: readonly string[]; tenantId?: string }) =>
  `TOKEN=$(curl -s -X POST ${stack.url}/_local/token -H 'content-type: application/json' -d '${JSON.stringify(who)}' | jq -r .token)`;
console.log(`
support-access local stack is up (${((Date.now() - started) / 1000).toFixed(1)} s)

  Console        ${stack.url}/app           (sign in as the demo people; emails link here)
  API            ${stack.url}/v1            (OpenAPI: ${stack.url}/v1/openapi.json)
  Mail inbox     ${inbox}             (JSON: ${inbox}/store)
  DynamoDB Local ${stack.dynamoEndpoint}     (table ${stack.tableName}${values['data-dir'] ? `, data in ${values['data-dir']}` : ', in memory'})
  Local clock    GET/POST ${stack.url}/_local/clock   Expiry job: POST ${stack.url}/_local/jobs/expire
${values.seed ? `\n  Demo tenant "${DEMO.tenantId}" loaded: contacts ${DEMO.admin.email} (tenant-admin), ${DEMO.contact.email} (tenant-user).` : '\n  Tip: npm start -- --seed loads a demo tenant.'}

A token (for the demo tenant's admin), then a first call:
  ${token(DEMO.admin)}
  curl -s ${stack.url}/v1/tenants/${DEMO.tenantId}/contacts -H "authorization: Bearer $TOKEN"

The README walks through the whole flow. Ctrl-C stops everything.
`);

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the local stack...`);
  await stack.stop();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
