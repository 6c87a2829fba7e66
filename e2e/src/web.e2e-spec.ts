import type { SuccessBody } from '@attune/api-client';
import { buildTarGz, waitFor } from '@attune/testing';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type Browser, type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { execute, ROOT, usePlatform, waitForTerminal } from './support';

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

let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(() => {
  if (!existsSync(join(WEB_DIR, 'index.html'))) throw new Error(`${WEB_DIR}/index.html is missing: build the web app first (npm run build)`);
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium; .ci/run does it)`);
});

// A database of its own: what the lists show is this suite's doing (and the screenshots with it).
// No ATTUNE_WEB_DIR: the api finds dist/apps/web by itself, as under `npm start`.
const ctx = usePlatform('web', {}, { database: 'web' });

beforeAll(async () => {
  // playwright's launch() starts from a new, empty profile (user-data-dir) of its own every time.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
});

/** A new browser tab with nothing stored, on the api's address. */
async function newPage(options: { viewport?: { width: number; height: number }; colorScheme?: 'light' | 'dark' } = {}): Promise<Page> {
  const context = await browser.newContext({ baseURL: ctx.platform.apiUrl, acceptDownloads: true, viewport: { width: 1280, height: 860 }, colorScheme: 'light', ...options });
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

async function loggedInPage(options: Parameters<typeof newPage>[0] = {}): Promise<Page> {
  const page = await newPage(options);
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

async function screenshot(page: Page, name: string, fullPage = true): Promise<void> {
  if (!SCREENSHOTS) return;
  // No caret or animation mid-way in a picture.
  await page.addStyleTag({ content: '*, *::before, *::after { transition: none !important; animation: none !important; caret-color: transparent !important; }' });
  await page.screenshot({ path: join(SCREENSHOTS, name), fullPage });
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
    // The log view ends on the full log once the run is over; the output is shown there only, once.
    await page.locator('[data-log-state="complete"]').waitFor();
    expect(await page.getByTestId('log-stdout').textContent()).toBe(`${message}\n`);
    // Shown in the parameters and in the log, and in no preview besides.
    expect(await page.locator('.code', { hasText: message }).count()).toBe(2);
    expect(await page.title()).toBe(`#${id} core.echo · completed — Attune`);
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

describe('the session across tabs', () => {
  it('signs in a second tab of the same browser, and signs both out together', async () => {
    const first = await loggedInPage();
    const id = (await execute(ctx.api, 'core.noop')).id;
    // A pasted link (or a Ctrl-click) in a new tab of the same browser: signed in, no login page.
    const second = await first.context().newPage();
    second.setDefaultTimeout(UI_MS);
    await second.goto(`/executions/${id}`);
    await second.getByRole('heading', { name: new RegExp(`Execution #${id}`) }).waitFor();
    expect(second.url()).toMatch(new RegExp(`/executions/${id}$`));
    expect(await second.evaluate('JSON.parse(sessionStorage.getItem("attune.session")).user.login')).toBe(LOGIN);
    // Its token works against the API on its own.
    await second.locator('.page-head [data-status="completed"]').waitFor();
    // A new browser (another context) is not signed in.
    const stranger = await newPage();
    await stranger.goto(`/executions/${id}`);
    await stranger.waitForURL('**/login');
    // Signing out in one tab signs out the other.
    await second.getByRole('button', { name: 'Log out' }).click();
    await second.waitForURL('**/login');
    await first.waitForURL('**/login');
    expect(await first.evaluate('sessionStorage.length')).toBe(0);
  });
});

describe('a phone-sized screen (390 × 844)', () => {
  const phone = { viewport: { width: 390, height: 844 } };
  /** What sticks out to the right of the screen (none when the page needs no horizontal scrolling). */
  const horizontalOverflow = (page: Page) =>
    page.evaluate<string[]>(`(() => {
      const width = document.documentElement.clientWidth;
      if (document.documentElement.scrollWidth <= width) return [];
      return [...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().right > width + 0.5 && ![...el.children].some((c) => c.getBoundingClientRect().right > width + 0.5))
        .map((el) => el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : '') + ' ' + Math.round(el.getBoundingClientRect().right))
        .concat(['scrollWidth ' + document.documentElement.scrollWidth]);
    })()`);

  it('shows the executions as cards without horizontal scrolling, and the navigation as a menu', async () => {
    const failed = (await execute(ctx.api, 'core.local', { cmd: 'echo "a rather long line of output that would not fit" >&2; exit 2' })).id;
    await waitForTerminal(ctx.api, failed);
    const page = await loggedInPage(phone);
    await page.locator(`tr[data-execution="${failed}"] [data-status="failed"]`).waitFor();
    expect(await horizontalOverflow(page)).toEqual([]);
    // Every card fits the screen.
    const widest = await page.locator('table.executions-table tbody tr').evaluateAll((rows) => Math.max(...rows.map((r) => r.getBoundingClientRect().right)));
    expect(widest).toBeLessThanOrEqual(390);
    await screenshot(page, 'executions-phone.png', false);

    // The navigation is behind the menu button; Log out is reachable there.
    const logout = page.getByRole('button', { name: 'Log out' });
    expect(await logout.isVisible()).toBe(false);
    await page.getByRole('button', { name: 'Menu' }).click();
    await logout.waitFor();
    await screenshot(page, 'menu-phone.png', false);
    const box = (await logout.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(390);
    // Following a link closes the menu.
    await page.getByRole('link', { name: 'Rules' }).click();
    await page.waitForURL('**/rules');
    await logout.waitFor({ state: 'hidden', timeout: 5_000 });
    expect(await logout.isVisible()).toBe(false);

    // An execution's page fits too, its log included.
    await page.goto(`/executions/${failed}`);
    await page.locator('[data-log-state="complete"]').first().waitFor();
    expect(await horizontalOverflow(page)).toEqual([]);
  });
});

describe('dark mode', () => {
  it('follows the system setting', async () => {
    const background = async (scheme: 'light' | 'dark') => {
      const page = await loggedInPage({ colorScheme: scheme });
      await page.locator('tr[data-execution]').first().waitFor();
      if (scheme === 'dark') await screenshot(page, 'executions-dark.png', false);
      return page.evaluate<string>('getComputedStyle(document.documentElement).backgroundColor');
    };
    const [light, dark] = [await background('light'), await background('dark')];
    expect(light).toBe('rgb(245, 247, 250)');
    expect(dark).toBe('rgb(14, 17, 22)');
  });
});

/** A computed style of the element a locator finds (evaluated in the page). */
const css = (locator: Locator, property: string) => locator.evaluate((el, p) => (globalThis as any).getComputedStyle(el)[p] as string, property);

describe('the log view', () => {
  it('renders ANSI colours, numbers lines, searches, wraps, downloads, and opens a failed run on stderr without moving at the end', async () => {
    const page = await loggedInPage();
    // Seen from the start of the run: nothing is inserted above the log when it ends. The run
    // waits for a gate file (at most 60 s) so the page sees it running whatever the machine's load.
    const gate = join(mkdtempSync(join(tmpdir(), 'attune-web-e2e-')), 'gate');
    chmodSync(dirname(gate), 0o755); // actions run as their own uid
    const cmd = [
      `printf '\\033[31mred alert\\033[0m and plain\\n\\033[1;32mgreen and bold\\033[0m\\n'`,
      'for i in 1 2 3 4 5 6; do echo "line $i"; done',
      `waited=0; while [ ! -e ${gate} ] && [ "$waited" -lt 600 ]; do sleep 0.1; waited=$((waited + 1)); done`,
      `printf '\\033[33mwarning:\\033[0m it broke\\n' >&2`,
      'exit 4',
    ].join('; ');
    const id = (await execute(ctx.api, 'core.local', { cmd })).id;
    await page.goto(`/executions/${id}`);
    const stdout = page.getByTestId('log-stdout');
    await stdout.filter({ hasText: 'line 6' }).waitFor();
    const panel = page.getByTestId('log-panel');
    const before = (await panel.boundingBox())!;
    expect((await ctx.api.get(`/api/v1/executions/${id}`)).body.data.status).toBe('running');
    writeFileSync(gate, '');
    await page.locator('.page-head [data-status="failed"]').waitFor({ timeout: 30_000 });
    rmSync(dirname(gate), { recursive: true, force: true });
    // It failed while watched: the view turns to stderr, where the error is, in the same place.
    await page.getByRole('tab', { name: 'stderr', selected: true }).waitFor();
    await page.getByTestId('log-stderr').filter({ hasText: 'warning: it broke' }).waitFor();
    const after = (await panel.boundingBox())!;
    expect(after.y).toBe(before.y);
    await page.getByRole('tab', { name: 'stdout' }).click();
    await page.locator('.log-pane', { has: stdout }).locator('[data-log-state="complete"]').waitFor();
    expect(await page.title()).toBe(`#${id} core.local · failed — Attune`);

    // Colours: the escapes are gone and the text is coloured.
    expect(await stdout.textContent()).toBe('red alert and plain\ngreen and bold\nline 1\nline 2\nline 3\nline 4\nline 5\nline 6\n');
    const red = stdout.getByText('red alert', { exact: true });
    expect(await css(red, 'color')).toBe('rgb(241, 76, 76)');
    const green = stdout.getByText('green and bold', { exact: true });
    expect([await css(green, 'color'), await css(green, 'fontWeight')]).toEqual(['rgb(35, 209, 139)', '700']);
    expect(await css(stdout.getByText('and plain'), 'color')).toBe('rgb(215, 224, 234)');
    // Line numbers, outside the text.
    expect(await stdout.locator('.log-line').evaluateAll((lines) => lines.map((l) => l.getAttribute('data-n')))).toEqual(['1', '2', '3', '4', '5', '6', '7', '8']);

    // Search marks the matches and counts the lines.
    await page.getByRole('searchbox', { name: 'Search the log' }).fill('LINE');
    await page.getByTestId('log-matches').filter({ hasText: '1 of 6 lines' }).waitFor();
    expect(await stdout.locator('mark').count()).toBe(6);
    await page.getByRole('button', { name: 'Next match' }).click();
    await page.getByTestId('log-matches').filter({ hasText: '2 of 6 lines' }).waitFor();
    await page.getByRole('searchbox', { name: 'Search the log' }).fill('');

    // Wrap toggle.
    expect(await stdout.evaluate((el) => el.classList.contains('wrap'))).toBe(true);
    await page.getByRole('checkbox', { name: 'Wrap' }).uncheck();
    expect(await css(stdout.locator('.log-line').first(), 'whiteSpace')).toBe('pre');
    await page.getByRole('checkbox', { name: 'Wrap' }).check();

    // Download: the whole log as the server has it.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download stdout' }).click()]);
    const saved = readFileSync((await download.path())!, 'utf8');
    const served = await fetch(`${ctx.platform.apiUrl}/api/v1/executions/${id}/logs/stdout`, { headers: { authorization: `Bearer ${ctx.api.token}` } });
    expect(saved).toBe(await served.text());
    expect(saved).toContain('\u001b[31mred alert');
    await screenshot(page, 'execution-log.png');

    // Opened afresh, a failed run shows stderr first.
    await page.reload();
    await page.getByRole('tab', { name: 'stderr', selected: true }).waitFor();
    const stderr = page.getByTestId('log-stderr');
    await stderr.filter({ hasText: 'warning: it broke' }).waitFor();
    expect(await css(stderr.getByText('warning:', { exact: true }), 'color')).toBe('rgb(229, 229, 16)');
  });
});

describe('rules, triggers and events', () => {
  it('lists a rule with its trigger and action, toggles it, shows the webhook URL, and links a rule run to its rule and event', async () => {
    const suffix = Date.now().toString(36);
    const pack = `webui${suffix}`;
    expect((await ctx.api.post('/api/v1/packs', { ref: pack, label: 'Web UI e2e', version: '1.0.0' })).status).toBe(201);
    const triggerRef = `${pack}.alerts`;
    expect((await ctx.api.post('/api/v1/triggers', { ref: triggerRef, label: 'Alerts' })).status).toBe(201);
    const hook = await ctx.api.post(`/api/v1/triggers/${triggerRef}/webhooks/enable`);
    expect(hook.status).toBe(200);
    const ruleRef = `${pack}.echo_alerts`;
    const created = await ctx.api.post('/api/v1/rules', {
      ref: ruleRef,
      label: 'Echo alerts',
      trigger_ref: triggerRef,
      action_ref: 'core.echo',
      action_params: { message: '{{ event.payload.text }}' },
    });
    expect(created.status).toBe(201);

    const page = await loggedInPage();
    await page.getByRole('link', { name: 'Rules', exact: true }).click();
    const row = page.locator(`tr[data-rule="${ruleRef}"]`);
    await row.waitFor();
    expect(await row.getByRole('link', { name: triggerRef }).getAttribute('href')).toBe(`/triggers?q=${encodeURIComponent(triggerRef)}`);
    expect(await row.getByRole('link', { name: 'core.echo' }).getAttribute('href')).toBe('/actions?q=core.echo');
    const toggle = row.getByRole('switch', { name: `${ruleRef} enabled` });
    expect(await toggle.getAttribute('aria-checked')).toBe('true');
    await screenshot(page, 'rules.png');
    await toggle.click();
    await row.locator('[role=switch][aria-checked="false"]').waitFor();
    expect((await ctx.api.get(`/api/v1/rules/${ruleRef}`)).body.data.enabled).toBe(false);
    await toggle.click();
    await row.locator('[role=switch][aria-checked="true"]').waitFor();
    expect((await ctx.api.get(`/api/v1/rules/${ruleRef}`)).body.data.enabled).toBe(true);

    // The trigger, with the address a sender posts to.
    await row.getByRole('link', { name: triggerRef }).click();
    const url = page.getByRole('textbox', { name: `Webhook URL of ${triggerRef}` });
    await url.waitFor();
    expect(await url.inputValue()).toBe(`${ctx.platform.apiUrl}/api/v1/webhooks/${hook.body.data.webhook_key}`);

    // Fired: the event lists the rule's enforcement and the execution it started...
    const fired = await fetch(await url.inputValue(), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ payload: { text: 'disk full' } }) });
    expect(fired.status).toBe(200);
    const eventId = ((await fired.json()) as SuccessBody<'/api/v1/webhooks/{key}', 'post'>).data.event_id;
    await page.goto('/events');
    await page.locator(`tr[data-event="${eventId}"]`).click();
    await page.waitForURL(`**/events/${eventId}`);
    const enforcement = page.locator('tr[data-enforcement]');
    await enforcement.getByRole('link', { name: ruleRef }).waitFor();
    const runLink = enforcement.getByRole('link', { name: /^#\d+$/ });
    await runLink.waitFor({ timeout: 30_000 });
    await screenshot(page, 'event.png');
    // ...whose page links back to both.
    await runLink.click();
    const runId = await executionIdFromUrl(page);
    await page.getByTestId('origin-rule').getByRole('link', { name: ruleRef }).waitFor();
    await page.getByTestId('origin-event').getByRole('link', { name: `#${eventId}` }).waitFor();
    expect(await page.getByTestId('started-by').textContent()).toBe('a rule');
    expect((await waitForTerminal(ctx.api, runId)).config).toEqual({ message: 'disk full' });
  });

  it('shows who ran an execution, and lists users for an admin', async () => {
    const id = (await execute(ctx.api, 'core.noop')).id;
    const login = (await ctx.api.get(`/api/v1/executions/${id}`)).body.data.executor_login;
    const page = await loggedInPage();
    const cell = page.locator(`tr[data-execution="${id}"] td[data-label="Started by"]`);
    await cell.waitFor();
    // An api without executor_login yet shows a dash rather than a wrong name.
    expect(await cell.textContent()).toBe(login ?? '—');
    await page.getByRole('link', { name: 'Users', exact: true }).click();
    const me = page.locator(`tr[data-user="${LOGIN}"]`);
    await me.waitFor();
    expect(await me.getByRole('combobox', { name: `Role of ${LOGIN}` }).inputValue()).toBe('admin');
  });
});

describe('the artifacts browser and logs', () => {
  it('leaves execution logs out by default, and an execution still links its logs', async () => {
    const id = (await execute(ctx.api, 'core.echo', { message: 'logged' })).id;
    await waitForTerminal(ctx.api, id);
    const page = await loggedInPage();
    await page.goto(`/artifacts?execution=${id}`);
    await page.getByText('No artifact matches these filters.').waitFor();
    await page.goto(`/executions/${id}`);
    await page.getByRole('button', { name: 'Download stdout' }).waitFor();
  });
});

describe('the Workflow Tasks panel of a real run', () => {
  it("draws the fan-out example's graph, follows its statuses without a reload, and opens a child on click", async () => {
    // 20 pretend pings of 2 s, five at a time (eight seconds at least), beside an audit; summarize
    // joins both. Started once the page is signed in, so the page sees the run in progress.
    const page = await loggedInPage();
    const run = await execute(ctx.api, 'examples.fanout', { delay: 2 });
    await page.goto(`/executions/${run.id}`);
    await page.evaluate('window.__sameDocument = true');
    const panel = page.getByTestId('workflow-panel');
    const task = (name: string) => panel.locator(`[data-task="${name}"]`);
    for (const name of ['prepare', 'ping', 'audit', 'summarize']) await task(name).waitFor();
    expect(await panel.locator('.react-flow__edge').count()).toBe(4);
    const y = async (name: string) => (await task(name).boundingBox())!.y;
    expect(await y('prepare')).toBeLessThan(await y('ping'));
    expect(await y('ping')).toBe(await y('audit'));
    expect(await y('ping')).toBeLessThan(await y('summarize'));

    // Seen while the items run (summarize waits for all of them), then at the end: the same page, never reloaded.
    expect(['pending', 'running']).toContain(await task('summarize').getAttribute('data-status'));
    await panel.locator('[data-task="summarize"][data-status="succeeded"]').waitFor({ timeout: 90_000 });
    await panel.locator('[data-task="ping"][data-status="succeeded"]').waitFor();
    expect(await task('ping').textContent()).toContain('20/20 items');
    await page.locator('.page-head [data-status="completed"]').waitFor({ timeout: 30_000 });
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    // The run's output_map, rendered.
    expect(JSON.parse((await page.getByLabel('workflow output').textContent())!)).toEqual({ answered: 20 });
    await screenshot(page, 'workflow-tasks.png');

    // A click on a task that ran once opens its child execution, which links back to the run.
    const child = Number(await task('summarize').getAttribute('data-executions'));
    await task('summarize').click();
    await page.waitForURL(`**/executions/${child}`);
    await page.getByRole('heading', { name: new RegExp(`Execution #${child}`) }).waitFor();
    expect((await ctx.api.get(`/api/v1/executions/${child}`)).body.data.parent).toBe(run.id);
    await page.getByRole('link', { name: `#${run.id}` }).first().waitFor();
    // The task with items lists its 20 runs.
    await page.goBack();
    await task('ping').click();
    await expect(panel.getByTestId('workflow-runs').getByRole('link').count()).resolves.toBe(20);
  });
});

describe('the Workflow Tasks panel (the api answers mocked in the browser)', () => {
  it('draws the task graph, updates node statuses without a reload, and opens a child on click', async () => {
    // Real executions stand in for the run and its children; the browser is told the run is a
    // workflow and shown its graph as GET /api/v1/executions/{id}/workflow answers it.
    const parent = await execute(ctx.api, 'core.noop');
    const children = [];
    for (let i = 0; i < 3; i++) children.push((await execute(ctx.api, 'core.noop')).id);
    await waitForTerminal(ctx.api, parent.id);
    const node = (task: string, status: string, executions: number[]) => ({ task, status, executions, started_at: null, finished_at: null });
    let graph = {
      definition_ref: 'examples.fan_out',
      status: 'running',
      nodes: [node('prepare', 'completed', [children[0]]), node('process', 'running', [children[1], children[2]]), node('report', 'pending', [])],
      edges: [
        { from: 'prepare', to: 'process', when: 'succeeded()' },
        { from: 'process', to: 'report', when: null },
      ],
      vars: {},
    };
    let runStatus = 'running';
    const page = await loggedInPage();
    await page.route(`**/api/v1/executions/${parent.id}`, async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      await route.fulfill({ response: res, json: { data: { ...body.data, action_ref: 'examples.fan_out', status: runStatus, result: null } } });
    });
    await page.route('**/api/v1/actions/examples.fan_out', (route) =>
      route.fulfill({ json: { data: { ref: 'examples.fan_out', pack_ref: 'examples', label: 'Fan out', runtime: 'workflow', param_schema: {}, enabled: true } } }),
    );
    await page.route(`**/api/v1/executions/${parent.id}/workflow`, (route) => route.fulfill({ json: { data: graph } }));

    await page.goto(`/executions/${parent.id}`);
    await page.evaluate('window.__sameDocument = true');
    const panel = page.getByTestId('workflow-panel');
    const task = (name: string) => panel.locator(`[data-task="${name}"]`);
    await task('report').waitFor();
    expect(await task('prepare').getAttribute('data-status')).toBe('completed');
    expect(await task('process').getAttribute('data-status')).toBe('running');
    expect(await panel.locator('.react-flow__edge').count()).toBe(2);
    // Ranked top to bottom in the order of the edges.
    const y = async (name: string) => (await task(name).boundingBox())!.y;
    expect(await y('prepare')).toBeLessThan(await y('process'));
    expect(await y('process')).toBeLessThan(await y('report'));

    // The run moves on: the page picks it up by itself.
    graph = { ...graph, status: 'completed', nodes: [graph.nodes[0], { ...graph.nodes[1], status: 'completed' }, node('report', 'completed', [children[2]])] };
    runStatus = 'completed';
    await panel.locator('[data-task="report"][data-status="completed"]').waitFor();
    await panel.locator('[data-task="process"][data-status="completed"]').waitFor();
    await page.locator('.page-head [data-status="completed"]').waitFor();
    expect(await page.evaluate('window.__sameDocument')).toBe(true);

    // A task that ran twice lists its runs; one that ran once opens its child.
    await task('process').click();
    await panel.getByTestId('workflow-runs').getByRole('link', { name: `#${children[2]}` }).waitFor();
    await task('prepare').click();
    await page.waitForURL(`**/executions/${children[0]}`);
    await page.getByRole('heading', { name: new RegExp(`Execution #${children[0]}`) }).waitFor();
  });
});
