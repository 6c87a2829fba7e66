import { ApiClient, deleteAmqpNamespace, Platform, prepareTestDatabase, testAmqpUrl, uniqueNamespace, waitFor } from '@attune/testing';
import { RUNTIMES, runtimeSetKey, workerQueueName } from '@attune/contracts';
import { join, resolve } from 'node:path';

// Tests run from the repository root (npm test, or jest -c e2e/jest.config.cjs there).
export const ROOT = resolve(process.cwd());
export const TERMINAL = ['completed', 'failed', 'cancelled', 'timeout', 'abandoned'];

/** The work queue of every runtime set a worker of the default pool may have. */
export const WORKER_QUEUES = Array.from({ length: 2 ** RUNTIMES.length - 1 }, (_, i) =>
  workerQueueName('default', runtimeSetKey(RUNTIMES.filter((_r, bit) => (i + 1) & (1 << bit)))),
);

export interface E2eContext {
  platform: Platform;
  api: ApiClient;
  namespace: string;
  /** The platform's database, for tests that look behind the API (where a blob is stored). */
  databaseUrl: string;
}

/** Starts the whole platform for one test file, on its own bus namespace. */
export async function startPlatform(name: string, env: Record<string, string> = {}, opts: { database?: string } = {}): Promise<E2eContext> {
  // `database`: a test database of the suite's own (its name must contain "test").
  const databaseUrl = await prepareTestDatabase(opts.database);
  const namespace = uniqueNamespace('e2e');
  const platform = await Platform.create({
    root: ROOT,
    databaseUrl,
    amqpUrl: testAmqpUrl(),
    namespace,
    logDir: join(ROOT, 'tmp/e2e', `${name}-${namespace}`),
    env,
  });
  await platform.startAll();
  const api = new ApiClient(platform.apiUrl);
  await api.login();
  return { platform, api, namespace, databaseUrl };
}

export async function stopPlatform(ctx: E2eContext | undefined): Promise<void> {
  if (!ctx) return;
  await ctx.platform.stopAll();
  await deleteAmqpNamespace(testAmqpUrl(), ctx.namespace, ['executor', 'worker.default', ...WORKER_QUEUES, 'artifact-store', 'artifact-store.logs']);
}

/** Polls an execution until it is terminal and answers it. */
export async function waitForTerminal(api: ApiClient, id: number, timeoutMs = 15_000): Promise<any> {
  return waitFor(
    async () => {
      const res = await api.get(`/api/v1/executions/${id}`);
      return TERMINAL.includes(res.body?.data?.status) ? res.body.data : undefined;
    },
    { timeoutMs, intervalMs: 20, what: `execution ${id} to finish` },
  );
}

export async function execute(api: ApiClient, action_ref: string, parameters?: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  const res = await api.post('/api/v1/executions/execute', { action_ref, parameters, ...extra });
  if (res.status !== 201) throw new Error(`execute ${action_ref} answered ${res.status}: ${JSON.stringify(res.body)}`);
  return res.body.data;
}
