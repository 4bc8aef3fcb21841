/**
 * The email catalogue: one template per kind, each giving structured content that is rendered to
 * plain text and to HTML (with every address and user text escaped).
 */
import type { AccessRequest, Actor, Grant, Grantee, Scope, Session } from '../contract/schemas.ts';
import type { MailKind, OutboxMessage } from './ports.ts';

export interface MailContent {
  subject: string;
  heading: string;
  intro: string;
  facts: [label: string, value: string][];
  action: { label: string; url: string };
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

export const describeScope = (s: Scope) =>
  `${s.level === 'full' ? 'full access' : 'read-only'}, ${s.modules ? `modules: ${s.modules.join(', ')}` : 'every module'}`;
const person = (a: Actor | { id: string }) => ('email' in a ? `${a.name} <${a.email}>` : 'the system');
const until = (expiresAt: string | null) => (expiresAt === null ? 'until revoked (standing access)' : expiresAt);
/** "read-only access to billing", "full access to every module". */
const accessTo = (s: Scope) => `${s.level === 'full' ? 'full' : 'read-only'} access to ${s.modules ? s.modules.join(', ') : 'every module'}`;
const hours = (n: number) => `${n} hour${n === 1 ? '' : 's'}`;
const sentence = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const quoted = (text: string | null | undefined) => (text ? `: "${text}".` : '.');
const people = (list: (Actor | Grantee)[]) => list.map(person).join(', ');
const granteesOf = (g: Grant) => (g.audience === 'support-team' ? 'the whole support team' : people(g.grantees));

/** Links into the console's pages (the addresses of the contract's "The console"). */
export interface Links {
  /** The tenant's support-access overview. */
  page(tenantId: string): string;
  request(tenantId: string, requestId: string): string;
  grant(tenantId: string, grantId: string): string;
  /** The tenant's login history. */
  sessions(tenantId: string): string;
}

export function linksFrom(baseUrl: string): Links {
  const base = baseUrl.replace(/\/+$/, '');
  const page = (t: string) => `${base}/tenants/${encodeURIComponent(t)}`;
  return {
    page,
    request: (t, id) => `${page(t)}/requests/${encodeURIComponent(id)}`,
    grant: (t, id) => `${page(t)}/grants/${encodeURIComponent(id)}`,
    sessions: (t) => `${page(t)}/sessions`,
  };
}

function grantFacts(g: Grant, ended = false): [string, string][] {
  return [
    ['Tenant', g.tenantId],
    [ended ? 'Who had access' : 'Who has access', granteesOf(g)],
    ['Ticket', g.ticketId ?? '(none)'],
    ['Reason', g.reason],
    ['Scope', describeScope(g.scope)],
    ['Until', until(g.expiresAt)],
    ['Granted by', person(g.grantedBy)],
    ['Approved by', g.approvedBy.length ? people(g.approvedBy) : '(nobody)'],
  ];
}

/** The template of each kind. */
const templates: { [K in MailKind]: (m: OutboxMessage, links: Links) => MailContent } = {
  'request.created': (m, links) => {
    const r = m.payload.request as AccessRequest;
    return {
      subject: `Support asks for access to ${r.tenantId} (ticket ${r.ticketId})`,
      heading: 'Support asks for access to your account',
      intro: `${person(r.requestedBy)} asks for ${accessTo(r.scope)} for ${hours(r.durationHours)}. Nothing is granted until an authorized contact approves${Number(m.payload.approvalsRequired) > 1 ? ` (${String(m.payload.approvalsRequired)} approvals needed)` : ''}.`,
      facts: [
        ['Tenant', r.tenantId],
        ['Requested by', person(r.requestedBy)],
        ['Ticket', r.ticketId],
        ['Reason', r.reason],
        ['Scope', describeScope(r.scope)],
        ['Duration', `${hours(r.durationHours)} from approval`],
        ['Request open until', r.expiresAt],
      ],
      action: { label: 'Review and approve or deny', url: links.request(r.tenantId, r.requestId) },
    };
  },
  'request.denied': (m, links) => {
    const r = m.payload.request as AccessRequest;
    const comment = m.payload.comment as string | null;
    return {
      subject: `Access to ${r.tenantId} denied (ticket ${r.ticketId})`,
      heading: 'Your access request was denied',
      intro: `${person(r.decidedBy ?? { id: 'system' })} denied your request${quoted(comment)}`,
      facts: [
        ['Tenant', r.tenantId],
        ['Ticket', r.ticketId],
        ['Reason', r.reason],
        ['Scope', describeScope(r.scope)],
        ['Denied by', person(r.decidedBy ?? { id: 'system' })],
        ['Denied at', r.decidedAt ?? ''],
      ],
      action: { label: 'See the request', url: links.request(r.tenantId, r.requestId) },
    };
  },
  'grant.activated': (m, links) => {
    const g = m.payload.grant as Grant;
    const upfront = g.origin === 'upfront-approval';
    return {
      subject: `Support access granted to ${g.tenantId}${g.ticketId ? ` (ticket ${g.ticketId})` : ''}`,
      heading: 'Support now has access to your account',
      intro: upfront
        ? `${person(g.grantedBy)} recorded the approval that ${people(g.approvedBy)} gave upfront. ${sentence(granteesOf(g))} now has ${accessTo(g.scope)} ${g.expiresAt ? `until ${g.expiresAt}` : 'until it is revoked'}.`
        : `${sentence(granteesOf(g))} now has ${accessTo(g.scope)} ${g.expiresAt ? `until ${g.expiresAt}` : 'until it is revoked'}.`,
      facts: grantFacts(g),
      action: { label: 'Revoke this access at any time', url: links.grant(g.tenantId, g.grantId) },
    };
  },
  'grant.grantee_added': (m, links) => {
    const g = m.payload.grant as Grant;
    const added = m.payload.grantee as Grantee;
    return {
      subject: `${added.name} added to support access on ${g.tenantId}`,
      heading: 'Someone else from support now has access',
      intro: `${person(m.payload.actor as Actor)} added ${person(added)} to an active grant.`,
      facts: [['Added', person(added)], ...grantFacts(g)],
      action: { label: 'Revoke this access at any time', url: links.grant(g.tenantId, g.grantId) },
    };
  },
  'grant.revoked': (m, links) => {
    const g = m.payload.grant as Grant;
    return {
      subject: `Support access to ${g.tenantId} revoked`,
      heading: 'Support access was revoked',
      intro: `${person(g.endedBy ?? { id: 'system' })} revoked support access${quoted(g.endReason)} Open support sessions were ended.`,
      facts: [...grantFacts(g, true), ['Revoked by', person(g.endedBy ?? { id: 'system' })], ['Revoked at', g.endedAt ?? '']],
      action: { label: 'See the grant and its sessions', url: links.grant(g.tenantId, g.grantId) },
    };
  },
  'grant.expired': (m, links) => {
    const g = m.payload.grant as Grant;
    return {
      subject: `Support access to ${g.tenantId} has ended`,
      heading: 'Support access ended on time',
      intro: 'The time granted is up. Support can no longer sign in under this grant; open sessions were ended.',
      facts: [...grantFacts(g, true), ['Ended at', g.endedAt ?? g.expiresAt ?? '']],
      action: { label: 'See the login history', url: links.sessions(g.tenantId) },
    };
  },
  'session.started': (m, links) => {
    const s = m.payload.session as Session;
    const scope = m.payload.scope as Scope;
    return {
      subject: `${s.accessedBy.name} from support signed in to ${s.tenantId}`,
      heading: 'Support signed in to your account',
      intro: `${person(s.accessedBy)} signed in: "${s.reason}".`,
      facts: [
        ['Tenant', s.tenantId],
        ['Who', person(s.accessedBy)],
        ['Ticket', (m.payload.ticketId as string | null | undefined) ?? '(none)'],
        ['Reason', s.reason],
        ['Access granted for', (m.payload.grantReason as string | null | undefined) ?? '(unknown)'],
        ['Scope', describeScope(scope)],
        ['Access until', until((m.payload.expiresAt as string | null) ?? null)],
        ['Granted by', person(s.grantedBy)],
        ['Signed in at', s.signInAt],
        ['From', `${s.sourceIp} (${s.userAgent || 'unknown client'})`],
      ],
      action: { label: 'See the login history or revoke access', url: links.sessions(s.tenantId) },
    };
  },
};

export const escapeHtml = (s: string) =>
  s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;').replaceAll("'", '&#39;');

/** Renders one outbox message to subject, text and HTML. */
export function renderMail(m: OutboxMessage, links: Links): RenderedMail {
  const c = templates[m.kind](m, links);
  const width = Math.max(...c.facts.map(([l]) => l.length));
  const why = m.to ? 'you get this email because you asked for this access' : 'you get this email because you are an authorized contact of this account';
  const text = [
    c.heading,
    '',
    c.intro,
    '',
    ...c.facts.map(([l, v]) => `${`${l}:`.padEnd(width + 2)}${v}`),
    '',
    `${c.action.label}: ${c.action.url}`,
    '',
    `-- Support access: ${why}.`,
  ].join('\n');
  const html = `<!doctype html><html><body style="font-family:sans-serif">
<h2>${escapeHtml(c.heading)}</h2>
<p>${escapeHtml(c.intro)}</p>
<table>${c.facts.map(([l, v]) => `<tr><th align="left">${escapeHtml(l)}</th><td>${escapeHtml(v)}</td></tr>`).join('')}</table>
<p><a href="${escapeHtml(c.action.url)}">${escapeHtml(c.action.label)}</a></p>
<p style="color:#666;font-size:small">Support access: ${escapeHtml(why)}.</p>
</body></html>`;
  return { subject: c.subject.replace(/[\r\n]+/g, ' '), text, html };
}
