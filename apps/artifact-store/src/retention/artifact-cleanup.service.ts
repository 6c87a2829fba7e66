import { type ArtifactCleanupItemV1, type ArtifactCleanupReportV1, type ArtifactCleanupV1, DomainError, parseDuration } from '@attune/contracts';
import { ArtifactRepository, ArtifactVersionRepository, BlobRepository, type Queryable } from '@attune/persistence';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { BlobCollector } from './blob-collector.service';

export interface CleanupPlan {
  items: ArtifactCleanupItemV1[];
  deletedArtifacts: number;
  deletedVersions: number;
  /** Bytes of blobs no version would reference any more. */
  freedBytes: number;
  /** The blobs the removed versions referenced: candidates for collection. */
  released: string[];
}

type CleanupFilter = Pick<ArtifactCleanupV1, 'scope' | 'owner' | 'type'>;

/**
 * `POST /api/v1/artifacts/cleanup`: removes versions older than `older_than` (and artifacts
 * with nothing newer), or with `dry_run` reports exactly that without touching anything. Both
 * are planned by the same code.
 */
@Injectable()
export class ArtifactCleanup {
  constructor(
    private readonly artifacts: ArtifactRepository,
    private readonly versions: ArtifactVersionRepository,
    private readonly blobs: BlobRepository,
    private readonly collector: BlobCollector,
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async cleanup(cmd: ArtifactCleanupV1, now = new Date()): Promise<ArtifactCleanupReportV1> {
    const ms = parseDuration(cmd.older_than);
    if (ms === undefined) {
      throw new DomainError('VALIDATION_ERROR', 'older_than is not a duration', [{ field: 'older_than', message: 'must look like 30d, 6h, 15m or 45s' }]);
    }
    const cutoff = new Date(now.getTime() - ms);
    const filter = { scope: cmd.scope, owner: cmd.owner, type: cmd.type };
    const dryRun = cmd.dry_run === true;
    const plan = dryRun
      ? await this.ds.transaction('REPEATABLE READ', (m) => this.plan(m, cutoff, filter, false))
      : await this.ds.transaction((m) => this.plan(m, cutoff, filter, true));
    if (!dryRun) {
      await this.collector.collect(plan.released);
      this.logger.info(
        { older_than: cmd.older_than, deleted_artifacts: plan.deletedArtifacts, deleted_versions: plan.deletedVersions, freed_bytes: plan.freedBytes },
        'artifact cleanup done',
      );
    }
    return {
      dry_run: dryRun,
      older_than: cmd.older_than,
      cutoff: cutoff.toISOString(),
      deleted_artifacts: plan.deletedArtifacts,
      deleted_versions: plan.deletedVersions,
      freed_bytes: plan.freedBytes,
      items: plan.items,
    };
  }

  /**
   * What a cleanup removes: every version created before `cutoff` of the artifacts matching the
   * filter, and those artifacts themselves when nothing of them is newer than the cutoff (no
   * version left and no change since). With `execute`, removes it in the same transaction.
   */
  private async plan(m: Queryable, cutoff: Date, filter: CleanupFilter, execute: boolean): Promise<CleanupPlan> {
    // Locked first when deleting, so a concurrent commit either lands before (and its version is
    // newer than the cutoff, keeping the artifact) or after (and finds it gone).
    const aged = await this.artifacts.findOlderThan(cutoff, filter, m, execute);
    const versions = await this.versions.listVersionsOf(
      aged.map((a) => a.id),
      m,
    );
    const doomed = versions.filter((v) => v.created.getTime() < cutoff.getTime());
    const items: ArtifactCleanupItemV1[] = [];
    for (const a of aged) {
      const own = versions.filter((v) => v.artifact === a.id);
      const gone = own.filter((v) => doomed.includes(v));
      const artifactDeleted = gone.length === own.length && a.updated.getTime() < cutoff.getTime();
      if (gone.length || artifactDeleted) {
        items.push({ artifact: a.id, ref: a.ref, type: a.type, versions: gone.map((v) => v.version), artifact_deleted: artifactDeleted });
      }
    }
    const doomedIds = doomed.map((v) => v.id);
    const released = [...new Set(doomed.map((v) => v.sha256))];
    const plan: CleanupPlan = {
      items,
      deletedArtifacts: items.filter((i) => i.artifact_deleted).length,
      deletedVersions: doomed.length,
      freedBytes: released.length ? await this.blobs.bytesOnlyReferencedBy(released, doomedIds, m) : 0,
      released,
    };
    if (execute) {
      await this.versions.deleteByIds(doomedIds, m);
      await this.artifacts.deleteByIds(
        items.filter((i) => i.artifact_deleted).map((i) => i.artifact),
        m,
      );
    }
    return plan;
  }
}
