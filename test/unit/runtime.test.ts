/**
 * Deployed functions read the cursor key through the AWS Parameters and Secrets Lambda Extension
 * (an HTTP server on localhost inside Lambda). It does not exist here, so a small HTTP server plays
 * its part, answering as the extension documents; the failure it is asked to give is the fault.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cursorSecret, type Runtime } from '../../lambdas/http/runtime.ts';

let server: Server;
let calls: { url: string; token: string | undefined }[] = [];
let healthy = false;

beforeAll(async () => {
  server = createServer((req, res) => {
    calls.push({ url: req.url ?? '', token: req.headers['x-aws-parameters-secrets-token'] as string | undefined });
    if (!healthy) return res.writeHead(500).end('{"message":"not ready"}');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ Name: 'cursor', SecretString: 'key-from-secrets-manager' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT = String((server.address() as AddressInfo).port);
  process.env.CURSOR_SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cursor-AbCdEf';
  process.env.AWS_SESSION_TOKEN = 'session-token';
});
afterAll(() => {
  server.close();
  delete process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT;
  delete process.env.CURSOR_SECRET_ARN;
  delete process.env.AWS_SESSION_TOKEN;
});

const runtime = () => ({ cursorSecret: '' }) as Runtime;

describe('the cursor key in Lambda', () => {
  it('fails the request while the secret cannot be read, then reads it once the extension answers', async () => {
    // Prepare
    const rt = runtime();
    calls = [];
    // Act / Assess: a failed read is not cached
    healthy = false;
    await expect(cursorSecret(rt)).rejects.toThrow(/HTTP 500/);
    healthy = true;
    await expect(cursorSecret(rt)).resolves.toBe('key-from-secrets-manager');
    // Assess: asked for that secret, with the session token the extension requires
    expect(calls).toHaveLength(2);
    expect(calls[1]!.url).toBe(`/secretsmanager/get?secretId=${encodeURIComponent(process.env.CURSOR_SECRET_ARN!)}`);
    expect(calls[1]!.token).toBe('session-token');
  });

  it('reads it once per container', async () => {
    const rt = runtime();
    calls = [];
    await cursorSecret(rt);
    await cursorSecret(rt);
    expect(calls.length).toBeLessThanOrEqual(1);
    expect(rt.cursorSecret).toBe('key-from-secrets-manager');
  });

  it('uses CURSOR_SECRET as given (the local stack) without asking anyone', async () => {
    calls = [];
    expect(await cursorSecret({ cursorSecret: 'local' } as Runtime)).toBe('local');
    expect(calls).toEqual([]);
  });
});

describe('the environment each function is deployed with', () => {
  it('builds the jobs’ runtime without SUPPORT_EMAIL_DOMAINS (only API functions get it), and reads it when a grantee is checked', async () => {
    // Prepare: a job's environment (lib/jobs.ts gives TABLE_NAME, not the support domains)
    const { getRuntime, setRuntime } = await import('../../lambdas/http/runtime.ts');
    const saved = { table: process.env.TABLE_NAME, domains: process.env.SUPPORT_EMAIL_DOMAINS };
    process.env.TABLE_NAME = 'any-table';
    delete process.env.SUPPORT_EMAIL_DOMAINS;
    setRuntime(undefined as unknown as Runtime);
    try {
      // Act / Assess: loading works; the setting is required once it is used
      const rt = getRuntime();
      expect(() => rt.supportEmailDomains).toThrow(/SUPPORT_EMAIL_DOMAINS is required/);
      process.env.SUPPORT_EMAIL_DOMAINS = 'vendor.test,Vendor.COM';
      expect(rt.supportEmailDomains).toEqual(['vendor.test', 'vendor.com']);
    } finally {
      process.env.TABLE_NAME = saved.table;
      if (saved.domains === undefined) delete process.env.SUPPORT_EMAIL_DOMAINS;
      else process.env.SUPPORT_EMAIL_DOMAINS = saved.domains;
      setRuntime(undefined as unknown as Runtime);
    }
  });
});
