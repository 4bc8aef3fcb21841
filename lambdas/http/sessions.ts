/** The login history: `SignIn`, `EndSession`, `ListSessions`. */
import { currentSession, endSession, listSessions, signIn } from '../domain/sessions.ts';
import { type DepsSource, lambdaDeps } from '../runtime/index.ts';
import * as z from 'zod';
import { api, type Handlers, listReply, type Replays } from './api.ts';

/** What a replay needs of the first sign-in's answer. */
const FirstSignIn = z.object({ sessionId: z.string() });

const routes: Handlers<'sessions'> = {
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
  ListSessions: async (input) => listReply(input, await listSessions(input.deps, input.params.tenantId, input.page)),
};

const replays: Replays<'sessions'> = {
  // A replayed sign-in answers its session as it is now, never open after it ended.
  SignIn: async ({ deps, principal, params }, first) => ({
    body: await currentSession(deps, principal, params.tenantId, FirstSignIn.parse(first).sessionId),
  }),
};

/** The function over the given dependencies (the local stack and tests bring their own). */
export const createHandler = (deps: DepsSource) => api('sessions', routes, deps, replays);
export const handler = createHandler(lambdaDeps());
