/** What the SDK clients on the request path (DynamoDB, KMS) are given; a module of its own, importing no client. */

/**
 * Takes the SDK's logger middleware off a client. The project gives the SDK no logger, yet that
 * middleware copies every command's input and output through the sensitive-data filter for the
 * no-op logger on every call (about 1% of the access check's CPU). Failures still reach the
 * caller as errors, which the project logs itself.
 */
export function withoutSdkLogging<C extends { middlewareStack: { remove(name: string): boolean } }>(client: C): C {
  client.middlewareStack.remove('loggerMiddleware');
  return client;
}
