/**
 * `npm run outbox -- failed` lists the mail that failed every try (the dead letter), with its
 * error; `npm run outbox -- redrive <messageId>` puts one back in line (tries from zero; recipients
 * already served are still skipped). Against AWS it uses TABLE_NAME and the usual AWS credentials;
 * DYNAMODB_ENDPOINT points it at DynamoDB Local. Locally, `/_local/outbox/*` does the same.
 */
import type { OutboxStore } from '../lambdas/kernel/ports.ts';
import { buildDeps, settingsFromEnv } from '../lambdas/runtime/index.ts';

/** Runs one command; returns the lines to print and the exit code. */
export async function outboxCommand(outbox: OutboxStore, args: string[], now: Date): Promise<{ lines: string[]; code: number }> {
  const [command, id] = args;
  if (command === 'failed') {
    const failed = await outbox.listFailedOutbox(100);
    return {
      code: 0,
      lines: failed.length
        ? failed.map(
            (m) =>
              `${m.messageId}  ${m.kind}  tenant ${m.tenantId}  tries ${m.attempts}  created ${m.createdAt}  error: ${m.lastError ?? ''}`,
          )
        : ['no failed mail'],
    };
  }
  if (command === 'redrive' && id) {
    return (await outbox.redriveOutbox(id, now.toISOString()))
      ? { code: 0, lines: [`${id} is back in line; the next delivery sends it`] }
      : { code: 1, lines: [`${id} is not a FAILED message`] };
  }
  return { code: 2, lines: ['usage: npm run outbox -- failed | redrive <messageId>'] };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { store } = buildDeps(settingsFromEnv());
  const { lines, code } = await outboxCommand(store, process.argv.slice(2), new Date());
  console.log(lines.join('\n'));
  process.exitCode = code;
}
