import { type ArtifactOrigin, type ArtifactScope, type ArtifactType, DomainError } from '@attune/contracts';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { type Artifact, artifactFromRow, type ArtifactPatch, artifactWriteError, MAX_PROGRESS_ENTRIES, type NewArtifact } from './artifact-model';
import { asListRequest, type ListPage, type ListRequest, ListConditions, listPage } from './list-page';
import { distinct, type Queryable, type Row, rowsOf } from './rows';

export interface ArtifactFilter {
  type?: ArtifactType;
  scope?: ArtifactScope;
  owner?: string;
  execution?: number;
  /** Artifacts made by the tasks of this workflow run. */
  workflowExecution?: number;
  /** Artifacts made by the task of this name (with workflowExecution: of that run). */
  taskName?: string;
  /** Substring of the name, case-insensitive. */
  name?: string;
  /** The exact name. */
  exactName?: string;
  createdBefore?: Date;
  createdAfter?: Date;
  /** Only artifacts of these origins; undefined means every origin. */
  origins?: ArtifactOrigin[];
}

/** An artifact that has changed, or has a version, before a cutoff (see findOlderThan). */
export interface AgedArtifact {
  id: number;
  ref: string;
  type: ArtifactType;
  updated: Date;
}

/**
 * The `artifacts` table: metadata of artifacts and their progress entries. Reads serve the api and
 * artifact-store; writes are artifact-store's alone (one writer per table). Methods that take a
 * Queryable run in a transaction the caller composes (artifact-store's retention).
 */
@Injectable()
export class ArtifactRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  async findById(id: number, m: Queryable = this.ds): Promise<Artifact | null> {
    const [row] = rowsOf(await m.query(`SELECT * FROM artifacts WHERE id = $1`, [id]));
    return row ? artifactFromRow(row) : null;
  }

  async findByRef(ref: string): Promise<Artifact | null> {
    const [row] = rowsOf(await this.ds.query(`SELECT * FROM artifacts WHERE ref = $1`, [ref]));
    return row ? artifactFromRow(row) : null;
  }

  /** One page, newest first (list-page.ts: cursor or offset, total exact while cheap). */
  list(filter: ArtifactFilter, reqOrPage: ListRequest | number, perPage?: number): Promise<ListPage<Artifact>> {
    const req = asListRequest(reqOrPage, perPage);
    const c = new ListConditions().equal(filter, { type: 'type', scope: 'scope', execution: 'execution', workflowExecution: 'workflow_execution' });
    // '' is an owner (system artifacts') and may be a task or artifact name: these filter whenever given.
    if (filter.owner !== undefined) c.add((n) => `owner = $${n}`, filter.owner);
    if (filter.taskName !== undefined) c.add((n) => `task_name = $${n}`, filter.taskName);
    if (filter.name) c.add((n) => `strpos(lower(COALESCE(name, '')), lower($${n})) > 0`, filter.name);
    if (filter.exactName !== undefined) c.add((n) => `name = $${n}`, filter.exactName);
    if (filter.createdBefore) c.add((n) => `created < $${n}`, filter.createdBefore);
    if (filter.createdAfter) c.add((n) => `created > $${n}`, filter.createdAfter);
    if (filter.origins) c.add((n) => `origin = ANY($${n}::text[])`, filter.origins);
    return listPage((sql, params) => this.ds.query(sql, params), 'artifacts', c, 'created', req, artifactFromRow);
  }

  /** The artifacts of one execution, oldest first. */
  async listByExecution(executionId: number): Promise<Artifact[]> {
    const rows: Row[] = await this.ds.query(`SELECT * FROM artifacts WHERE execution = $1 ORDER BY created, id`, [executionId]);
    return rows.map(artifactFromRow);
  }

  async executionExists(executionId: number): Promise<boolean> {
    const rows: Row[] = await this.ds.query(`SELECT 1 FROM executions WHERE id = $1`, [executionId]);
    return rows.length > 0;
  }

  /**
   * The artifacts matching `filter` that changed before `cutoff` or have a version created before
   * it, by id; with `lock`, locked for the transaction `m` (so a concurrent commit lands wholly
   * before or after the caller's deletes).
   */
  async findOlderThan(cutoff: Date, filter: Pick<ArtifactFilter, 'scope' | 'owner' | 'type'>, m: Queryable, lock = false): Promise<AgedArtifact[]> {
    const c = new ListConditions();
    c.add((n) => `(a.updated < $${n} OR EXISTS (SELECT 1 FROM artifact_versions v WHERE v.artifact = a.id AND v.created < $${n}))`, cutoff);
    if (filter.scope) c.add((n) => `a.scope = $${n}`, filter.scope);
    if (filter.owner !== undefined) c.add((n) => `a.owner = $${n}`, filter.owner);
    if (filter.type) c.add((n) => `a.type = $${n}`, filter.type);
    const rows = rowsOf(
      await m.query(`SELECT a.id, a.ref, a.type, a.updated FROM artifacts a ${c.sql()} ORDER BY a.id ${lock ? 'FOR UPDATE OF a' : ''}`, c.params),
    );
    return rows.map((r) => ({ id: Number(r.id), ref: r.ref as string, type: r.type as ArtifactType, updated: r.updated as Date }));
  }

  /** CONFLICT for a duplicate ref, NOT_FOUND for an unknown execution. */
  async create(input: NewArtifact): Promise<Artifact> {
    try {
      const rows: Row[] = await this.ds.query(
        `INSERT INTO artifacts (ref, type, scope, owner, name, description, content_type, execution, retention_policy, retention_limit, data, origin, created_by,
           workflow_execution, task_name)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING *`,
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
          input.workflowExecution ?? null,
          input.taskName ?? null,
        ],
      );
      return artifactFromRow(rows[0]);
    } catch (err) {
      throw artifactWriteError(err, input);
    }
  }

  /** Changes the given fields; null when there is no such artifact. Retention is the caller's (artifact-store's). */
  async update(id: number, patch: ArtifactPatch, m: Queryable = this.ds): Promise<Artifact | null> {
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
      const [row] = rowsOf(await m.query(`UPDATE artifacts SET ${sets.join(', ')} WHERE id = $1 RETURNING *`, params));
      return row ? artifactFromRow(row) : null;
    } catch (err) {
      throw artifactWriteError(err);
    }
  }

  /** Deletes an artifact and its versions; answers the blobs they referenced, or null when it did not exist. */
  async delete(id: number): Promise<{ released: string[] } | null> {
    return this.ds.transaction(async (m) => {
      const locked = rowsOf(await m.query(`SELECT id FROM artifacts WHERE id = $1 FOR UPDATE`, [id]));
      if (!locked.length) return null;
      const versions = rowsOf(await m.query(`DELETE FROM artifact_versions WHERE artifact = $1 RETURNING sha256`, [id]));
      await m.query(`DELETE FROM artifacts WHERE id = $1`, [id]);
      return { released: distinct(versions, 'sha256') };
    });
  }

  /** Deletes these artifacts (their versions deleted already); `withoutVersions`: only those with no version left. */
  async deleteByIds(ids: number[], m: Queryable, withoutVersions = false): Promise<void> {
    if (!ids.length) return;
    await m.query(`DELETE FROM artifacts WHERE id = ANY($1::bigint[]) ${withoutVersions ? 'AND latest_version IS NULL' : ''}`, [ids]);
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
}
