import { type ArtifactCleanupReportV1, type ArtifactCleanupV1, DomainError, parseDuration } from '@attune/contracts';
import { ArtifactRepository } from '@attune/persistence';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { BlobCollector } from './blob-collector.service';

/**
 * `POST /api/v1/artifacts/cleanup`: removes versions older than `older_than` (and artifacts
 * with nothing newer), or with `dry_run` reports exactly that without touching anything. Both
 * are planned by the same query.
 */
@Injectable()
export class ArtifactCleanup {
  constructor(
    private readonly artifacts: ArtifactRepository,
    private readonly collector: BlobCollector,
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
    const plan = dryRun ? await this.artifacts.planCleanup(cutoff, filter) : await this.artifacts.runCleanup(cutoff, filter);
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
      items: plan.items.map((i) => ({ artifact: i.artifact, ref: i.ref, type: i.type, versions: i.versions, artifact_deleted: i.artifactDeleted })),
    };
  }
}
