/** Contacts and policy: `ListContacts`, `PutContact`, `DeleteContact`, `GetPolicy`, `PutPolicy`. */
import { deleteContact, getPolicy, listContacts, putContact, putPolicy } from './rules.ts';
import { type DepsSource, lambdaDeps } from '../../runtime/index.ts';
import { api, type Handlers } from '../../kernel/http/api.ts';

const routes: Handlers<'settings'> = {
  ListContacts: async ({ deps, params }) => ({ body: { items: await listContacts(deps, params.tenantId) } }),
  PutContact: async ({ deps, principal, params, body }) => {
    const { created, contact } = await putContact(deps, principal, params.tenantId, params.email, body.name, body.tier);
    return { status: created ? 201 : 200, body: contact };
  },
  DeleteContact: async ({ deps, principal, params }) => {
    await deleteContact(deps, principal, params.tenantId, params.email);
    return { status: 204 };
  },
  GetPolicy: async ({ deps, params }) => ({ body: await getPolicy(deps, params.tenantId) }),
  PutPolicy: async ({ deps, principal, params, body }) => ({ body: await putPolicy(deps, principal, params.tenantId, body) }),
};

/** The function over the given dependencies (the local stack and tests bring their own). */
export const createHandler = (deps: DepsSource) => api('settings', routes, deps);
export const handler = createHandler(lambdaDeps());
