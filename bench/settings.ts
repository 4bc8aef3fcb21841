/**
 * The settings the benchmark's local stacks run with: its support staff are @vendor.example (the
 * local stack defaults to the demo's @vendor.test). The stack reads no environment, so they are
 * passed to `startStack`; the child processes of sections 2 and 6 get them as `SUPPORT_EMAIL_DOMAINS`.
 */
export const BENCH_SETTINGS = { supportEmailDomains: 'vendor.example' };
