/** The mail module (templates and delivery) as the other modules see it: who a message goes to. */
export { recipients } from './delivery.ts';
