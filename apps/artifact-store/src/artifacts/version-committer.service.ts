import { DomainError } from '@attune/contracts';
import { ArtifactRepository, type CommitOutcome } from '@attune/persistence';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { BLOB_STORE, type BlobStore, contentAddressedKey } from '@attune/storage';
import { Inject, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { Counter } from 'prom-client';
import { BlobCollector } from '../retention/blob-collector.service';

const committed = new Counter({ name: 'attune_artifact_versions_committed_total', help: 'Artifact versions committed' });
const committedBytes = new Counter({ name: 'attune_artifact_committed_bytes_total', help: 'Bytes of committed artifact versions' });
/** Staged objects up to this size whose store recorded no digest are hashed again before the commit. */
export const REHASH_LIMIT_BYTES = 16 * 1024 * 1024;

const deduplicated = new Counter({
  name: 'attune_artifact_dedup_hits_total',
  help: 'Commits whose content was already stored (no new blob written)',
});

export interface CommitOptions {
  contentType: string;
  execution?: number | null;
  createdBy?: string | null;
}

/**
 * Turns a staged upload into the next version of an artifact. Any producer of artifact bytes
 * (the api's uploads, the execution logs) stages an object and calls commitVersion().
 */
@Injectable()
export class VersionCommitter {
  constructor(
    private readonly artifacts: ArtifactRepository,
    private readonly collector: BlobCollector,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Checks the staged object against the size and sha256 its producer measured, stores the bytes
   * under their content address unless identical content is stored already, records the version
   * (next number) and applies the `versions` retention, then removes the staging object. A
   * failure leaves no version: the version row is written in the same transaction that found
   * the blob stored.
   */
  async commitVersion(artifactId: number, stagedKey: string, sizeBytes: number, sha256: string, opts: CommitOptions): Promise<CommitOutcome> {
    const artifact = await this.artifacts.findById(artifactId);
    if (!artifact) throw new DomainError('NOT_FOUND', `artifact ${artifactId} not found`);
    if (artifact.type === 'progress') {
      throw new DomainError('BAD_REQUEST', `artifact ${artifactId} is a progress artifact: it holds entries, not versions`);
    }
    await this.verifyStaged(stagedKey, sizeBytes, sha256);
    const key = contentAddressedKey(sha256);
    let stored = false;
    const outcome = await this.artifacts.commitVersion(
      { artifactId, sha256, sizeBytes, contentType: opts.contentType, execution: opts.execution, createdBy: opts.createdBy },
      async () => {
        // Under the blob row's lock: the collector cannot delete `key` between this check and the version insert.
        if (await this.store.exists(key)) return;
        await this.store.copy(stagedKey, key, { sha256 });
        stored = true;
      },
    );
    if (!stored) deduplicated.inc();
    committed.inc();
    committedBytes.inc(sizeBytes);
    await this.store.delete(stagedKey).catch((err: unknown) =>
      this.logger.warn({ key: stagedKey, err: (err as Error).message }, 'could not delete the staging object; the sweep will'),
    );
    if (outcome.released.length) await this.collector.collect(outcome.released);
    this.logger.info(
      { artifact_id: artifactId, version: outcome.version.version, size_bytes: sizeBytes, sha256, deduplicated: !stored, execution_id: opts.execution ?? undefined },
      'version committed',
    );
    return outcome;
  }

  /** The staged bytes must be exactly what the producer says it wrote. */
  private async verifyStaged(stagedKey: string, sizeBytes: number, sha256: string): Promise<void> {
    const head = await this.store.head(stagedKey);
    if (!head) throw new DomainError('NOT_FOUND', `staged upload ${stagedKey} not found`);
    if (head.size !== sizeBytes) {
      throw new DomainError('BAD_REQUEST', `staged upload holds ${head.size} bytes, the commit claims ${sizeBytes}`);
    }
    // A store that recorded the digest while writing must agree. The api stages without one (on
    // S3 recording it costs a second full write) and sends the digest it measured on the way in:
    // small objects are hashed again here, big ones are taken at the producer's word, since every
    // download re-verifies the bytes against it and fails loudly on a mismatch.
    const actual = head.sha256 ?? (head.size <= REHASH_LIMIT_BYTES ? await this.digestOf(stagedKey) : sha256);
    if (actual !== sha256) throw new DomainError('BAD_REQUEST', `staged upload hashes to ${actual}, the commit claims ${sha256}`);
  }

  private async digestOf(key: string): Promise<string> {
    const hash = createHash('sha256');
    for await (const chunk of (await this.store.get(key)) as AsyncIterable<Buffer>) hash.update(chunk);
    return hash.digest('hex');
  }
}
