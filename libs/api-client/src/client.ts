import createClient, { type Client, type Middleware } from 'openapi-fetch';
import type { paths } from './schema';

/** The access token to send, if any (read for every request, so a refreshed token is used at once). */
export type TokenProvider = () => string | undefined | null | Promise<string | undefined | null>;

export type ApiClient = Client<paths>;

export interface ApiClientOptions {
  /** The fetch to use (tests pass a fake; default the global one). */
  fetch?: typeof fetch;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
}

/** Sets `authorization: Bearer <token>` unless the request names its own. */
export function bearerAuth(tokenProvider: TokenProvider): Middleware {
  return {
    async onRequest({ request }) {
      if (request.headers.has('authorization')) return request;
      const token = await tokenProvider();
      if (token) request.headers.set('authorization', `Bearer ${token}`);
      return request;
    },
  };
}

/**
 * A client of the api typed by its OpenAPI document (openapi-fetch): `client.GET('/api/v1/executions/{id}',
 * { params: { path: { id } } })` answers `{ data, error, response }` with `data` and `error` typed from the
 * spec. `baseUrl` is the api's origin (e.g. http://localhost:8080; '' in the browser for the page's own).
 */
export function createApiClient(baseUrl: string, tokenProvider?: TokenProvider, options: ApiClientOptions = {}): ApiClient {
  const client = createClient<paths>({ baseUrl: baseUrl.replace(/\/+$/, ''), fetch: options.fetch, headers: options.headers });
  if (tokenProvider) client.use(bearerAuth(tokenProvider));
  return client;
}
