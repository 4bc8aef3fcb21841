/**
 * A stand-in for AWS KMS's `Sign` on loopback, for the fresh processes of section 6: deployed,
 * sign-in signs its session token with `kms:Sign`, and there is no AWS account here. It answers the
 * SDK's JSON protocol with a DER ECDSA P-256 signature (what KMS answers) made by Node's crypto
 * with a key made at start, so the deployed bundle runs its own KMS client, connection set-up and
 * DER conversion unchanged. Real KMS adds its own network time (a few ms in the same region).
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface KmsStandIn {
  endpoint: string;
  /** An ARN the stand-in signs for (any key id is accepted). */
  keyArn: string;
  stop(): Promise<void>;
}

export async function startKmsStandIn(): Promise<KmsStandIn> {
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = req.headers['x-amz-target'];
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { KeyId?: string; Message?: string };
      if (target !== 'TrentService.Sign' || !body.Message || !body.KeyId) {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: 'UnsupportedOperationException', message: `the stand-in signs only (${String(target)})` }));
        return;
      }
      const signature = sign('sha256', Buffer.from(body.Message, 'base64'), privateKey); // DER, as KMS
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
      res.end(JSON.stringify({ KeyId: body.KeyId, Signature: signature.toString('base64'), SigningAlgorithm: 'ECDSA_SHA_256' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    keyArn: 'arn:aws:kms:eu-central-1:000000000000:key/bench-session-key',
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
