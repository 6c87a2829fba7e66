import type { AttuneEvent, Enforcement } from '@attune/api-client';
import type { Command } from 'commander';
import type { CliContext } from '../cli-context';
import { formatDate, statusColour } from '../output/format';
import { CREATED_COLUMN, ID_COLUMN } from './columns';
import { parseId } from './common';
import { addList, addShow, type Resource } from './resource';

export const EVENTS: Resource<AttuneEvent> = {
  path: '/api/v1/events',
  noun: 'event',
  key: 'id',
  columns: [
    ID_COLUMN,
    { header: 'TRIGGER', value: (e) => e.trigger_ref },
    { header: 'SOURCE', value: (e) => e.source },
    CREATED_COLUMN,
    { header: 'PAYLOAD', value: (e) => e.payload, max: 60 },
  ],
  fields: (e) => [
    ['Event', e.id],
    ['Trigger', e.trigger_ref],
    ['Source', e.source],
    ['Rule', e.rule_ref],
    ['Payload', e.payload],
    ['Created', formatDate(e.created)],
    ['Processed', formatDate(e.processed_at)],
  ],
  // What the event led to: its enforcements and their executions.
  more: async (e, ctx, opts) => {
    const list = await ctx.api.json<{ data: Enforcement[] }>('GET', '/api/v1/enforcements', { query: { event: e.id, per_page: 100 } });
    const items = list?.data ?? [];
    return '\nEnforcements:\n' + (items.length ? ctx.output(opts).render(items, ENFORCEMENTS.columns) : '  none\n');
  },
};

export const ENFORCEMENTS: Resource<Enforcement> = {
  path: '/api/v1/enforcements',
  noun: 'enforcement',
  key: 'id',
  columns: [
    ID_COLUMN,
    { header: 'RULE', value: (e) => e.rule_ref },
    { header: 'EVENT', value: (e) => e.event ?? '-', right: true },
    { header: 'STATUS', value: (e) => e.status, color: statusColour },
    { header: 'EXECUTIONS', value: (e) => (e.executions?.length ? e.executions.join(',') : '-') },
    CREATED_COLUMN,
  ],
  fields: (e) => [
    ['Enforcement', e.id],
    ['Rule', e.rule_ref],
    ['Trigger', e.trigger_ref],
    ['Event', e.event],
    ['Status', e.status],
    ['Error', e.error],
    ['Executions', e.executions?.length ? e.executions.join(', ') : '-'],
    ['Created', formatDate(e.created)],
    ['Resolved', formatDate(e.resolved_at)],
  ],
};

export function registerEventCommands(program: Command, ctx: CliContext): void {
  const event = program.command('event').description('List and inspect events (what triggers fired)');
  addList(event, ctx, EVENTS, { description: 'List events, newest first', filters: [{ flag: '--trigger <ref>', help: 'only events of this trigger', query: 'trigger_ref' }] });
  addShow(event, ctx, EVENTS, 'Show an event, its payload and the enforcements it caused');

  const enforcement = program.command('enforcement').description('List and inspect enforcements (a rule matching an event)');
  addList(enforcement, ctx, ENFORCEMENTS, {
    description: 'List enforcements, newest first',
    filters: [
      { flag: '--rule <ref>', help: 'only enforcements of this rule', query: 'rule_ref' },
      { flag: '--event <id>', help: 'only enforcements of this event', query: 'event', parse: (v) => parseId(v, '--event') },
      { flag: '--status <status>', help: 'only this status (created, processed, disabled)', query: 'status' },
    ],
  });
  addShow(enforcement, ctx, ENFORCEMENTS, 'Show an enforcement and the executions it created');
}
