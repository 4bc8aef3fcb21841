/**
 * The browser tests' local stack, in a process of its own (run by global-setup.ts with tsx): free
 * ports, the demo tenant, mail delivered before each change answers. Prints one JSON line with its
 * addresses, and stops everything on SIGTERM/SIGINT or when its parent goes away (stdin closes).
 */
import { seed } from '../../local/seed.ts';
import { startStack } from '../../local/stack.ts';

const stack = await startStack({
  port: 0,
  sesPort: 0,
  tableStream: false,
  expireEveryMs: 0,
  deliverOnWrite: true,
  deliverEveryMs: 0,
});
await seed(stack.runtime);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await stack.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.on('close', () => void stop());
process.stdin.resume();

console.log(JSON.stringify({ url: stack.url, sesUrl: stack.sesUrl }));
