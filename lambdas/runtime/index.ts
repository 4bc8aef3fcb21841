/**
 * The runtime: the only place that reads the environment and makes SDK clients. A Lambda entry
 * exports `handler = createHandler(lambdaDeps())`; the local stack and the tests call
 * `createHandler` with their own `buildDeps(...)` instead (no global state to set).
 */
import { buildDeps, type AppDeps } from './deps.ts';
import type { Wiring } from './deps.ts';
import { settingsFromEnv, type Settings } from './settings.ts';

export { buildDeps, deliveryDeps, type AppDeps, type StorePorts, type Wiring } from './deps.ts';
export { documentClient, dynamoClient } from './clients.ts';
export { pooledRandom, systemClock, ulidIds } from './ids.ts';
export { secretReader, type Secrets } from './secrets.ts';
export { integrationSettings, required, settingsFromEnv, type IntegrationSettings, type Settings } from './settings.ts';
export { createTelemetry, observe, observedJob, type Telemetry } from './telemetry.ts';

/** Where a function's dependencies come from: built on first call, then kept. */
export type DepsSource = () => AppDeps;

let fromEnv: AppDeps | undefined;

/** The deployed function's dependencies, built from the environment on first use. */
export const fromEnvironment: DepsSource = () => (fromEnv ??= buildDeps(settingsFromEnv()));

/**
 * The deployed function's dependencies. In Lambda they are built at load, so a missing setting
 * fails the cold start rather than the first request; elsewhere on first use.
 */
export function lambdaDeps(wire?: (settings: Settings) => Wiring): DepsSource {
  if (!wire) {
    if (settingsFromEnv().inLambda) fromEnvironment();
    return fromEnvironment;
  }
  // A function with parts of its own (the notifier's SES, the sessions' KMS keys, the publisher's
  // bus): only its module imports them, so only its bundle carries their SDK clients.
  let made: AppDeps | undefined;
  const source: DepsSource = () => {
    if (made) return made;
    const settings = settingsFromEnv();
    return (made = buildDeps(settings, wire(settings)));
  };
  if (settingsFromEnv().inLambda) source();
  return source;
}
