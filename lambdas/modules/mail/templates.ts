/**
 * The email catalogue: one template per kind, each giving structured content that is rendered to
 * plain text and to HTML (with every address and user text escaped).
 */
import type { AccessRequest, Actor, Grant, Grantee, Scope, Session } from '../../contract/schemas.ts';
import type { Digest } from '../grants/index.ts';
import { composeMail, type MailContent, readableDuration, readableTime, type RenderedMail } from './render.ts';
import type { MailKind, OutboxMessage } from '../../kernel/ports.ts';

export { escapeHtml, readableDuration, readableTime, type MailContent, type RenderedMail } from './render.ts';

/** How a tenant reads times: its policy's `timeZone`. */
export interface MailContext {
  timeZone: string;
}

export const describeScope = (s: Scope) =>
  `${s.level === 'full' ? 'full access' : 'read-only'}, ${s.modules ? `modules: ${s.modules.join(', ')}` : 'every module'}`;
const person = (a: Actor | { id: string }) => ('email' in a ? `${a.name} <${a.email}>` : 'the system');
/** The tenant's zone while a template renders (set by `renderMail`, which is synchronous). */
let zone = 'UTC';
const at = (t: string | null | undefined) => (t ? readableTime(t, zone) : '');
const until = (expiresAt: string | null) => (expiresAt === null ? 'until revoked (standing access)' : at(expiresAt));
/** "read-only access to billing", "full access to every module". */
const accessTo = (s: Scope) =>
  `${s.level === 'full' ? 'full' : 'read-only'} access to ${s.modules ? s.modules.join(', ') : 'every module'}`;
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

const digestFrom = (m: OutboxMessage): Digest => (m.payload.digest as Digest | undefined) ?? { sessions: [], sessionCount: 0, totalMs: 0 };
const sessionsLine = (d: Digest) => `${d.sessionCount} session${d.sessionCount === 1 ? '' : 's'}, ${readableDuration(d.totalMs)}`;
function digestFacts(d: Digest): [string, string][] {
  return [
    ['Sessions', d.sessionCount === 0 ? 'nobody signed in under it' : String(d.sessionCount)],
    ['Total time', readableDuration(d.totalMs)],
  ];
}
const endedHow = { agent: 'signed out', revoked: 'ended by the revoke', expired: 'ended by the expiry' } as const;
function digestTable(d: Digest): Pick<MailContent, 'table'> {
  if (d.sessions.length === 0) return {};
  return {
    table: {
      head: ['Who', 'Signed in', 'Signed out', 'How long', 'From', 'Reason'],
      rows: d.sessions.map((x) => [
        person(x.accessedBy),
        at(x.signInAt),
        `${at(x.signOutAt)} (${endedHow[x.endedBy]})`,
        readableDuration(Date.parse(x.signOutAt) - Date.parse(x.signInAt)),
        `${x.sourceIp} (${x.userAgent || 'unknown client'})`,
        x.reason,
      ]),
    },
  };
}

