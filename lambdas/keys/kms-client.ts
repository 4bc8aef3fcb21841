/** The AWS SDK behind `KmsApi`: one client per container. */
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import type { KmsApi } from './kms-keys.ts';

export function kmsApi(client: KMSClient = new KMSClient({})): KmsApi {
  return {
    async sign(keyId, message) {
      const out = await client.send(new SignCommand({ KeyId: keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }));
      if (!out.Signature) throw new Error('kms:Sign answered no signature');
      return out.Signature;
    },
    async publicKey(keyId) {
      const out = await client.send(new GetPublicKeyCommand({ KeyId: keyId }));
      if (!out.PublicKey) throw new Error('kms:GetPublicKey answered no key');
      return out.PublicKey;
    },
  };
}
