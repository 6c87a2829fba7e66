/**
 * `created`: the rule matched and the enforcement is recorded; its execution is not created yet.
 * `processed`: resolved: its execution was created, or `error` says why none could be (the
 * parameters rendered from the event fail the action's schema).
 * `disabled`: the rule matched but its action is disabled or gone; no execution.
 */
export const ENFORCEMENT_STATUSES = ['created', 'processed', 'disabled'] as const;
export type EnforcementStatus = (typeof ENFORCEMENT_STATUSES)[number];

/** Where an event came from. */
export const EVENT_SOURCES = ['webhook', 'api', 'timer'] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];
