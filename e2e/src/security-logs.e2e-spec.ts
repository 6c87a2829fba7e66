// Logs are written by the platform only, and bound to their execution by id (docs/security.md,
// "Execution logs"). Each test sends the probe an attacker would and asserts the refusal.
import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { execute, usePlatform, waitForTerminal } from './support';

const ctx = usePlatform('security-logs');

async function sql<T = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new Client({ connectionString: ctx.databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, params)).rows as T[];
  } finally {
    await client.end();
  }
}

const put = (id: number, token: string, body = 'forged\n') =>
  fetch(`${ctx.platform.apiUrl}/api/v1/executions/${id}/logs/stdout`, {
    method: 'PUT',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/octet-stream',
      'x-checksum-sha256': createHash('sha256').update(body).digest('hex'),
    },
    body,
  });

describe('who may write a log', () => {
  it('refuses a user (even an admin) storing an execution log: 403, and the log is unchanged', async () => {
    const e = await execute(ctx.api, 'core.echo', { message: 'the real output' });
    await waitForTerminal(ctx.api, e.id);
    const res = await put(e.id, ctx.api.token!);
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ code: 'FORBIDDEN' });
    const log = await fetch(`${ctx.platform.apiUrl}/api/v1/executions/${e.id}/logs/stdout`, { headers: { authorization: `Bearer ${ctx.api.token}` } });
    expect(await log.text()).toBe('the real output\n');
  });

  it('refuses a running action storing its own log with its execution token', async () => {
    const cmd =
      'printf forged > f; s=$(sha256sum f | cut -d" " -f1); ' +
      'curl -s -o /dev/null -w "%{http_code}" -X PUT -H "authorization: Bearer $ATTUNE_API_TOKEN" -H "content-type: application/octet-stream" ' +
      '-H "x-checksum-sha256: $s" --data-binary @f "$ATTUNE_API_URL/api/v1/executions/$ATTUNE_EXEC_ID/logs/stderr"';
    const done = await waitForTerminal(ctx.api, (await execute(ctx.api, 'core.local', { cmd })).id);
    expect(done.result.stdout).toBe('403');
    // Its stderr log stays what the process wrote: nothing.
    expect(done.result.stderr_log).toBeUndefined();
  });
});

describe('logs are bound to their execution by id', () => {
  it('never adopts an artifact pre-created with the ref of a future execution\'s log', async () => {
    // The next execution id, and an artifact squatting its log ref (as an attacker could before
    // refs in `execution.*` were reserved: written straight into the table here).
    const [{ next }] = await sql<{ next: string }>(`SELECT last_value + 1 AS next FROM executions_id_seq`);
    const victimId = Number(next);
    const [squat] = await sql<{ id: string }>(
      `INSERT INTO artifacts (ref, type, name) VALUES ($1, 'file_text', 'stdout') RETURNING id`,
      [`execution.${victimId}.stdout`],
    );
    const e = await execute(ctx.api, 'core.echo', { message: 'secret output of the victim' });
    expect(e.id).toBe(victimId);
    const done = await waitForTerminal(ctx.api, e.id);
    expect(done.status).toBe('completed');
    // The squatter got nothing.
    const squatVersions = await ctx.api.get(`/api/v1/artifacts/${squat.id}/versions`);
    expect(squatVersions.body.data).toEqual([]);
    // The victim's log is whole, in an artifact of its own bound to it.
    const log = await fetch(`${ctx.platform.apiUrl}${done.result.stdout_log}`, { headers: { authorization: `Bearer ${ctx.api.token}` } });
    expect(await log.text()).toBe('secret output of the victim\n');
    const own = (await ctx.api.get(`/api/v1/executions/${e.id}/artifacts`)).body.data.filter((a: any) => a.origin === 'log');
    expect(own).toHaveLength(1);
    expect(own[0].id).not.toBe(Number(squat.id));
    expect(own[0].ref).toMatch(new RegExp(`^execution\\.${e.id}\\.stdout\\.[0-9a-f]{8}$`));
  });
});
