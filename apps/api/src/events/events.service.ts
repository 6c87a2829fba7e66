import { DomainError, type EventCreatedV1, type EventSource, isTimerTrigger, MessageTypes, ParameterSchemaValidator } from '@attune/contracts';
import { MessagePublisher } from '@attune/messaging';
import { type EventEntity, type EventFilter, EventRepository, type ListRequest, type TriggerEntity, TriggerRepository } from '@attune/persistence';
import { Injectable, Logger } from '@nestjs/common';
import { Counter } from 'prom-client';
import { found } from '../common/found';

const recorded = new Counter({ name: 'attune_events_recorded_total', help: 'Events recorded by the api', labelNames: ['source'] });

@Injectable()
export class EventsService {
  private readonly logger = new Logger(EventsService.name);
  private readonly schemas = new ParameterSchemaValidator();

  constructor(
    private readonly events: EventRepository,
    private readonly triggers: TriggerRepository,
    private readonly publisher: MessagePublisher,
  ) {}

  async inject(triggerRef: string, payload: Record<string, unknown>): Promise<EventEntity> {
    const trigger = found(await this.triggers.findByRef(triggerRef), `trigger "${triggerRef}"`);
    if (!trigger.enabled) throw new DomainError('BAD_REQUEST', `trigger "${triggerRef}" is disabled`);
    if (isTimerTrigger(trigger.ref)) {
      throw new DomainError('BAD_REQUEST', `trigger "${triggerRef}" is a timer: its events come from its rules' schedules`);
    }
    return this.record(trigger, payload, 'api');
  }

  /**
   * Records the event, then announces it. The row is the promise: the caller is answered once
   * it is committed, and the announcement is not awaited (a slow or unreachable broker must
   * not slow webhook senders down). An event whose announcement is lost is matched by the
   * executor's event sweep instead, so nothing recorded is lost.
   */
  async record(trigger: TriggerEntity, payload: unknown, source: EventSource): Promise<EventEntity> {
    if (trigger.outSchema && payload !== null && typeof payload === 'object' && !Array.isArray(payload)) {
      const checked = this.schemas.check(trigger.outSchema, payload as Record<string, unknown>, {
        cacheKey: `trigger-out:${trigger.id}:${new Date(trigger.updated).getTime()}`,
        unknownKeyMessage: 'is not a field of this trigger',
      });
      if (!checked.ok) {
        throw new DomainError(
          'VALIDATION_ERROR',
          `payload does not match the schema of trigger ${trigger.ref}`,
          checked.problems.map((p) => ({ field: `payload.${p.field}`, message: p.message })),
        );
      }
    } else if (trigger.outSchema) {
      throw new DomainError('VALIDATION_ERROR', `payload does not match the schema of trigger ${trigger.ref}`, [
        { field: 'payload', message: 'must be an object' },
      ]);
    }
    const event = await this.events.create({ trigger: trigger.id, triggerRef: trigger.ref, payload, source });
    recorded.inc({ source });
    const message: EventCreatedV1 = { event_id: event.id };
    this.publisher.publish(MessageTypes.EventCreated, message, { correlationId: `event:${event.id}` }).catch((err) => {
      this.logger.warn({ event_id: event.id, err: (err as Error).message }, 'event recorded but not announced; the executor sweep will process it');
    });
    return event;
  }

  async get(id: number): Promise<EventEntity> {
    return found(await this.events.findById(id), `event ${id}`);
  }

  list(filter: EventFilter, req: ListRequest) {
    return this.events.list(filter, req);
  }
}
