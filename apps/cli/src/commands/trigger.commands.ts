import type { Trigger } from '@attune/api-client';
import type { Command } from 'commander';
import type { CliContext } from '../cli-context';
import { formatDate, statusColour, yesNo } from '../output/format';
import { identityFields, REF_COLUMN } from './columns';
import { addAction, addList, addShow, type Resource } from './resource';

export const TRIGGERS: Resource<Trigger> = {
  path: '/api/v1/triggers',
  noun: 'trigger',
  key: 'ref',
  columns: [
    REF_COLUMN,
    { header: 'ENABLED', value: (t) => yesNo(t.enabled), color: statusColour },
    { header: 'WEBHOOK', value: (t) => yesNo(t.webhook_enabled) },
    { header: 'LABEL', value: (t) => t.description ?? t.label, max: 60 },
  ],
  fields: (t) => [
    ...identityFields(t),
    ['Enabled', yesNo(t.enabled)],
    ['Built in', yesNo(t.is_builtin)],
    ['Parameters', t.param_schema],
    ['Webhook', t.webhook_enabled ? (t.webhook_key ? `POST /api/v1/webhooks/${t.webhook_key}` : 'enabled') : 'disabled'],
    ['Updated', formatDate(t.updated)],
  ],
};

export function registerTriggerCommands(program: Command, ctx: CliContext): void {
  const trigger = program.command('trigger').description('List, inspect, enable, disable and delete triggers');
  addList(trigger, ctx, TRIGGERS, { description: 'List triggers', filters: [{ flag: '--pack <ref>', help: 'only the triggers of this pack', query: 'pack_ref' }] });
  addShow(trigger, ctx, TRIGGERS, 'Show a trigger and its webhook address');
  addAction(trigger, ctx, TRIGGERS, { name: 'enable', description: 'Enable a trigger (admin)', method: 'PUT', body: { enabled: true }, done: (ref) => `Trigger ${ref} enabled.\n` });
  addAction(trigger, ctx, TRIGGERS, { name: 'disable', description: 'Disable a trigger (admin)', method: 'PUT', body: { enabled: false }, done: (ref) => `Trigger ${ref} disabled.\n` });
  addAction(trigger, ctx, TRIGGERS, { name: 'delete', description: 'Delete a trigger (admin)', method: 'DELETE', done: (ref) => `Trigger ${ref} deleted.\n` });
}
