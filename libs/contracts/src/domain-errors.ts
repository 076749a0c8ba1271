/**
 * What a use case refuses, in the domain's words: the use cases throw these and know nothing of
 * HTTP; the app's one exception filter turns each kind into its status (ingest's HttpErrorFilter).
 * The message goes to the caller as it is, so it names what was asked for, never patient data.
 */
export abstract class DomainError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** What was asked for does not exist, or is not the caller's to see (answered alike). */
export class NotFoundError extends DomainError {}

/** The request clashes with what exists now (a study id taken, a study not finished yet). */
export class ConflictError extends DomainError {}

/** The request itself is wrong, whatever the state: sent again unchanged it fails again. */
export class InvalidRequestError extends DomainError {}

/** A well-formed request that names something that cannot be used for it (an image that could
 * not be read, labelled for training). */
export class UnusableError extends DomainError {}

/** The service cannot take this now; the same request may succeed after `retryAfterS`. */
export class UnavailableError extends DomainError {
  constructor(
    message: string,
    readonly retryAfterS: number,
  ) {
    super(message);
  }
}
