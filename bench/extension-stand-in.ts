/**
 * A stand-in for the AWS Parameters and Secrets Lambda Extension on loopback, for the fresh
 * processes of section 6: deployed, the functions read their keys (cursor, audit chain, event MAC)
 * through it when first needed, so sign-in's first request reads the event key from it as it does
 * in Lambda. It answers `GET /secretsmanager/get?secretId=<arn>` as the extension documents,
 * for the session token it is given.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ExtensionStandIn {
  port: string;
  stop(): Promise<void>;
}

export async function startExtensionStandIn(secrets: Record<string, string>, sessionToken: string): Promise<ExtensionStandIn> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const value = secrets[url.searchParams.get('secretId') ?? ''];
    if (req.headers['x-aws-parameters-secrets-token'] !== sessionToken) return res.writeHead(401).end('{"message":"no token"}');
    if (url.pathname !== '/secretsmanager/get' || value === undefined) return res.writeHead(400).end('{"message":"no such secret"}');
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ ARN: url.searchParams.get('secretId'), Name: 'bench', SecretString: value }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: String((server.address() as AddressInfo).port),
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
