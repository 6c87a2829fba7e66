import type { Pack, PackUploadResult } from '@attune/api-client';
import type { Command } from 'commander';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { create as createTar } from 'tar';
import type { CliContext } from '../cli-context';
import { usageError } from '../errors/exit-codes';
import { multipartBody } from '../http/multipart';
import { formatDate, yesNo } from '../output/format';
import { REF_COLUMN } from './columns';
import { type JsonOpt, type ListOpt, printList, withJson, withLimit, withWide } from './common';

/** Never packed: version control and editor litter. */
const SKIP = new Set(['.git', '.hg', '.svn', '.DS_Store', 'node_modules', '__pycache__']);

/** A pack directory as a gzipped tar stream, the pack at the top of the archive (made on demand, never on disk). */
async function tarballOf(dir: string): Promise<() => AsyncIterable<Uint8Array>> {
  const entries = (await readdir(dir)).filter((e) => !SKIP.has(e)).sort();
  if (!entries.includes('pack.yaml') && !entries.includes('pack.yml')) {
    throw usageError(`${dir} has no pack.yaml: give a pack directory or a .tar.gz of one`);
  }
  return () => createTar({ gzip: true, cwd: dir, portable: true, filter: (p) => !p.split('/').some((part) => SKIP.has(part)) }, entries) as unknown as AsyncIterable<Uint8Array>;
}

export function registerPackCommands(program: Command, ctx: CliContext): void {
  const pack = program.command('pack').description('Upload and list packs');

  withJson(
    pack
      .command('upload')
      .description('Upload a pack (a directory with pack.yaml, actions/*.yaml and scripts, or a .tar.gz of one); registers or updates it')
      .argument('<path>', 'pack directory or .tar.gz'),
  ).action(async (path: string, opts: JsonOpt) => {
    let info;
    try {
      info = await stat(path);
    } catch {
      throw usageError(`${path}: no such file or directory`);
    }
    const out = ctx.output(opts);
    let content: () => AsyncIterable<Uint8Array>;
    let size: number | undefined;
    let filename: string;
    if (info.isDirectory()) {
      content = await tarballOf(path);
      filename = `${basename(join(process.cwd(), path)) || 'pack'}.tar.gz`;
    } else if (info.isFile()) {
      content = () => createReadStream(path);
      size = info.size;
      filename = basename(path);
    } else throw usageError(`${path} is neither a directory nor a file`);
    const progress = out.progress(`upload ${filename}`, size);
    let result: PackUploadResult;
    try {
      result = await ctx.api.data<PackUploadResult>('POST', '/api/v1/packs/upload', {
        body: () =>
          multipartBody(
            {},
            {
              field: 'pack',
              filename,
              contentType: 'application/gzip',
              size,
              content: () => counted(content(), (n) => progress.advance(n)),
            },
          ),
      });
      progress.finish();
    } catch (err) {
      progress.abort();
      throw err;
    }
    out.result(result, () => {
      const p = result.pack;
      let text = `${result.new_version ? 'Uploaded' : 'Uploaded (unchanged)'} pack ${p.ref} ${p.version}: ${result.actions.length} action${result.actions.length === 1 ? '' : 's'}\n`;
      for (const a of result.actions) text += `  ${a.ref}  (${a.runtime})\n`;
      if (result.removed_actions.length) text += `Removed actions: ${result.removed_actions.join(', ')}\n`;
      for (const w of result.warnings) text += `Warning: ${w}\n`;
      return text;
    });
  });

  withJson(withLimit(withWide(pack.command('list').description('List packs')))).action((opts: ListOpt) =>
    printList<Pack>(ctx, opts, {
      path: '/api/v1/packs',
      columns: [
        REF_COLUMN,
        { header: 'VERSION', value: (p) => p.version },
        { header: 'LABEL', value: (p) => p.label, max: 40 },
        { header: 'BUILT-IN', value: (p) => yesNo(p.is_standard) },
        { header: 'UPDATED', value: (p) => formatDate(p.updated) },
      ],
      empty: 'No packs.\n',
    }),
  );
}

async function* counted(source: AsyncIterable<Uint8Array>, onBytes: (n: number) => void): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    onBytes(chunk.length);
    yield chunk;
  }
}
