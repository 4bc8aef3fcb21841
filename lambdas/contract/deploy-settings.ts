/**
 * The deployment settings of v1.2 (API.md, "v1.2 additions"): `identityProviders`, `embedOrigins`,
 * `vendorAppLaunchUrl` and `ticketUrlTemplate`, and the placeholder rule for every host name a
 * deployment is given. One module for both readers: `lib/config.ts` checks the CDK context at
 * synth (`deployed`), and `lambdas/runtime/settings.ts` reads the same values back from the
 * environment the stack (or the local stack, `local`) gives the functions.
 *
 * Issuers are kept in one normal form (`normaliseIssuer`): scheme and host lower-cased, no default
 * port, and **no trailing slash**. Providers differ (Auth0's `iss` ends in `/`, Okta's and Entra
 * ID's do not); a token's `iss` is compared after the same normalisation, so either spelling of a
 * provider's issuer in the settings matches its tokens, and the discovery document is at
 * `{issuer}/.well-known/openid-configuration` either way.
 */
import * as z from 'zod';
import { ROLES } from './routes.ts';

/** Where the settings are used: deployed (https only, no placeholders) or the local stack (also `http://localhost`). */
export type SettingsMode = 'deployed' | 'local';

const SUPPORT_ROLES = ['support-agent', 'support-lead'] as const;
const TENANT_ROLES = ['tenant-admin', 'tenant-user'] as const;

/**
 * Names reserved for documentation and tests (RFC 2606, RFC 6761): `example.com`, `.net`, `.org`
 * and their subdomains, and the `.example`, `.test`, `.invalid` and `.localhost` top-level names.
 * A deployment given one would send mail nobody gets, or trust an issuer nobody runs.
 */
export function isPlaceholderHost(host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, '');
  return (
    /(^|\.)example\.(com|net|org)$/.test(h) ||
    /(^|\.)(example|test|invalid|localhost)$/.test(h) ||
    // The brief's own shorthand for "put yours here".
    /(^|\.)your(company|domain|vendor)\./.test(h)
  );
}

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1']);

/**
 * A URL the deployment will call or send people to: parsed, https (locally also `http://localhost`
 * and `http://127.0.0.1`), no credentials, no fragment, not a placeholder host (deployed), and
 * never a list (a comma or a space in it is what a comma-joined value looks like).
 */
export function checkUrl(value: string, mode: SettingsMode, what = 'URL'): URL {
  if (/[\s,]/.test(value)) throw new Error(`"${value}" is one ${what}, not a list (no commas or spaces); give a JSON list for several`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`"${value}" is not a URL`);
  }
  const local = mode === 'local' && url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname);
  if (url.protocol !== 'https:' && !local) {
    throw new Error(`"${value}" must be an https:// URL${mode === 'local' ? ' (or http://localhost, http://127.0.0.1)' : ''}`);
  }
  if (url.username || url.password) throw new Error(`"${value}" must not carry a user name or password`);
  if (url.hash) throw new Error(`"${value}" must not have a #fragment`);
  if (mode === 'deployed' && isPlaceholderHost(url.hostname)) {
    throw new Error(`"${value}" is a placeholder (${url.hostname} is reserved for examples): give your own`);
  }
  return url;
}

