/** What signs support-session tokens and what the JWKS route lists: one interface, two adapters. */
import type { Jwks } from '../../contract/schemas.ts';
import type { SessionTokenSigner } from '../sessions/index.ts';

export type Jwk = Jwks['keys'][number];

export interface KeySet {
  /** Signs with the current key. */
  signer: SessionTokenSigner;
  /** Every key a live token may name: the current one and, during a rotation, the previous one. */
  jwks(): Promise<Jwks>;
}
