import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createPackContentTable, createTable, dropTables } from './migration-sql';

/**
 * The rules engine: triggers, rules, events, enforcements and timer ticks.
 *
 * Writers: api inserts triggers, rules and events (webhooks, POST /events); the executor records
 * an event's processing (events.processed_at), inserts timer events, and owns enforcements and
 * timer_ticks. Events are never updated otherwise.
 */
export class Rules1764000000000 implements MigrationInterface {
  name = 'Rules1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(createPackContentTable('triggers', `
        param_schema jsonb,
        out_schema jsonb,
        enabled boolean NOT NULL DEFAULT true,
        webhook_enabled boolean NOT NULL DEFAULT false,
        webhook_key text UNIQUE,
        is_builtin boolean NOT NULL DEFAULT false`, {
      after: `
        CHECK (NOT webhook_enabled OR webhook_key IS NOT NULL)`,
    }));
    await q.query(`CREATE INDEX triggers_pack_id_idx ON triggers (pack_id)`);

    await q.query(createPackContentTable('rules', `
        trigger bigint REFERENCES triggers(id) ON DELETE SET NULL,
        trigger_ref text NOT NULL,
        action bigint REFERENCES actions(id) ON DELETE SET NULL,
        action_ref text NOT NULL,
        trigger_params jsonb NOT NULL DEFAULT '{}',
        action_params jsonb NOT NULL DEFAULT '{}',
        conditions jsonb NOT NULL DEFAULT '[]',
        condition text NOT NULL DEFAULT 'all' CHECK (condition IN ('all', 'any')),
        enabled boolean NOT NULL DEFAULT true`));
    await q.query(`CREATE INDEX rules_pack_id_idx ON rules (pack_id)`);
    await q.query(`CREATE INDEX rules_trigger_idx ON rules (trigger)`);
    await q.query(`CREATE INDEX rules_action_idx ON rules (action)`);
    // Matching an event (and the timers' poll) reads enabled rules by trigger ref.
    await q.query(`CREATE INDEX rules_enabled_trigger_ref_idx ON rules (trigger_ref) WHERE enabled`);

    await q.query(createTable('events', `
        trigger bigint REFERENCES triggers(id) ON DELETE SET NULL,
        trigger_ref text NOT NULL,
        payload jsonb NOT NULL,
        source text NOT NULL CHECK (source IN ('webhook', 'api', 'timer')),
        rule bigint REFERENCES rules(id) ON DELETE SET NULL,
        rule_ref text,
        processed_at timestamptz`, { updated: false }));
    await q.query(`CREATE INDEX events_trigger_ref_idx ON events (trigger_ref, id DESC)`);
    await q.query(`CREATE INDEX events_trigger_idx ON events (trigger)`);
    await q.query(`CREATE INDEX events_rule_idx ON events (rule) WHERE rule IS NOT NULL`);
    // The executor's sweep looks only at events no executor has finished matching.
    await q.query(`CREATE INDEX events_unprocessed_idx ON events (created) WHERE processed_at IS NULL`);

    await q.query(createTable('enforcements', `
        rule bigint REFERENCES rules(id) ON DELETE SET NULL,
        rule_ref text NOT NULL,
        trigger_ref text NOT NULL,
        event bigint REFERENCES events(id) ON DELETE SET NULL,
        status text NOT NULL DEFAULT 'created' CHECK (status IN ('created', 'processed', 'disabled')),
        condition text NOT NULL CHECK (condition IN ('all', 'any')),
        conditions jsonb NOT NULL DEFAULT '[]',
        config jsonb,
        error text`, {
      after: `
        resolved_at timestamptz,
        -- One enforcement per rule and event, however often the event is delivered.
        CONSTRAINT enforcements_rule_event_key UNIQUE (rule, event)`,
    }));
    await q.query(`CREATE INDEX enforcements_event_idx ON enforcements (event)`);
    await q.query(`CREATE INDEX enforcements_rule_ref_idx ON enforcements (rule_ref, id DESC)`);

    await q.query(`ALTER TABLE executions ADD CONSTRAINT executions_enforcement_fkey
      FOREIGN KEY (enforcement) REFERENCES enforcements(id) ON DELETE SET NULL`);
    await q.query(`CREATE INDEX executions_enforcement_idx ON executions (enforcement) WHERE enforcement IS NOT NULL`);

    await q.query(`
      CREATE TABLE timer_ticks (
        rule bigint NOT NULL REFERENCES rules(id) ON DELETE CASCADE,
        tick_at timestamptz NOT NULL,
        event bigint REFERENCES events(id) ON DELETE SET NULL,
        fired_by text NOT NULL,
        created timestamptz NOT NULL DEFAULT now(),
        -- The lease: the executor whose insert of (rule, tick) succeeds fires that tick.
        PRIMARY KEY (rule, tick_at)
      )`);
    await q.query(`CREATE INDEX timer_ticks_event_idx ON timer_ticks (event)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await dropTables(q, 'timer_ticks');
    await q.query(`DROP INDEX executions_enforcement_idx`);
    await q.query(`ALTER TABLE executions DROP CONSTRAINT executions_enforcement_fkey`);
    await dropTables(q, 'enforcements', 'events', 'rules', 'triggers');
  }
}
