import { ApiClient } from '@attune/testing';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execute, statusesWithExecutionToken, usePlatform, waitForTerminal } from './support';

const ctx = usePlatform('executions');

describe('a manual execution, end to end', () => {
  it('runs core.echo and records completed with the stdout preview', async () => {
    const created = await execute(ctx.api, 'core.echo', { message: 'hello, world' });
    expect(created).toMatchObject({
      status: 'requested',
      action_ref: 'core.echo',
      config: { message: 'hello, world' },
      parent: null,
      enforcement: null,
    });
    const done = await waitForTerminal(ctx.api, created.id);
    expect(done.status).toBe('completed');
    expect(done.result).toMatchObject({ exit_code: 0, succeeded: true, stdout: 'hello, world\n', stdout_truncated: false });
    expect(typeof done.result.duration_ms).toBe('number');
    expect(done.worker).toEqual(expect.any(String));
    expect(done.started_at).toEqual(expect.any(String));
  });

  it('fills in parameter defaults', async () => {
    const created = await execute(ctx.api, 'core.echo');
    expect(created.config).toEqual({ message: 'Hello World' });
    const done = await waitForTerminal(ctx.api, created.id);
    expect(done.result.stdout).toBe('Hello World\n');
  });

  it('records a failing process as failed with its exit code and an error', async () => {
    const created = await execute(ctx.api, 'core.local', { cmd: 'echo oops >&2; exit 3' });
    const done = await waitForTerminal(ctx.api, created.id);
    expect(done.status).toBe('failed');
    expect(done.result).toMatchObject({ exit_code: 3, succeeded: false, error: 'Command exited with code 3', stderr: 'oops\n' });
  });

  it('never executes a parameter value', async () => {
    const marker = join(tmpdir(), `attune-pwned-${Date.now()}`);
    const value = `'; touch ${marker}; echo '`;
    const done = await waitForTerminal(ctx.api, (await execute(ctx.api, 'core.echo', { message: value })).id);
    expect(done.status).toBe('completed');
    expect(done.result.stdout).toBe(`${value}\n`);
    expect(existsSync(marker)).toBe(false);
    const subst = await waitForTerminal(ctx.api, (await execute(ctx.api, 'core.echo', { message: `$(touch ${marker}) \`id\` \\n` })).id);
    expect(subst.result.stdout).toBe(`$(touch ${marker}) \`id\` \\n\n`);
    expect(existsSync(marker)).toBe(false);
  });

  it('hands parameters to the process as environment, JSON on stdin and a parameter file', async () => {
    const cmd = 'printf "%s|%s|" "$PARAM_CMD_LEN" "$ATTUNE_ACTION"; cat; printf "|"; cat "$ATTUNE_PARAMETER_FILE"; printf "|%s" "$ATTUNE_EXEC_ID"';
    const created = await execute(ctx.api, 'core.local', { cmd });
    const done = await waitForTerminal(ctx.api, created.id);
    expect(done.status).toBe('completed');
    const json = JSON.stringify({ cmd });
    expect(done.result.stdout).toBe(`|core.local|${json}|${json}|${created.id}`);
  });

  it('gives the process an execution token that may read its own execution only', async () => {
    // Its own execution, then the list of all.
    expect(await statusesWithExecutionToken(ctx.api, ['/api/v1/executions/$ATTUNE_EXEC_ID', '/api/v1/executions'])).toBe('200 403\n');
  });

  it('stops a process at its timeout and records timeout', async () => {
    const created = await execute(ctx.api, 'core.sleep', { seconds: 30 }, { timeout_seconds: 1 });
    const done = await waitForTerminal(ctx.api, created.id, 20_000);
    expect(done.status).toBe('timeout');
    expect(done.result).toMatchObject({ succeeded: false, timed_out: true, error: 'Timed out after 1s' });
  });

  it('lists executions with pagination and filters', async () => {
    const res = await ctx.api.get('/api/v1/executions?action_ref=core.echo&per_page=2');
    expect(res.status).toBe(200);
    expect(res.body.data.length).toBeLessThanOrEqual(2);
    expect(res.body.data.every((e: { action_ref: string }) => e.action_ref === 'core.echo')).toBe(true);
    expect(res.body.pagination).toMatchObject({ page: 1, per_page: 2 });
    expect(res.body.pagination.total).toBeGreaterThanOrEqual(2);
  });
});

describe('bad requests get clear errors', () => {
  it('answers 404 for an unknown action', async () => {
    const res = await ctx.api.post('/api/v1/executions/execute', { action_ref: 'core.nope' });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: 'action "core.nope" not found', code: 'NOT_FOUND' });
  });

  it('answers 401 without a token and with a bad one', async () => {
    const anon = new ApiClient(ctx.platform.apiUrl);
    const res = await anon.post('/api/v1/executions/execute', { action_ref: 'core.echo' });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('UNAUTHORIZED');
    anon.token = 'not-a-jwt';
    expect((await anon.get('/api/v1/executions')).status).toBe(401);
  });

  it('answers 400 for a malformed body and 422 for an invalid one', async () => {
    const malformed = await ctx.api.request('POST', '/api/v1/executions/execute', '{"action_ref": ');
    expect(malformed.status).toBe(400);
    expect(malformed.body.code).toBe('BAD_REQUEST');
    const invalid = await ctx.api.post('/api/v1/executions/execute', { action_ref: 42 });
    expect(invalid.status).toBe(422);
    expect(invalid.body.code).toBe('VALIDATION_ERROR');
    expect(invalid.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'action_ref' })]));
  });

  it('answers 422 naming the field when parameters fail the schema', async () => {
    const res = await ctx.api.post('/api/v1/executions/execute', { action_ref: 'core.local', parameters: {} });
    expect(res.status).toBe(422);
    expect(res.body.details).toEqual([{ field: 'cmd', message: 'is required' }]);
    const wrongType = await ctx.api.post('/api/v1/executions/execute', { action_ref: 'core.sleep', parameters: { seconds: 'soon' } });
    expect(wrongType.status).toBe(422);
    expect(wrongType.body.details[0].field).toBe('seconds');
  });

  it('answers 400 for a non-numeric execution id and 404 for a missing one', async () => {
    expect((await ctx.api.get('/api/v1/executions/abc')).status).toBe(400);
    expect((await ctx.api.get('/api/v1/executions/999999999')).status).toBe(404);
  });

  it('refuses reserved environment variable names', async () => {
    const res = await ctx.api.post('/api/v1/executions/execute', { action_ref: 'core.noop', env_vars: { PATH: '/tmp' } });
    expect(res.status).toBe(422);
    expect(res.body.details[0].field).toBe('env_vars.PATH');
  });
});
