import { buildTarGz, waitFor } from '@attune/testing';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { type E2eContext, execute, ROOT, startPlatform, stopPlatform, waitForTerminal } from './support';

/**
 * The web UI in a real browser (Debian's chromium driven by playwright-core), served by the api
 * from the production build (dist/apps/web) exactly as `npm start` serves it, against the whole
 * platform. Every wait is on a condition with a deadline.
 *
 * ATTUNE_SCREENSHOTS=1 also writes the README's screenshots into docs/screenshots/.
 */

const CHROMIUM = '/usr/bin/chromium';
const WEB_DIR = join(ROOT, 'dist/apps/web');
const SCREENSHOTS = process.env.ATTUNE_SCREENSHOTS === '1' ? join(ROOT, 'docs/screenshots') : undefined;
const LOGIN = 'test@attune.local';
const PASSWORD = 'TestPass123!';
/** How long the UI may take to show something the platform has done (polling is 1–2 s). */
const UI_MS = 20_000;

let ctx: E2eContext;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  if (!existsSync(join(WEB_DIR, 'index.html'))) throw new Error(`${WEB_DIR}/index.html is missing: build the web app first (npm run build)`);
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; .ci/run does it)`);
  // A database of its own: what the lists show is this suite's doing (and the screenshots with it).
  // No ATTUNE_WEB_DIR: the api finds dist/apps/web by itself, as under `npm start`.
  ctx = await startPlatform('web', {}, { database: 'attune_web_test' });
  // playwright's launch() starts from a new, empty profile (user-data-dir) of its own every time.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });
}, 120_000);

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await stopPlatform(ctx);
});

/** A new browser tab with nothing stored, on the api's address. */
async function newPage(): Promise<Page> {
  const context = await browser.newContext({ baseURL: ctx.platform.apiUrl, acceptDownloads: true, viewport: { width: 1280, height: 860 } });
  contexts.push(context);
  const page = await context.newPage();
  page.setDefaultTimeout(UI_MS);
  return page;
}

async function signIn(page: Page, password = PASSWORD): Promise<void> {
  await page.locator('input[name=login]').fill(LOGIN);
  await page.locator('input[name=password]').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

async function loggedInPage(): Promise<Page> {
  const page = await newPage();
  await page.goto('/');
  await page.waitForURL('**/login');
  await signIn(page);
  await page.waitForURL('**/executions');
  return page;
}

/** The id in /executions/{id}, once the browser is there. */
async function executionIdFromUrl(page: Page): Promise<number> {
  await page.waitForURL(/\/executions\/\d+$/);
  return Number(/\/executions\/(\d+)$/.exec(page.url())![1]);
}

async function screenshot(page: Page, name: string): Promise<void> {
  if (!SCREENSHOTS) return;
  // No caret or animation mid-way in a picture.
  await page.addStyleTag({ content: '*, *::before, *::after { transition: none !important; animation: none !important; caret-color: transparent !important; }' });
  await page.screenshot({ path: join(SCREENSHOTS, name), fullPage: true });
}

async function uploadDemoPack(): Promise<void> {
  const dir = join(ROOT, 'packs/python_example');
  const files = ['pack.yaml', 'actions/artifact_demo.yaml', 'actions/artifact_demo.py'];
  const archive = await buildTarGz(files.map((f) => ({ path: `python_example/${f}`, content: readFileSync(join(dir, f)), mode: f.endsWith('.py') ? 0o755 : 0o644 })));
  const form = new FormData();
  form.append('pack', new Blob([new Uint8Array(archive)], { type: 'application/gzip' }), 'python_example.tar.gz');
  const res = await fetch(`${ctx.platform.apiUrl}/api/v1/packs/upload`, { method: 'POST', headers: { authorization: `Bearer ${ctx.api.token}` }, body: form });
  if (res.status >= 300) throw new Error(`pack upload answered ${res.status}: ${await res.text()}`);
}

describe('signing in', () => {
  it('shows an error for a wrong password, not a blank page, and signs in with the right one', async () => {
    const page = await newPage();
    await page.goto('/executions');
    // Not signed in: the login page, which brings the user back after.
    await page.waitForURL('**/login');
    await signIn(page, 'not-the-password');
    const alert = page.getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe('Wrong login or password.');
    expect(page.url()).toMatch(/\/login$/);
    expect(await page.locator('input[name=login]').inputValue()).toBe(LOGIN);
    expect(await page.locator('input[name=password]').inputValue()).toBe('');
    await signIn(page);
    await page.waitForURL('**/executions');
    await page.getByRole('heading', { name: 'Executions' }).waitFor();
    expect(await page.evaluate('Object.keys(sessionStorage)')).toEqual(['attune.session']);
    // And out again: the token is gone, and the pages are behind the login again.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL('**/login');
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await page.goto('/artifacts');
    await page.waitForURL('**/login');
  });

  it('sends a user whose tokens the server refuses back to the login page, and then to where they were', async () => {
    const page = await loggedInPage();
    const id = (await execute(ctx.api, 'core.noop')).id;
    // The tokens of a session the server no longer accepts (expired, or revoked by a password change).
    await page.evaluate(`{
      const s = JSON.parse(sessionStorage.getItem('attune.session'));
      sessionStorage.setItem('attune.session', JSON.stringify({ ...s, accessToken: 'expired.token.value', refreshToken: 'revoked' }));
    }`);
    await page.goto(`/executions/${id}`);
    await page.waitForURL('**/login');
    await page.getByText('Your session has expired. Sign in again.').waitFor();
    await signIn(page);
    await page.waitForURL(`**/executions/${id}`);
    await page.getByRole('heading', { name: new RegExp(`Execution #${id}`) }).waitFor();
  });
});

