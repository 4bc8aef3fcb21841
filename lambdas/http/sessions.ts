/** The login history: `SignIn`, `RefreshSessionToken`, `EndSession`, `ListSessions`. */
import type { Session } from '../contract/schemas.ts';
import { exportSessions } from '../domain/export.ts';
import { refreshSessionToken, replaySignIn, withToken } from '../domain/session-token.ts';
import { currentSession, endSession, listSessions, openSession } from '../domain/sessions.ts';
import { sessionTokens } from '../keys/runtime.ts';
import { api, listReply } from './api.ts';
import { csvRange, csvReply, wantsCsv } from './csv.ts';
import { getRuntime } from './runtime.ts';

export const handler = api('sessions', {
  SignIn: async ({ deps, principal, params, body, event }) => {
    const { session, entry } = await openSession(deps, principal, params.tenantId, {
      reason: body.reason,
      grantId: body.grantId,
      sourceIp: event.requestContext.http.sourceIp,
      userAgent: event.requestContext.http.userAgent ?? '',
    });
    return { status: 201, body: await withToken({ ...deps, tokens: sessionTokens() }, session, entry) };
  },
  RefreshSessionToken: async ({ deps, principal, params }) => ({
    body: await refreshSessionToken({ ...deps, tokens: sessionTokens() }, principal, params.tenantId, params.sessionId),
  }),
  EndSession: async ({ deps, principal, params }) => ({ body: await endSession(deps, principal, params.tenantId, params.sessionId) }),
  ListSessions: async (input) => {
    const { from, to, accessedBy } = input.query;
    return wantsCsv(input)
      ? csvReply(exportSessions(input.deps, input.params.tenantId, csvRange(input.query)), `login-history-${input.params.tenantId}.csv`)
      : listReply(input, await listSessions(input.deps, input.params.tenantId, input.page, { from, to, accessedBy }));
  },
}, getRuntime, {
  // A replayed sign-in answers its session as it is now, never open after it ended; a fresh token
  // only while it is open (see `replaySignIn`).
  SignIn: async ({ deps, principal, params }, first) => {
    const now: Session = await currentSession(deps, principal, params.tenantId, (first as { sessionId: string }).sessionId);
    return { body: await replaySignIn({ ...deps, tokens: sessionTokens() }, principal, params.tenantId, now) };
  },
});
