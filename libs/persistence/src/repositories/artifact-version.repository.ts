import { DomainError, type ExecutionStatus, type RetentionPolicy } from '@attune/contracts';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { type Artifact, artifactFromRow, type ArtifactVersion, artifactWriteError, versionFromRow } from './artifact-model';
import { distinct, type Queryable, type Row, rowsOf } from './rows';

export interface NewVersion {
  artifactId: number;
  sha256: string;
  sizeBytes: number;
  contentType: string;
  execution?: number | null;
  createdBy?: string | null;
  /** Where the producer wrote the bytes (an upload key); the blob's home when the content is new. */
  stagedKey: string;
  /** The upload holds the content gzip-compressed, in `storedSize` bytes. */
  encoding?: 'gzip' | null;
  storedSize?: number | null;
}

export interface CommitOutcome {
  artifact: Artifact;
  version: ArtifactVersion;
  /**
   * True when the staged object became the blob (new content: nothing copied). False when the
   * content was stored already: the staged object is redundant and the caller deletes it.
   */
  adopted: boolean;
  /** Blobs that versions removed by the retention applied with the commit referenced: candidates for collection. */
  released: string[];
}

/** What a delete of versions removed: how many, of which artifacts, and the blobs they referenced. */
export interface DeletedVersions {
  deletedVersions: number;
  artifacts: number[];
  released: string[];
}

/** The retention fields of an artifact, as a commit sees them. */
export type RetentionOf = Pick<Artifact, 'id' | 'retentionPolicy' | 'retentionLimit'>;

/**
 * Retention to apply in the commit's own transaction (artifact-store's decision): deletes versions
 * through `m` and answers the blobs they referenced.
 */
export type CommitRetention = (m: EntityManager, artifact: RetentionOf) => Promise<string[]>;

/** A version of a workflow task's artifact, with what run retention across runs looks at. */
export interface LineageVersion {
  id: number;
  artifact: number;
  /** The lineage: the workflow's action ref, the task, and the artifact's name. */
  workflowRef: string;
  taskName: string;
  name: string;
  retentionLimit: number;
  /** Status of the workflow run that made it. */
  runStatus: ExecutionStatus;
  created: Date;
}

/** Refreshes the newest-version summary of the given artifacts after versions came or went. */
const REFRESH_SUMMARY = `
  UPDATE artifacts a SET
    latest_version = l.version,
    size_bytes = COALESCE(l.size_bytes, 0),
    updated = now()
  FROM (
    SELECT x.id, v.version, v.size_bytes
      FROM unnest($1::bigint[]) AS x(id)
      LEFT JOIN LATERAL (
        SELECT version, size_bytes FROM artifact_versions WHERE artifact = x.id ORDER BY version DESC LIMIT 1
      ) v ON true
  ) l
  WHERE a.id = l.id`;

/**
 * The `artifact_versions` table. Every delete here refreshes the artifacts' newest-version
 * summary in the same statement's transaction. Reads serve the api and artifact-store; writes are
 * artifact-store's, which decides what retention deletes.
 */
