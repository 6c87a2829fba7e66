import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { TimerTickEntity } from '../entities/timer-tick.entity';
import { INSERT_EVENT_SQL, insertEventParams, type NewEvent } from './event.repository';
import { type Row, rowsOf } from './rows';

@Injectable()
export class TimerTickRepository {
  constructor(@InjectRepository(TimerTickEntity) private readonly repo: Repository<TimerTickEntity>) {}

  /**
   * Fires tick `tickAt` of timer rule `rule` if no one has: in one transaction, checks the rule
   * is still enabled (holding it against a concurrent disable until commit), takes the lease by
   * inserting the (rule, tick) row, and records the tick's event. Answers the event id, or null
   * when the rule is disabled or gone or another executor fired this tick.
   */
  async fire(rule: number, tickAt: Date, firedBy: string, event: NewEvent): Promise<number | null> {
    return this.repo.manager.transaction(async (em) => {
      const live: Row[] = await em.query(`SELECT id FROM rules WHERE id = $1 AND enabled FOR SHARE`, [rule]);
      if (!live.length) return null;
      const leased: Row[] = await em.query(
        `INSERT INTO timer_ticks (rule, tick_at, fired_by) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING rule`,
        [rule, tickAt, firedBy],
      );
      if (!leased.length) return null;
      const [created] = (await em.query(INSERT_EVENT_SQL, insertEventParams(event))) as Row[];
      const eventId = Number(created.id);
      await em.query(`UPDATE timer_ticks SET event = $3 WHERE rule = $1 AND tick_at = $2`, [rule, tickAt, eventId]);
      return eventId;
    });
  }

  /** Ticks recorded for a rule, newest first (for tests and diagnostics). */
  async listForRule(rule: number, limit = 100): Promise<TimerTickEntity[]> {
    return this.repo.find({ where: { rule }, order: { tickAt: 'DESC' }, take: limit });
  }

  /**
   * Forgets ticks older than `olderThanMs`, always keeping each rule's latest: that one still
   * guards against firing the latest due tick again.
   */
  async prune(olderThanMs: number): Promise<number> {
    const rows = rowsOf(
      await this.repo.query(
        `DELETE FROM timer_ticks t WHERE t.tick_at < now() - ($1::double precision * interval '1 millisecond')
           AND EXISTS (SELECT 1 FROM timer_ticks n WHERE n.rule = t.rule AND n.tick_at > t.tick_at)
         RETURNING t.rule`,
        [olderThanMs],
      ),
    );
    return rows.length;
  }
}
