/** The login history: `SignIn`, `RefreshSessionToken`, `EndSession`, `ListSessions`, `ListGrantSessions`. */
import * as z from 'zod';
import { METRICS } from '../../contract/metrics.ts';
import { lazily, type Session } from '../../contract/schemas.ts';
import { AccessNotGrantedError } from '../../kernel/errors.ts';
import { exportSessions } from '../../kernel/export.ts';
import { refreshSessionToken, replaySignIn, withToken } from './session-token.ts';
import { currentSession, endSession, listGrantSessions, listSessions, openSession } from './service.ts';
import { type DepsSource, lambdaDeps } from '../../runtime/index.ts';
import { kmsWiring } from '../../runtime/kms.ts';
import { api, type Handlers, listReply, type Replays } from '../../kernel/http/api.ts';
import { csvRange, csvReply, wantsCsv } from '../../kernel/http/csv.ts';

/** What a replay needs of the first sign-in's answer. */
const FirstSignIn = lazily(() => z.object({ sessionId: z.string() }));

const routes: Handlers<'sessions'> = {
  SignIn: async ({ deps, principal, params, body, event }) => {
    const { session, entry } = await openSession(deps, principal, params.tenantId, {
      reason: body.reason,
      grantId: body.grantId,
      sourceIp: event.requestContext.http.sourceIp,
      userAgent: event.requestContext.http.userAgent ?? '',
    }).catch((e: unknown) => {
      // Refused for want of a live grant (counted in the tenant's `session.denied` event too).
      if (e instanceof AccessNotGrantedError) deps.telemetry.count(METRICS.signInsRefused);
      throw e;
    });
    return { status: 201, body: await withToken(deps, session, entry) };
  },
  RefreshSessionToken: async ({ deps, principal, params }) => ({
    body: await refreshSessionToken(deps, principal, params.tenantId, params.sessionId),
  }),
  EndSession: async ({ deps, principal, params }) => ({ body: await endSession(deps, principal, params.tenantId, params.sessionId) }),
  ListSessions: async (input) => {
    const { from, to, accessedBy } = input.query;
    return wantsCsv(input)
      ? csvReply(
          input.route,
          input.params.tenantId,
          exportSessions(input.deps, input.params.tenantId, { ...csvRange(input.query), accessedBy }),
        )
      : listReply(input, await listSessions(input.deps, input.params.tenantId, input.page, { from, to, accessedBy }));
  },
  ListGrantSessions: async (input) =>
    listReply(input, await listGrantSessions(input.deps, input.params.tenantId, input.params.grantId, input.page)),
};

const replays: Replays<'sessions'> = {
  // A replayed sign-in answers its session as it is now, never open after it ended; a fresh token
  // only while it is open (see `replaySignIn`).
  SignIn: async ({ deps, principal, params }, first) => {
    const now: Session = await currentSession(deps, principal, params.tenantId, FirstSignIn.parse(first).sessionId);
    return { body: await replaySignIn(deps, principal, params.tenantId, now) };
  },
};

/** The function over the given dependencies (the local stack and tests bring their own). */
export const createHandler = (deps: DepsSource) => api('sessions', routes, deps, replays);
export const handler = createHandler(lambdaDeps(kmsWiring));
