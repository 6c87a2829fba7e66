import { beforeAll, describe, expect, it } from '@jest/globals';
import { createProjectGraphAsync } from '@nx/devkit';
import { ESLint } from 'eslint';
import { join } from 'node:path';
import { workspaceRoot } from './workspace-root';

// The house rules of eslint.config.mjs (docs/architecture.md, "Boundaries") bite: each wrong import
// below, linted as if it were a file at that path, is an error of the named rule, and each
// allowed one is not. Nothing is written to disk.

const root = workspaceRoot();
const BOUNDARIES = '@nx/enforce-module-boundaries';
const RESTRICTED = 'no-restricted-imports';
let eslint: ESLint;

/** The rules that report on `code` as the file `file` (relative to the workspace root). */
async function rulesReporting(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, file) });
  return result.messages.filter((m) => m.severity === 2).map((m) => `${m.ruleId}: ${m.message}`);
}

beforeAll(async () => {
  // The Nx rule reads the cached project graph (tags included) and is skipped without one, so make
  // it current: tags edited since the last nx command would otherwise be judged by the old graph.
  await createProjectGraphAsync({ exitOnError: false });
  eslint = new ESLint({ cwd: root });
}, 120_000);

describe('module boundaries', () => {
  it.each([
    ['the worker imports persistence', 'apps/worker/src/runner/probe.ts', "import { PersistenceModule } from '@attune/persistence';\nexport { PersistenceModule };\n"],
    ['the worker imports storage', 'apps/worker/src/probe.ts', "import { BLOB_STORE } from '@attune/storage';\nexport { BLOB_STORE };\n"],
    ['the CLI imports persistence', 'apps/cli/src/probe.ts', "import { ExecutionRepository } from '@attune/persistence';\nexport { ExecutionRepository };\n"],
    ['the web UI imports storage', 'apps/web/src/probe.tsx', "import { BLOB_STORE } from '@attune/storage';\nexport { BLOB_STORE };\n"],
    ['api production code imports the testing lib', 'apps/api/src/executions/probe.service.ts', "import { waitFor } from '@attune/testing';\nexport { waitFor };\n"],
    ['a web page imports the testing lib', 'apps/web/src/workflows/probe.tsx', "import { waitFor } from '@attune/testing';\nexport { waitFor };\n"],
    ['worker production code imports the testing lib', 'apps/worker/src/probe.ts', "import { buildTarGz } from '@attune/testing';\nexport { buildTarGz };\n"],
    ['a lib imports the testing lib', 'libs/packs/src/probe.ts', "import { buildTarGz } from '@attune/testing';\nexport { buildTarGz };\n"],
    ['contracts import a lib', 'libs/contracts/src/probe.ts', "import { PersistenceModule } from '@attune/persistence';\nexport { PersistenceModule };\n"],
    ['contracts import Nest', 'libs/contracts/src/probe.ts', "import { Injectable } from '@nestjs/common';\nexport { Injectable };\n"],
    ['contracts import TypeORM', 'libs/contracts/src/probe.ts', "import { Entity } from 'typeorm';\nexport { Entity };\n"],
    ['contracts import Express', 'libs/contracts/src/probe.ts', "import type { Request } from 'express';\nexport type { Request };\n"],
    ['the api client imports a lib', 'libs/api-client/src/probe.ts', "import { DomainError } from '@attune/contracts';\nexport { DomainError };\n"],
    ['an app imports another app', 'apps/executor/src/probe.ts', "import { AppModule } from '../../api/src/app.module';\nexport { AppModule };\n"],
  ])('refuses: %s', async (_case, file, code) => {
    const reports = await rulesReporting(file, code);
    expect(reports).toEqual([expect.stringContaining(BOUNDARIES)]);
  });

  it.each([
    ['a controller imports a repository', 'apps/api/src/executions/probe.controller.ts', "import { ExecutionRepository } from '@attune/persistence';\nexport { ExecutionRepository };\n", 'Controllers only map HTTP to services'],
    ['a controller imports the blob store', 'apps/api/src/artifacts/probe.controller.ts', "import { BLOB_STORE, type BlobStore } from '@attune/storage';\nexport { BLOB_STORE, type BlobStore };\n", 'Controllers only map HTTP to services'],
    ['a controller imports TypeORM', 'apps/api/src/packs/probe.controller.ts', "import { DataSource } from 'typeorm';\nexport { DataSource };\n", 'SQL lives in repositories'],
    ['a service imports Express types', 'apps/api/src/executions/probe.service.ts', "import type { Request } from 'express';\nexport type { Request };\n", 'Services know nothing of Express'],
    ['a service imports the Nest Express platform', 'apps/api/src/packs/probe.ts', "import type { NestExpressApplication } from '@nestjs/platform-express';\nexport type { NestExpressApplication };\n", 'Services know nothing of Express'],
  ])('refuses: %s', async (_case, file, code, message) => {
    const reports = await rulesReporting(file, code);
    expect(reports).toEqual([expect.stringContaining(message)]);
    expect(reports[0]).toContain(RESTRICTED);
  });

  it.each([
    ['the api uses persistence and storage', 'apps/api/src/executions/probe.service.ts', "import { ExecutionRepository } from '@attune/persistence';\nimport { BLOB_STORE } from '@attune/storage';\nexport { ExecutionRepository, BLOB_STORE };\n"],
    ['artifact-store uses storage', 'apps/artifact-store/src/probe.service.ts', "import { BLOB_STORE } from '@attune/storage';\nexport { BLOB_STORE };\n"],
    ['the worker uses contracts, messaging and packs', 'apps/worker/src/probe.ts', "import { DomainError } from '@attune/contracts';\nimport { MessagingModule } from '@attune/messaging';\nimport { packArchiveKey } from '@attune/packs';\nexport { DomainError, MessagingModule, packArchiveKey };\n"],
    ['a controller names an entity type and Express types', 'apps/api/src/executions/probe.controller.ts', "import type { ExecutionEntity } from '@attune/persistence';\nimport type { Response } from 'express';\nexport type { ExecutionEntity, Response };\n"],
    ['a worker unit test uses the testing lib', 'apps/worker/src/runner/probe.spec.ts', "import { waitFor } from '@attune/testing';\nexport { waitFor };\n"],
    ['a web component test uses the testing lib', 'apps/web/src/workflows/probe.spec.tsx', "import { waitFor } from '@attune/testing';\nexport { waitFor };\n"],
    ['an api integration test uses the testing lib', 'apps/api/test/probe.int-spec.ts', "import { prepareTestDatabase } from '@attune/testing';\nexport { prepareTestDatabase };\n"],
    ['an e2e test uses the testing lib', 'e2e/src/probe.e2e-spec.ts', "import { ApiClient } from '@attune/testing';\nexport { ApiClient };\n"],
    ['the web UI uses the generated api client', 'apps/web/src/probe.tsx', "import type { Execution } from '@attune/api-client';\nexport type { Execution };\n"],
    ['the CLI uses the generated api client', 'apps/cli/src/commands/probe.ts', "import { isTerminal } from '@attune/api-client';\nexport { isTerminal };\n"],
    ['e2e uses the generated api client', 'e2e/src/probe.ts', "import type { Execution } from '@attune/api-client';\nexport type { Execution };\n"],
    ['contracts use their validation libraries', 'libs/contracts/src/probe.ts', "import { IsString } from 'class-validator';\nexport { IsString };\n"],
  ])('allows: %s', async (_case, file, code) => {
    expect(await rulesReporting(file, code)).toEqual([]);
  });

  it('still refuses the worker a database in its tests', async () => {
    const reports = await rulesReporting('apps/worker/src/runner/probe.spec.ts', "import { PersistenceModule } from '@attune/persistence';\nexport { PersistenceModule };\n");
    expect(reports).toEqual([expect.stringContaining(BOUNDARIES)]);
  });
});
