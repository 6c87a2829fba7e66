/** Claims of the JWTs the platform issues. All are HS256-signed with the platform secret. */
export interface AccessTokenClaims {
  typ: 'access';
  /** Identity id, as a string (JWT convention). */
  sub: string;
  login: string;
  roles: string[];
  /** Issue time in milliseconds (`iat` has whole seconds): revocation compares with this. */
  iat_ms?: number;
}

export interface RefreshTokenClaims {
  typ: 'refresh';
  sub: string;
  iat_ms?: number;
  /** The token's id (`jti`): each refresh token is good for one exchange. */
  jti?: string;
  /** The sign-in it descends from: reuse of a spent token revokes the whole family. */
  fam?: string;
}

/**
 * Handed to a running action as ATTUNE_API_TOKEN. It may read its own execution and create and
 * upload artifacts for it, and nothing else.
 */
export interface ExecutionTokenClaims {
  typ: 'execution';
  sub: string; // `execution:<id>`
  execution_id: number;
  /** A workflow task's token: its run (the parent execution), whose artifacts it may read. */
  workflow_execution?: number;
  task_name?: string;
}

/**
 * Kept by the worker, never handed to the process: it may store the execution's stdout and
 * stderr logs for one attempt and nothing else. Logs are written only by the platform, so an
 * action cannot forge its own log or anyone else's.
 */
export interface ExecutionLogTokenClaims {
  typ: 'execution-log';
  sub: string; // `execution:<id>`
  execution_id: number;
  attempt: number;
}

export type TokenClaims = AccessTokenClaims | RefreshTokenClaims | ExecutionTokenClaims | ExecutionLogTokenClaims;

/** How long an execution token outlives the execution's timeout. */
export const EXECUTION_TOKEN_GRACE_SECONDS = 300;

/** How much longer than an execution token a log token lasts: the worker's bound for storing logs after the process ends. */
export const LOG_TOKEN_EXTRA_SECONDS = 1800;
