import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { type Row, rowsOf, selectPage, SqlConditions } from './rows';

export const INQUIRY_STATUSES = ['pending', 'responded', 'timeout', 'cancelled'] as const;
export type InquiryStatus = (typeof INQUIRY_STATUSES)[number];

/** A question a `core.inquiry` execution asks; its execution stays `running` until it is settled. */
export interface InquiryRecord {
  id: number;
  execution: number;
  title: string | null;
  prompt: string | null;
  /** JSON Schema of the answer. */
  schema: Record<string, unknown>;
  /** Logins that may answer; empty: anyone holding one of `roles`. */
  assignedTo: string[];
  roles: string[];
  status: InquiryStatus;
  response: Record<string, unknown> | null;
  respondedBy: string | null;
  respondedAt: Date | null;
  timeoutAt: Date | null;
  created: Date;
  updated: Date;
}

export type NewInquiry = Pick<InquiryRecord, 'execution' | 'title' | 'prompt' | 'schema' | 'assignedTo' | 'roles' | 'timeoutAt'>;

export interface InquiryFilter {
  status?: InquiryStatus;
  execution?: number;
  /** Inquiries this login may see in its list: assigned to it, or to nobody. */
  assignedTo?: string;
}

function fromRow(r: Row): InquiryRecord {
  return {
    id: Number(r.id),
    execution: Number(r.execution),
    title: (r.title as string | null) ?? null,
    prompt: (r.prompt as string | null) ?? null,
    schema: (r.schema as Record<string, unknown>) ?? {},
    assignedTo: (r.assigned_to as string[]) ?? [],
    roles: (r.roles as string[]) ?? [],
    status: r.status as InquiryStatus,
    response: (r.response as Record<string, unknown> | null) ?? null,
    respondedBy: (r.responded_by as string | null) ?? null,
    respondedAt: (r.responded_at as Date | null) ?? null,
    timeoutAt: (r.timeout_at as Date | null) ?? null,
    created: r.created as Date,
    updated: r.updated as Date,
  };
}

/** Inquiries: written by the executor only (the api publishes answers on the bus), read by anyone. */
@Injectable()
export class InquiryRepository {
  constructor(@InjectDataSource() private readonly ds: DataSource) {}

  /** Records the execution's inquiry once: a second call (a redelivery, a sweep) answers the first. */
  async createOnce(i: NewInquiry): Promise<InquiryRecord> {
    const inserted: Row[] = await this.ds.query(
      `INSERT INTO inquiries (execution, title, prompt, schema, assigned_to, roles, timeout_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (execution) DO NOTHING RETURNING *`,
      [i.execution, i.title, i.prompt, JSON.stringify(i.schema), i.assignedTo, i.roles, i.timeoutAt],
    );
    if (inserted.length) return fromRow(inserted[0]);
    return (await this.findByExecution(i.execution)) as InquiryRecord;
  }

  async findById(id: number): Promise<InquiryRecord | null> {
    const rows: Row[] = await this.ds.query(`SELECT * FROM inquiries WHERE id = $1`, [id]);
    return rows.length ? fromRow(rows[0]) : null;
  }

  async findByExecution(execution: number): Promise<InquiryRecord | null> {
    const rows: Row[] = await this.ds.query(`SELECT * FROM inquiries WHERE execution = $1`, [execution]);
    return rows.length ? fromRow(rows[0]) : null;
  }

  async list(filter: InquiryFilter, page: number, perPage: number): Promise<{ items: InquiryRecord[]; total: number }> {
    const c = new SqlConditions();
    if (filter.status) c.add((p) => `status = ${p}`, filter.status);
    if (filter.execution !== undefined) c.add((p) => `execution = ${p}`, filter.execution);
    if (filter.assignedTo !== undefined) c.add((p) => `(cardinality(assigned_to) = 0 OR ${p} = ANY(assigned_to))`, filter.assignedTo);
    const { rows, total } = await selectPage((sql, params) => this.ds.query(sql, params), 'inquiries', c, 'created DESC, id DESC', page, perPage);
    return { items: rows.map(fromRow), total };
  }

  /** pending → responded, once. Answers the updated row, or null when it was no longer pending. */
  async respond(id: number, response: Record<string, unknown>, respondedBy: string): Promise<InquiryRecord | null> {
    const rows = rowsOf(
      await this.ds.query(
        `UPDATE inquiries SET status = 'responded', response = $2, responded_by = $3, responded_at = now(), updated = now()
          WHERE id = $1 AND status = 'pending' RETURNING *`,
        [id, JSON.stringify(response), respondedBy],
      ),
    );
    return rows.length ? fromRow(rows[0]) : null;
  }

  /** pending → timeout | cancelled, once. */
  async close(id: number, status: 'timeout' | 'cancelled'): Promise<InquiryRecord | null> {
    const rows = rowsOf(
      await this.ds.query(`UPDATE inquiries SET status = $2, updated = now() WHERE id = $1 AND status = 'pending' RETURNING *`, [id, status]),
    );
    return rows.length ? fromRow(rows[0]) : null;
  }

  /**
   * Inquiries to settle: pending past their timeout, pending while their execution is being
   * cancelled, and settled ones whose execution is not terminal yet (a crash between the two writes).
   */
  async findUnsettled(limit: number): Promise<Array<InquiryRecord & { executionStatus: string }>> {
    const rows: Row[] = await this.ds.query(
      `SELECT i.*, e.status AS execution_status FROM inquiries i JOIN executions e ON e.id = i.execution
        WHERE (i.status = 'pending' AND (i.timeout_at <= now() OR e.status IN ('canceling', 'cancelled')))
           OR (i.status <> 'pending' AND e.status IN ('scheduling', 'scheduled', 'running', 'canceling'))
        ORDER BY i.id LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({ ...fromRow(r), executionStatus: r.execution_status as string }));
  }
}
