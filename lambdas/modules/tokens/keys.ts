/**
 * The API-token keys, two adapters of `ApiTokenKeys`: a P-256 key made at start (the local stack,
 * the tests) and an AWS KMS key (deployed: ECC_NIST_P256, SIGN_VERIFY; the private key never leaves
 * KMS, whose DER signature becomes the JWS's raw `r || s`). Separate from the support-session keys:
 * a key that signs one kind of token never signs the other.
 */
import { createPublicKey, generateKeyPairSync, KeyObject, sign as signWithKey } from 'node:crypto';
import { derToRawEcdsa, kidOf, type Jwk, type KmsApi } from '../keys/index.ts';
import type { ApiTokenKeys } from './api-token.ts';

const jwkOf = (kid: string, spki: Parameters<typeof createPublicKey>[0]): Jwk => {
  const { kty, crv, x, y } = (spki instanceof KeyObject ? spki : createPublicKey(spki)).export({ format: 'jwk' });
  if (kty !== 'EC' || crv !== 'P-256' || !x || !y) throw new Error(`API-token key ${kid} is not a P-256 key`);
  return { kty: 'EC', crv: 'P-256', x, y, kid, alg: 'ES256', use: 'sig' };
};

/** A key made now, held in memory only. */
export function createLocalApiTokenKeys(): ApiTokenKeys & { kid: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const kid = `api-local-${Date.now().toString(36)}`;
  const jwk = jwkOf(kid, publicKey);
  return {
    kid,
    signer: { kid: () => kid, sign: async (input) => signWithKey('sha256', input, { key: privateKey, dsaEncoding: 'ieee-p1363' }) },
    jwks: async () => ({ keys: [jwk] }),
  };
}

/** KMS keys by ARN, the last one signing (the others are listed while their tokens live: a rotation). */
export function createKmsApiTokenKeys(kms: KmsApi, keyArns: readonly string[]): ApiTokenKeys {
  if (keyArns.length === 0) throw new Error('at least one API-token key is needed');
  const signing = keyArns.at(-1)!;
  let listing: Promise<Jwk[]> | undefined;
  const load = () =>
    Promise.all(keyArns.map(async (arn) => jwkOf(kidOf(arn), { key: Buffer.from(await kms.publicKey(arn)), format: 'der', type: 'spki' })));
  return {
    signer: { kid: () => kidOf(signing), sign: async (input) => derToRawEcdsa(await kms.sign(signing, input)) },
    jwks: async () => {
      listing ??= load().catch((e: unknown) => {
        listing = undefined;
        throw e;
      });
      return { keys: await listing };
    },
  };
}