/** The issuer's normal form: see the module comment. No query string either (OIDC Discovery §3). */
export function normaliseIssuer(value: string, mode: SettingsMode): string {
  const url = checkUrl(value, mode, 'issuer');
  if (url.search) throw new Error(`"${value}" must not have a ?query (an OpenID issuer has none)`);
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

/** An exact origin (`scheme://host[:port]`, nothing after it): what CSP's frame-ancestors and CORS compare. */
export function checkOrigin(value: string, mode: SettingsMode): string {
  const url = checkUrl(value, mode, 'origin');
  if (value !== url.origin) throw new Error(`"${value}" is not an exact origin (scheme://host[:port], no path or trailing slash)`);
  return url.origin;
}

/** Which claim of a provider's ID token holds what (API.md: these names unless given). */
export const DEFAULT_CLAIMS = { email: 'email', emailVerified: 'email_verified', name: 'name', roles: 'groups', tenants: 'tenants' };

const roleList = () => z.union([z.enum(ROLES), z.array(z.enum(ROLES)).min(1)]).transform((r) => (Array.isArray(r) ? [...new Set(r)] : [r]));

/** The schema of the `identityProviders` setting in `mode`. Built when called (never at cold start). */
export function identityProvidersSchema(mode: SettingsMode) {
  const claimName = z.string().trim().min(1).max(200);
  const issuer = z.string().transform((v, ctx) => {
    try {
      return normaliseIssuer(v, mode);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  });
  const provider = z
    .strictObject({
      id: z
        .string()
        .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'must be 1-32 lowercase letters, digits or hyphens')
        .refine((id) => id !== 'cognito', "is the name of the stack's own pool (the default provider): choose another"),
      issuer,
      audiences: z
        .array(
          z
            .string()
            .trim()
            .min(1)
            .max(256)
            .refine((a) => !a.includes(','), 'is one audience, not a comma-joined list'),
        )
        .min(1, 'must name at least one audience (the client id the provider puts in aud)'),
      for: z.enum(['staff', 'tenants', 'both']).default('both'),
      claims: z
        .strictObject({
          email: claimName.optional(),
          emailVerified: claimName.optional(),
          name: claimName.optional(),
          roles: claimName.optional(),
          tenants: claimName.optional(),
        })
        .optional()
        .transform((c) => ({ ...DEFAULT_CLAIMS, ...c })),
      roleMap: z.record(z.string().min(1).max(256), roleList()),
    })
    .superRefine((p, ctx) => {
      const allowed: readonly string[] =
        p.for === 'staff' ? SUPPORT_ROLES : p.for === 'tenants' ? TENANT_ROLES : [...SUPPORT_ROLES, ...TENANT_ROLES];
      for (const [value, roles] of Object.entries(p.roleMap)) {
        const wrong = roles.filter((r) => !allowed.includes(r));
        if (wrong.length)
          ctx.addIssue({
            code: 'custom',
            path: ['roleMap', value],
            message: `a ${p.for === 'staff' ? 'staff' : 'tenants'} provider cannot grant ${wrong.join(', ')}`,
          });
      }
    });
  return z.array(provider).superRefine((list, ctx) => {
    const seen = (key: 'id' | 'issuer') => {
      const values = list.map((p) => p[key]);
      values.forEach((v, i) => {
        if (values.indexOf(v) !== i) ctx.addIssue({ code: 'custom', path: [i, key], message: `"${v}" is listed twice` });
      });
    };
    seen('id');
    seen('issuer');
  });
}

export type IdentityProvider = z.output<ReturnType<typeof identityProvidersSchema>>[number];

/** Turns zod's issues into one line: `[0].issuer: "..." must be an https:// URL; ...`. */
function explain(error: z.ZodError): string {
  return error.issues
    .map((i) => {
      const path = i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
      return `${path.replace(/^\./, '') || 'value'}: ${i.message}`;
    })
    .join('; ');
}

/**
 * The `identityProviders` setting: a list (or its JSON text), each provider checked and its issuer
 * normalised. A plain string that is not JSON (`https://a.okta.com,https://b.auth0.com/`) is refused.
 */
export function parseIdentityProviders(input: unknown, mode: SettingsMode): IdentityProvider[] {
  let value = input;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw new Error(
        'must be a JSON list of providers ([{ "id", "issuer", "audiences", "for", "claims", "roleMap" }]), not a URL or a comma-joined string',
      );
    }
  }
  if (!Array.isArray(value)) throw new Error('must be a list of providers ([{ "id", "issuer", "audiences", "for", "roleMap" }])');
  const parsed = identityProvidersSchema(mode).safeParse(value);
  if (!parsed.success) throw new Error(explain(parsed.error));
  return parsed.data;
}

/** `embedOrigins`: exact origins, a list or comma-separated; empty means the console refuses framing. */
export function parseEmbedOrigins(input: unknown, mode: SettingsMode): string[] {
  const items = Array.isArray(input) ? input.map(String) : typeof input === 'string' ? input.split(',') : undefined;
  if (!items) throw new Error('must be a list of origins, or a comma-separated string');
  const origins = items.map((s) => s.trim()).filter(Boolean);
  for (const o of origins) if (o.includes('*')) throw new Error(`"${o}": exact origins only, no wildcard`);
  const checked = origins.map((o) => checkOrigin(o, mode));
  return [...new Set(checked)];
}

/** `vendorAppLaunchUrl`: where the console sends an agent, with `?code=...&tenant=...` added (so no query of its own). */
export function parseLaunchUrl(input: string, mode: SettingsMode): string {
  const url = checkUrl(input.trim(), mode);
  if (url.search) throw new Error(`"${input}" must not have a ?query: the console adds ?code=...&tenant=...`);
  return url.href;
}

/** The placeholder `ticketUrlTemplate` must contain. */
export const TICKET_PLACEHOLDER = '{ticketId}';

/** `ticketUrlTemplate`: an https URL with `{ticketId}` in it (the id is URL-encoded into it). */
export function parseTicketUrlTemplate(input: string, mode: SettingsMode): string {
  const template = input.trim();
  if (!template.includes(TICKET_PLACEHOLDER)) {
    throw new Error(
      `"${template}" must contain ${TICKET_PLACEHOLDER} where the ticket id goes (https://help.vendor.com/tickets/{ticketId})`,
    );
  }
  if (/\{(?!ticketId\})[^}]*\}/.test(template)) throw new Error(`"${template}": ${TICKET_PLACEHOLDER} is the only placeholder`);
  const url = checkUrl(template.split(TICKET_PLACEHOLDER).join('T-1'), mode);
  if (url.host !== new URL(template.split(TICKET_PLACEHOLDER).join('T-2')).host) {
    throw new Error(`"${template}": ${TICKET_PLACEHOLDER} must not be in the host`);
  }
  return template;
}

/** A ticket's link: the template with the id URL-encoded in place of every `{ticketId}`. */
export function ticketUrl(template: string, ticketId: string): string {
  return template.split(TICKET_PLACEHOLDER).join(encodeURIComponent(ticketId));
}
