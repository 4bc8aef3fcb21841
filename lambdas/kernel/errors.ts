/**
 * Domain errors. Each carries a stable `code` from the contract; the HTTP layer maps them to
 * problem responses in one place, by class.
 */

export interface FieldError {
  path: string;
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly code: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Input that is well-formed JSON but breaks a rule (a bound, the tenant's policy). */
export class ValidationError extends DomainError {
  readonly code = 'VALIDATION_FAILED';
  constructor(
    message: string,
    readonly errors: FieldError[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The caller is who they say, but may not do this. */
export class ForbiddenError extends DomainError {
  readonly code = 'FORBIDDEN';
}

/** Support has no ACTIVE grant that covers it. */
export class AccessNotGrantedError extends DomainError {
  readonly code = 'ACCESS_NOT_GRANTED';
}

/** Absent, or of another tenant: the answer is the same. */
export class NotFoundError extends DomainError {
  readonly code = 'NOT_FOUND';
}

/** The resource is not in a state that allows this (already ended, already approved...). */
export class ConflictError extends DomainError {
  readonly code = 'CONFLICT';
}

/**
 * A bounded count is full (for example the PENDING requests one agent may have at a tenant). The
 * store throws it when the count's conditional write fails; the service says which bound and how
 * to free room.
 */
export class LimitReachedError extends ConflictError {}

/** Access cannot be granted while nobody at the tenant would be told. */
export class NoAuthorizedContactError extends DomainError {
  readonly code = 'NO_AUTHORIZED_CONTACT';
}

/** An `Idempotency-Key` was used again with another body. */
export class IdempotencyKeyReusedError extends DomainError {
  readonly code = 'IDEMPOTENCY_KEY_REUSED';
}

/**
 * A conditional write lost a race. Services retry a bounded number of times and then surface it
 * as a conflict; it never leaves the domain as a 500.
 */
export class ConcurrentUpdateError extends DomainError {
  readonly code = 'CONFLICT';
}

/**
 * A sign-in's grant item did not say what the access entry it was admitted by says: the grant
 * changed since the entry was read (a lost race, retried like one), or it never backed the entry.
 */
export class GrantMismatchError extends ConcurrentUpdateError {}

/**
 * A write whose answer was lost and whose effect could not be checked afterwards: it may or may not
 * have been applied. Not a domain rule, so it answers 500; but an `Idempotency-Key` used with it
 * stays claimed, so that a retry cannot apply the change a second time.
 */
export class WriteOutcomeUnknownError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WriteOutcomeUnknownError';
  }
}
