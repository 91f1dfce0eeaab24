/**
 * One error base class for the whole product. Every error that can reach a client or an operator
 * carries a stable `code` string; HTTP status is derived at the API boundary from `status`.
 * Library errors (neo4j-driver, BullMQ, saxes) are mapped to these at the module that owns them.
 */
export class AtlasError extends Error {
  readonly code: string;
  readonly status: number;
  readonly details?: unknown;

  constructor(code: string, message: string, opts: { status?: number; details?: unknown; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = opts.status ?? 500;
    this.details = opts.details;
  }

  toJSON(): { code: string; message: string; details?: unknown } {
    return this.details === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, details: this.details };
  }
}

/** Bad input from a user or a file: always a 4xx, never retried. */
export class ValidationError extends AtlasError {
  constructor(code: string, message: string, details?: unknown) {
    super(code, message, { status: 400, details });
  }
}

export class NotFoundError extends AtlasError {
  constructor(what: string, id: string) {
    super('NOT_FOUND', `${what} ${id} not found`, { status: 404, details: { id } });
  }
}

export class ConflictError extends AtlasError {
  constructor(code: string, message: string, details?: unknown) {
    super(code, message, { status: 409, details });
  }
}

/** A dependency (Neo4j, Redis, nmap) is not available right now: 503, may succeed later. */
export class UnavailableError extends AtlasError {
  constructor(dependency: string, message: string, cause?: unknown) {
    super('DEPENDENCY_UNAVAILABLE', message, { status: 503, details: { dependency }, cause });
  }
}
