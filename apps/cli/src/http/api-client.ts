import type { Tokens } from '@attune/api-client';
import { type CliConfig, ConfigStore } from '../config/config-store';
import { CliError, ExitCode, exitCodeForStatus } from '../errors/exit-codes';

export type Query = Record<string, string | number | boolean | undefined>;

/** A request body and its headers, made afresh for each attempt: a retry needs the bytes again. */
export interface BodySource {
  body: NonNullable<RequestInit['body']> | AsyncIterable<Uint8Array>;
  headers?: Record<string, string>;
}

export interface RequestOptions {
  query?: Query;
  json?: unknown;
  body?: () => BodySource;
  headers?: Record<string, string>;
  /** Send the access token (default); false for login and refresh. */
  auth?: boolean;
  signal?: AbortSignal;
  /** 'manual': a 3xx answer (a download's redirect to the bucket) comes back as it is. */
  redirect?: 'manual';
}

/** Refresh this long before the access token's recorded expiry, so a request never races it. */
const REFRESH_MARGIN_MS = 30_000;

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'EPIPE',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** The innermost error code of a fetch failure (undici wraps the socket error in `cause`). */
export function networkErrorCode(err: unknown): string | undefined {
  let e = err as { code?: string; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 5; depth++) {
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return e.code;
    e = e.cause as typeof e;
  }
  return undefined;
}

