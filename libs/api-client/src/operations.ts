// Types of one operation of the api, named by its path template and method, for clients that keep
// their own fetch (the web UI's token refresh, the CLI's streaming uploads) but want the spec's types.
import type { paths } from './schema';

export type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'patch';
export type ApiPath = keyof paths;

type Operation<P extends ApiPath, M extends HttpMethod> = [paths[P][M]] extends [never] ? never : NonNullable<paths[P][M]>;
type JsonContent<T> = T extends { content: { 'application/json': infer B } } ? B : never;

/** The path templates that have operation M (e.g. `'/api/v1/executions/{id}'` for 'get'). */
export type PathsWith<M extends HttpMethod> = { [P in ApiPath]: [paths[P][M]] extends [never] ? never : undefined extends paths[P][M] ? never : P }[ApiPath];

/** The JSON body of the operation's success answer (200, 201 or 202). */
export type SuccessBody<P extends ApiPath, M extends HttpMethod = 'get'> =
  Operation<P, M> extends { responses: infer R } ? JsonContent<R[keyof R & (200 | 201 | 202)]> : never;

/** The JSON request body the operation takes. */
export type RequestBody<P extends ApiPath, M extends HttpMethod = 'post'> =
  Operation<P, M> extends { requestBody?: infer B } ? JsonContent<NonNullable<B>> : never;

/** The query parameters the operation reads. */
export type QueryParams<P extends ApiPath, M extends HttpMethod = 'get'> =
  Operation<P, M> extends { parameters: { query?: infer Q } } ? NonNullable<Q> : never;

/** `data` of a `{data}` success answer. */
export type SuccessData<P extends ApiPath, M extends HttpMethod = 'get'> = SuccessBody<P, M> extends { data: infer D } ? D : never;

/** A path template with its `{name}` parameters filled in, each one URI-encoded. */
export function fillPath(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{([A-Za-z0-9_]+)\}/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`${template}: no value for {${name}}`);
    return encodeURIComponent(String(value));
  });
}
