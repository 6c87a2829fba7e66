import { DomainError } from '@attune/contracts';
import { ArtifactVersionRepository, type CommitOutcome } from '@attune/persistence';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { BLOB_STORE, type BlobHead, type BlobStore } from '@attune/storage';
import { Inject, Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';
import { BlobCollector } from '../retention/blob-collector.service';
import { VersionRetention } from '../retention/version-retention.service';

const committed = new Counter({ name: 'attune_artifact_versions_committed_total', help: 'Artifact versions committed' });
const committedBytes = new Counter({ name: 'attune_artifact_committed_bytes_total', help: 'Bytes of committed artifact versions' });
const SHA256_HEX = /^[0-9a-f]{64}$/;

const deduplicated = new Counter({
  name: 'attune_artifact_dedup_hits_total',
  help: 'Commits whose content was already stored (no new blob written)',
});

export interface CommitOptions {
  contentType: string;
  execution?: number | null;
  createdBy?: string | null;
  /** The upload holds the content gzip-compressed, in `storedSize` bytes (the size checked here). */
  encoding?: 'gzip';
  storedSize?: number;
}

/**
 * Turns an upload into the next version of an artifact. Any producer of artifact bytes (the
 * api's uploads, the execution logs) writes an upload key and calls commitVersion().
 */
@Injectable()
export class VersionCommitter {
  constructor(
    private readonly versions: ArtifactVersionRepository,
    private readonly retention: VersionRetention,
    private readonly collector: BlobCollector,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /**
   * Checks the upload against the size its producer measured, records the version (next
   * number) and applies the `versions` retention. New content is adopted where it was written
   * (no copy); content stored already keeps its blob and the upload is deleted. A failure leaves
   * no version: the version row is written in the same transaction that found the blob stored.
   */
  async commitVersion(artifactId: number, stagedKey: string, sizeBytes: number, sha256: string, opts: CommitOptions): Promise<CommitOutcome> {
    if (!SHA256_HEX.test(sha256)) throw new DomainError('BAD_REQUEST', `sha256 ${JSON.stringify(sha256)} is not a lowercase SHA-256 hex digest`);
    const head = await this.store.head(stagedKey);
    if (!head) {
      // Gone: deleted as redundant by a first delivery of this same commit, or never there.
      const earlier = await this.versions.findEarlierCommit({ stagedKey, artifactId, sha256 });
      if (!earlier) throw new DomainError('NOT_FOUND', `upload ${stagedKey} not found`);
      this.logger.info({ artifact_id: artifactId, version: earlier.version.version, key: stagedKey }, 'commit delivered again; answering the version it made');
      return earlier;
    }
    if (opts.encoding) {
      // What is stored is the compressed form: its size is checked; the digest is the original's, measured by the producer.
      if (opts.storedSize === undefined || head.size !== opts.storedSize) {
        throw new DomainError('BAD_REQUEST', `upload ${stagedKey} holds ${head.size} bytes, the commit claims ${opts.storedSize ?? 'no stored size'}`);
      }
    } else this.verifyStaged(head, stagedKey, sizeBytes, sha256);
    const outcome = await this.versions.commitVersion(
      {
        artifactId,
        sha256,
        sizeBytes,
        contentType: opts.contentType,
        execution: opts.execution,
        createdBy: opts.createdBy,
        stagedKey,
        encoding: opts.encoding ?? null,
        storedSize: opts.storedSize ?? null,
      },
      (key) => this.store.exists(key),
      this.retention.keepNewest,
    );
    if (!outcome.adopted) {
      deduplicated.inc();
      await this.store.delete(stagedKey).catch((err: unknown) =>
        this.logger.warn({ key: stagedKey, err: (err as Error).message }, 'could not delete a redundant upload; the sweep will'),
      );
    }
    committed.inc();
    committedBytes.inc(sizeBytes);
    const { artifact } = outcome;
    if (artifact.workflowExecution !== null && artifact.taskName !== null && artifact.name !== null && artifact.retentionPolicy === 'versions') {
      // A workflow's artifact_retention counts versions across the runs of the workflow.
      const across = await this.retention.acrossRuns({ workflowExecution: artifact.workflowExecution, taskName: artifact.taskName, name: artifact.name });
      outcome.released.push(...across.released);
    }
    if (outcome.released.length) await this.collector.collect(outcome.released);
    this.logger.info(
      { artifact_id: artifactId, version: outcome.version.version, size_bytes: sizeBytes, sha256, deduplicated: !outcome.adopted, execution_id: opts.execution ?? undefined },
      'version committed',
    );
    return outcome;
  }

  /**
   * The upload must hold exactly as many bytes as the producer says it wrote, and agree with a
   * digest the store recorded. The producer measured the digest while writing the bytes; it is
   * not measured again here (a second full read): every download re-verifies the bytes against
   * it and fails loudly on a mismatch.
   */
  private verifyStaged(head: BlobHead, stagedKey: string, sizeBytes: number, sha256: string): void {
    if (head.size !== sizeBytes) {
      throw new DomainError('BAD_REQUEST', `upload ${stagedKey} holds ${head.size} bytes, the commit claims ${sizeBytes}`);
    }
    if (head.sha256 !== undefined && head.sha256 !== sha256) {
      throw new DomainError('BAD_REQUEST', `upload ${stagedKey} hashes to ${head.sha256}, the commit claims ${sha256}`);
    }
  }
}
