/**
 * Who a person is: their `sub` and their email in one canonical form. Every comparison or store of
 * a person's email goes through `canonicalEmail`, so that `CAROL@ACME.TEST`, ` carol@acme.test`
 * and `ｃａｒｏｌ@acme.test` are one person, never two votes.
 */

/** Unicode Cc (C0 controls, DEL, C1) and U+2028/U+2029: what a single-line text must not hold. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** The text holds no control character or line separator (an email, a name printed in an email). */
export const isSingleLine = (s: string): boolean => !CONTROL.test(s);

/** The text with every control character and line separator made a space. */
export const toSingleLine = (s: string): string => s.replace(CONTROLS, ' ');

/** The one form of an email that is compared and stored: NFKC-normalised, trimmed, lower-cased. */
export function canonicalEmail(raw: string): string {
  return raw.normalize('NFKC').trim().toLowerCase();
}

/** Printable ASCII with one `@` between a local part and a domain: what contact rights accept. */
const ASCII_EMAIL = /^[\x21-\x3f\x41-\x7e]+@[\x21-\x3f\x41-\x7e]+$/;

/** A canonical email that may carry contact rights: ASCII after NFKC, one `@`, both sides non-empty. */
export const isAsciiEmail = (canonical: string): boolean => ASCII_EMAIL.test(canonical);

/** `email_verified` as a token carries it: a JSON boolean, or the string API Gateway passes on. */
export const isVerifiedClaim = (claim: unknown): boolean => claim === true || claim === 'true';

/** Two emails name the same person (both are canonicalised first). */
export const sameEmail = (a: string, b: string): boolean => canonicalEmail(a) === canonicalEmail(b);

const DOMAIN = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

/**
 * The deployment's support email domains from their setting (`vendor.test,vendor.com`). An empty
 * or malformed list is refused: a deployment that cannot tell support staff from anyone else must
 * not start.
 */
export function parseSupportEmailDomains(raw: string): string[] {
  const domains = raw
    .split(',')
    .map((d) => d.trim().toLowerCase())
    .filter((d) => d !== '');
  if (domains.length === 0) throw new Error('SUPPORT_EMAIL_DOMAINS names no domain');
  const bad = domains.filter((d) => !DOMAIN.test(d));
  if (bad.length > 0) throw new Error(`SUPPORT_EMAIL_DOMAINS has what is not a domain: ${bad.join(', ')}`);
  return [...new Set(domains)];
}

/**
 * The email belongs to support staff: its domain (after the last `@`) is one of `domains` or a
 * subdomain of one (`eu.vendor.test` under `vendor.test`). `vendor.test.evil.com` and
 * `evilvendor.test` are not.
 */
export function isSupportEmail(email: string, domains: readonly string[]): boolean {
  const canonical = canonicalEmail(email);
  const at = canonical.lastIndexOf('@');
  if (at <= 0) return false;
  const domain = canonical.slice(at + 1);
  return domains.some((d) => domain === d || domain.endsWith(`.${d}`));
}
