/** The login history: `SignIn`, `EndSession`, `ListSessions`. */
import { currentSession, endSession, listSessions, signIn } from '../domain/sessions.ts';
import { exportSessions } from '../domain/export.ts';
import { api, listReply } from './api.ts';
import { csvRange, csvReply, wantsCsv } from './csv.ts';
import { getRuntime } from './runtime.ts';

export const handler = api('sessions', {
  SignIn: async ({ deps, principal, params, body, event }) => ({
    status: 201,
    body: await signIn(deps, principal, params.tenantId, {
      reason: body.reason,
      grantId: body.grantId,
      sourceIp: event.requestContext.http.sourceIp,
      userAgent: event.requestContext.http.userAgent ?? '',
    }),
  }),
  EndSession: async ({ deps, principal, params }) => ({ body: await endSession(deps, principal, params.tenantId, params.sessionId) }),
  ListSessions: async (input) => {
    const { from, to, accessedBy } = input.query;
    return wantsCsv(input)
      ? csvReply(exportSessions(input.deps, input.params.tenantId, csvRange(input.query)), `login-history-${input.params.tenantId}.csv`)
      : listReply(input, await listSessions(input.deps, input.params.tenantId, input.page, { from, to, accessedBy }));
  },
}, getRuntime, {
  // A replayed sign-in answers its session as it is now, never open after it ended.
  SignIn: async ({ deps, principal, params }, first) => ({
    body: await currentSession(deps, principal, params.tenantId, (first as { sessionId: string }).sessionId),
  }),
});
