/**
 * `npm start` as a developer runs it: the whole stack from one process that prints how to use it,
 * stops every process it started on Ctrl-C, keeps data with `--data-dir`, and says plainly when a
 * port of the contract is taken.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../../local/ports.ts';

interface Started {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(env: Record<string, string>, args: string[] = []): Started {
  // As `npm start` runs it: tsx as a loader in this one process. (The tsx CLI runs the script in a
  // child and, when the child has not confirmed a Ctrl-C within 30 ms, kills it and exits 130.)
  const proc = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  return { proc, output: () => out, exited };
}

/**
 * Waits for the stack's banner: as long as the process runs (starting Java and building on a busy
 * machine takes what it takes; the test's own timeout is the bound), failing at once with its
 * output if it exits first.
 */
async function banner(run: ReturnType<typeof start>) {
  let exit: number | null | undefined;
  void run.exited.then((code) => (exit = code));
  while (!run.output().includes('Ctrl-C stops everything')) {
    if (exit !== undefined) throw new Error(`npm start exited (${exit}) before its banner:\n${run.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Whether something accepts connections on the port. */
const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const s = new Socket();
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.connect(port, '127.0.0.1');
  });

async function ports() {
  return { PORT: String(await freePort()), SES_PORT: String(await freePort()), DYNAMODB_PORT: String(await freePort()) };
}

const token = async (api: string) =>
  (
    (await (
      await fetch(`${api}/_local/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sub: 'alice', email: 'alice@acme.test', name: 'Alice', groups: ['tenant-admin'], tenantId: 'acme' }),
      })
    ).json()) as { token: string }
  ).token;

describe('npm start', () => {
  it('serves the seeded stack, stops every process on Ctrl-C, and keeps data with --data-dir', async () => {
    // Prepare
    const env = await ports();
    const dataDir = mkdtempSync(join(tmpdir(), 'support-access-data-'));
    const api = `http://127.0.0.1:${env.PORT}`;
    // Act: first run, seeded, into a data directory
    const first = start(env, ['--seed', '--data-dir', dataDir]);
    await banner(first);
    const health = await fetch(`${api}/v1/health`);
    const seeded = await fetch(`${api}/v1/tenants/acme/contacts`, { headers: { authorization: `Bearer ${await token(api)}` } });
    first.proc.kill('SIGINT');
    const code = await first.exited;
    // Assess: it answered, told the newcomer how to start, and left nothing running
    expect(health.status).toBe(200);
    expect(((await seeded.json()) as { items: unknown[] }).items).toHaveLength(2);
    expect(first.output()).toContain(`/_local/token`);
    expect(code).toBe(0);
    for (const port of Object.values(env)) expect(await listening(Number(port)), `port ${port} still open`).toBe(false);

    // Act: second run on the same data directory, not seeded
    const second = start(env, ['--data-dir', dataDir]);
    await banner(second);
    const kept = await fetch(`${api}/v1/tenants/acme/contacts`, { headers: { authorization: `Bearer ${await token(api)}` } });
    second.proc.kill('SIGINT');
    await second.exited;
    // Assess
    expect(((await kept.json()) as { items: { email: string }[] }).items.map((c) => c.email).sort()).toEqual([
      'alice@acme.test',
      'carol@acme.test',
    ]);
  }, 600_000); // two starts of Java, the SES server and the API: minutes when both cores are busy

  it('says which port is taken instead of failing obscurely', async () => {
    // Prepare: something already listens on the API port
    const env = await ports();
    const squatter = createServer().listen(Number(env.PORT), '127.0.0.1');
    await new Promise((r) => squatter.once('listening', r));
    try {
      // Act
      const run = start(env);
      const code = await run.exited;
      // Assess
      expect(code).toBe(1);
      expect(run.output()).toContain(`Port ${env.PORT} for the API is in use`);
      expect(await listening(Number(env.DYNAMODB_PORT))).toBe(false);
    } finally {
      squatter.close();
    }
  }, 60_000);

  it('stops with the variable named when an integration setting cannot work', async () => {
    // Prepare: a comma-joined issuer where a JSON list of providers goes
    const env = { ...(await ports()), IDENTITY_PROVIDERS: 'https://a.okta.com,https://b.auth0.com/' };

    // Act
    const run = start(env);
    try {
      const code = await Promise.race([run.exited, new Promise<'running'>((r) => setTimeout(() => r('running'), 30_000))]);

      // Assess
      expect(code).toBe(1);
      expect(run.output()).toContain('environment variable IDENTITY_PROVIDERS: must be a JSON list of providers');
      expect(await listening(Number(env.DYNAMODB_PORT))).toBe(false);
    } finally {
      // A stack that started anyway is stopped as Ctrl-C stops it.
      if (run.proc.exitCode === null) {
        run.proc.kill('SIGINT');
        await run.exited;
      }
    }
  }, 60_000);
});
