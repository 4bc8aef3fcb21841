/**
 * The local stack's session-token keys: an ES256 key pair made at start (jose), never written
 * anywhere. `rotate()` and `retire()` play a key rotation (docs/deploy.md) so it can be tested.
 */
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import type { SessionTokenClaims } from '../sessions/index.ts';
import type { Jwk, KeySet } from './key-set.ts';

interface LocalKey {
  kid: string;
  privateKey: CryptoKey;
  jwk: Jwk;
}

async function makeKey(n: number): Promise<LocalKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: false });
  const kid = `local-${Date.now().toString(36)}-${n}`;
  const { kty, crv, x, y } = await exportJWK(publicKey);
  return { kid, privateKey, jwk: { kty: kty as 'EC', crv: crv as 'P-256', x: x!, y: y!, kid, alg: 'ES256', use: 'sig' } };
}

export interface LocalKeySet extends KeySet {
  /** Makes a new key the signing one; the previous stays listed. Answers the new `kid`. */
  rotate(): Promise<string>;
  /** Drops every key but the current one from the JWKS (once their tokens have expired). */
  retire(): void;
  /** The current signing key's `kid`. */
  currentKid(): string;
}

/** A key set with one fresh key. */
export async function createLocalKeySet(): Promise<LocalKeySet> {
  let made = 0;
  let keys: LocalKey[] = [await makeKey(made++)];
  const current = () => keys.at(-1)!;
  return {
    signer: {
      sign: (claims: SessionTokenClaims) => {
        const key = current();
        return new SignJWT({ ...claims }).setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: key.kid }).sign(key.privateKey);
      },
    },
    jwks: async () => ({ keys: keys.map((k) => k.jwk) }),
    rotate: async () => {
      keys = [...keys, await makeKey(made++)];
      return current().kid;
    },
    retire: () => {
      keys = [current()];
    },
    currentKid: () => current().kid,
  };
}
