/**
 * The session-token keys and settings of a function, built once per container from the
 * environment: `SESSION_KEY_ARNS` (comma-separated KMS key ARNs, the last one signs),
 * `SESSION_TOKEN_ISSUER` and `SESSION_TOKEN_AUDIENCE`. The local stack sets its own with
 * `setSessionKeys`.
 */
import type { SessionTokens } from '../domain/session-token.ts';
import { requiredEnv } from '../http/runtime.ts';
import type { KeySet } from './key-set.ts';
import { kmsApi } from './kms-client.ts';
import { createKmsKeySet } from './kms-keys.ts';

let keys: KeySet | undefined;
let settings: { issuer: string; audience: string } | undefined;

/** Replaces the key set and the token settings (the local stack, tests). */
export function setSessionKeys(next: KeySet, tokenSettings: { issuer: string; audience: string }): void {
  keys = next;
  settings = tokenSettings;
}

/** The key set: KMS when deployed. */
export function sessionKeys(): KeySet {
  keys ??= createKmsKeySet(kmsApi(), requiredEnv('SESSION_KEY_ARNS').split(',').map((s) => s.trim()).filter(Boolean));
  return keys;
}

/** What the domain needs to issue tokens: the signer, the issuer and the audience. */
export function sessionTokens(): SessionTokens {
  settings ??= { issuer: requiredEnv('SESSION_TOKEN_ISSUER'), audience: requiredEnv('SESSION_TOKEN_AUDIENCE') };
  return { signer: sessionKeys().signer, ...settings };
}