/** `{error, code, details?}` from the API as one readable message. */
export function describeApiError(status: number, body: unknown): string {
  const b = (body && typeof body === 'object' ? body : {}) as { error?: unknown; details?: unknown };
  let message = typeof b.error === 'string' && b.error ? b.error : `the server answered HTTP ${status}`;
  if (Array.isArray(b.details)) {
    const lines = b.details
      .map((d) => (d && typeof d === 'object' && 'message' in d ? `${(d as { field?: string }).field ?? ''} ${(d as { message: string }).message}`.trim() : JSON.stringify(d)))
      .filter(Boolean);
    if (lines.length) message += ':\n  ' + lines.join('\n  ');
  }
  return message;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function normalizeServerUrl(raw: string): string {
  const trimmed = raw.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `http://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new CliError(`"${raw}" is not a server URL (e.g. http://localhost:8080)`, ExitCode.Usage);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new CliError(`"${raw}" is not an http(s) URL`, ExitCode.Usage);
  }
  return url.origin + url.pathname.replace(/\/+$/, '');
}

export function buildUrl(base: string, path: string, query?: Query): string {
  const url = new URL(base.replace(/\/+$/, '') + path);
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') url.searchParams.set(k, String(v));
  return url.toString();
}

/**
 * The CLI's one way to the HTTP API. It adds the access token, refreshes it with the refresh
 * token when it is about to expire or a call answers 401 (then retries that call once), maps
 * connection failures and error statuses to CliErrors with distinct exit codes, and never
 * buffers a body it does not have to.
 */
/**
 * Credentials from the environment (ATTUNE_URL, ATTUNE_TOKEN): they win over the stored login, so
 * a CI job needs no `attune login` and no config file.
 */
export interface EnvCredentials {
  url?: string;
  token?: string;
  /** The variable the token came from (ATTUNE_TOKEN, or ATTUNE_API_TOKEN inside an action). */
  tokenSource?: string;
}

export class ApiClient {
  private config?: CliConfig;
  private refreshing?: Promise<void>;

  constructor(
    private readonly store: ConfigStore,
    private readonly fetchImpl: typeof fetch = fetch,
    private readonly now: () => number = Date.now,
    private readonly fromEnv: EnvCredentials = {},
  ) {}

  private loading?: Promise<CliConfig>;

  /** The config, read once; parallel first calls share the read, and never overwrite a refresh. */
  private loaded(): Promise<CliConfig> {
    if (this.config) return Promise.resolve(this.config);
    this.loading ??= this.store.load().then((c) => (this.config ??= c));
    return this.loading;
  }

  async serverUrl(): Promise<string> {
    if (this.fromEnv.url) return normalizeServerUrl(this.fromEnv.url);
    const c = await this.loaded();
    if (!c.url) throw new CliError('Not logged in: run `attune login` first (or set ATTUNE_URL and ATTUNE_TOKEN).', ExitCode.Auth);
    return c.url;
  }

  /** True when ATTUNE_TOKEN gives the credentials (the stored login is not used). */
  get usesEnvToken(): boolean {
    return !!this.fromEnv.token;
  }

  /** POST /auth/login against `url`; stores the URL and tokens on success. */
  async login(url: string, login: string, password: string): Promise<Tokens> {
    const res = await this.send(url, 'POST', '/auth/login', { json: { login, password }, auth: false });
    if (res.status === 401) throw new CliError('Login failed: wrong login or password.', ExitCode.Auth);
    const tokens = ((await (await this.ok(res, url)).json()) as { data: Tokens }).data;
    const previous = await this.loaded();
    this.config = { ...previous, url, login: tokens.user.login, ...this.tokenFields(tokens) };
    await this.store.save(this.config);
    return tokens;
  }

  async logout(): Promise<CliConfig> {
    const c = await this.loaded();
    // The URL stays as the default for the next login; the credentials go.
    this.config = { url: c.url };
    await this.store.save(this.config);
    // The server revokes the refresh token too (best effort: the local logout stands either way).
    if (c.url && c.refresh_token) {
      await this.fetchImpl(new URL('/auth/logout', c.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ refresh_token: c.refresh_token }),
        signal: AbortSignal.timeout(5000),
      }).catch(() => undefined);
    }
    return c;
  }

  /** A response with a 2xx status; anything else becomes a CliError. */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<Response> {
    const url = await this.serverUrl();
    if (opts.auth === false) return this.ok(await this.send(url, method, path, opts), url);
    if (this.fromEnv.token) {
      // A fixed token: nothing to refresh, so a 401 is final.
      const res = await this.send(url, method, path, opts);
      if (res.status === 401) {
        const body = await res.text().catch(() => '');
        const hint = this.fromEnv.tokenSource === 'ATTUNE_API_TOKEN' ? '; an execution token stops working when its execution ends' : '';
        throw new CliError(`${this.fromEnv.tokenSource ?? 'ATTUNE_TOKEN'} was refused by the server (${describeApiError(401, safeJson(body))})${hint}.`, ExitCode.Auth);
      }
      return this.ok(res, url);
    }
    await this.ensureFresh();
    const used = this.config?.access_token;
    let res = await this.send(url, method, path, opts);
    if (res.status === 401) {
      await res.body?.cancel().catch(() => undefined);
      // A parallel call may have refreshed meanwhile: then retrying with its token is enough.
      if (this.config?.access_token === used) await this.refresh();
      res = await this.send(url, method, path, opts);
      if (res.status === 401) {
        await res.body?.cancel().catch(() => undefined);
        throw new CliError('Your login was refused by the server: run `attune login` again.', ExitCode.Auth);
      }
    }
    return this.ok(res, url);
  }

  /** The parsed JSON body. */
  async json<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.request(method, path, opts);
    const text = await res.text();
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(`the server at ${await this.serverUrl()} answered ${path} with something that is not JSON; is it an Attune API?`);
    }
  }

  /** `data` of a `{data}` answer. */
  async data<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const body = await this.json<{ data: T }>(method, path, opts);
    return body?.data;
  }

  get<T = unknown>(path: string, query?: Query): Promise<T> {
    return this.data<T>('GET', path, { query });
  }

  private tokenFields(t: Tokens): CliConfig {
    return {
      access_token: t.access_token,
      refresh_token: t.refresh_token,
      access_expires_at: new Date(this.now() + t.expires_in * 1000).toISOString(),
    };
  }

  private async ensureFresh(): Promise<void> {
    const c = await this.loaded();
    if (!c.access_token && !c.refresh_token) throw new CliError('Not logged in: run `attune login` first.', ExitCode.Auth);
    const expires = c.access_expires_at ? Date.parse(c.access_expires_at) : NaN;
    if (!c.access_token || (Number.isFinite(expires) && expires - REFRESH_MARGIN_MS <= this.now())) await this.refresh();
  }

  /** One refresh at a time: parallel requests (two log tails) share it. */
  private refresh(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async doRefresh(): Promise<void> {
    const c = await this.loaded();
    const url = await this.serverUrl();
    if (!c.refresh_token) throw new CliError('Your login has expired: run `attune login` again.', ExitCode.Auth);
    const res = await this.send(url, 'POST', '/auth/refresh', { json: { refresh_token: c.refresh_token }, auth: false });
    if (res.status === 401 || res.status === 422 || res.status === 400) {
      await res.body?.cancel().catch(() => undefined);
      throw new CliError('Your login has expired: run `attune login` again.', ExitCode.Auth);
    }
    const tokens = ((await (await this.ok(res, url)).json()) as { data: Tokens }).data;
    this.config = { ...c, ...this.tokenFields(tokens) };
    await this.store.save(this.config);
  }

  private async send(base: string, method: string, path: string, opts: RequestOptions): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', ...opts.headers };
    let body: RequestInit['body'];
    let streaming = false;
    if (opts.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.body) {
      const source = opts.body();
      Object.assign(headers, source.headers);
      body = source.body as RequestInit['body'];
      streaming = typeof body === 'object' && body !== null && (Symbol.asyncIterator in body || body instanceof ReadableStream);
    }
    const token = this.fromEnv.token ?? this.config?.access_token;
    if (opts.auth !== false && token) headers.authorization = `Bearer ${token}`;
    const init: RequestInit & { duplex?: 'half' } = { method, headers, body, signal: opts.signal, ...(opts.redirect ? { redirect: opts.redirect } : {}) };
    if (streaming) {
      // A streamed body needs half-duplex (the response may start before the body is sent).
      init.duplex = 'half';
      // With redirect 'follow' undici's fetch keeps a tee'd copy of the body for a redirect that
      // can never replay it, buffering the whole upload in memory (nodejs/undici#4058); the API
      // never redirects an upload, so 'error' costs nothing and keeps memory flat.
      init.redirect = 'error';
    }
    try {
      return await this.fetchImpl(buildUrl(base, path, opts.query), init);
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      if (err instanceof CliError) throw err;
      // A streamed body that failed to read (the file vanished) surfaces here as the cause.
      const cause = (err as { cause?: unknown }).cause;
      if (cause instanceof CliError) throw cause;
      const code = networkErrorCode(err);
      if (code) throw new CliError(`Cannot reach the Attune server at ${base} (${code}). Is it running?`, ExitCode.Unreachable);
      throw new CliError(`Request to ${base} failed: ${(cause as Error)?.message ?? (err as Error).message}`, ExitCode.Unreachable);
    }
  }

  private async ok(res: Response, base: string): Promise<Response> {
    // A redirect reaches here only when asked for (redirect 'manual'); fetch follows the others.
    if (res.ok || (res.status >= 300 && res.status < 400 && res.headers.has('location'))) return res;
    const text = await res.text().catch(() => '');
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* not JSON: a proxy's page, say */
    }
    const code = exitCodeForStatus(res.status);
    if (res.status >= 500 && !(body && typeof body === 'object')) {
      throw new CliError(`The server at ${base} answered HTTP ${res.status}.`, ExitCode.Failed);
    }
    const details = body && typeof body === 'object' ? (body as { details?: unknown }).details : undefined;
    throw new CliError(describeApiError(res.status, body), code, details);
  }
}
