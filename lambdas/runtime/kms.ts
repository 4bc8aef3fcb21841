/**
 * The deployed session-token keys: the AWS SDK behind `KmsApi` (one client per container) and the
 * key set over `SESSION_KEY_ARNS`. Only the functions that sign or list the keys import this.
 */
import { GetPublicKeyCommand, KMSClient, SignCommand } from '@aws-sdk/client-kms';
import type { KeySet } from '../modules/keys/key-set.ts';
import { createKmsKeySet, type KmsApi } from '../modules/keys/kms-keys.ts';
import { createKmsApiTokenKeys, type ApiTokenKeys } from '../modules/tokens/index.ts';
import { withoutSdkLogging } from './sdk.ts';
import { required, settingsFromEnv, type Settings } from './settings.ts';

export function kmsApi(client: KMSClient = withoutSdkLogging(new KMSClient({}))): KmsApi {
  return {
    async sign(keyId, message) {
      const out = await client.send(
        new SignCommand({ KeyId: keyId, Message: message, MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }),
      );
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

/** The KMS key set of `SESSION_KEY_ARNS` (comma-separated, the last one signs). */
export function kmsKeySet(settings: Settings): KeySet {
  const arns = required(settings.sessionKeyArns, 'SESSION_KEY_ARNS')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return createKmsKeySet(kmsApi(), arns);
}

/** The wiring of the functions that use the session-token keys (sessions sign, keys lists them). */
export const kmsWiring = (settings: Settings) => {
  let keys: KeySet | undefined;
  return {
    get sessionKeys() {
      return (keys ??= kmsKeySet(settings));
    },
  };
};

/** The deployed key set, made from the environment on first use (the keys function has no table). */
export function kmsKeysFromEnv(): () => KeySet {
  let keys: KeySet | undefined;
  return () => (keys ??= kmsKeySet(settingsFromEnv()));
}

/** The deployed API-token keys (`API_TOKEN_KEY_ARNS`) and issuer (`TOKEN_ISSUER`), made on first use. */
export function apiTokenKeysFromEnv(): () => { keys: ApiTokenKeys; issuer: string } {
  let made: { keys: ApiTokenKeys; issuer: string } | undefined;
  return () => {
    if (made) return made;
    const settings = settingsFromEnv();
    const arns = required(settings.apiTokenKeyArns, 'API_TOKEN_KEY_ARNS')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    return (made = { keys: createKmsApiTokenKeys(kmsApi(), arns), issuer: required(settings.tokenIssuer, 'TOKEN_ISSUER') });
  };
}
