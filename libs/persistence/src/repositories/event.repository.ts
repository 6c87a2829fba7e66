import type { EventSource } from '@attune/contracts';
import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { EventEntity } from '../entities/event.entity';
import { asListRequest, type ListPage, type ListRequest, ListConditions, listPage } from './list-page';
import { entityReader, type Row, rowsOf } from './rows';

export interface NewEvent {
  trigger: number | null;
  triggerRef: string;
  payload: unknown;
  source: EventSource;
  rule?: number | null;
  ruleRef?: string | null;
}

export interface EventFilter {
  triggerRef?: string;
  /** The trigger's id (Attune's `?trigger=`). */
  trigger?: number;
  ruleRef?: string;
  source?: EventSource;
}

export const eventFromRow = entityReader(EventEntity);

export const INSERT_EVENT_SQL = `INSERT INTO events (trigger, trigger_ref, payload, source, rule, rule_ref)
  VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`;

export function insertEventParams(e: NewEvent): unknown[] {
  return [e.trigger, e.triggerRef, JSON.stringify(e.payload ?? null), e.source, e.rule ?? null, e.ruleRef ?? null];
}

@Injectable()
export class EventRepository {
  constructor(@InjectRepository(EventEntity) private readonly repo: Repository<EventEntity>) {}

  async create(e: NewEvent): Promise<EventEntity> {
    const rows: Row[] = await this.repo.query(INSERT_EVENT_SQL, insertEventParams(e));
    return eventFromRow(rows[0]);
  }

  findById(id: number): Promise<EventEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /** One page, newest (highest id) first (list-page.ts). */
  list(filter: EventFilter, reqOrPage: ListRequest | number, perPage?: number): Promise<ListPage<EventEntity>> {
    const c = new ListConditions().equal(filter, { triggerRef: 'trigger_ref', trigger: 'trigger', ruleRef: 'rule_ref', source: 'source' });
    return listPage((sql, params) => this.repo.query(sql, params), 'events', c, 'id', asListRequest(reqOrPage, perPage), eventFromRow);
  }

  /** Records that every matching rule of the event has been enforced. Idempotent. */
  async markProcessed(id: number): Promise<void> {
    await this.repo.query(`UPDATE events SET processed_at = now() WHERE id = $1 AND processed_at IS NULL`, [id]);
  }

  /** Events no executor finished matching within `olderThanMs` of their creation, oldest first. */
  async findUnprocessed(olderThanMs: number, limit: number): Promise<number[]> {
    const rows = rowsOf(
      await this.repo.query(
        `SELECT id FROM events WHERE processed_at IS NULL AND created < now() - ($1::double precision * interval '1 millisecond')
         ORDER BY created ASC LIMIT $2`,
        [olderThanMs, limit],
      ),
    );
    return rows.map((r) => Number(r.id));
  }
}
