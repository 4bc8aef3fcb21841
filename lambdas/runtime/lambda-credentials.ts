/**
 * What the deployed bundles use in place of `@aws-sdk/credential-provider-node` (the esbuild alias
 * in `lib/functions.ts` `bundlingDefaults`): Lambda hands a function its role's credentials in the
 * environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), so the default
 * chain's other providers (SSO, STS web identity, ini files, processes, the container and instance
 * metadata services, with the STS and SSO clients they bring) are never reached there. Leaving them
 * out takes about a third off every bundle and off its module init (docs/performance.md).
 *
 * Only the bundles see this module; the local stack, tests and scripts keep the SDK's default chain.
 * The SDK's clients call `defaultProvider(config)` from their runtime config; the same name and
 * signature here, so no client is configured differently.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

export function defaultProvider(init?: Parameters<typeof fromEnv>[0]): ReturnType<typeof fromEnv> {
  return fromEnv(init);
}
