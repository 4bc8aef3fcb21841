/** The bounds on what one support account may have waiting (requests and extensions). */

/**
 * The most PENDING requests one agent may have at one tenant at a time. Every request emails all of
 * the tenant's contacts, so this bounds the mail one support account can cause: a sixth waits until
 * one is approved, denied, cancelled or expired.
 */
export const MAX_PENDING_REQUESTS_PER_AGENT = 5;
