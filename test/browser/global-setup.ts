/**
 * Starts one local stack for the browser tests (test/browser/serve.ts, in its own process: its own
 * DynamoDB Local, the local SES server and the API, which serves the console from web/dist at
 * /app, on free ports) and returns the function that stops it, which Playwright runs also when
 * tests fail. If the runner itself dies, the stack sees its stdin close and stops, and DynamoDB
 * Local's watchdog stops Java.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

const root = fileURLToPath(new URL('../../', import.meta.url));

export default async function globalSetup(): Promise<() => Promise<void>> {
  if (!existsSync(`${root}web/dist/index.html`)) {
    throw new Error('web/dist is missing: run `npm run web:build` first (`npm run test:browser` and `npm test` do).');
  }
  const child = spawn(`${root}node_modules/.bin/tsx`, ['test/browser/serve.ts'], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const lines = createInterface({ input: child.stdout! });
  const started = await new Promise<{ url: string; sesUrl: string }>((resolve, reject) => {
    // A bound for a stack that will not start (it exits at once when it fails), not a start time to
    // meet: on a busy machine Java alone may take a minute or more.
    const timer = setTimeout(() => reject(new Error('the local stack did not start within 180 s')), 180_000);
    child.once('exit', (code) => reject(new Error(`the local stack exited (${code}) before it started`)));
    lines.on('line', (line) => {
      if (!line.startsWith('{"url"')) return process.stdout.write(`${line}\n`);
      clearTimeout(timer);
      resolve(JSON.parse(line) as { url: string; sesUrl: string });
    });
  }).catch(async (e: unknown) => {
    child.kill('SIGTERM');
    await exited;
    throw e;
  });
  // Workers inherit the environment: how the tests find this stack.
  process.env.BROWSER_STACK_URL = started.url;
  process.env.BROWSER_SES_URL = started.sesUrl;
  return async () => {
    child.kill('SIGTERM');
    await exited;
  };
}