describe('running an action from the Run form', () => {
  it('runs core.echo, follows it to completion and shows its stdout', async () => {
    const page = await loggedInPage();
    const message = `hello from the browser ${Date.now()}`;
    await page.getByRole('link', { name: 'Actions', exact: true }).click();
    await page.locator('tr[data-action="core.echo"]').getByRole('link', { name: 'Run' }).click();
    await page.waitForURL('**/actions/core.echo/run');
    // The form comes from the schema: `message`, a string with its default filled in.
    const field = page.locator('#param-message');
    expect(await field.inputValue()).toBe('Hello World');
    await field.fill(message);
    await page.getByRole('button', { name: 'Run', exact: true }).click();

    const id = await executionIdFromUrl(page);
    await page.locator('.page-head [data-status="completed"]').waitFor({ timeout: 30_000 });
    await page.getByTestId('exit-code').filter({ hasText: /^0$/ }).waitFor();
    expect(await page.getByTestId('stdout-preview').textContent()).toBe(`${message}\n`);
    // The log view ends on the full log once the run is over.
    await page.locator('[data-log-state="complete"]').waitFor();
    expect(await page.getByTestId('log-stdout').textContent()).toBe(`${message}\n`);
    // The same execution, seen through the API.
    const done = await waitForTerminal(ctx.api, id);
    expect(done).toMatchObject({ action_ref: 'core.echo', status: 'completed', config: { message } });
  });

  it("shows the API's validation errors on the fields they belong to", async () => {
    const page = await loggedInPage();
    await page.goto('/actions/core.local/run');
    await page.locator('label[for="param-cmd"]').filter({ hasText: '*' }).waitFor();
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.locator('[data-field="cmd"] .field-error').filter({ hasText: 'is required' }).waitFor();
    expect(page.url()).toMatch(/\/actions\/core\.local\/run$/);
    expect(await page.locator('#param-cmd').getAttribute('aria-invalid')).toBe('true');

    await page.goto('/actions/core.sleep/run');
    await page.locator('#param-seconds').fill('100000');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.locator('[data-field="seconds"] .field-error').filter({ hasText: /86400/ }).waitFor();
    await page.locator('#param-seconds').fill('soon');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    await page.locator('[data-field="seconds"] .field-error').filter({ hasText: 'must be a number' }).waitFor();
  });

  it('follows the live log while the action runs, then shows the full log', async () => {
    const page = await loggedInPage();
    await page.goto('/actions/core.local/run');
    await page.locator('#param-cmd').fill('for i in 1 2 3; do echo "tick $i"; sleep 1; done; echo "to stderr" >&2');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const id = await executionIdFromUrl(page);
    const log = page.getByTestId('log-stdout');
    // Seen while it still runs: the first line arrives before the last one is written.
    await log.filter({ hasText: 'tick 1' }).waitFor();
    const whileRunning = (await ctx.api.get(`/api/v1/executions/${id}`)).body.data.status;
    expect(['requested', 'scheduling', 'scheduled', 'running']).toContain(whileRunning);
    await page.locator('[data-log-state="complete"]').waitFor({ timeout: 30_000 });
    expect(await log.textContent()).toBe('tick 1\ntick 2\ntick 3\n');
    await page.getByRole('tab', { name: 'stderr' }).click();
    await page.getByTestId('log-stderr').filter({ hasText: 'to stderr' }).waitFor();
  });
});

