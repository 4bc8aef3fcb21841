/**
 * The data layer's query keys, one tree per resource, so a change invalidates by prefix: a
 * tenant's `requests` covers its lists and each request; a grant covers its sessions. The overview
 * is made of the tenant's grants, requests, policy and sessions queries, so whatever invalidates
 * those refreshes it.
 */
const tenant = (t: string) => ['tenant', t] as const;

export const keys = {
  policy: (t: string) => [...tenant(t), 'policy'] as const,
  contacts: (t: string) => [...tenant(t), 'contacts'] as const,
  requests: (t: string) => [...tenant(t), 'requests'] as const,
  requestList: (t: string, q: object) => [...keys.requests(t), 'list', q] as const,
  request: (t: string, id: string) => [...keys.requests(t), 'one', id] as const,
  grants: (t: string) => [...tenant(t), 'grants'] as const,
  grantList: (t: string, q: object) => [...keys.grants(t), 'list', q] as const,
  grant: (t: string, id: string) => [...keys.grants(t), 'one', id] as const,
  grantSessions: (t: string, id: string) => [...keys.grant(t, id), 'sessions'] as const,
  sessions: (t: string) => [...tenant(t), 'sessions'] as const,
  sessionList: (t: string, q: object) => [...keys.sessions(t), 'list', q] as const,
  audit: (t: string) => [...tenant(t), 'audit'] as const,
  /** The caller's own: grants at every tenant and requests at every tenant. */
  me: ['me'] as const,
  myGrants: ['me', 'grants'] as const,
  myRequests: (q: object) => ['me', 'requests', q] as const,
};
