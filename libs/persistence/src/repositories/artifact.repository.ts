import {
  type ArtifactOrigin,
  type ArtifactScope,
  type ArtifactType,
  DomainError,
  RETENTION_UNIT_MS,
  type RetentionPolicy,
} from '@attune/contracts';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';

/** One artifact: metadata, and a summary of its newest live version. */
export interface Artifact {
  id: number;
  ref: string;
  type: ArtifactType;
  scope: ArtifactScope;
  owner: string;
  name: string | null;
  description: string | null;
  contentType: string | null;
  /** Size of the newest live version (0 when there is none). */
  sizeBytes: number;
  execution: number | null;
  origin: ArtifactOrigin;
  retentionPolicy: RetentionPolicy | null;
  retentionLimit: number | null;
  data: unknown;
  latestVersion: number | null;
  /** A login, `execution:<id>`, or `platform`; null for artifacts from before it was recorded. */
  createdBy: string | null;
  created: Date;
  updated: Date;
}

/** One immutable version: its bytes are the blob `sha256`. */
export interface ArtifactVersion {
  id: number;
  artifact: number;
  version: number;
  execution: number | null;
  contentType: string;
  sizeBytes: number;
  sha256: string;
  createdBy: string | null;
  created: Date;
}

export interface NewArtifact {
  ref: string;
  type: ArtifactType;
  scope?: ArtifactScope;
  owner?: string;
  name?: string | null;
  description?: string | null;
  contentType?: string | null;
  execution?: number | null;
  /** Default `user`. */
  origin?: ArtifactOrigin;
  retentionPolicy?: RetentionPolicy | null;
  retentionLimit?: number | null;
  data?: unknown;
  /** Who asks: a login, `execution:<id>`; unset means the platform itself. */
  createdBy?: string | null;
}

/** Fields to change; `undefined` leaves a field as it is. */
export type ArtifactPatch = Partial<Omit<NewArtifact, 'ref' | 'type' | 'execution' | 'origin' | 'createdBy'>>;

export interface ArtifactFilter {
  type?: ArtifactType;
  scope?: ArtifactScope;
  owner?: string;
  execution?: number;
  /** Substring of the name, case-insensitive. */
  name?: string;
  createdBefore?: Date;
  createdAfter?: Date;
}

export interface NewVersion {
  artifactId: number;
  sha256: string;
  sizeBytes: number;
  contentType: string;
  execution?: number | null;
  createdBy?: string | null;
  /** Where the producer wrote the bytes (an upload key); the blob's home when the content is new. */
  stagedKey: string;
}

export interface CommitOutcome {
  artifact: Artifact;
  version: ArtifactVersion;
  /**
   * True when the staged object became the blob (new content: nothing copied). False when the
   * content was stored already: the staged object is redundant and the caller deletes it.
   */
  adopted: boolean;
  /** Blobs that versions removed by the `versions` retention referenced: candidates for collection. */
  released: string[];
}

export interface CleanupFilter {
  scope?: ArtifactScope;
  owner?: string;
  type?: ArtifactType;
}

export interface CleanupItem {
  artifact: number;
  ref: string;
  type: ArtifactType;
  versions: number[];
  artifactDeleted: boolean;
}

export interface CleanupPlan {
  items: CleanupItem[];
  deletedArtifacts: number;
  deletedVersions: number;
  /** Bytes of blobs no version would reference any more. */
  freedBytes: number;
  /** The blobs the removed versions referenced: candidates for collection. */
  released: string[];
}

export interface RetentionSweepOutcome {
  deletedVersions: number;
  artifacts: number[];
  released: string[];
}

/** Upper bound of a progress artifact's entries: each append rewrites the row. */
export const MAX_PROGRESS_ENTRIES = 10_000;

type Row = Record<string, unknown>;

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));

function artifactFromRow(r: Row): Artifact {
  return {
    id: num(r.id),
    ref: r.ref as string,
    type: r.type as ArtifactType,
    scope: r.scope as ArtifactScope,
    owner: r.owner as string,
    name: (r.name as string | null) ?? null,
    description: (r.description as string | null) ?? null,
    contentType: (r.content_type as string | null) ?? null,
    sizeBytes: num(r.size_bytes),
    execution: numOrNull(r.execution),
    origin: ((r.origin as ArtifactOrigin | undefined) ?? 'user'),
    retentionPolicy: (r.retention_policy as RetentionPolicy | null) ?? null,
    retentionLimit: numOrNull(r.retention_limit),
    data: r.data ?? null,
    latestVersion: numOrNull(r.latest_version),
    createdBy: (r.created_by as string | null) ?? null,
    created: r.created as Date,
    updated: r.updated as Date,
  };
}

