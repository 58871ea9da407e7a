/** What can go wrong in a CLI run, and the exit code of each. */

export const EXIT = {
  ok: 0,
  /** The server said no (4xx/5xx), an action failed, or something else went wrong. */
  failure: 1,
  /** Wrong usage: unknown verb or option, missing argument, unreadable input file. */
  usage: 2,
  /** The server could not be reached. */
  network: 3,
} as const;

/** Wrong usage; `context` names the command whose help to point at. */
export class UsageError extends Error {
  readonly context: string | undefined;
  constructor(message: string, context?: string) {
    super(message);
    this.context = context;
  }
}

/** A failure to report as one line, with an exit code. */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.failure) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** The server answered with an error status: `{error, code}` in OpenWhisk's shape when it could. */
export class HttpError extends CliError {
  readonly status: number;
  readonly serverMessage: string;
  readonly code: string | undefined;
  readonly body: unknown;
  constructor(status: number, serverMessage: string, code: string | undefined, body: unknown) {
    super(`${serverMessage} (${describeStatus(status, code)})`);
    this.status = status;
    this.serverMessage = serverMessage;
    this.code = code;
    this.body = body;
  }
}

/** The request never got an answer. */
export class NetworkError extends CliError {
  constructor(message: string) {
    super(message, EXIT.network);
  }
}

function describeStatus(status: number, code: string | undefined): string {
  return code === undefined ? `HTTP ${status}` : `HTTP ${status}, code ${code}`;
}

/** Prefixes an error's message with what was being done ("Unable to get action 'x'"). */
export async function doing<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof HttpError) {
      const wrapped = new HttpError(error.status, error.serverMessage, error.code, error.body);
      wrapped.message = `${what}: ${error.message}`;
      throw wrapped;
    }
    throw error;
  }
}
