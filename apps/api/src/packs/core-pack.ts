import type { ActionInput, PackInput } from '@attune/persistence';
import type { JsonSchemaObject } from '@attune/contracts';

/**
 * The built-in `core` pack. Most of its actions are inline shell scripts that read their
 * parameters from the environment; a parameter value is never part of the script text, so it is
 * never executed (`printf '%s\n'`, unlike `echo`, does not interpret backslashes either).
 * `core.http_request` is a node script, packs/core/actions/http_request.js, shipped with the
 * worker (dist/apps/worker/packs/core).
 */
export const CORE_PACK: PackInput = {
  ref: 'core',
  label: 'Core',
  version: '1.0.0',
  description: 'Built-in actions that ship with Attune',
  isStandard: true,
};

const base = { outSchema: null, outputFormat: 'text' as const, timeoutSeconds: null, enabled: true, runtime: 'shell' as const, entrypointInline: true };

const STATUS = { type: 'integer', minimum: 100, maximum: 599 };

/** Attune's core.http_request parameters, plus expected_status and max_response_bytes. */
const HTTP_REQUEST_PARAMETERS: JsonSchemaObject = {
  type: 'object',
  properties: {
    url: { type: 'string', minLength: 1, pattern: '^[Hh][Tt][Tt][Pp][Ss]?://', description: 'The http:// or https:// URL to send the request to' },
    method: { type: 'string', enum: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'], default: 'GET', description: 'The HTTP method' },
    headers: { type: 'object', additionalProperties: { type: 'string' }, default: {}, description: 'Request headers' },
    body: { type: ['string', 'object', 'array', 'number', 'boolean'], description: 'The request body: a string is sent as it is, anything else as JSON (with content-type application/json unless given)' },
    json_body: { type: ['object', 'array'], description: 'A JSON request body (Attune\'s alternative to body)' },
    query_params: { type: 'object', additionalProperties: { type: ['string', 'number', 'boolean'] }, default: {}, description: 'Query parameters added to the URL' },
    timeout: { type: 'integer', minimum: 1, maximum: 300, default: 30, description: 'Seconds the whole request (redirects included) may take' },
    expected_status: {
      oneOf: [STATUS, { type: 'array', items: STATUS, minItems: 1 }],
      description: 'The status (or list of statuses) that counts as success; any 2xx when not given',
    },
    verify_ssl: { type: 'boolean', default: true, description: 'Verify the server\'s TLS certificate' },
    follow_redirects: { type: 'boolean', default: true, description: 'Follow 301, 302, 303, 307 and 308 redirects' },
    max_redirects: { type: 'integer', minimum: 0, maximum: 50, default: 10, description: 'Most redirects followed' },
    auth_type: { type: 'string', enum: ['none', 'basic', 'bearer'], default: 'none', description: 'Authentication to send' },
    auth_username: { type: 'string', description: 'User name for basic authentication' },
    auth_password: { type: 'string', secret: true, description: 'Password for basic authentication' },
    auth_token: { type: 'string', secret: true, description: 'Token for bearer authentication' },
    max_response_bytes: {
      type: 'integer', minimum: 0, maximum: 1048576, default: 1048576,
      description: 'Bytes of the response body kept; a longer body is cut there (body_truncated: true) and not read further',
    },
  },
  required: ['url'],
};

const LOGINS = { type: ['array', 'string'], items: { type: 'string' } };

/** core.inquiry's parameters (Attune's and StackStorm's names). */
const INQUIRY_PARAMETERS: JsonSchemaObject = {
  type: 'object',
  properties: {
    schema: {
      type: 'object',
      description: 'JSON Schema of the answer (default: {continue: boolean}, required)',
    },
    title: { type: 'string', maxLength: 255, description: 'A short title' },
    prompt: { type: 'string', maxLength: 10000, description: 'The question shown to whoever answers' },
    assigned_to: { ...LOGINS, description: 'Logins that may answer (admins always may)' },
    users: { ...LOGINS, description: "StackStorm's name for assigned_to" },
    roles: { type: 'array', items: { type: 'string' }, description: 'Roles that may answer when nobody is assigned (default: operator)' },
    timeout: { type: 'integer', minimum: 1, maximum: 7 * 24 * 3600, description: "Seconds to wait for an answer; then the execution ends `timeout` (default: the execution's timeout)" },
  },
};

export const CORE_ACTIONS: ActionInput[] = [
  {
    ...base,
    ref: 'core.echo',
    onWorkerLost: 'retry',
    label: 'Echo',
    description: 'Writes the message to standard output',
    entrypoint: `printf '%s\\n' "$PARAM_MESSAGE"`,
    paramSchema: {
      type: 'object',
      properties: { message: { type: 'string', default: 'Hello World', description: 'The text to print' } },
    },
  },
  {
    ...base,
    ref: 'core.noop',
    onWorkerLost: 'retry',
    label: 'No operation',
    description: 'Does nothing and succeeds',
    entrypoint: 'exit 0',
    paramSchema: { type: 'object', properties: {} },
  },
  {
    ...base,
    ref: 'core.sleep',
    onWorkerLost: 'retry',
    label: 'Sleep',
    description: 'Waits for the given number of seconds',
    entrypoint: 'exec sleep "$PARAM_SECONDS"',
    paramSchema: {
      type: 'object',
      properties: { seconds: { type: 'number', minimum: 0, maximum: 86400, default: 1, description: 'How long to wait' } },
    },
  },
  {
    ...base,
    ref: 'core.local',
    // An arbitrary command may have had effects: never run it twice on its own.
    onWorkerLost: 'abandon',
    label: 'Local shell command',
    description: 'Runs a command with /bin/sh -c on the worker',
    entrypoint: 'exec /bin/sh -c "$PARAM_CMD"',
    paramSchema: {
      type: 'object',
      // x-attune-command: rules may not template it (event text would become shell code).
      properties: { cmd: { type: 'string', minLength: 1, description: 'The command line to run', 'x-attune-command': true } },
      required: ['cmd'],
    },
  },
  {
    ...base,
    ref: 'core.http_request',
    // A request may have had effects (a POST): never send it twice on its own.
    onWorkerLost: 'abandon',
    label: 'HTTP request',
    description: 'Makes an HTTP(S) request; result.data holds the status, headers and body (parsed JSON too). Fails when the status is not expected',
    runtime: 'node',
    entrypoint: 'actions/http_request.js',
    entrypointInline: false,
    outputFormat: 'json',
    paramSchema: HTTP_REQUEST_PARAMETERS,
  },
  ...[
    { ref: 'core.inquiry', label: 'Inquiry', description: 'Asks a person a question and waits for the answer (approvals); the answer becomes result.data' },
    { ref: 'core.ask', label: 'Ask', description: 'Another name for core.inquiry (StackStorm)' },
  ].map((a): ActionInput => ({
    ...base,
    ...a,
    // The executor answers these itself (no worker slot while waiting); nothing ever runs this script.
    entrypoint: `printf '%s\\n' 'inquiries are handled by the executor' >&2; exit 1`,
    onWorkerLost: 'abandon',
    paramSchema: INQUIRY_PARAMETERS,
  })),
];
