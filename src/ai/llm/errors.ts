import { LlmError } from './port.js';

/** The error classes an official SDK (openai, @anthropic-ai/sdk) throws; both share this shape. */
export interface SdkErrorClasses {
  APIError: abstract new (...args: never[]) => Error & { status?: number | undefined; error?: unknown };
  APIConnectionError: abstract new (...args: never[]) => Error;
  APIConnectionTimeoutError: abstract new (...args: never[]) => Error;
}

export interface UpstreamDescription {
  /** How the client should read the upstream's name, e.g. "The OpenAI-compatible endpoint". */
  label: string;
  /** Scheme, host and port only: never a path or query that might carry a key. */
  origin: string;
  model: string;
  timeoutMs: number;
}

/** Scheme, host and port of a base URL (no credentials, path or query). */
export function originOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).origin;
  } catch {
    return 'the configured base URL';
  }
}

const SECRET_LIKE = /\b(?:sk|pk|key|sess|org|proj)[-_][\w*.-]{4,}|[A-Za-z0-9_\-*]{24,}/gi;

/** An upstream's own short explanation (e.g. "context length exceeded"), with anything key-like blanked; null when long or absent. */
function upstreamMessage(body: unknown): string | null {
  const candidates = [
    (body as { message?: unknown } | undefined)?.message,
    (body as { error?: { message?: unknown } } | undefined)?.error?.message,
  ];
  const message = candidates.find((m): m is string => typeof m === 'string' && m.trim() !== '');
  if (!message) return null;
  const clean = message.replace(/\s+/g, ' ').trim().replace(SECRET_LIKE, '[redacted]');
  return clean.length <= 200 ? clean : `${clean.slice(0, 197)}...`;
}

/** "The X endpoint" inside a sentence. */
const lower = (label: string) => label.replace(/^The /, 'the ');

function networkCode(err: unknown): string | undefined {
  let cause: unknown = err;
  for (let depth = 0; depth < 5 && cause; depth++) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    cause = (cause as { cause?: unknown }).cause;
  }
  return undefined;
}

/** An SDK or network failure as an LlmError a client may read: status and cause, never the key, a stack or a body dump. */
export function toLlmError(
  err: unknown,
  sdk: SdkErrorClasses,
  up: UpstreamDescription,
  startedStreaming: boolean,
): LlmError {
  if (err instanceof LlmError) return err;
  const seconds = Math.round(up.timeoutMs / 100) / 10;
  if (err instanceof sdk.APIConnectionTimeoutError)
    return new LlmError(`${up.label} did not answer within ${seconds} s.`, err);
  if (err instanceof sdk.APIConnectionError) {
    const code = networkCode(err);
    const why =
      code === 'ECONNREFUSED'
        ? ' (connection refused)'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? ' (host not found)'
          : code === 'ECONNRESET'
            ? ' (connection reset)'
            : '';
    return new LlmError(`Could not connect to ${lower(up.label)} at ${up.origin}${why}.`, err);
  }
  if (err instanceof sdk.APIError) {
    const status = err.status;
    const detail = upstreamMessage(err.error);
    if (status === undefined) {
      return new LlmError(`${up.label} reported an error mid-answer${detail ? `: ${detail}` : '.'}`, err);
    }
    if (status === 401) return new LlmError(`${up.label} rejected the API key (HTTP 401).`, err);
    if (status === 403)
      return new LlmError(
        `${up.label} refused the request (HTTP 403): the key may not have access to model "${up.model}".`,
        err,
      );
    if (status === 404) {
      return new LlmError(
        `Model "${up.model}" was not found at ${lower(up.label)} (HTTP 404): check the model name and the base URL.`,
        err,
      );
    }
    if (status === 429)
      return new LlmError(`${up.label} is rate limiting requests or is out of quota (HTTP 429); try again later.`, err);
    if (status >= 500) return new LlmError(`${up.label} failed (HTTP ${status}); try again later.`, err);
    return new LlmError(`${up.label} rejected the request (HTTP ${status})${detail ? `: ${detail}` : '.'}`, err);
  }
  if (startedStreaming) return new LlmError(`The connection to ${lower(up.label)} was lost mid-answer.`, err);
  return new LlmError(`${up.label} failed unexpectedly.`, err);
}
