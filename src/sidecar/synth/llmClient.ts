/**
 * A client for the OpenAI-compatible chat-completions API (vLLM, Ollama, llama.cpp's server, TGI, hosted
 * services), on Node's fetch: base URL (".../v1", or the full ".../chat/completions"), model, temperature 0.1,
 * a concurrency limit, a timeout per attempt, retries with exponential back-off on 429, 5xx, timeouts and
 * connection failures (honouring Retry-After), cancellation, token counts.
 *
 * Privacy: only loopback hosts unless `allowRemote`; no error message, log line or exception carries the prompt,
 * the answer or any response body (status, host and counts only).
 */
import { isLoopbackUrl, type TokenUsage } from '../../shared/pairs';
import { CancelledError } from '../errors';
import { TEMPERATURE, type ChatMessage } from './prompt';

export interface LlmConfig {
  endpoint: string;
  model: string;
  apiKey?: string;
  /** Calls in flight at once. */
  concurrency: number;
  /** Per attempt. */
  timeoutMs: number;
  /** Attempts after the first. */
  maxRetries: number;
  allowRemote: boolean;
  /** First back-off delay; doubles per attempt (capped by maxDelayMs). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  maxTokens?: number;
  /** Called before each back-off wait (tests, logs): never carries text. */
  onRetry?: (info: { attempt: number; delayMs: number; status?: number }) => void;
}

export const LLM_DEFAULTS = { concurrency: 4, timeoutSeconds: 120, maxRetries: 4, baseDelayMs: 1000, maxDelayMs: 60_000 };

export interface Completion {
  text: string;
  usage?: TokenUsage;
  attempts: number;
}

/** Why a call failed for good; `retryable` failures used up their retries. */
export class LlmError extends Error {
  constructor(message: string, readonly status?: number, readonly retryable = false) {
    super(message);
    this.name = 'LlmError';
  }
}

/** Loopback only unless allowRemote (the one declaration is in src/shared/pairs.ts). */
export const isLoopback = isLoopbackUrl;

