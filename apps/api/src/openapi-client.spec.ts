import { describe, expect, it } from '@jest/globals';
import { workspaceRoot } from '@attune/testing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApiDocument } from './openapi-document';

// libs/api-client is generated from the document this api serves (`npm run openapi:client`). When a
// controller or DTO changes, the committed document and types must follow, or the web UI, the CLI and
// the tests compile against a contract the api no longer keeps.

interface Generator {
  SPEC_FILE: string;
  TYPES_FILE: string;
  renderSpec(doc: unknown): string;
  renderTypes(doc: unknown): Promise<string>;
}

const STALE =
  'libs/api-client is out of date with the api: run `npm run openapi:client` and commit the result. ' +
  '(If it still differs, a DTO property lacks an explicit type in its @ApiProperty, so the production build ' +
  'and the tests read different design types: give it one.)';

describe('the generated api client (libs/api-client)', () => {
  it('holds the OpenAPI document the api serves, and the types generated from it', async () => {
    const generator = (await import(join(workspaceRoot(), 'scripts/openapi-client.mjs'))) as Generator;
    const doc = await buildOpenApiDocument();
    const spec = generator.renderSpec(doc);
    const types = await generator.renderTypes(doc);
    const committed = { spec: readFileSync(generator.SPEC_FILE, 'utf8'), types: readFileSync(generator.TYPES_FILE, 'utf8') };
    // Compared as booleans first so the failure names the fix rather than dumping 400 kB.
    expect({ specUpToDate: committed.spec === spec, typesUpToDate: committed.types === types, fix: STALE }).toEqual({
      specUpToDate: true,
      typesUpToDate: true,
      fix: STALE,
    });
  }, 120_000);
});
