/**
 * The CDK context the template tests synthesize with: `cdk.json`'s (feature flags and defaults,
 * no deployment's values) plus the settings every deployment must give, passed here explicitly.
 * They are made-up names that are not reserved examples, because synth refuses placeholders
 * (`example.com`, `.test`...) and `cdk.json` ships none that would satisfy "required".
 */
import { readFileSync } from 'node:fs';

/** What a deployment names itself (docs/deploy.md, "Settings"). */
export const REQUIRED_SETTINGS = {
  mailFrom: 'support-access@mail.vendor-demo.net',
  supportEmailDomains: 'vendor-demo.net',
} as const;

/** `cdk.json`'s context, without the required settings. */
export function cdkJsonContext(): Record<string, unknown> {
  return (JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> }).context;
}

/** `cdk.json`'s context with the required settings, as `cdk synth -c ...` would give them. */
export function testContext(): Record<string, unknown> {
  return { ...cdkJsonContext(), ...REQUIRED_SETTINGS };
}