/** The chat-completions URL of a base URL; throws a message a user can act on. */
export function completionsUrl(endpoint: string, allowRemote: boolean): string {
  let u: URL;
  try {
    u = new URL(endpoint);
  } catch {
    throw new LlmError(`The LLM endpoint "${endpoint}" is not a URL (expected e.g. http://localhost:8000/v1).`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new LlmError(`The LLM endpoint must be http:// or https://, not ${u.protocol}`);
  if (!allowRemote && !isLoopback(endpoint)) {
    throw new LlmError(
      `The LLM endpoint ${u.host} is not on this machine: note text would leave it. Allow it with the setting drehr.llm.allowRemote (CLI: --allow-remote), or use a local server.`,
    );
  }
  const p = u.pathname.replace(/\/+$/, '');
  u.pathname = p.endsWith('/chat/completions') ? p : `${p}/chat/completions`;
  return u.toString();
}

/** Retry-After in ms (delta seconds or an HTTP date), or undefined. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const s = Number(value);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const t = Date.parse(value);
  return Number.isFinite(t) ? Math.max(0, t - now) : undefined;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError());
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new CancelledError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class LlmClient {
  private readonly url: string;
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  /** Totals over this client's calls. */
  readonly totals = { calls: 0, attempts: 0, retries: 0, failures: 0, promptTokens: 0, completionTokens: 0 };

  constructor(readonly config: LlmConfig) {
    this.url = completionsUrl(config.endpoint, config.allowRemote);
  }

  get host(): string {
    return new URL(this.url).host;
  }

  private async acquire(signal?: AbortSignal): Promise<void> {
    if (this.active < Math.max(1, this.config.concurrency)) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const go = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        const i = this.waiting.indexOf(go);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(new CancelledError());
      };
      this.waiting.push(go);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.active--;
  }

  /** One chat completion, with retries; throws LlmError (or CancelledError). */
  async complete(messages: ChatMessage[], signal?: AbortSignal): Promise<Completion> {
    await this.acquire(signal);
    try {
      this.totals.calls++;
      return await this.withRetries(messages, signal);
    } finally {
      this.release();
    }
  }

  private async withRetries(messages: ChatMessage[], signal?: AbortSignal): Promise<Completion> {
    const base = this.config.baseDelayMs ?? LLM_DEFAULTS.baseDelayMs;
    const cap = this.config.maxDelayMs ?? LLM_DEFAULTS.maxDelayMs;
    for (let attempt = 0; ; attempt++) {
      if (signal?.aborted) throw new CancelledError();
      this.totals.attempts++;
      const r = await this.attempt(messages, signal);
      if (r.ok) {
        this.totals.promptTokens += r.value.usage?.prompt_tokens ?? 0;
        this.totals.completionTokens += r.value.usage?.completion_tokens ?? 0;
        return { ...r.value, attempts: attempt + 1 };
      }
      if (!r.error.retryable || attempt >= this.config.maxRetries) {
        this.totals.failures++;
        const tries = attempt + 1;
        throw new LlmError(`${r.error.message}${r.error.retryable ? ` (gave up after ${tries} attempt${tries === 1 ? '' : 's'})` : ''}`, r.error.status, r.error.retryable);
      }
      this.totals.retries++;
      const delay = Math.min(cap, r.retryAfterMs ?? base * 2 ** attempt);
      this.config.onRetry?.({ attempt: attempt + 1, delayMs: delay, status: r.error.status });
      await sleep(delay, signal);
    }
  }

  private async attempt(messages: ChatMessage[], signal?: AbortSignal): Promise<{ ok: true; value: Omit<Completion, 'attempts'> } | { ok: false; error: LlmError; retryAfterMs?: number }> {
    const timeout = AbortSignal.timeout(this.config.timeoutMs);
    const both = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.config.apiKey) headers.authorization = `Bearer ${this.config.apiKey}`;
    const body = JSON.stringify({ model: this.config.model, messages, temperature: TEMPERATURE, ...(this.config.maxTokens ? { max_tokens: this.config.maxTokens } : {}), stream: false });
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.url, { method: 'POST', headers, body, signal: both });
      text = await res.text();
    } catch (e) {
      if (signal?.aborted) throw new CancelledError();
      if (timeout.aborted) return { ok: false, error: new LlmError(`The LLM at ${this.host} did not answer within ${Math.round(this.config.timeoutMs / 1000)} s`, undefined, true) };
      const code = (e as { cause?: { code?: string } }).cause?.code;
      return { ok: false, error: new LlmError(`Cannot reach the LLM at ${this.host}${code ? ` (${code})` : ''}`, undefined, true) };
    }
    if (res.status === 429 || res.status >= 500) {
      return { ok: false, error: new LlmError(`The LLM at ${this.host} answered HTTP ${res.status}`, res.status, true), retryAfterMs: retryAfterMs(res.headers.get('retry-after')) };
    }
    if (res.status === 401 || res.status === 403) {
      return { ok: false, error: new LlmError(`The LLM at ${this.host} refused the request (HTTP ${res.status}): check the API key (DREHR_LLM_API_KEY, or "DR.EHR: Set LLM API Key")`, res.status) };
    }
    if (!res.ok) return { ok: false, error: new LlmError(`The LLM at ${this.host} answered HTTP ${res.status} (check the model name and the endpoint)`, res.status) };
    let o: { choices?: Array<{ message?: { content?: unknown }; text?: unknown }>; usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } };
    try {
      o = JSON.parse(text) as typeof o;
    } catch {
      return { ok: false, error: new LlmError(`The LLM at ${this.host} answered something that is not JSON (${text.length} bytes)`, res.status, true) };
    }
    const choice = Array.isArray(o?.choices) ? o.choices[0] : undefined;
    const content = choice?.message?.content ?? choice?.text;
    if (typeof content !== 'string') return { ok: false, error: new LlmError(`The LLM at ${this.host} answered JSON without choices[0].message.content`, res.status, true) };
    const pt = Number(o.usage?.prompt_tokens);
    const ct = Number(o.usage?.completion_tokens);
    const usage = Number.isFinite(pt) || Number.isFinite(ct) ? { prompt_tokens: Number.isFinite(pt) ? pt : 0, completion_tokens: Number.isFinite(ct) ? ct : 0 } : undefined;
    return { ok: true, value: { text: content, usage } };
  }
}
