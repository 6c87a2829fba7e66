import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Lists that stay fast at millions of rows (libs/persistence list-page.ts). Every filter the API
 * offers gets an index whose columns are the filter's equality columns followed by the list's
 * order, so a page (offset or cursor) reads only its own index entries and a bounded count reads
 * at most EXACT_TOTAL_LIMIT of them:
 *
 * - executions, order (created DESC, id DESC): no filter (executions_created_idx, existing),
 *   status, action_ref, action_ref + status, parent, enforcement, executor (the api's
 *   executor_login resolves to it). created_after/created_before are ranges on the order itself,
 *   so they ride on whichever index serves the other filters. Other combinations (executor +
 *   status, parent + status…) use the more selective index and filter the rest: a parent or an
 *   enforcement has few children, a user's own executions are read newest first.
 * - events and enforcements, order id DESC (their insertion order): each filter column + id.
 * - artifacts, order (created DESC, id DESC): type, scope + owner (existing: origin, execution).
 *   The `name` substring filter cannot use a b-tree; it filters whatever the others leave.
 *
 * Each index costs a little on every write of its table; the ones replaced here are dropped.
 */
export class ListIndexes1765900000000 implements MigrationInterface {
  name = 'ListIndexes1765900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX executions_status_created_idx ON executions (status, created DESC, id DESC)`);
    await q.query(`CREATE INDEX executions_action_ref_created_idx ON executions (action_ref, created DESC, id DESC)`);
    await q.query(`DROP INDEX executions_action_ref_idx`);
    await q.query(`CREATE INDEX executions_action_ref_status_created_idx ON executions (action_ref, status, created DESC, id DESC)`);
    await q.query(`CREATE INDEX executions_parent_created_idx ON executions (parent, created DESC, id DESC) WHERE parent IS NOT NULL`);
    await q.query(`DROP INDEX executions_parent_idx`);
    await q.query(`CREATE INDEX executions_enforcement_created_idx ON executions (enforcement, created DESC, id DESC) WHERE enforcement IS NOT NULL`);
    await q.query(`DROP INDEX executions_enforcement_idx`);
    await q.query(`CREATE INDEX executions_executor_created_idx ON executions (executor, created DESC, id DESC) WHERE executor IS NOT NULL`);

    await q.query(`CREATE INDEX events_trigger_id_idx ON events (trigger, id DESC)`);
    await q.query(`DROP INDEX events_trigger_idx`);
    await q.query(`CREATE INDEX events_rule_ref_idx ON events (rule_ref, id DESC) WHERE rule_ref IS NOT NULL`);
    await q.query(`CREATE INDEX events_source_idx ON events (source, id DESC)`);

    await q.query(`CREATE INDEX enforcements_rule_id_idx ON enforcements (rule, id DESC)`);
    await q.query(`CREATE INDEX enforcements_status_idx ON enforcements (status, id DESC)`);

    await q.query(`CREATE INDEX artifacts_type_created_idx ON artifacts (type, created DESC, id DESC)`);
    await q.query(`CREATE INDEX artifacts_scope_owner_created_idx ON artifacts (scope, owner, created DESC, id DESC)`);
    await q.query(`DROP INDEX artifacts_scope_owner_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX artifacts_scope_owner_idx ON artifacts (scope, owner)`);
    await q.query(`DROP INDEX artifacts_scope_owner_created_idx`);
    await q.query(`DROP INDEX artifacts_type_created_idx`);
    await q.query(`DROP INDEX enforcements_status_idx`);
    await q.query(`DROP INDEX enforcements_rule_id_idx`);
    await q.query(`DROP INDEX events_source_idx`);
    await q.query(`DROP INDEX events_rule_ref_idx`);
    await q.query(`CREATE INDEX events_trigger_idx ON events (trigger)`);
    await q.query(`DROP INDEX events_trigger_id_idx`);
    await q.query(`DROP INDEX executions_executor_created_idx`);
    await q.query(`CREATE INDEX executions_enforcement_idx ON executions (enforcement) WHERE enforcement IS NOT NULL`);
    await q.query(`DROP INDEX executions_enforcement_created_idx`);
    await q.query(`CREATE INDEX executions_parent_idx ON executions (parent) WHERE parent IS NOT NULL`);
    await q.query(`DROP INDEX executions_parent_created_idx`);
    await q.query(`DROP INDEX executions_action_ref_status_created_idx`);
    await q.query(`CREATE INDEX executions_action_ref_idx ON executions (action_ref, created DESC)`);
    await q.query(`DROP INDEX executions_action_ref_created_idx`);
    await q.query(`DROP INDEX executions_status_created_idx`);
  }
}
