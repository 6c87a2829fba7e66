import { type EventCreatedV1, latestDueTick, MessageTypes, TIMER_TRIGGER_REFS, timerEventPayload } from '@attune/contracts';
import { MessagePublisher } from '@attune/messaging';
import { type RuleEntity, RuleRepository, TimerTickRepository } from '@attune/persistence';
import { type Logger, ROOT_LOGGER } from '@attune/service-kit';
import { Inject, Injectable } from '@nestjs/common';
import { hostname } from 'node:os';
import { Counter } from 'prom-client';
import { ExecutorConfig, retentionMs } from '../config/executor.config';

const ticksFired = new Counter({ name: 'attune_timer_ticks_fired_total', help: 'Timer ticks this executor fired (won the lease for)' });

/** Ticks older than this are forgotten (each rule's latest is always kept). */
const PRUNE_EVERY_MS = 10 * 60 * 1000;

/**
 * Runs the built-in timers (core.intervaltimer, core.crontimer, core.datetimetimer) on every
 * executor. Each poll reads the enabled timer rules, so a created, edited, disabled or deleted
 * rule takes effect within one poll, without a restart. For each rule it computes the latest
 * due tick (deterministic from the rule row) and tries to fire it: the (rule, tick) row in
 * timer_ticks is the lease, so with any number of executors each tick fires exactly once.
 * The winner records the tick's event in the same transaction and announces it; the event then
 * follows the ordinary path (rules engine, sweep if the announcement is lost).
 */
@Injectable()
export class TimerScheduler {
  readonly instance = `${hostname()}:${process.pid}`;
  /** The tick last tried per rule: it is not tried again on every poll. */
  private readonly tried = new Map<number, number>();
  private readonly badRules = new Set<string>();
  private lastPrune = 0;

  constructor(
    private readonly rules: RuleRepository,
    private readonly ticks: TimerTickRepository,
    private readonly publisher: MessagePublisher,
    private readonly config: ExecutorConfig,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  /** One pass (every ATTUNE_EXECUTOR_TIMER_POLL_MS, PeriodicJobs): fires every due tick no executor has fired yet. Answers the event ids this instance recorded. */
  async poll(now: Date = new Date()): Promise<number[]> {
    const rules = await this.rules.findEnabledByTriggerRefs(TIMER_TRIGGER_REFS);
    const fired: number[] = [];
    const live = new Set<number>();
    for (const rule of rules) {
      live.add(rule.id);
      const tick = this.dueTick(rule, now);
      if (!tick || this.tried.get(rule.id) === tick.getTime()) continue;
      const eventId = await this.ticks.fire(rule.id, tick, this.instance, {
        trigger: rule.trigger,
        triggerRef: rule.triggerRef,
        payload: timerEventPayload(rule.triggerRef, rule.triggerParams, tick),
        source: 'timer',
        rule: rule.id,
        ruleRef: rule.ref,
      });
      this.tried.set(rule.id, tick.getTime());
      if (eventId === null) continue;
      fired.push(eventId);
      ticksFired.inc();
      this.logger.info({ rule_ref: rule.ref, event_id: eventId, tick: tick.toISOString(), instance: this.instance }, 'timer fired');
      this.announce(eventId, rule);
    }
    for (const id of this.tried.keys()) if (!live.has(id)) this.tried.delete(id);
    await this.pruneNowAndThen(now);
    return fired;
  }

  private dueTick(rule: RuleEntity, now: Date): Date | null {
    try {
      return latestDueTick(rule.triggerRef, rule.triggerParams ?? {}, new Date(rule.updated), now);
    } catch (err) {
      // Checked when saved, so this is a stored schedule no longer understood: say so once.
      const key = `${rule.id}:${new Date(rule.updated).getTime()}`;
      if (!this.badRules.has(key)) {
        this.badRules.add(key);
        this.logger.warn({ rule_ref: rule.ref, err: (err as Error).message }, 'timer rule has an unusable schedule; skipped');
      }
      return null;
    }
  }

  /** Not awaited: a slow broker must not delay other ticks. A lost announcement is swept. */
  private announce(eventId: number, rule: RuleEntity): void {
    const payload: EventCreatedV1 = { event_id: eventId };
    this.publisher.publish(MessageTypes.EventCreated, payload, { correlationId: `event:${eventId}` }).catch((err) => {
      this.logger.warn({ event_id: eventId, rule_ref: rule.ref, err: (err as Error).message }, 'timer event recorded but not announced; the sweep will process it');
    });
  }

  private async pruneNowAndThen(now: Date): Promise<void> {
    if (now.getTime() - this.lastPrune < PRUNE_EVERY_MS) return;
    this.lastPrune = now.getTime();
    // ATTUNE_RETENTION_TIMER_TICKS (1d); each rule's latest tick is kept whatever it says.
    const keepMs = retentionMs(this.config.retentionTimerTicks);
    if (keepMs === null) return;
    const pruned = await this.ticks.prune(keepMs);
    if (pruned) this.logger.debug({ pruned }, 'old timer ticks forgotten');
  }
}
