/**
 * What Service Bus failures mean to the JobQueue port: a lost lock is a lost lease
 * (ConflictError), a transient broker failure is a ConnectionError the caller may retry.
 * Messages name the job, never the namespace's connection string or key.
 */
import { isServiceBusError } from '@azure/service-bus';
import { ConflictError, ConnectionError, ValidationError } from '../../core/errors.js';
import type { LeasedJob } from '../../core/ports.js';

export function positiveInteger(value: number | undefined, field: string): number | undefined {
  if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
    throw new ValidationError(`${field} must be a positive whole number (got ${value}).`, { field });
  }
  return value;
}

export function leaseLost(job: LeasedJob, cause?: unknown): ConflictError {
  return new ConflictError(`The lease on job ${job.id} was lost (its lock expired and the job went back to the queue).`, {
    retryable: false,
    cause,
  });
}

export function isLockLost(error: unknown): boolean {
  if (isServiceBusError(error)) return error.code === 'MessageLockLost' || error.code === 'MessageNotFound';
  // The SDK refuses client-side to settle a delivery the broker already settled.
  return error instanceof Error && /already settled/i.test(error.message);
}

/** Service Bus failures the caller may retry become ConnectionError; the rest pass through. */
export function serviceBusFailure(error: unknown): unknown {
  if (isServiceBusError(error) && error.retryable) {
    return new ConnectionError(`Service Bus is unavailable (${error.code}); try again shortly.`, { cause: error });
  }
  return error;
}
