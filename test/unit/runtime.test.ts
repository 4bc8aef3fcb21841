/**
 * Deployed functions read the cursor key through the AWS Parameters and Secrets Lambda Extension
 * (an HTTP server on localhost inside Lambda). It does not exist here, so a small HTTP server plays
 * its part, answering as the extension documents; the failure it is asked to give is the fault.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDeps, dynamoClient, secretReader, settingsFromEnv, type Settings } from '../../lambdas/runtime/index.ts';

let server: Server;
let calls: { url: string; token: string | undefined }[] = [];
let healthy = false;
/** Set: the extension takes the request and never answers. */
let hung = false;

let extension: Settings['secretsExtension'];
const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cursor-AbCdEf';

beforeAll(async () => {
  server = createServer((req, res) => {
    calls.push({ url: req.url ?? '', token: req.headers['x-aws-parameters-secrets-token'] as string | undefined });
    if (hung) return;
    if (!healthy) return res.writeHead(500).end('{"message":"not ready"}');
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ Name: 'cursor', SecretString: 'key-from-secrets-manager' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  // The environment a deployed function has: the extension's port, the ARN, the session token.
  extension = settingsFromEnv({
    PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: String((server.address() as AddressInfo).port),
    AWS_SESSION_TOKEN: 'session-token',
  }).secretsExtension;
});
afterAll(() => {
  server.close();
});

const cursorSecret = (env: Record<string, string>) => secretReader(settingsFromEnv(env).cursorSecret, extension);

describe('the cursor key in Lambda', () => {
  it('fails the request while the secret cannot be read, then reads it once the extension answers', async () => {
    // Prepare
    const read = cursorSecret({ CURSOR_SECRET_ARN: ARN });
    calls = [];
    // Act / Assess: a failed read is not cached
    healthy = false;
    await expect(read()).rejects.toThrow(/HTTP 500/);
    healthy = true;
    await expect(read()).resolves.toBe('key-from-secrets-manager');
    // Assess: asked for that secret, with the session token the extension requires
    expect(calls).toHaveLength(2);
    expect(calls[1]!.url).toBe(`/secretsmanager/get?secretId=${encodeURIComponent(ARN)}`);
    expect(calls[1]!.token).toBe('session-token');
  });

  it('fails a read the extension does not answer in time, and asks again on the next call', async () => {
    // Prepare
    const read = secretReader(settingsFromEnv({ CURSOR_SECRET_ARN: ARN }).cursorSecret, { ...extension, timeoutMs: 200 });
    calls = [];
    // Act / Assess
    hung = true;
    try {
      await expect(read()).rejects.toThrow(/no answer from the secrets extension in 200 ms/);
    } finally {
      hung = false;
    }
    healthy = true;
    await expect(read()).resolves.toBe('key-from-secrets-manager');
    expect(calls).toHaveLength(2);
  });

  it('reads it once per container', async () => {
    const read = cursorSecret({ CURSOR_SECRET_ARN: ARN });
    calls = [];
    expect(await read()).toBe('key-from-secrets-manager');
    expect(await read()).toBe('key-from-secrets-manager');
    expect(calls.length).toBe(1);
  });

  it('uses CURSOR_SECRET as given (the local stack) without asking anyone', async () => {
    calls = [];
    expect(await cursorSecret({ CURSOR_SECRET: 'local', CURSOR_SECRET_ARN: ARN })()).toBe('local');
    expect(calls).toEqual([]);
  });
});

describe('the environment each function is deployed with', () => {
  it('builds the jobs’ runtime without SUPPORT_EMAIL_DOMAINS (only API functions get it), and reads it when a grantee is checked', () => {
    // Prepare: a job's environment (lib/jobs.ts gives TABLE_NAME, not the support domains)
    const job = buildDeps(settingsFromEnv({ TABLE_NAME: 'any-table' }));
    // Act / Assess: building works; the setting is required once it is used
    expect(() => job.supportEmailDomains).toThrow(/SUPPORT_EMAIL_DOMAINS is required/);
    const api = buildDeps(settingsFromEnv({ TABLE_NAME: 'any-table', SUPPORT_EMAIL_DOMAINS: 'vendor.test,Vendor.COM' }));
    expect(api.supportEmailDomains).toEqual(['vendor.test', 'vendor.com']);
  });

  it('stops a function without its table at once', () => {
    expect(() => buildDeps(settingsFromEnv({}))).toThrow(/TABLE_NAME is required/);
  });
});

describe('the DynamoDB client of the functions', () => {
  it('carries no SDK logger middleware, which only filtered every input and output for a logger nobody gave it', () => {
    const client = dynamoClient();
    try {
      const names = client.middlewareStack.identify().map((m) => m.split(' ')[0]);
      expect(names).toContain('retryMiddleware');
      expect(names).not.toContain('loggerMiddleware');
    } finally {
      client.destroy();
    }
  });
});
