import { RETENTION_UNIT_MS, TERMINAL_STATUSES } from '@attune/contracts';
import {
  type Artifact,
  type ArtifactPatch,
  ArtifactRepository,
  ArtifactVersionRepository,
  type CommitRetention,
  type DeletedVersions,
} from '@attune/persistence';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';

const TIME_POLICIES = Object.keys(RETENTION_UNIT_MS) as (keyof typeof RETENTION_UNIT_MS)[];

/** One workflow's task's artifact of one name, run after run. */
export interface Lineage {
  workflowExecution: number;
  taskName: string;
  name: string;
}

function merge(into: DeletedVersions, more: DeletedVersions): DeletedVersions {
  into.deletedVersions += more.deletedVersions;
  into.artifacts.push(...more.artifacts.filter((a) => !into.artifacts.includes(a)));
  into.released.push(...more.released.filter((s) => !into.released.includes(s)));
  return into;
}

const nothing = (): DeletedVersions => ({ deletedVersions: 0, artifacts: [], released: [] });

/**
 * The retention policies of artifacts: which versions go, decided here; the repositories only
 * run the queries and deletes. The blobs released are the caller's to collect.
 *
 * - `versions` (an artifact's own): its newest `retention_limit` versions stay; applied with each
 *   commit and when the limit changes.
 * - `days`, `hours`, `minutes`: a version goes once it is older than `retention_limit` units.
 * - a workflow task's `versions` artifacts count across runs (see acrossRuns).
 */
@Injectable()
export class VersionRetention {
  constructor(
    private readonly artifacts: ArtifactRepository,
    private readonly versions: ArtifactVersionRepository,
    @InjectDataSource() private readonly ds: DataSource,
  ) {}

  /** An artifact's own `versions` policy, inside the caller's transaction (a commit's). */
  readonly keepNewest: CommitRetention = async (m, artifact) => {
    if (artifact.retentionPolicy !== 'versions' || artifact.retentionLimit === null) return [];
    return (await this.versions.deleteAllButNewest(artifact.id, artifact.retentionLimit, m)).released;
  };

  /** Changes an artifact; a `versions` policy that now keeps fewer versions applies at once, in the same transaction. */
  update(id: number, patch: ArtifactPatch): Promise<{ artifact: Artifact; released: string[] } | null> {
    return this.ds.transaction(async (m) => {
      const artifact = await this.artifacts.update(id, patch, m);
      if (!artifact) return null;
      const released = await this.keepNewest(m, artifact);
      return { artifact: released.length ? ((await this.artifacts.findById(id, m)) ?? artifact) : artifact, released };
    });
  }

  /** The time-based policies, in one transaction. */
  expire(now = new Date()): Promise<DeletedVersions> {
    return this.ds.transaction(async (m) => {
      const out = nothing();
      for (const policy of TIME_POLICIES) merge(out, await this.versions.deleteOlderThanLimit(policy, RETENTION_UNIT_MS[policy], now, m));
      return out;
    });
  }

  /**
   * The `versions` retention of workflow runs' artifacts, across runs: the artifacts one task of
   * one workflow keeps under one name, run after run (same workflow ref, task and name), keep their
   * newest `retention_limit` versions between them. Versions of runs still in progress are never
   * deleted (a later task may yet consume them); the sweep catches up once they end. Artifacts left
   * without versions go too. With `lineage`, only that one artifact's lineage is looked at.
   */
  async acrossRuns(lineage?: Lineage): Promise<DeletedVersions> {
    const doomed: number[] = [];
    let current = '';
    let rank = 0;
    // Newest first within each lineage: a version's rank is its place in that order.
    for (const v of await this.versions.listLineageVersions(lineage)) {
      const key = JSON.stringify([v.workflowRef, v.taskName, v.name]);
      rank = key === current ? rank + 1 : 1;
      current = key;
      if (rank > v.retentionLimit && TERMINAL_STATUSES.includes(v.runStatus)) doomed.push(v.id);
    }
    if (!doomed.length) return nothing();
    return this.ds.transaction(async (m) => {
      const out = await this.versions.deleteByIds(doomed, m);
      await this.artifacts.deleteByIds(out.artifacts, m, true);
      return out;
    });
  }

  /** Time-based and cross-run retention, as the periodic sweep applies them. */
  async sweep(now = new Date()): Promise<DeletedVersions> {
    return merge(await this.expire(now), await this.acrossRuns());
  }
}
