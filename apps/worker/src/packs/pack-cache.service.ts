import type { ExecutionDispatchV1 } from '@attune/contracts';
import { extractPackArchive, findPackRoot, PackArchiveError, PackDefinitionError } from '@attune/packs';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Counter } from 'prom-client';
import { hashingTap } from '../common/hashing-tap';
import { WorkerConfig } from '../config/worker.config';
import { DigestDirectories, directoryMode, makeReadableByAll, renameIntoPlace } from './digest-directories';

const fetches = new Counter({ name: 'attune_worker_pack_fetches_total', help: 'Pack archives needed by runs, by outcome', labelNames: ['outcome'] });

/** A pack archive this worker cannot get or trust; the execution fails with this message. */
export class PackUnavailableError extends Error {}

const ATTEMPTS = 3;

/**
 * The pack archives this worker has run, extracted once per SHA-256 under
 * `ATTUNE_PACK_CACHE_DIR/<sha256>/`. An archive is fetched from the api with the execution's
 * own token, its SHA-256 checked against the digest the dispatch names, and extracted with
 * the same checks as at upload into a private directory that is then renamed into place, so a
 * directory under its digest is always complete and always exactly the registered code. A
 * re-upload makes a new digest and never touches a directory a run uses.
 */
@Injectable()
export class PackCache {
  private readonly versions: DigestDirectories<string>;

  constructor(
    private readonly config: WorkerConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {
    this.versions = new DigestDirectories(config.packCacheDir);
  }

  /** The directory of the pack version the dispatch names, fetched if it is not here yet. */
  async directory(d: ExecutionDispatchV1): Promise<string> {
    const digest = d.action.pack_digest as string;
    const dir = join(this.config.packCacheDir, digest);
    await this.versions.prepareRoot();
    const found = await directoryMode(dir);
    if (found !== undefined) {
      // An older worker left it readable by the worker's user only; actions run as other uids.
      if ((found & 0o005) !== 0o005) await makeReadableByAll(dir);
      fetches.inc({ outcome: 'cached' });
      return dir;
    }
    // Concurrent runs of one version fetch it once.
    return this.versions.once(digest, () => this.fetchWithRetries(d, dir));
  }

  private async fetchWithRetries(d: ExecutionDispatchV1, dir: string): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.fetch(d, dir);
        fetches.inc({ outcome: 'fetched' });
        return dir;
      } catch (err) {
        // A bad archive stays bad; an unreachable api may come back.
        if (err instanceof PackUnavailableError || attempt >= ATTEMPTS) {
          fetches.inc({ outcome: 'failed' });
          throw err instanceof PackUnavailableError ? err : new PackUnavailableError(`could not fetch the pack archive: ${(err as Error).message}`);
        }
        this.logger.warn({ execution_id: d.execution_id, attempt, err: (err as Error).message }, 'pack fetch failed; retrying');
        await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
      }
    }
  }

  private async fetch(d: ExecutionDispatchV1, dir: string): Promise<void> {
    const digest = d.action.pack_digest as string;
    const work = join(this.config.packCacheDir, `.tmp-${randomUUID()}`);
    await mkdir(work, { mode: 0o700 });
    try {
      const url = `${this.config.apiUrl}/api/v1/executions/${d.execution_id}/pack`;
      const res = await fetch(url, { headers: { authorization: `Bearer ${d.token}` }, signal: AbortSignal.timeout(this.config.packFetchTimeoutMs) });
      if (res.status === 404 || res.status === 403 || res.status === 401) {
        throw new PackUnavailableError(`the api refused the pack archive of pack "${d.action.pack_ref}" (${res.status}: ${(await res.text()).slice(0, 200)})`);
      }
      if (!res.ok || !res.body) throw new Error(`GET ${url} answered ${res.status}`);
      const archive = join(work, 'pack.tar.gz');
      const tap = hashingTap();
      await pipeline(Readable.fromWeb(res.body as never), tap.stream, createWriteStream(archive, { mode: 0o600 }));
      const actual = tap.sha256();
      if (actual !== digest) {
        throw new PackUnavailableError(`the pack archive's SHA-256 is ${actual}, not ${digest} as registered; refusing to run it`);
      }
      const tree = join(work, 'tree');
      await mkdir(tree);
      try {
        await extractPackArchive(archive, tree, { maxExtractedBytes: this.config.packMaxExtractedBytes, maxEntries: this.config.packMaxEntries });
        const root = await findPackRoot(tree);
        // Pack code is read by actions, which run as uids other than the worker's.
        await makeReadableByAll(join(tree, root));
        await renameIntoPlace(join(tree, root), dir);
      } catch (err) {
        if (err instanceof PackArchiveError || err instanceof PackDefinitionError) throw new PackUnavailableError(`the pack archive cannot be used: ${err.message}`);
        throw err;
      }
      this.logger.info({ execution_id: d.execution_id, pack: d.action.pack_ref, digest }, 'pack archive fetched');
    } finally {
      await rm(work, { recursive: true, force: true }).catch(() => undefined);
    }
  }
}
