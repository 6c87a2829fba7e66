import { waitFor } from '@attune/testing';
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { execute, registerUser, type TestUser, usePlatform, waitForTerminal, withCli } from './support';

// core.inquiry: the executor holds the execution `running` with no worker until someone answers
// (POST /api/v1/inquiries/{id}/respond), it times out, or it is cancelled.

const RUN = `${Date.now().toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`;
const SCHEMA = {
  type: 'object',
  properties: { approved: { type: 'boolean', description: 'Go ahead?' }, reason: { type: 'string', minLength: 3 } },
  required: ['approved'],
  additionalProperties: false,
};
const ctx = usePlatform('inquiries', { ATTUNE_EXECUTOR_INQUIRY_POLL_MS: '200' });
let approver: TestUser;
let outsider: TestUser;

/** Starts a core.inquiry and answers it with its inquiry once the execution waits. */
async function ask(parameters: Record<string, unknown>) {
  const execution = await execute(ctx.api, 'core.inquiry', parameters);
  const inquiry = await waitFor(
    async () => {
      const e = (await ctx.api.get(`/api/v1/executions/${execution.id}`)).body.data;
      if (e.status !== 'running') return undefined;
      const list = await ctx.api.get(`/api/v1/inquiries?execution=${execution.id}`);
      return list.body.data[0];
    },
    { timeoutMs: 15_000, what: `execution ${execution.id} to wait on its inquiry` },
  );
  return { execution, inquiry };
}

beforeAll(async () => {
  approver = await registerUser(ctx, `approver${RUN}`);
  // The outsider is an operator: a role does not let them answer an inquiry assigned to someone else.
  outsider = await registerUser(ctx, `outsider${RUN}`, 'operator');
});

describe('core.inquiry', () => {
  it('waits on no worker, refuses a bad answer (422) and a non-assigned user (403), and completes with the answer', async () => {
    const { execution, inquiry } = await ask({ schema: SCHEMA, assigned_to: [approver.login], prompt: 'Deploy release 2.1?', title: 'Deploy', timeout: 120 });
    expect(inquiry).toMatchObject({ status: 'pending', prompt: 'Deploy release 2.1?', assigned_to: [approver.login], schema: SCHEMA, response_schema: SCHEMA });
    expect(new Date(inquiry.timeout_at).getTime()).toBeGreaterThan(Date.now() + 100_000);
    const waiting = (await ctx.api.get(`/api/v1/executions/${execution.id}`)).body.data;
    expect(waiting).toMatchObject({ status: 'running', worker: 'executor:inquiry' });
    // No worker holds it: the worker reports nothing running (its heartbeat every 5 s says so).
    const workers = await waitFor(async () => {
      const list = (await ctx.api.get('/api/v1/workers')).body.data as any[];
      return list.length && new Date(list[0].last_heartbeat).getTime() > new Date(waiting.started_at).getTime() ? list : undefined;
    }, { timeoutMs: 15_000, what: 'a heartbeat after the inquiry started' });
    expect(workers.every((w: any) => w.running === 0)).toBe(true);

    expect((await ctx.api.get(`/api/v1/inquiries/${inquiry.id}`)).body.data.id).toBe(inquiry.id);
    expect((await ctx.api.get('/api/v1/inquiries?status=pending')).body.data.map((i: any) => i.id)).toContain(inquiry.id);

    const bad = await approver.client.post(`/api/v1/inquiries/${inquiry.id}/respond`, { response: { approved: 'yes', reason: 'x' } });
    expect(bad.status).toBe(422);
    expect(bad.body.code).toBe('VALIDATION_ERROR');
    expect(bad.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'approved' }), expect.objectContaining({ field: 'reason' })]));
    expect((await approver.client.post(`/api/v1/inquiries/${inquiry.id}/respond`, { response: { reason: 'fine' } })).status).toBe(422);

    const refused = await outsider.client.post(`/api/v1/inquiries/${inquiry.id}/respond`, { response: { approved: true } });
    expect(refused.status).toBe(403);
    expect(refused.body.code).toBe('FORBIDDEN');
    expect((await ctx.api.get(`/api/v1/executions/${execution.id}`)).body.data.status).toBe('running');

    const answered = await approver.client.post(`/api/v1/inquiries/${inquiry.id}/respond`, { response: { approved: true, reason: 'tests pass' } });
    expect(answered.status).toBe(200);
    expect(answered.body.data).toMatchObject({ status: 'responded', response: { approved: true, reason: 'tests pass' }, responded_by: approver.login });
    const done = await waitForTerminal(ctx.api, execution.id);
    expect(done.status).toBe('completed');
    expect(done.result).toMatchObject({ succeeded: true, data: { approved: true, reason: 'tests pass' } });

    expect((await approver.client.post(`/api/v1/inquiries/${inquiry.id}/respond`, { response: { approved: false } })).status).toBe(409);
  });

  it('lets an operator answer an unassigned inquiry but not a viewer', async () => {
    const { execution, inquiry } = await ask({ schema: SCHEMA, prompt: 'Anyone?' });
    expect((await approver.client.post(`/api/v1/inquiries/${inquiry.id}/respond`, { response: { approved: true } })).status).toBe(403);
    const answered = await ctx.api.post(`/api/v1/inquiries/${inquiry.id}/respond`, { data: { approved: false } });
    expect(answered.status).toBe(200);
    expect((await waitForTerminal(ctx.api, execution.id)).result.data).toEqual({ approved: false });
  });

  it('ends in timeout when nobody answers', async () => {
    const { execution, inquiry } = await ask({ schema: SCHEMA, timeout: 2 });
    const done = await waitForTerminal(ctx.api, execution.id, 20_000);
    expect(done.status).toBe('timeout');
    expect(done.result).toMatchObject({ succeeded: false, timed_out: true });
    expect((await ctx.api.get(`/api/v1/inquiries/${inquiry.id}`)).body.data.status).toBe('timeout');
    expect((await ctx.api.post(`/api/v1/inquiries/${inquiry.id}/respond`, { response: { approved: true } })).status).toBe(409);
  });

  it('is cancelled with its execution', async () => {
    const { execution, inquiry } = await ask({ schema: SCHEMA, timeout: 120 });
    expect((await ctx.api.post(`/api/v1/executions/${execution.id}/cancel`)).status).toBe(200);
    const done = await waitForTerminal(ctx.api, execution.id, 20_000);
    expect(done.status).toBe('cancelled');
    expect((await ctx.api.get(`/api/v1/inquiries/${inquiry.id}`)).body.data.status).toBe('cancelled');
  });

  it('answers 400, 404 and 422 for bad ids and bodies', async () => {
    expect((await ctx.api.get('/api/v1/inquiries/0')).status).toBe(400);
    expect((await ctx.api.get('/api/v1/inquiries/999999999')).status).toBe(404);
    expect((await ctx.api.post('/api/v1/inquiries/999999999/respond', { response: {} })).status).toBe(404);
    expect((await ctx.api.post('/api/v1/inquiries/1/respond', { response: 'yes' })).status).toBe(422);
  });
});