function versionFromRow(r: Row): ArtifactVersion {
  return {
    id: num(r.id),
    artifact: num(r.artifact),
    version: num(r.version),
    execution: numOrNull(r.execution),
    contentType: r.content_type as string,
    sizeBytes: num(r.size_bytes),
    sha256: r.sha256 as string,
    createdBy: (r.created_by as string | null) ?? null,
    created: r.created as Date,
  };
}

/** node-postgres through TypeORM answers [rows, count] for UPDATE/DELETE … RETURNING. */
function rowsOf(result: unknown): Row[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') {
    return result[0] as Row[];
  }
  return result as Row[];
}

function pgCode(err: unknown): string | undefined {
  const e = err as { code?: unknown; driverError?: { code?: unknown } };
  const code = e?.driverError?.code ?? e?.code;
  return typeof code === 'string' ? code : undefined;
}

function pgConstraint(err: unknown): string | undefined {
  const e = err as { constraint?: unknown; driverError?: { constraint?: unknown } };
  const c = e?.driverError?.constraint ?? e?.constraint;
  return typeof c === 'string' ? c : undefined;
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

/** Where-clause of the artifacts a cleanup may touch ($1 is the cutoff). */
function cleanupScope(filter: CleanupFilter, params: unknown[]): string {
  const where: string[] = [];
  if (filter.scope) {
    params.push(filter.scope);
    where.push(`a.scope = $${params.length}`);
  }
  if (filter.owner !== undefined) {
    params.push(filter.owner);
    where.push(`a.owner = $${params.length}`);
  }
  if (filter.type) {
    params.push(filter.type);
    where.push(`a.type = $${params.length}`);
  }
  return where.length ? where.join(' AND ') : 'true';
}

/**
 * All SQL of artifacts, versions and blobs. The read methods serve the api and artifact-store;
 * the write methods are artifact-store's alone (one writer per table).
 */
@Injectable()
export class ArtifactRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  // ---------------------------------------------------------------- reads

  async findById(id: number): Promise<Artifact | null> {
    const rows: Row[] = await this.ds.query(`SELECT * FROM artifacts WHERE id = $1`, [id]);
    return rows.length ? artifactFromRow(rows[0]) : null;
  }

  async findByRef(ref: string): Promise<Artifact | null> {
    const rows: Row[] = await this.ds.query(`SELECT * FROM artifacts WHERE ref = $1`, [ref]);
    return rows.length ? artifactFromRow(rows[0]) : null;
  }

  async list(filter: ArtifactFilter, page: number, perPage: number): Promise<{ items: Artifact[]; total: number }> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: (n: number) => string, value: unknown) => {
      params.push(value);
      where.push(clause(params.length));
    };
    if (filter.type) add((n) => `type = $${n}`, filter.type);
    if (filter.scope) add((n) => `scope = $${n}`, filter.scope);
    if (filter.owner !== undefined) add((n) => `owner = $${n}`, filter.owner);
    if (filter.execution !== undefined) add((n) => `execution = $${n}`, filter.execution);
    if (filter.name) add((n) => `strpos(lower(COALESCE(name, '')), lower($${n})) > 0`, filter.name);
    if (filter.createdBefore) add((n) => `created < $${n}`, filter.createdBefore);
    if (filter.createdAfter) add((n) => `created > $${n}`, filter.createdAfter);
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const [{ count }]: Row[] = await this.ds.query(`SELECT count(*)::bigint AS count FROM artifacts ${clause}`, params);
    const rows: Row[] = await this.ds.query(
      `SELECT * FROM artifacts ${clause} ORDER BY created DESC, id DESC LIMIT $${params.length + 1} OFFSET $${params.length + 2}`,
      [...params, perPage, (page - 1) * perPage],
    );
    return { items: rows.map(artifactFromRow), total: num(count) };
  }

  /** The artifacts of one execution, oldest first. */
  async listByExecution(executionId: number): Promise<Artifact[]> {
    const rows: Row[] = await this.ds.query(`SELECT * FROM artifacts WHERE execution = $1 ORDER BY created, id`, [executionId]);
    return rows.map(artifactFromRow);
  }

  /** Versions of an artifact, newest first. */
  async listVersions(artifactId: number): Promise<ArtifactVersion[]> {
    const rows: Row[] = await this.ds.query(`SELECT * FROM artifact_versions WHERE artifact = $1 ORDER BY version DESC`, [artifactId]);
    return rows.map(versionFromRow);
  }

  /** Versions of several artifacts, in artifact then version order. */
  async listVersionsOf(artifactIds: number[]): Promise<ArtifactVersion[]> {
    if (artifactIds.length === 0) return [];
    const rows: Row[] = await this.ds.query(`SELECT * FROM artifact_versions WHERE artifact = ANY($1::bigint[]) ORDER BY artifact, version`, [
      artifactIds,
    ]);
    return rows.map(versionFromRow);
  }

  async findVersion(artifactId: number, version: number): Promise<ArtifactVersion | null> {
    const rows: Row[] = await this.ds.query(`SELECT * FROM artifact_versions WHERE artifact = $1 AND version = $2`, [artifactId, version]);
    return rows.length ? versionFromRow(rows[0]) : null;
  }

  async findLatestVersion(artifactId: number): Promise<ArtifactVersion | null> {
    const rows: Row[] = await this.ds.query(`SELECT * FROM artifact_versions WHERE artifact = $1 ORDER BY version DESC LIMIT 1`, [artifactId]);
    return rows.length ? versionFromRow(rows[0]) : null;
  }

  async executionExists(executionId: number): Promise<boolean> {
    const rows: Row[] = await this.ds.query(`SELECT 1 FROM executions WHERE id = $1`, [executionId]);
    return rows.length > 0;
  }

  /** Which of these digests have a blob row. */
  async knownBlobs(sha256s: string[]): Promise<Set<string>> {
    if (sha256s.length === 0) return new Set();
    const rows: Row[] = await this.ds.query(`SELECT sha256 FROM artifact_blobs WHERE sha256 = ANY($1::text[])`, [sha256s]);
    return new Set(rows.map((r) => r.sha256 as string));
  }

  /** Blob rows no version references (what the collector removes), oldest reference first. */
  async findUnreferencedBlobs(limit: number): Promise<{ sha256: string; sizeBytes: number }[]> {
    const rows: Row[] = await this.ds.query(
      `SELECT b.sha256, b.size_bytes FROM artifact_blobs b
        WHERE NOT EXISTS (SELECT 1 FROM artifact_versions v WHERE v.sha256 = b.sha256)
        ORDER BY b.last_referenced LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({ sha256: r.sha256 as string, sizeBytes: num(r.size_bytes) }));
  }

  // ---------------------------------------------------------------- writes (artifact-store only)

  /** CONFLICT for a duplicate ref, NOT_FOUND for an unknown execution. */
  async createArtifact(input: NewArtifact): Promise<Artifact> {
    try {
      const rows: Row[] = await this.ds.query(
        `INSERT INTO artifacts (ref, type, scope, owner, name, description, content_type, execution, retention_policy, retention_limit, data, origin, created_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING *`,
        [
          input.ref,
          input.type,
          input.scope ?? 'system',
          input.owner ?? '',
          input.name ?? null,
          input.description ?? null,
          input.contentType ?? null,
          input.execution ?? null,
          input.retentionPolicy ?? null,
          input.retentionLimit ?? null,
          input.data === undefined ? null : JSON.stringify(input.data),
          input.origin ?? 'user',
          input.createdBy ?? 'platform',
        ],
      );
      return artifactFromRow(rows[0]);
    } catch (err) {
      throw this.translate(err, input);
    }
  }

  /**
   * Changes the given fields. A `versions` retention that now keeps fewer versions is applied at
   * once; the blobs of the versions it removes are answered for collection.
   */
  async updateArtifact(id: number, patch: ArtifactPatch): Promise<{ artifact: Artifact; released: string[] } | null> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    const set = (column: string, value: unknown, cast = '') => {
      params.push(value);
      sets.push(`${column} = $${params.length}${cast}`);
    };
    if (patch.scope !== undefined) set('scope', patch.scope);
    if (patch.owner !== undefined) set('owner', patch.owner);
    if (patch.name !== undefined) set('name', patch.name);
    if (patch.description !== undefined) set('description', patch.description);
    if (patch.contentType !== undefined) set('content_type', patch.contentType);
    if (patch.retentionPolicy !== undefined) set('retention_policy', patch.retentionPolicy);
    if (patch.retentionLimit !== undefined) set('retention_limit', patch.retentionLimit);
    if (patch.data !== undefined) set('data', patch.data === null ? null : JSON.stringify(patch.data), '::jsonb');
    sets.push('updated = now()');
    try {
      return await this.ds.transaction(async (m) => {
        const rows = rowsOf(await m.query(`UPDATE artifacts SET ${sets.join(', ')} WHERE id = $1 RETURNING *`, params));
        if (!rows.length) return null;
        const artifact = artifactFromRow(rows[0]);
        const released = await this.applyVersionRetention(m, artifact);
        return { artifact: released.length ? ((await this.reload(m, id)) ?? artifact) : artifact, released };
      });
    } catch (err) {
      throw this.translate(err);
    }
  }

  /** Deletes an artifact and its versions; answers the blobs they referenced, or null when it did not exist. */
  async deleteArtifact(id: number): Promise<{ released: string[] } | null> {
    return this.ds.transaction(async (m) => {
      const locked = rowsOf(await m.query(`SELECT id FROM artifacts WHERE id = $1 FOR UPDATE`, [id]));
      if (!locked.length) return null;
      const versions = rowsOf(await m.query(`DELETE FROM artifact_versions WHERE artifact = $1 RETURNING sha256`, [id]));
      await m.query(`DELETE FROM artifacts WHERE id = $1`, [id]);
      return { released: [...new Set(versions.map((v) => v.sha256 as string))] };
    });
  }

  /**
   * Appends one entry to a progress artifact's `data` array in one statement (concurrent appends
   * never lose each other). NOT_FOUND or BAD_REQUEST (not a progress artifact, or full).
   */
  async appendProgress(id: number, entry: unknown): Promise<Artifact> {
    const rows = rowsOf(
      await this.ds.query(
        `UPDATE artifacts SET
           data = (CASE WHEN jsonb_typeof(data) = 'array' THEN data ELSE '[]'::jsonb END) || jsonb_build_array($2::jsonb),
           updated = now()
         WHERE id = $1 AND type = 'progress'
           AND (jsonb_typeof(data) IS DISTINCT FROM 'array' OR jsonb_array_length(data) < $3)
         RETURNING *`,
        [id, JSON.stringify(entry ?? null), MAX_PROGRESS_ENTRIES],
      ),
    );
    if (rows.length) return artifactFromRow(rows[0]);
    const artifact = await this.findById(id);
    if (!artifact) throw new DomainError('NOT_FOUND', `artifact ${id} not found`);
    if (artifact.type !== 'progress') {
      throw new DomainError('BAD_REQUEST', `artifact ${id} is of type ${artifact.type}; progress entries go to progress artifacts only`);
    }
    throw new DomainError('BAD_REQUEST', `artifact ${id} already holds the maximum of ${MAX_PROGRESS_ENTRIES} progress entries`);
  }

  /**
   * Records the next version of an artifact, pointing at the blob `sha256`, in one transaction:
   *
   * 1. upsert the blob row, which locks it: the garbage collector takes the same lock before it
   *    deletes a blob, so it waits for this commit (and then sees the new version) or has finished
   *    (and then `ensureBlobStored` finds the object gone and stores it again);
   * 2. `ensureBlobStored()` makes sure the bytes are under the blob's key (runs under the lock);
   * 3. take the next version number from the artifact row (locking it: commits to one artifact
   *    are serialised, numbers never repeat);
   * 4. insert the version, apply the `versions` retention, refresh the summary.
   *
   * NOT_FOUND when the artifact does not exist (any more), BAD_REQUEST for a progress artifact.
   */
  async commitVersion(input: NewVersion, isStored: (key: string) => Promise<boolean>): Promise<CommitOutcome> {
    return this.ds.transaction(async (m) => {
      // The upload sweep takes the same lock before it deletes an upload no blob row names; so
      // does a second delivery of the same commit, which then finds the version of the first.
      await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [input.stagedKey]);
      // Inserting or touching the blob row locks it until the end of the transaction: the
      // collector cannot delete this content's object between the check below and the version
      // insert. Nothing happens when a version was committed from this upload already.
      const [blob] = rowsOf(
        await m.query(
          `INSERT INTO artifact_blobs (sha256, size_bytes, storage_key)
           SELECT $1, $2, $3 WHERE NOT EXISTS (SELECT 1 FROM artifact_versions WHERE upload_key = $3)
           ON CONFLICT (sha256) DO UPDATE SET last_referenced = now()
           RETURNING storage_key, corrupt_since IS NOT NULL AS corrupt, (xmax = 0) AS inserted`,
          [input.sha256, input.sizeBytes, input.stagedKey],
        ),
      );
      if (!blob) return (await this.findEarlierCommit(input, m)) as CommitOutcome;
      let adopted = blob.inserted === true || blob.storage_key === input.stagedKey;
      if (!adopted && (blob.corrupt === true || !(await isStored(blob.storage_key as string)))) {
        // The row's object is gone (lost or removed by hand), or the scrub found other bytes there:
        // the new upload, whose sha256 the producer measured, takes its place. The old object is
        // then named by no row, and the orphan collection removes it.
        await m.query(`UPDATE artifact_blobs SET storage_key = $2, corrupt_since = NULL, verified_at = NULL WHERE sha256 = $1`, [
          input.sha256,
          input.stagedKey,
        ]);
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
        throw this.translate(err);
      }
      if (!inserted.length) {
        const exists = rowsOf(await m.query(`SELECT type FROM artifacts WHERE id = $1`, [input.artifactId]));
        if (!exists.length) throw new DomainError('NOT_FOUND', `artifact ${input.artifactId} not found`);
        throw new DomainError('BAD_REQUEST', `artifact ${input.artifactId} is a progress artifact: it holds entries, not versions`);
      }
      const row = inserted[0];
      let released: string[] = [];
      if (row.artifact_retention_policy === 'versions' && row.artifact_retention_limit !== null) {
        released = await this.deleteBeyondLimit(m, input.artifactId, num(row.artifact_retention_limit));
      }
      const [artifact] = rowsOf(await m.query(`${REFRESH_SUMMARY} RETURNING a.*`, [[input.artifactId]]));
      return { artifact: artifactFromRow(artifact), version: versionFromRow(row), released, adopted };
    });
  }

  /**
   * What a first delivery of this commit made (a redelivered bus message): its version, when it
   * is for the same artifact and content (else CONFLICT), or null when there was none.
   */
  async findEarlierCommit(input: Pick<NewVersion, 'stagedKey' | 'artifactId' | 'sha256'>, m: EntityManager = this.ds.manager): Promise<CommitOutcome | null> {
    const [row] = rowsOf(await m.query(`SELECT * FROM artifact_versions WHERE upload_key = $1`, [input.stagedKey]));
    if (!row) return null;
    const version = versionFromRow(row);
    if (version.artifact !== input.artifactId || version.sha256 !== input.sha256) {
      throw new DomainError('CONFLICT', `upload ${input.stagedKey} was committed already, to another artifact or content`);
    }
    return { artifact: (await this.reload(m, version.artifact)) as Artifact, version, released: [], adopted: true };
  }

  /** Deletes one version; answers the blob it referenced, or null when there was no such version. */
  async deleteVersion(artifactId: number, version: number): Promise<{ released: string[] } | null> {
    return this.ds.transaction(async (m) => {
      const locked = rowsOf(await m.query(`SELECT id FROM artifacts WHERE id = $1 FOR UPDATE`, [artifactId]));
      if (!locked.length) return null;
      const rows = rowsOf(await m.query(`DELETE FROM artifact_versions WHERE artifact = $1 AND version = $2 RETURNING sha256`, [artifactId, version]));
      if (!rows.length) return null;
      await m.query(REFRESH_SUMMARY, [[artifactId]]);
      return { released: [rows[0].sha256 as string] };
    });
  }

  /** Deletes the versions that the days/hours/minutes retention of their artifact has expired. */
  async deleteExpiredVersions(now = new Date()): Promise<RetentionSweepOutcome> {
    return this.ds.transaction(async (m) => {
      const rows = rowsOf(
        await m.query(
          `DELETE FROM artifact_versions v USING artifacts a
            WHERE v.artifact = a.id
              AND a.retention_policy IN ('days', 'hours', 'minutes')
              AND v.created < $1::timestamptz - a.retention_limit * (CASE a.retention_policy
                    WHEN 'days' THEN $2::double precision WHEN 'hours' THEN $3::double precision ELSE $4::double precision END)
                  * interval '1 millisecond'
            RETURNING v.artifact, v.sha256`,
          [now, RETENTION_UNIT_MS.days, RETENTION_UNIT_MS.hours, RETENTION_UNIT_MS.minutes],
        ),
      );
      const artifacts = [...new Set(rows.map((r) => num(r.artifact)))];
      if (artifacts.length) await m.query(REFRESH_SUMMARY, [artifacts]);
      return { deletedVersions: rows.length, artifacts, released: [...new Set(rows.map((r) => r.sha256 as string))] };
    });
  }

  /**
   * What a cleanup removes: every version created before `cutoff` of the artifacts matching the
   * filter, and those artifacts themselves when nothing of them is newer than the cutoff (no
   * version left and no change since). The same query plans a dry run and a real one.
   */
  planCleanup(cutoff: Date, filter: CleanupFilter): Promise<CleanupPlan> {
    return this.ds.transaction('REPEATABLE READ', (m) => this.computeCleanup(m, cutoff, filter, false));
  }

  /** Performs the cleanup planned by the same query, in one transaction, and answers what it removed. */
  runCleanup(cutoff: Date, filter: CleanupFilter): Promise<CleanupPlan> {
    return this.ds.transaction((m) => this.computeCleanup(m, cutoff, filter, true));
  }

  /**
   * Removes one blob row if no version references it, calling `deleteObject` with the blob's
   * storage key while holding the row's lock (see commitVersion). Answers whether it was collected.
   */
  async collectBlob(sha256: string, deleteObject: (key: string) => Promise<void>): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      const locked = rowsOf(await m.query(`SELECT storage_key FROM artifact_blobs WHERE sha256 = $1 FOR UPDATE`, [sha256]));
      if (!locked.length) return false;
      // A new statement, so a new snapshot: it sees every version committed before the lock was ours.
      const referenced = rowsOf(await m.query(`SELECT 1 FROM artifact_versions WHERE sha256 = $1 LIMIT 1`, [sha256]));
      if (referenced.length) return false;
      await deleteObject(locked[0].storage_key as string);
      await m.query(`DELETE FROM artifact_blobs WHERE sha256 = $1`, [sha256]);
      return true;
    });
  }

  /**
   * Deletes an upload that no blob row names (abandoned, or redundant after a failed commit),
   * under the same lock a commit of that key takes, so an upload is never deleted while it is
   * being adopted. Answers false, deleting nothing, when a blob lives there.
   */
  async deleteUnadoptedUpload(key: string, deleteObject: () => Promise<void>): Promise<boolean> {
    return this.ds.transaction(async (m) => {
      await m.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [key]);
      const adopted = rowsOf(await m.query(`SELECT 1 FROM artifact_blobs WHERE storage_key = $1`, [key]));
      if (adopted.length) return false;
      await deleteObject();
      return true;
    });
  }

  /** Which of these object keys are a blob's home. */
  async knownStorageKeys(keys: string[]): Promise<Set<string>> {
    if (keys.length === 0) return new Set();
    const rows: Row[] = await this.ds.query(`SELECT storage_key FROM artifact_blobs WHERE storage_key = ANY($1::text[])`, [keys]);
    return new Set(rows.map((r) => r.storage_key as string));
  }

  /** Where the bytes of a content live, or null when no blob row exists. */
  /** Where a content's bytes are, and since when the scrub has found them corrupt (null: not known to be). */
  async blobForDownload(sha256: string): Promise<{ key: string; corruptSince: Date | null } | null> {
    const rows: Row[] = await this.ds.query(`SELECT storage_key, corrupt_since FROM artifact_blobs WHERE sha256 = $1`, [sha256]);
    return rows.length ? { key: rows[0].storage_key as string, corruptSince: (rows[0].corrupt_since as Date | null) ?? null } : null;
  }

  /**
   * The blob checked longest ago (never checked first) among those not checked since `passStart`,
   * stamped as checked now so a concurrent scrub (another replica) takes another one.
   */
  async claimBlobToScrub(passStart: Date): Promise<{ sha256: string; sizeBytes: number; key: string } | null> {
    const rows = rowsOf(
      await this.ds.query(
        `UPDATE artifact_blobs SET verified_at = now()
          WHERE sha256 = (SELECT sha256 FROM artifact_blobs
                           WHERE verified_at IS NULL OR verified_at < $1
                           ORDER BY verified_at ASC NULLS FIRST, sha256 LIMIT 1 FOR UPDATE SKIP LOCKED)
          RETURNING sha256, size_bytes, storage_key`,
        [passStart],
      ),
    );
    return rows.length ? { sha256: rows[0].sha256 as string, sizeBytes: num(rows[0].size_bytes), key: rows[0].storage_key as string } : null;
  }

  /**
   * What the scrub found at `key`: a corrupt blob keeps the time it was first found so; a sound
   * one is cleared (restored by hand). Nothing changes if the blob moved to another key meanwhile
   * (a re-upload replaced it). Answers `new` when this check is the first to find it corrupt,
   * `known` when it was already, and `sound` or `moved` otherwise.
   */
  async recordScrub(sha256: string, key: string, sound: boolean): Promise<'new' | 'known' | 'sound' | 'moved'> {
    const rows = rowsOf(
      await this.ds.query(
        `UPDATE artifact_blobs SET corrupt_since = CASE WHEN $3 THEN NULL ELSE COALESCE(corrupt_since, now()) END
          WHERE sha256 = $1 AND storage_key = $2 RETURNING corrupt_since = now() AS newly`,
        [sha256, key, sound],
      ),
    );
    if (!rows.length) return 'moved';
    return sound ? 'sound' : rows[0].newly === true ? 'new' : 'known';
  }

  async blobKey(sha256: string): Promise<string | null> {
    const rows: Row[] = await this.ds.query(`SELECT storage_key FROM artifact_blobs WHERE sha256 = $1`, [sha256]);
    return rows.length ? (rows[0].storage_key as string) : null;
  }

  /** blobKey() for many digests at once; digests without a row are absent from the map. */
  async blobKeys(sha256s: string[]): Promise<Map<string, string>> {
    if (sha256s.length === 0) return new Map();
    const rows: Row[] = await this.ds.query(`SELECT sha256, storage_key FROM artifact_blobs WHERE sha256 = ANY($1::text[])`, [sha256s]);
    return new Map(rows.map((r) => [r.sha256 as string, r.storage_key as string]));
  }

  /** Blob rows with their reference counts, for tests and diagnostics. */
  async blobStats(sha256s: string[]): Promise<Map<string, number>> {
    const rows: Row[] = await this.ds.query(
      `SELECT b.sha256, (SELECT count(*) FROM artifact_versions v WHERE v.sha256 = b.sha256)::int AS refs
         FROM artifact_blobs b WHERE b.sha256 = ANY($1::text[])`,
      [sha256s],
    );
    return new Map(rows.map((r) => [r.sha256 as string, num(r.refs)]));
  }

  // ---------------------------------------------------------------- internals

  private async reload(m: EntityManager, id: number): Promise<Artifact | null> {
    const rows = rowsOf(await m.query(`SELECT * FROM artifacts WHERE id = $1`, [id]));
    return rows.length ? artifactFromRow(rows[0]) : null;
  }

  /** Keeps the newest `retention_limit` versions of a `versions` artifact; answers the released blobs. */
  private async applyVersionRetention(m: EntityManager, artifact: Artifact): Promise<string[]> {
    if (artifact.retentionPolicy !== 'versions' || artifact.retentionLimit === null) return [];
    const released = await this.deleteBeyondLimit(m, artifact.id, artifact.retentionLimit);
    if (released.length) await m.query(REFRESH_SUMMARY, [[artifact.id]]);
    return released;
  }

  /** Deletes all but the newest `limit` versions of an artifact; answers the blobs they referenced. */
  private async deleteBeyondLimit(m: EntityManager, artifactId: number, limit: number): Promise<string[]> {
    const rows = rowsOf(
      await m.query(
        `DELETE FROM artifact_versions WHERE artifact = $1 AND version NOT IN (
           SELECT version FROM artifact_versions WHERE artifact = $1 ORDER BY version DESC LIMIT $2)
         RETURNING sha256`,
        [artifactId, limit],
      ),
    );
    return [...new Set(rows.map((r) => r.sha256 as string))];
  }

  private async computeCleanup(m: EntityManager, cutoff: Date, filter: CleanupFilter, execute: boolean): Promise<CleanupPlan> {
    const params: unknown[] = [cutoff];
    const scope = cleanupScope(filter, params);
    // Lock the artifacts in scope first when deleting, so a concurrent commit either lands before
    // (and its version is newer than the cutoff, keeping the artifact) or after (and finds it gone).
    const lock = execute ? 'FOR UPDATE OF a' : '';
    const artifacts = rowsOf(
      await m.query(
        `SELECT a.id, a.ref, a.type, a.updated FROM artifacts a
          WHERE ${scope} AND (a.updated < $1 OR EXISTS (SELECT 1 FROM artifact_versions v WHERE v.artifact = a.id AND v.created < $1))
          ORDER BY a.id ${lock}`,
        params,
      ),
    );
    if (!artifacts.length) return { items: [], deletedArtifacts: 0, deletedVersions: 0, freedBytes: 0, released: [] };
    const ids = artifacts.map((a) => num(a.id));
    const versions = rowsOf(
      await m.query(`SELECT id, artifact, version, sha256, created FROM artifact_versions WHERE artifact = ANY($1::bigint[]) ORDER BY artifact, version`, [
        ids,
      ]),
    );
    const doomedVersionIds: number[] = [];
    const byArtifact = new Map<number, { doomed: number[]; kept: number }>();
    for (const id of ids) byArtifact.set(id, { doomed: [], kept: 0 });
    for (const v of versions) {
      const entry = byArtifact.get(num(v.artifact)) as { doomed: number[]; kept: number };
      if ((v.created as Date).getTime() < cutoff.getTime()) {
        entry.doomed.push(num(v.version));
        doomedVersionIds.push(num(v.id));
      } else entry.kept++;
    }
    const items: CleanupItem[] = [];
    for (const a of artifacts) {
      const entry = byArtifact.get(num(a.id)) as { doomed: number[]; kept: number };
      const artifactDeleted = entry.kept === 0 && (a.updated as Date).getTime() < cutoff.getTime();
      if (entry.doomed.length === 0 && !artifactDeleted) continue;
      items.push({ artifact: num(a.id), ref: a.ref as string, type: a.type as ArtifactType, versions: entry.doomed, artifactDeleted });
    }
    const doomedShas = [...new Set(versions.filter((v) => doomedVersionIds.includes(num(v.id))).map((v) => v.sha256 as string))];
    const freed = rowsOf(
      await m.query(
        `SELECT COALESCE(sum(b.size_bytes), 0)::bigint AS bytes FROM artifact_blobs b
          WHERE b.sha256 = ANY($1::text[])
            AND NOT EXISTS (SELECT 1 FROM artifact_versions v WHERE v.sha256 = b.sha256 AND NOT (v.id = ANY($2::bigint[])))`,
        [doomedShas, doomedVersionIds],
      ),
    );
    const plan: CleanupPlan = {
      items,
      deletedArtifacts: items.filter((i) => i.artifactDeleted).length,
      deletedVersions: doomedVersionIds.length,
      freedBytes: num(freed[0].bytes),
      released: doomedShas,
    };
    if (execute) {
      if (doomedVersionIds.length) await m.query(`DELETE FROM artifact_versions WHERE id = ANY($1::bigint[])`, [doomedVersionIds]);
      const gone = items.filter((i) => i.artifactDeleted).map((i) => i.artifact);
      if (gone.length) await m.query(`DELETE FROM artifacts WHERE id = ANY($1::bigint[])`, [gone]);
      const touched = items.filter((i) => !i.artifactDeleted).map((i) => i.artifact);
      if (touched.length) await m.query(REFRESH_SUMMARY, [touched]);
    }
    return plan;
  }

  private translate(err: unknown, input?: NewArtifact): unknown {
    const code = pgCode(err);
    if (code === '23505' && pgConstraint(err) === 'artifacts_ref_key') {
      return new DomainError('CONFLICT', `artifact ref "${input?.ref ?? ''}" already exists`);
    }
    if (code === '23503' && /execution/.test(pgConstraint(err) ?? '')) {
      return new DomainError('NOT_FOUND', `execution ${input?.execution ?? ''} not found`);
    }
    if (code === '23514') return new DomainError('VALIDATION_ERROR', `artifact fields are inconsistent (${pgConstraint(err) ?? 'check'})`);
    return err;
  }
}
