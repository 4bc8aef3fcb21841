/** The sessions module as the other modules see it: what a support-session token says and who signs it. */
export type { SessionTokenClaims, SessionTokenSigner } from './session-token.ts';
export { endSessionTx } from './store.ts';
export { parseSession, sessionItem } from './entity.ts';