@Injectable()
export class ArtifactVersionRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Versions of an artifact, newest first. */
  async listVersions(artifactId: number): Promise<ArtifactVersion[]> {
    const rows: Row[] = await this.ds.query(`SELECT * FROM artifact_versions WHERE artifact = $1 ORDER BY version DESC`, [artifactId]);
    return rows.map(versionFromRow);
  }

  /** Versions of several artifacts, in artifact then version order. */
  async listVersionsOf(artifactIds: number[], m: Queryable = this.ds): Promise<ArtifactVersion[]> {
    if (artifactIds.length === 0) return [];
    const rows = rowsOf(await m.query(`SELECT * FROM artifact_versions WHERE artifact = ANY($1::bigint[]) ORDER BY artifact, version`, [artifactIds]));
    return rows.map(versionFromRow);
  }

  async findVersion(artifactId: number, version: number): Promise<ArtifactVersion | null> {
    const [row] = rowsOf(await this.ds.query(`SELECT * FROM artifact_versions WHERE artifact = $1 AND version = $2`, [artifactId, version]));
    return row ? versionFromRow(row) : null;
  }

  async findLatestVersion(artifactId: number): Promise<ArtifactVersion | null> {
    const [row] = rowsOf(await this.ds.query(`SELECT * FROM artifact_versions WHERE artifact = $1 ORDER BY version DESC LIMIT 1`, [artifactId]));
    return row ? versionFromRow(row) : null;
  }

  /**
   * Records the next version of an artifact, pointing at the blob `sha256`, in one transaction:
   *
   * 1. upsert the blob row, which locks it: the garbage collector takes the same lock before it
   *    deletes a blob, so it waits for this commit (and then sees the new version) or has finished
   *    (and then `isStored` finds the object gone and the upload takes its place);
   * 2. take the next version number from the artifact row (locking it: commits to one artifact
   *    are serialised, numbers never repeat);
   * 3. insert the version, apply `retention` (the caller's), refresh the summary.
   *
   * NOT_FOUND when the artifact does not exist (any more), BAD_REQUEST for a progress artifact.
   */
  async commitVersion(input: NewVersion, isStored: (key: string) => Promise<boolean>, retention: CommitRetention): Promise<CommitOutcome> {
    return this.ds.transaction(async (m) => {
      // The upload sweep takes the same lock before it deletes an upload no blob row names; so
      // does a second delivery of the same commit, which then finds the version of the first.
      await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [input.stagedKey]);
      // Inserting or touching the blob row locks it until the end of the transaction: the
      // collector cannot delete this content's object between the check below and the version
      // insert. Nothing happens when a version was committed from this upload already.
      const [blob] = rowsOf(
        await m.query(
          `INSERT INTO artifact_blobs (sha256, size_bytes, storage_key, encoding, stored_size)
           SELECT $1, $2, $3, $4, $5 WHERE NOT EXISTS (SELECT 1 FROM artifact_versions WHERE upload_key = $3)
           ON CONFLICT (sha256) DO UPDATE SET last_referenced = now()
           RETURNING storage_key, corrupt_since IS NOT NULL AS corrupt, (xmax = 0) AS inserted`,
          [input.sha256, input.sizeBytes, input.stagedKey, input.encoding ?? null, input.encoding ? (input.storedSize ?? null) : null],
        ),
      );
      if (!blob) return (await this.findEarlierCommit(input, m)) as CommitOutcome;
      let adopted = blob.inserted === true || blob.storage_key === input.stagedKey;
      if (!adopted && (blob.corrupt === true || !(await isStored(blob.storage_key as string)))) {
        // The row's object is gone (lost or removed by hand), or the scrub found other bytes there:
        // the new upload, whose sha256 the producer measured, takes its place. The old object is
        // then named by no row, and the orphan collection removes it.
        await m.query(
          `UPDATE artifact_blobs SET storage_key = $2, encoding = $3, stored_size = $4, corrupt_since = NULL, verified_at = NULL WHERE sha256 = $1`,
          [input.sha256, input.stagedKey, input.encoding ?? null, input.encoding ? (input.storedSize ?? null) : null],
        );
        adopted = true;
      }
      let inserted: Row[];
      try {
        // The next number and the version row in one statement; the artifact's retention comes back with it.
        inserted = rowsOf(
          await m.query(
            `WITH bumped AS (
               UPDATE artifacts SET next_version = next_version + 1 WHERE id = $1 AND type <> 'progress'
               RETURNING next_version - 1 AS version, retention_policy, retention_limit
             ), ins AS (
               INSERT INTO artifact_versions (artifact, version, execution, content_type, size_bytes, sha256, created_by, upload_key)
               SELECT $1, bumped.version, $2, $3, $4, $5, $6, $7 FROM bumped RETURNING *
             )
             SELECT ins.*, bumped.retention_policy AS artifact_retention_policy, bumped.retention_limit AS artifact_retention_limit
               FROM ins CROSS JOIN bumped`,
            [input.artifactId, input.execution ?? null, input.contentType, input.sizeBytes, input.sha256, input.createdBy ?? null, input.stagedKey],
          ),
        );
      } catch (err) {
        throw artifactWriteError(err);
      }
      if (!inserted.length) {
        const exists = rowsOf(await m.query(`SELECT type FROM artifacts WHERE id = $1`, [input.artifactId]));
        if (!exists.length) throw new DomainError('NOT_FOUND', `artifact ${input.artifactId} not found`);
        throw new DomainError('BAD_REQUEST', `artifact ${input.artifactId} is a progress artifact: it holds entries, not versions`);
      }
      const row = inserted[0];
      const released = await retention(m, {
        id: input.artifactId,
        retentionPolicy: (row.artifact_retention_policy as RetentionPolicy | null) ?? null,
        retentionLimit: row.artifact_retention_limit === null ? null : Number(row.artifact_retention_limit),
      });
      const [artifact] = rowsOf(await m.query(`${REFRESH_SUMMARY} RETURNING a.*`, [[input.artifactId]]));
      return { artifact: artifactFromRow(artifact), version: versionFromRow(row), released, adopted };
    });
  }

  /**
   * What a first delivery of this commit made (a redelivered bus message): its version, when it
   * is for the same artifact and content (else CONFLICT), or null when there was none.
   */
  async findEarlierCommit(input: Pick<NewVersion, 'stagedKey' | 'artifactId' | 'sha256'>, m: Queryable = this.ds): Promise<CommitOutcome | null> {
    const [row] = rowsOf(await m.query(`SELECT * FROM artifact_versions WHERE upload_key = $1`, [input.stagedKey]));
    if (!row) return null;
    const version = versionFromRow(row);
    if (version.artifact !== input.artifactId || version.sha256 !== input.sha256) {
      throw new DomainError('CONFLICT', `upload ${input.stagedKey} was committed already, to another artifact or content`);
    }
    const [artifact] = rowsOf(await m.query(`SELECT * FROM artifacts WHERE id = $1`, [version.artifact]));
    return { artifact: artifactFromRow(artifact), version, released: [], adopted: true };
  }

  /** Deletes one version; answers the blob it referenced, or null when there was no such version. */
  async deleteVersion(artifactId: number, version: number): Promise<{ released: string[] } | null> {
    return this.ds.transaction(async (m) => {
      const locked = rowsOf(await m.query(`SELECT id FROM artifacts WHERE id = $1 FOR UPDATE`, [artifactId]));
      if (!locked.length) return null;
      const out = await this.deleted(m, `DELETE FROM artifact_versions WHERE artifact = $1 AND version = $2 RETURNING artifact, sha256`, [artifactId, version]);
      return out.deletedVersions ? { released: out.released } : null;
    });
  }

  /** Deletes all but the newest `keep` versions of an artifact. */
  deleteAllButNewest(artifactId: number, keep: number, m: Queryable): Promise<DeletedVersions> {
    return this.deleted(
      m,
      `DELETE FROM artifact_versions WHERE artifact = $1 AND version NOT IN (
         SELECT version FROM artifact_versions WHERE artifact = $1 ORDER BY version DESC LIMIT $2)
       RETURNING artifact, sha256`,
      [artifactId, keep],
    );
  }

  /**
   * Deletes the versions, of artifacts whose retention policy is `policy`, created more than
   * `retention_limit` × `unitMs` before `now`.
   */
  deleteOlderThanLimit(policy: RetentionPolicy, unitMs: number, now: Date, m: Queryable): Promise<DeletedVersions> {
    return this.deleted(
      m,
      `DELETE FROM artifact_versions v USING artifacts a
        WHERE v.artifact = a.id AND a.retention_policy = $1
          AND v.created < $2::timestamptz - a.retention_limit * $3::double precision * interval '1 millisecond'
        RETURNING v.artifact, v.sha256`,
      [policy, now, unitMs],
    );
  }

  /** Deletes versions by id. */
  deleteByIds(ids: number[], m: Queryable): Promise<DeletedVersions> {
    if (!ids.length) return Promise.resolve({ deletedVersions: 0, artifacts: [], released: [] });
    return this.deleted(m, `DELETE FROM artifact_versions WHERE id = ANY($1::bigint[]) RETURNING artifact, sha256`, [ids]);
  }

  /**
   * The versions of workflow tasks' artifacts under the `versions` policy, newest first within each
   * lineage (one workflow's task, artifact name); with `lineage`, only the lineage of that run's
   * artifact.
   */
  async listLineageVersions(lineage?: { workflowExecution: number; taskName: string; name: string }): Promise<LineageVersion[]> {
    const params: unknown[] = [];
    let only = '';
    if (lineage) {
      params.push(lineage.workflowExecution, lineage.taskName, lineage.name);
      only = `AND a.task_name = $2 AND a.name = $3 AND p.action_ref = (SELECT action_ref FROM executions WHERE id = $1)`;
    }
    // Ids as float8: exact, since the id sequences stop at 2^53 - 1 (the compat-fields migration).
    return rowsOf<LineageVersion>(
      await this.ds.query(
        `SELECT v.id::float8 AS id, v.artifact::float8 AS artifact, v.created, p.action_ref AS "workflowRef", a.task_name AS "taskName", a.name,
                a.retention_limit::float8 AS "retentionLimit", p.status AS "runStatus"
           FROM artifacts a JOIN executions p ON p.id = a.workflow_execution JOIN artifact_versions v ON v.artifact = a.id
          WHERE a.workflow_execution IS NOT NULL AND a.retention_policy = 'versions' ${only}
          ORDER BY p.action_ref, a.task_name, a.name, v.created DESC, v.id DESC`,
        params,
      ),
    );
  }

  /** Runs a `DELETE … RETURNING artifact, sha256` and refreshes the summary of the artifacts it touched. */
  private async deleted(m: Queryable, sql: string, params: unknown[]): Promise<DeletedVersions> {
    const rows = rowsOf(await m.query(sql, params));
    const artifacts = distinct(rows, 'artifact').map(Number);
    if (artifacts.length) await m.query(REFRESH_SUMMARY, [artifacts]);
    return { deletedVersions: rows.length, artifacts, released: distinct(rows, 'sha256') };
  }
}
