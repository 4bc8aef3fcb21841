/**
 * The deployed session-token keys: asymmetric AWS KMS keys (ECC_NIST_P256, SIGN_VERIFY). The
 * private key never leaves KMS: the token's signing input is sent to `kms:Sign`, whose DER
 * signature becomes the JWS's raw `r || s`. The JWKS comes from `kms:GetPublicKey`, read once per
 * container. The last key of the list signs; the others are only listed (a rotation, docs/deploy.md).
 */
import { createPublicKey } from 'node:crypto';
import { base64url, exportJWK } from 'jose';
import type { SessionTokenClaims } from '../sessions/index.ts';
import { derToRawEcdsa } from './der.ts';
import type { Jwk, KeySet } from './key-set.ts';

/** The two KMS calls the keys need (the SDK adapter is `kmsApi` in `lambdas/runtime/kms.ts`). */
export interface KmsApi {
  /** `kms:Sign` with ECDSA_SHA_256 over the raw message: the DER signature. */
  sign(keyId: string, message: Uint8Array): Promise<Uint8Array>;
  /** `kms:GetPublicKey`: the DER SubjectPublicKeyInfo. */
  publicKey(keyId: string): Promise<Uint8Array>;
}

/** A key's `kid`: its KMS key id (the last part of its ARN), stable for the key's life. */
export const kidOf = (keyArn: string) => keyArn.split('/').at(-1)!;

/** The JWS compact serialisation of claims signed by a KMS key, assembled around `kms:Sign`. */
export async function signWithKms(kms: KmsApi, keyArn: string, claims: SessionTokenClaims): Promise<string> {
  const header = base64url.encode(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid: kidOf(keyArn) }));
  const payload = base64url.encode(JSON.stringify(claims));
  const input = `${header}.${payload}`;
  const der = await kms.sign(keyArn, new TextEncoder().encode(input));
  return `${input}.${base64url.encode(derToRawEcdsa(der))}`;
}

/** The KMS keys by ARN, the last one signing. */
export function createKmsKeySet(kms: KmsApi, keyArns: readonly string[]): KeySet {
  if (keyArns.length === 0) throw new Error('at least one session-token key is needed');
  const signing = keyArns.at(-1)!;
  let listing: Promise<Jwk[]> | undefined;
  const load = async (): Promise<Jwk[]> =>
    Promise.all(
      keyArns.map(async (arn) => {
        const spki = await kms.publicKey(arn);
        const { kty, crv, x, y } = await exportJWK(createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }));
        if (kty !== 'EC' || crv !== 'P-256') throw new Error(`session key ${arn} is not an ECC_NIST_P256 key`);
        return { kty: 'EC' as const, crv: 'P-256' as const, x: x!, y: y!, kid: kidOf(arn), alg: 'ES256' as const, use: 'sig' as const };
      }),
    );
  return {
    signer: { sign: (claims) => signWithKms(kms, signing, claims) },
    jwks: async () => {
      listing ??= load().catch((e: unknown) => {
        listing = undefined;
        throw e;
      });
      return { keys: await listing };
    },
  };
}
