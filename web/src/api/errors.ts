/**
 * An API answer that was not a success, as the user should read it: the API's message (what was
 * wrong, where) and its hint (how to fix it), from the documented Error shape.
 */
interface ErrorBody {
  error?: { code?: string; message?: string; hint?: string; details?: unknown };
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly hint: string | undefined,
    readonly details: unknown,
  ) {
    super(message);
  }

  static from(status: number, body: unknown): ApiError {
    const e = (body as ErrorBody | undefined)?.error;
    return new ApiError(
      status,
      e?.code ?? `HTTP_${status}`,
      e?.message ?? `The server answered ${status}`,
      e?.hint,
      e?.details,
    );
  }
}