describe('attune inquiry', () => {
  it('lists pending inquiries and answers one (exit 8 on an answer the schema refuses)', async () => {
    const { execution, inquiry } = await ask({ schema: SCHEMA, prompt: `cli ${RUN}` });
    await withCli(ctx, async (cli) => {
      const list = await cli(['inquiry', 'list']);
      expect(list.code).toBe(0);
      expect(list.stdout).toContain(`cli ${RUN}`);
      const bad = await cli(['inquiry', 'respond', String(inquiry.id), '--data', '{"approved": "maybe"}']);
      expect(bad.code).toBe(8);
      const ok = await cli(['inquiry', 'respond', String(inquiry.id), '--data', '{"approved": true}', '--json']);
      expect(ok.code).toBe(0);
      expect(JSON.parse(ok.stdout)).toMatchObject({ id: inquiry.id, status: 'responded' });
    });
    expect((await waitForTerminal(ctx.api, execution.id)).result.data).toEqual({ approved: true });
  });
});

// The web UI's form, in Debian's Chromium driven by playwright-core (as web.e2e-spec.ts does).
const CHROMIUM = '/usr/bin/chromium';
describe('the Inquiries page', () => {
  it('answers an inquiry with the form built from its schema', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; .ci/run does it)`);
    const { execution, inquiry } = await ask({ schema: SCHEMA, prompt: `web ${RUN}` });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await (await browser.newContext({ baseURL: ctx.platform.apiUrl })).newPage();
      page.setDefaultTimeout(15_000);
      await page.goto('/inquiries');
      await page.waitForURL('**/login');
      await page.locator('input[name=login]').fill('test@attune.local');
      await page.locator('input[name=password]').fill('TestPass123!');
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL('**/inquiries');
      const card = page.locator(`[data-inquiry="${inquiry.id}"]`);
      await card.getByText(`web ${RUN}`).waitFor();
      // reason is too short: the API's 422 lands on the field.
      await card.locator('input[name="reason"]').fill('no');
      await card.getByRole('button', { name: 'Answer' }).click();
      await card.locator('[data-field="reason"] .field-error').waitFor();
      await card.locator('input[name="approved"]').check();
      await card.locator('input[name="reason"]').fill('looks good');
      await card.getByRole('button', { name: 'Answer' }).click();
      const done = await waitForTerminal(ctx.api, execution.id);
      expect(done.result.data).toEqual({ approved: true, reason: 'looks good' });
    } finally {
      await browser.close();
    }
  });
});
