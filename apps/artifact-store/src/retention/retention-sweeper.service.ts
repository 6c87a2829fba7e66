import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Counter } from 'prom-client';
import type { DataSource } from 'typeorm';
import { ArtifactStoreConfig } from '../config/artifact-store.config';
import { BlobCollector } from './blob-collector.service';
import { VersionRetention } from './version-retention.service';

/** The Postgres advisory lock that makes one replica the sweeper at a time. */
export const SWEEPER_LOCK = 'attune:artifact-store:retention-sweep';

const expired = new Counter({ name: 'attune_artifact_retention_versions_deleted_total', help: 'Versions deleted by time-based retention' });

export interface SweepReport {
  expiredVersions: number;
  blobs: number;
  staging: number;
  orphans: number;
}

/**
 * The periodic sweep (every ATTUNE_ARTIFACT_SWEEP_INTERVAL_MS, PeriodicJobs): applies the
 * days/hours/minutes retention policies, collects blobs nothing references, abandoned staging
 * uploads and orphaned objects. Every replica runs the timer, but a session-level Postgres
 * advisory lock (held on one dedicated connection for the whole sweep, released by Postgres if
 * the process dies) lets only one of them sweep at a time; the others skip that round.
 */
@Injectable()
export class RetentionSweeper {
  constructor(
    private readonly retention: VersionRetention,
    private readonly collector: BlobCollector,
    private readonly config: ArtifactStoreConfig,
    @InjectDataSource() private readonly ds: DataSource,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /** One sweep, or null when another replica holds the sweeper lock. */
  async sweepOnce(now = new Date()): Promise<SweepReport | null> {
    const runner = this.ds.createQueryRunner();
    await runner.connect();
    try {
      const [{ locked }] = (await runner.query(`SELECT pg_try_advisory_lock(hashtext($1)) AS locked`, [SWEEPER_LOCK])) as { locked: boolean }[];
      if (!locked) {
        this.logger.debug('another replica is sweeping; skipped');
        return null;
      }
      try {
        // Time-based policies, and workflow runs that were still going when a later run's version came in.
        const retention = await this.retention.sweep(now);
        expired.inc(retention.deletedVersions);
        if (retention.deletedVersions) {
          this.logger.info({ versions: retention.deletedVersions, artifacts: retention.artifacts.length }, 'time-based retention deleted versions');
        }
        const report: SweepReport = {
          expiredVersions: retention.deletedVersions,
          blobs: (await this.collector.collect(retention.released)) + (await this.collector.collectUnreferenced()),
          staging: await this.collector.collectStaging(this.config.stagingTtlMs, now.getTime()),
          orphans: await this.collector.collectOrphans(),
        };
        return report;
      } finally {
        await runner.query(`SELECT pg_advisory_unlock(hashtext($1))`, [SWEEPER_LOCK]);
      }
    } finally {
      await runner.release();
    }
  }
}
