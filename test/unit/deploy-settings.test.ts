/**
 * The v1.2 deployment settings as the functions and the local stack read them
 * (`lambdas/runtime/settings.ts` over `lambdas/contract/deploy-settings.ts`, the module `cdk synth`
 * checks them with): locally `http://localhost` issuers are allowed, deployed they are not, and a
 * bad value names its environment variable.
 */
import { describe, expect, it } from 'vitest';
import { isPlaceholderHost, normaliseIssuer, ticketUrl } from '../../lambdas/contract/deploy-settings.ts';
import { integrationSettings, settingsFromEnv } from '../../lambdas/runtime/settings.ts';

const provider = (issuer: string) => JSON.stringify([{ id: 'demo', issuer, audiences: ['console'], roleMap: { admins: 'tenant-admin' } }]);

describe('integration settings read from the environment', () => {
  it('allows a localhost issuer in the local stack and refuses it in Lambda, naming the variable', () => {
    // Prepare
    const env = { IDENTITY_PROVIDERS: provider('http://localhost:4000/') };

    // Act
    const local = integrationSettings(settingsFromEnv(env));

    // Assess
    expect(local.identityProviders[0]).toMatchObject({
      issuer: 'http://localhost:4000',
      for: 'both',
      roleMap: { admins: ['tenant-admin'] },
    });
    expect(() => integrationSettings(settingsFromEnv({ ...env, AWS_LAMBDA_FUNCTION_NAME: 'f' }))).toThrow(
      /environment variable IDENTITY_PROVIDERS: \[0\]\.issuer: "http:\/\/localhost:4000\/" must be an https:\/\/ URL/,
    );
  });

  it('refuses a placeholder deployed and takes it locally, where the demo names live', () => {
    const env = { VENDOR_APP_LAUNCH_URL: 'https://app.vendor.example/support-launch', EMBED_ORIGINS: 'http://127.0.0.1:5173' };
    expect(integrationSettings(settingsFromEnv(env))).toMatchObject({
      vendorAppLaunchUrl: 'https://app.vendor.example/support-launch',
      embedOrigins: ['http://127.0.0.1:5173'],
    });
    expect(() =>
      integrationSettings(settingsFromEnv({ VENDOR_APP_LAUNCH_URL: env.VENDOR_APP_LAUNCH_URL, AWS_LAMBDA_FUNCTION_NAME: 'f' })),
    ).toThrow(/VENDOR_APP_LAUNCH_URL: .*placeholder/);
  });

  it('reads nothing when nothing is set', () => {
    expect(integrationSettings(settingsFromEnv({}))).toEqual({
      identityProviders: [],
      embedOrigins: [],
      vendorAppLaunchUrl: undefined,
      ticketUrlTemplate: undefined,
    });
  });
});

describe('the normal forms', () => {
  it('keeps one issuer form whichever way it is written: no trailing slash, host lower-cased, no default port', () => {
    expect(normaliseIssuer('https://Vendor.EU.Auth0.com/', 'deployed')).toBe('https://vendor.eu.auth0.com');
    expect(normaliseIssuer('https://vendor.okta.com:443/oauth2/default/', 'deployed')).toBe('https://vendor.okta.com/oauth2/default');
    expect(() => normaliseIssuer('https://vendor.okta.com/?x=1', 'deployed')).toThrow(/must not have a \?query/);
  });

  it('knows the reserved example names and no real one', () => {
    for (const h of [
      'example.com',
      'mail.example.org',
      'example.net',
      'vendor.example',
      'vendor.test',
      'x.invalid',
      'a.localhost',
      'yourvendor.com',
    ])
      expect(isPlaceholderHost(h), h).toBe(true);
    for (const h of ['examples.com', 'myexample.com', 'vendor-demo.net', 'okta.com', 'test.io'])
      expect(isPlaceholderHost(h), h).toBe(false);
  });

  it('puts the ticket id, URL-encoded, where the template says', () => {
    expect(ticketUrl('https://help.vendor-demo.net/tickets/{ticketId}?tab=1', 'T 1/2')).toBe(
      'https://help.vendor-demo.net/tickets/T%201%2F2?tab=1',
    );
  });
});