describe('the artifacts panel', () => {
  it('shows the demo pack’s progress advancing to 100% without a reload, and downloads its file with the right SHA-256', async () => {
    await uploadDemoPack();
    const page = await loggedInPage();
    await page.goto('/actions/python_example.artifact_demo/run');
    await page.locator('#param-iterations').fill('10');
    await page.locator('#param-sleep_seconds').fill('0.6');
    await screenshot(page, 'run-form.png');
    await page.getByRole('button', { name: 'Run', exact: true }).click();
    const id = await executionIdFromUrl(page);
    // A marker on the window: it would be gone after any reload or navigation.
    await page.evaluate('window.__sameDocument = true');

    const panel = page.getByTestId('artifacts-panel');
    await panel.getByText('1 file', { exact: true }).waitFor();
    await panel.getByText('1 progress', { exact: true }).waitFor();
    const progressRow = panel.locator('tr[data-type="progress"]');
    await progressRow.getByRole('button', { name: 'Show progress' }).click();
    const bar = panel.getByRole('progressbar');

    const seen: number[] = [];
    await waitFor(
      async () => {
        const value = Number(await bar.getAttribute('aria-valuenow'));
        if (seen[seen.length - 1] !== value) seen.push(value);
        return value === 100;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: 'the progress bar to reach 100%' },
    );
    // It advanced in steps the page picked up by itself, never backwards.
    expect(seen.length).toBeGreaterThanOrEqual(2);
    expect(seen.some((v) => v > 0 && v < 100)).toBe(true);
    expect([...seen].sort((a, b) => a - b)).toEqual(seen);
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    await panel.getByTestId('progress-percent').filter({ hasText: '100%' }).waitFor();
    await panel.getByText('iteration 10 of 10').first().waitFor();
    await page.locator('.page-head [data-status="completed"]').waitFor({ timeout: 30_000 });
    expect(await panel.locator('.progress-detail tbody tr').count()).toBe(10);
    await screenshot(page, 'execution-artifacts.png');

    // The file artifact, downloaded with the session's token and saved by the browser.
    const fileRow = panel.locator('tr[data-type="file_text"]').filter({ hasText: `artifact_demo-${id}.log` });
    const [download] = await Promise.all([page.waitForEvent('download'), fileRow.getByRole('button', { name: 'Download' }).click()]);
    const saved = readFileSync((await download.path())!);
    await fileRow.getByText('SHA-256 verified').waitFor();
    const artifactId = Number(await fileRow.getAttribute('data-artifact'));
    const latest = await ctx.api.get(`/api/v1/artifacts/${artifactId}/versions/latest`);
    const head = await fetch(`${ctx.platform.apiUrl}/api/v1/artifacts/${artifactId}/download`, { headers: { authorization: `Bearer ${ctx.api.token}` } });
    await head.arrayBuffer();
    expect(createHash('sha256').update(saved).digest('hex')).toBe(latest.body.data.sha256);
    expect(head.headers.get('x-checksum-sha256')).toBe(latest.body.data.sha256);
    expect(saved.toString('utf8')).toMatch(/iteration 10 of 10\n$/);
    expect(download.suggestedFilename()).toBe(`artifact_demo-${id}.log`);
  });

  it('is not shown for an execution without artifacts', async () => {
    const id = (await execute(ctx.api, 'core.noop')).id;
    await waitForTerminal(ctx.api, id);
    expect((await ctx.api.get(`/api/v1/executions/${id}/artifacts`)).body.data).toEqual([]);
    const page = await loggedInPage();
    await page.goto(`/executions/${id}`);
    await page.locator('.page-head [data-status="completed"]').waitFor();
    await page.locator('[data-log-state="complete"]').waitFor();
    expect(await page.getByTestId('artifacts-panel').count()).toBe(0);
  });
});

