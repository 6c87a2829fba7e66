import type { ActionInput, PackInput } from '@attune/persistence';

/**
 * The built-in `core` pack. Its actions are inline shell scripts that read their parameters
 * from the environment; a parameter value is never part of the script text, so it is never
 * executed (`printf '%s\n'`, unlike `echo`, does not interpret backslashes either).
 */
export const CORE_PACK: PackInput = {
  ref: 'core',
  label: 'Core',
  version: '1.0.0',
  description: 'Built-in actions that ship with Attune',
  isStandard: true,
};

const base = { outSchema: null, outputFormat: 'text' as const, timeoutSeconds: null, enabled: true, runtime: 'shell' as const, entrypointInline: true };

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
];
