/**
 * Example requests and answers shown in the OpenAPI document (and Swagger UI's "Try it out").
 * They are real shapes: the openapi integration test checks that they are there.
 */

const T0 = '2026-01-01T09:00:00.000Z';

export const EXECUTE_EXAMPLES = {
  echo: { summary: 'Run core.echo', value: { action_ref: 'core.echo', parameters: { message: 'hello, world' } } },
  timeout: {
    summary: 'With a timeout and an environment variable',
    value: { action_ref: 'core.local', parameters: { cmd: 'make test' }, timeout_seconds: 600, env_vars: { CI: 'true' } },
  },
};

export const EXECUTION_EXAMPLE = {
  id: 362,
  action: 4,
  action_ref: 'core.echo',
  config: { message: 'hello, world' },
  parent: null,
  enforcement: null,
  executor: 1,
  executor_login: 'test@attune.local',
  worker: null,
  status: 'requested',
  result: null,
  timeout_seconds: 300,
  attempt: 1,
  waiting_reason: null,
  pack_digest: null,
  started_at: null,
  finished_at: null,
  created: T0,
  updated: T0,
};

export const CREATE_ARTIFACT_EXAMPLES = {
  file: { summary: 'A file kept three versions deep', value: { ref: 'myapp.build.report', type: 'file_text', retention_policy: 'versions', retention_limit: 3 } },
  progress: { summary: 'A progress artifact of an execution', value: { ref: 'myapp.deploy.progress', type: 'progress', execution: 362 } },
};

export const ARTIFACT_EXAMPLE = {
  id: 17,
  ref: 'myapp.build.report',
  type: 'file_text',
  scope: 'system',
  owner: '',
  name: null,
  description: null,
  content_type: null,
  size_bytes: 0,
  execution: null,
  origin: 'user',
  retention_policy: 'versions',
  retention_limit: 3,
  data: null,
  latest_version: null,
  created: T0,
  updated: T0,
};

export const CREATE_RULE_EXAMPLES = {
  webhook: {
    summary: 'Echo critical alerts from a webhook trigger',
    value: {
      ref: 'core.page_on_critical',
      label: 'Page on critical alerts',
      trigger_ref: 'core.alert',
      action_ref: 'core.echo',
      conditions: [{ field: 'event.payload.severity', operator: 'equals', value: 'critical' }],
      action_params: { message: '{{ event.payload.host }} is down' },
    },
  },
  timer: {
    summary: 'Run every 30 seconds',
    value: {
      ref: 'core.heartbeat',
      label: 'Heartbeat',
      trigger_ref: 'core.intervaltimer',
      trigger_params: { unit: 'seconds', interval: 30 },
      action_ref: 'core.noop',
    },
  },
};

export const RULE_EXAMPLE = {
  id: 3,
  ref: 'core.page_on_critical',
  pack: 1,
  pack_ref: 'core',
  label: 'Page on critical alerts',
  description: null,
  trigger: 5,
  trigger_ref: 'core.alert',
  action: 4,
  action_ref: 'core.echo',
  trigger_params: {},
  action_params: { message: '{{ event.payload.host }} is down' },
  conditions: [{ field: 'event.payload.severity', operator: 'equals', value: 'critical' }],
  condition: 'all',
  enabled: true,
  created: T0,
  updated: T0,
};