describe('the executions list', () => {
  it('shows statuses, filters by status and action, updates live, pages, and cancels from the detail page', async () => {
    const page = await loggedInPage();
    const failed = (await execute(ctx.api, 'core.local', { cmd: 'echo broken >&2; exit 3' })).id;
    await waitForTerminal(ctx.api, failed);
    await page.goto('/executions');
    const row = (id: number) => page.locator(`tr[data-execution="${id}"]`);
    await row(failed).locator('[data-status="failed"]').waitFor();

    // Started while the page is open: it appears and runs, without a reload.
    const sleeper = (await execute(ctx.api, 'core.sleep', { seconds: 60 })).id;
    await row(sleeper).locator('[data-status="running"]').waitFor();
    await page.getByText(/\d+ in progress/).waitFor();
    await screenshot(page, 'executions-list.png');

    // What the list shows once it has answered for the current filters (until then the previous
    // rows stay, marked aria-busy).
    const listed = (what: string, ok: (rows: Array<{ id: number; status: string; action: string }>) => boolean) =>
      waitFor(
        async () => {
          const rows = await page
            .locator('table.executions-table:not([aria-busy]) tbody tr[data-execution]')
            .evaluateAll((trs) =>
              trs.map((tr) => ({
                id: Number(tr.getAttribute('data-execution')),
                action: tr.getAttribute('data-action') ?? '',
                status: tr.querySelector('[data-status]')?.getAttribute('data-status') ?? '',
              })),
            );
          return rows.length > 0 && ok(rows);
        },
        { timeoutMs: UI_MS, what },
      );
    await page.locator('select[name=status]').selectOption('failed');
    await page.waitForURL(/status=failed/);
    await listed('only failed executions', (rows) => rows.some((r) => r.id === failed) && rows.every((r) => r.status === 'failed'));
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.locator('input[name=action_ref]').fill('core.sleep');
    await page.locator('input[name=action_ref]').press('Enter');
    await page.waitForURL(/action_ref=core\.sleep/);
    await listed('only core.sleep executions', (rows) => rows.some((r) => r.id === sleeper) && rows.every((r) => r.action === 'core.sleep'));
    await page.locator('input[name=action_ref]').fill('no.such_action');
    await page.locator('input[name=action_ref]').press('Enter');
    await page.getByText('No execution matches these filters.').waitFor();

    // Cancel from its page.
    await page.goto(`/executions/${sleeper}`);
    await page.getByRole('button', { name: 'Cancel' }).click();
    await page.locator('.page-head [data-status="cancelled"]').waitFor({ timeout: 30_000 });
    expect((await waitForTerminal(ctx.api, sleeper)).status).toBe('cancelled');

    // More than a page of executions: the second page holds the oldest.
    const total = (await ctx.api.get('/api/v1/executions?per_page=1')).body.pagination.total;
    for (let i = total; i <= 20; i++) await execute(ctx.api, 'core.noop');
    await page.goto('/executions');
    await page.getByText(/^Page 1 of \d+$/).waitFor();
    expect(Number(/of (\d+)$/.exec((await page.getByText(/^Page 1 of \d+$/).textContent())!)![1])).toBeGreaterThanOrEqual(2);
    await page.getByRole('button', { name: 'Next →' }).click();
    await page.waitForURL(/page=2/);
    await page.getByText(/^Page 2 of/).waitFor();
    expect(await page.locator('tbody tr').count()).toBeGreaterThan(0);
  });
});

describe('the artifacts browser', () => {
  it('filters artifacts, and says so when nothing matches', async () => {
    const created = await ctx.api.post('/api/v1/artifacts', {
      ref: `e2e.web.${Date.now()}.progress`,
      type: 'progress',
      name: 'browser progress',
      data: [{ iteration: 1, percent: 100, message: 'all done', timestamp: new Date().toISOString() }],
    });
    expect(created.status).toBe(201);
    const page = await loggedInPage();
    await page.goto('/artifacts');
    await page.locator('select[name=type]').selectOption('progress');
    await page.waitForURL(/type=progress/);
    // Only progress artifacts, ours among them (until the answer comes, the previous list stays, marked busy).
    await page.locator(`tr[data-artifact="${created.body.data.id}"]`).waitFor();
    await waitFor(
      async () => {
        const types = await page.locator('table.artifacts-table:not([aria-busy]) tbody tr[data-artifact]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-type')));
        return types.length > 0 && types.every((t) => t === 'progress');
      },
      { timeoutMs: UI_MS, what: 'only progress artifacts listed' },
    );
    await page.locator(`tr[data-artifact="${created.body.data.id}"]`).click();
    await page.locator('.progress-detail .progress-message').filter({ hasText: 'all done' }).waitFor();
    await page.locator('.progress-detail').getByTestId('progress-percent').filter({ hasText: '100%' }).waitFor();

    await page.locator('input[name=name]').fill('no-artifact-has-this-name');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('No artifact matches these filters.').waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await page.locator('tbody tr[data-artifact]').first().waitFor();

    // A bad filter is the API's 422, shown as an error, not a blank page.
    await page.goto('/artifacts?execution=abc');
    await page.getByText('The artifacts could not be loaded').waitFor();
  });
});
