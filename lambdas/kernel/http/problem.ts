/** Problem responses (RFC 9457): the one place where errors become HTTP. */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type * as z from 'zod';
import type { ProblemCode } from '../../contract/schemas.ts';
import {
  AccessNotGrantedError,
  ConcurrentUpdateError,
  ConflictError,
  DomainError,
  type FieldError,
  ForbiddenError,
  IdempotencyKeyReusedError,
  NoAuthorizedContactError,
  NotFoundError,
  ValidationError,
} from '../errors.ts';
import type { Log } from '../ports.ts';

/** Errors that only HTTP knows: the transport, not the domain. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ProblemCode,
    message: string,
    readonly errors?: FieldError[],
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const TITLES: Record<ProblemCode, string> = {
  VALIDATION_FAILED: 'Your request is not valid',
  UNAUTHENTICATED: 'You are not signed in',
  FORBIDDEN: 'You may not do this',
  ACCESS_NOT_GRANTED: 'Access has not been granted',
  NOT_FOUND: 'Not found',
  CONFLICT: 'Conflict with the current state',
  NO_AUTHORIZED_CONTACT: 'The tenant has no authorized contact',
  PAYLOAD_TOO_LARGE: 'The body is too large',
  UNSUPPORTED_MEDIA_TYPE: 'The body must be JSON',
  IDEMPOTENCY_KEY_REUSED: 'The idempotency key was used with another request',
  INTERNAL: 'Something went wrong on our side',
};

export const problemType = (code: ProblemCode) => `https://support-access.dev/problems/${code.toLowerCase().replaceAll('_', '-')}`;

export function problem(status: number, code: ProblemCode, detail: string, errors?: FieldError[]): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store' },
    body: JSON.stringify({ type: problemType(code), title: TITLES[code], status, detail, code, ...(errors ? { errors } : {}) }),
  };
}

/** zod issues as the contract's `errors`: a dotted path and a message each. */
export function fieldErrors(error: z.ZodError, prefix?: string): FieldError[] {
  const join = (segments: PropertyKey[]) =>
    [prefix, ...segments.map(String)].filter((p) => p !== undefined && p !== '').join('.') || (prefix ?? '');
  return error.issues.flatMap((i) =>
    // An unknown field is named by its own path, one error each, as every other field is.
    i.code === 'unrecognized_keys'
      ? i.keys.map((k) => ({ path: join([...i.path, k]), message: 'is not a known field' }))
      : [{ path: join(i.path), message: i.message }],
  );
}

/**
 * Maps any error to a problem, by class. 4xx say what was wrong; a 500 says nothing internal and
 * the cause is logged (the request's log lines carry its request id, which the answer quotes).
 */
export function toProblem(error: unknown, requestId: string, log: Log): APIGatewayProxyStructuredResultV2 {
  if (error instanceof HttpError) return problem(error.status, error.code, error.message, error.errors);
  if (error instanceof DomainError) {
    if (error instanceof ValidationError) return problem(400, 'VALIDATION_FAILED', error.message, error.errors);
    if (error instanceof AccessNotGrantedError) return problem(403, 'ACCESS_NOT_GRANTED', error.message);
    if (error instanceof ForbiddenError) return problem(403, 'FORBIDDEN', error.message);
    if (error instanceof NotFoundError) return problem(404, 'NOT_FOUND', error.message);
    if (error instanceof NoAuthorizedContactError) return problem(409, 'NO_AUTHORIZED_CONTACT', error.message);
    if (error instanceof ConcurrentUpdateError) return problem(409, 'CONFLICT', 'another change won the race; read again and retry');
    if (error instanceof ConflictError) return problem(409, 'CONFLICT', error.message);
    if (error instanceof IdempotencyKeyReusedError) return problem(422, 'IDEMPOTENCY_KEY_REUSED', error.message);
  }
  log.error('unhandled error', { error });
  return problem(500, 'INTERNAL', `the request failed; quote ${requestId} when you report it`);
}
