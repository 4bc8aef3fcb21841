/** Retrying a read-decide-write step that lost a race to a concurrent change. */
import { ConcurrentUpdateError } from './errors.ts';

/** How many times a service re-reads and retries a transition that lost a race. */
export const MAX_ATTEMPTS = 5;

/**
 * Runs a read-decide-write step again when its conditional write lost a race (the step re-reads,
 * so it decides on fresh state); after `MAX_ATTEMPTS` the loss surfaces as a conflict.
 */
export async function retrying<T>(step: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (e) {
      if (!(e instanceof ConcurrentUpdateError) || attempt >= MAX_ATTEMPTS) throw e;
    }
  }
}
