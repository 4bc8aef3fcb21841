/** The settings module (contacts and policy) as the other modules see it: reading them. */
export { getPolicy, listContacts } from './rules.ts';
