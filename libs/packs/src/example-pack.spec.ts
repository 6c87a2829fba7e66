import { readdir } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { readPackDefinition } from './pack-definition';

/** packs/examples of this repository, found upwards from the working directory. */
function examplesDir(): string {
  for (let dir = process.cwd(); ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'packs/examples/pack.yaml'))) return join(dir, 'packs/examples');
    if (dirname(dir) === dir) throw new Error('packs/examples not found above the working directory');
  }
}

async function filesUnder(root: string, dir = root): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = resolve(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(root, full)));
    else out.push(relative(root, full));
  }
  return out;
}

const CORE = new Set(['core.echo', 'core.noop', 'core.sleep', 'core.local']);

describe('the example pack (packs/examples)', () => {
  it('is a valid pack whose workflows run only core actions and its own', async () => {
    const root = examplesDir();
    const def = await readPackDefinition(root, new Set(await filesUnder(root)), {
      knownActions: async (refs) => new Set(refs.filter((r) => CORE.has(r))),
    }).catch((err: { details?: unknown }) => {
      throw new Error(`the example pack is invalid: ${JSON.stringify(err.details ?? err)}`);
    });
    expect(def.warnings).toEqual([]);
    const workflows = def.actions.filter((a) => a.runtime === 'workflow').map((a) => a.ref);
    expect(workflows).toEqual(
      expect.arrayContaining(['examples.sequential', 'examples.fanout', 'examples.cleanup_on_failure', 'examples.retrying', 'examples.nested']),
    );
    const fanout = def.actions.find((a) => a.ref === 'examples.fanout')!;
    const ping = (fanout.workflowDefinition!.tasks as Array<Record<string, unknown>>).find((t) => t.name === 'ping')!;
    expect(ping).toMatchObject({ concurrency: 5, with_items: '{{ parameters.hosts }}' });
    expect((fanout.paramSchema.properties!.hosts.default as string[]).length).toBe(20);
    const retrying = def.actions.find((a) => a.ref === 'examples.retrying')!;
    expect((retrying.workflowDefinition!.tasks as Array<Record<string, unknown>>)[0].retry).toMatchObject({ count: 2 });
  });
});