/** The template of each kind. */
const templates: { [K in MailKind]: (m: OutboxMessage, links: Links) => MailContent } = {
  'request.created': (m, links) => {
    const r = m.payload.request as AccessRequest;
    if (r.kind === 'extension') {
      const g = m.payload.grant as Grant | undefined;
      return {
        subject: `Support asks for ${hours(r.durationHours)} more on ${r.tenantId} (ticket ${r.ticketId})`,
        heading: 'Support asks for more time',
        intro: `${person(r.requestedBy)} asks to extend an active grant by ${hours(r.durationHours)}. Nothing changes until an authorized contact approves${Number(m.payload.approvalsRequired) > 1 ? ` (${String(m.payload.approvalsRequired)} approvals needed)` : ''}.`,
        facts: [
          ['Tenant', r.tenantId],
          ['Requested by', person(r.requestedBy)],
          ['Ticket', r.ticketId],
          ['Why more time', r.reason],
          ['Scope', describeScope(r.scope)],
          ['More time', hours(r.durationHours)],
          ...(g ? ([['Access now ends', at(g.expiresAt)]] as [string, string][]) : []),
          ['Request open until', at(r.expiresAt)],
        ],
        action: { label: 'Review and approve or deny', url: links.request(r.tenantId, r.requestId) },
      };
    }
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
        ['Request open until', at(r.expiresAt)],
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
        ['Denied at', at(r.decidedAt)],
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
        ? `${person(g.grantedBy)} recorded the approval that ${people(g.approvedBy)} gave upfront. ${sentence(granteesOf(g))} now has ${accessTo(g.scope)} ${g.expiresAt ? `until ${at(g.expiresAt)}` : 'until it is revoked'}.`
        : `${sentence(granteesOf(g))} now has ${accessTo(g.scope)} ${g.expiresAt ? `until ${at(g.expiresAt)}` : 'until it is revoked'}.`,
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
    const digest = digestFrom(m);
    return {
      subject: `Support access to ${g.tenantId} revoked: ${sessionsLine(digest)}`,
      heading: 'Support access was revoked',
      intro: `${person(g.endedBy ?? { id: 'system' })} revoked support access${quoted(g.endReason)} Open support sessions were ended. Here is everything support did under it.`,
      facts: [
        ...grantFacts(g, true),
        ['How it ended', 'revoked'],
        ['Revoked by', person(g.endedBy ?? { id: 'system' })],
        ['Revoked at', at(g.endedAt)],
        ...digestFacts(digest),
      ],
      ...digestTable(digest),
      action: { label: 'See the grant and its sessions', url: links.grant(g.tenantId, g.grantId) },
    };
  },
  'grant.expired': (m, links) => {
    const g = m.payload.grant as Grant;
    const digest = digestFrom(m);
    return {
      subject: `Support access to ${g.tenantId} has ended: ${sessionsLine(digest)}`,
      heading: 'Support access ended on time',
      intro:
        'The time granted is up. Support can no longer sign in under this grant; open sessions were ended. Here is everything support did under it.',
      facts: [
        ...grantFacts(g, true),
        ['How it ended', 'its time ran out'],
        ['Ended at', at(g.endedAt ?? g.expiresAt)],
        ...digestFacts(digest),
      ],
      ...digestTable(digest),
      action: { label: 'See the login history', url: links.sessions(g.tenantId) },
    };
  },
  'grant.extended': (m, links) => {
    const g = m.payload.grant as Grant;
    const actor = m.payload.actor as Actor;
    const requested = m.payload.requestId !== null && m.payload.requestId !== undefined;
    return {
      subject: `Support access to ${g.tenantId} extended by ${hours(Number(m.payload.hours))}${g.ticketId ? ` (ticket ${g.ticketId})` : ''}`,
      heading: 'Support access was extended',
      intro: requested
        ? `${person(actor)} approved more time: ${sentence(granteesOf(g))} now has ${accessTo(g.scope)} until ${at(g.expiresAt)} (was ${at(m.payload.previousExpiresAt as string)}). The extension request is closed.`
        : `${person(actor)} extended support access: ${granteesOf(g)} now has ${accessTo(g.scope)} until ${at(g.expiresAt)} (was ${at(m.payload.previousExpiresAt as string)}).`,
      facts: [
        ...grantFacts(g),
        ['Extended by', person(actor)],
        ['Why more time', String(m.payload.reason)],
        ['Was until', at(m.payload.previousExpiresAt as string)],
      ],
      action: { label: 'Revoke this access at any time', url: links.grant(g.tenantId, g.grantId) },
    };
  },
  'grant.expiring': (m, links) => {
    const g = m.payload.grant as Grant;
    return {
      subject: `Your support access to ${g.tenantId} ends ${at(g.expiresAt)}`,
      heading: 'Your access ends soon',
      intro: `Your ${accessTo(g.scope)} at ${g.tenantId} ends ${at(g.expiresAt)}. If you need longer, ask for more time now: the tenant's contacts must approve it before then.`,
      facts: grantFacts(g),
      action: { label: 'Ask for more time', url: links.grant(g.tenantId, g.grantId) },
      why: 'you get this email because you hold this access',
    };
  },
  'request.approved': (m, links) => {
    const r = m.payload.request as AccessRequest;
    const extension = r.kind === 'extension';
    return {
      subject: `${extension ? 'More time' : 'Access'} on ${r.tenantId} approved (ticket ${r.ticketId})`,
      heading: extension ? 'Your extension was approved' : 'Your access request was approved',
      intro: `${people(r.approvals.map((a) => a.by))} approved your request. ${extension ? `The grant now lasts ${hours(r.durationHours)} longer.` : `You have ${accessTo(r.scope)} for ${hours(r.durationHours)}.`}`,
      facts: [
        ['Tenant', r.tenantId],
        ['Ticket', r.ticketId],
        ['Reason', r.reason],
        ['Scope', describeScope(r.scope)],
        ['Approved by', people(r.approvals.map((a) => a.by))],
        ['Approved at', at(r.decidedAt)],
      ],
      action:
        extension && r.grantId
          ? { label: 'See the grant', url: links.grant(r.tenantId, r.grantId) }
          : { label: 'See the request', url: links.request(r.tenantId, r.requestId) },
    };
  },
  'request.expired': (m, links) => {
    const r = m.payload.request as AccessRequest;
    const grantEnded = m.payload.because === 'grant-ended';
    return {
      subject: `Your ${r.kind === 'extension' ? 'extension' : 'access'} request to ${r.tenantId} lapsed (ticket ${r.ticketId})`,
      heading: 'Your request lapsed',
      intro: grantEnded
        ? 'The grant it would have extended ended before anyone decided, so the request is closed.'
        : `Nobody approved or denied it before ${at(r.expiresAt)}, so it is closed. Ask again if you still need access.`,
      facts: [
        ['Tenant', r.tenantId],
        ['Ticket', r.ticketId],
        ['Reason', r.reason],
        ['Scope', describeScope(r.scope)],
        ['Asked at', at(r.requestedAt)],
      ],
      action: { label: 'See the request', url: links.request(r.tenantId, r.requestId) },
    };
  },
  'request.decided': (m, links) => {
    const r = m.payload.request as AccessRequest;
    const by = person(r.decidedBy ?? { id: 'system' });
    const outcome = { DENIED: 'denied', CANCELLED: 'withdrawn' }[r.status as string] ?? 'not answered';
    const how =
      r.status === 'DENIED'
        ? `${by} denied it${quoted(m.payload.comment as string | null)}`
        : r.status === 'CANCELLED'
          ? `${by} withdrew the request.`
          : `it lapsed: nobody decided before ${at(r.expiresAt)}.`;
    return {
      subject: `Closed: support's ${r.kind === 'extension' ? 'extension' : 'access'} request to ${r.tenantId} (ticket ${r.ticketId}) was ${outcome}`,
      heading: 'This request is closed: nothing left to do',
      intro: `The request from ${person(r.requestedBy)} is closed: ${how} You need not act on the earlier email.`,
      facts: [
        ['Tenant', r.tenantId],
        ['Requested by', person(r.requestedBy)],
        ['Ticket', r.ticketId],
        ['Reason', r.reason],
        ['Outcome', r.status === 'DENIED' ? `denied by ${by}` : r.status === 'CANCELLED' ? `withdrawn by ${by}` : 'lapsed unanswered'],
        ['Closed at', at(r.decidedAt ?? r.expiresAt)],
      ],
      action: { label: 'See the request', url: links.request(r.tenantId, r.requestId) },
    };
  },
  'request.escalated': (m, links) => {
    const r = m.payload.request as AccessRequest;
    const facts: [string, string][] = [
      ['Tenant', r.tenantId],
      ['Requested by', person(r.requestedBy)],
      ['Ticket', r.ticketId],
      ['Reason', r.reason],
      ['Scope', describeScope(r.scope)],
      [r.kind === 'extension' ? 'More time' : 'Duration', hours(r.durationHours)],
      ['Request open until', at(r.expiresAt)],
    ];
    const action = { label: 'Review and approve or deny', url: links.request(r.tenantId, r.requestId) };
    // Sent `as` a reminder when the tenant has no backup contact (see `escalationOf`).
    if (m.payload.as === 'reminder') {
      return {
        subject: `Reminder: support still waits for an answer from ${r.tenantId} (ticket ${r.ticketId})`,
        heading: 'Reminder: a request still waits for your answer',
        intro: `${person(r.requestedBy)} asked at ${at(r.requestedAt)} and nobody has decided yet. Your account has no backup contact to escalate to, so this reminder goes to its authorized contacts once. If nobody decides, the request lapses at ${at(r.expiresAt)}.`,
        facts,
        action,
        why: 'you get this email because you are an authorized contact of this account and it names no backup contact (a tenant admin can name some on the settings page)',
      };
    }
    return {
      subject: `Waiting for an answer: support asks for ${r.kind === 'extension' ? 'more time on' : 'access to'} ${r.tenantId} (ticket ${r.ticketId})`,
      heading: 'A request is waiting for an answer',
      intro: `${person(r.requestedBy)} asked at ${at(r.requestedAt)} and no primary contact has decided yet. As a backup contact you may approve or deny it.`,
      facts,
      action,
      why: 'you get this email because you are a backup authorized contact of this account',
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
        ['Signed in at', at(s.signInAt)],
        ['From', `${s.sourceIp} (${s.userAgent || 'unknown client'})`],
      ],
      action: { label: 'See the login history or revoke access', url: links.sessions(s.tenantId) },
    };
  },
};

/** Renders one outbox message to subject, text and HTML, times in UTC and the tenant's zone. */
export function renderMail(m: OutboxMessage, links: Links, context: MailContext = { timeZone: 'UTC' }): RenderedMail {
  zone = context.timeZone;
  let c: MailContent;
  try {
    c = templates[m.kind](m, links);
  } finally {
    zone = 'UTC';
  }
  const why =
    c.why ??
    (m.to
      ? 'you get this email because you asked for this access'
      : 'you get this email because you are an authorized contact of this account');
  return composeMail(c, why);
}
