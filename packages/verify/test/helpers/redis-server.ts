/**
 * A real redis-server (Debian's /usr/bin/redis-server) on a free port for one test file:
 * `redis-server --port N --save '' --daemonize yes` with its own directory, stopped with
 * `redis-cli -p N shutdown nosave`. The port is asked of the kernel (listen on 0), and the server
 * that answers is checked to be ours (its `dir` is our fresh temporary directory), so two runs at
 * once never share one; a port taken in between is simply tried again with another.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface RedisServer {
  port: number;
  url: string;
  stop(): Promise<void>;
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

const cli = async (port: number, ...args: string[]) =>
  (await run('redis-cli', ['-p', String(port), ...args], { timeout: 5_000 })).stdout.trim();

export async function startRedis(timeoutMs = 30_000): Promise<RedisServer> {
  for (let attempt = 1; ; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'verify-redis-'));
    const port = await freePort();
    const logfile = join(dir, 'redis.log');
    await run('redis-server', [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--daemonize',
      'yes',
      '--dir',
      dir,
      '--logfile',
      logfile,
      '--pidfile',
      join(dir, 'redis.pid'),
    ]);
    const stop = async () => {
      await cli(port, 'shutdown', 'nosave').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    };
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const answered = await cli(port, 'config', 'get', 'dir').catch(() => '');
      if (answered.includes(dir)) return { port, url: `redis://127.0.0.1:${port}`, stop };
      if (answered !== '') break; // another redis-server holds the port: not ours, try another
      let log = '';
      try {
        log = readFileSync(logfile, 'utf8');
      } catch {
        // not written yet
      }
      if (/Address already in use|Could not create server TCP/.test(log)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    rmSync(dir, { recursive: true, force: true });
    if (attempt >= 5) throw new Error(`redis-server did not come up on a free port in ${attempt} attempts`);
  }
}
