/**
 * How the benchmark's local stacks run (sections 1 and 5):
 * - its support staff are @vendor.example (the local stack defaults to the demo's @vendor.test);
 *   the stack reads no environment, so the settings are passed to `startStack` (the fresh
 *   processes of sections 2 and 6 get them as `SUPPORT_EMAIL_DOMAINS`);
 * - no event publishing on the request path: locally the adapter reads the stream and publishes
 *   after every write before it answers (so tests see events at once), which in AWS the stream's
 *   own function does apart from the request. The table keeps its stream, as deployed.
 */
export const BENCH_STACK = { settings: { supportEmailDomains: 'vendor.example' }, events: false } as const;
