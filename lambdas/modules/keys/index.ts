/** What other modules may use of the keys module: the KMS port and the DER-to-JWS signature conversion. */
export { derToRawEcdsa } from './der.ts';
export { kidOf, type KmsApi } from './kms-keys.ts';
export type { Jwk } from './key-set.ts';
