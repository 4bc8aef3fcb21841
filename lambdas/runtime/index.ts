/**
 * The runtime: the only place that reads the environment and makes SDK clients. A Lambda entry
 * exports `handler = createHandler(lambdaDeps())`; the local stack and the tests call
 * `createHandler` with their own `buildDeps(...)` instead (no global state to set).
 */
import { buildDeps, type AppDeps } from './deps.ts';
import { settingsFromEnv } from './settings.ts';

export { buildDeps, deliveryDeps, type AppDeps, type StorePorts, type Wiring } from './deps.ts';
export { documentClient, dynamoClient, sesClient } from './clients.ts';
export { pooledRandom, systemClock, ulidIds } from './ids.ts';
export { secretReader, type Secrets } from './secrets.ts';
export { createSesMailer } from './ses-mailer.ts';
export { required, settingsFromEnv, type Settings } from './settings.ts';

/** Where a function's dependencies come from: built on first call, then kept. */
export type DepsSource = () => AppDeps;

let fromEnv: AppDeps | undefined;

/** The deployed function's dependencies, built from the environment on first use. */
export const fromEnvironment: DepsSource = () => (fromEnv ??= buildDeps(settingsFromEnv()));

/**
 * The deployed function's dependencies. In Lambda they are built at load, so a missing setting
 * fails the cold start rather than the first request; elsewhere on first use.
 */
export function lambdaDeps(): DepsSource {
  if (settingsFromEnv().inLambda) fromEnvironment();
  return fromEnvironment;
}
