import type { Rule } from '@attune/api-client';
import type { Command } from 'commander';
import type { CliContext } from '../cli-context';
import { formatDate, statusColour, yesNo } from '../output/format';
import { identityFields, REF_COLUMN } from './columns';
import { addAction, addList, addShow, type Resource } from './resource';

export const RULES: Resource<Rule> = {
  path: '/api/v1/rules',
  noun: 'rule',
  key: 'ref',
  columns: [
    REF_COLUMN,
    { header: 'TRIGGER', value: (r) => r.trigger_ref },
    { header: 'ACTION', value: (r) => r.action_ref },
    { header: 'ENABLED', value: (r) => yesNo(r.enabled), color: statusColour },
    { header: 'LABEL', value: (r) => r.label, max: 60 },
  ],
  fields: (r) => [
    ...identityFields(r),
    ['Enabled', yesNo(r.enabled)],
    ['Trigger', r.trigger_ref],
    ['Trigger params', r.trigger_params],
    ['Conditions', r.conditions],
    ['Match', r.condition],
    ['Action', r.action_ref],
    ['Action params', r.action_params],
    ['Updated', formatDate(r.updated)],
  ],
};

export function registerRuleCommands(program: Command, ctx: CliContext): void {
  const rule = program.command('rule').description('List, inspect, enable, disable and delete rules (a trigger\'s events run an action)');
  addList(rule, ctx, RULES, {
    description: 'List rules',
    filters: [
      { flag: '--pack <ref>', help: 'only the rules of this pack', query: 'pack_ref' },
      { flag: '--trigger <ref>', help: 'only rules on this trigger', query: 'trigger_ref' },
      { flag: '--action <ref>', help: 'only rules running this action', query: 'action_ref' },
    ],
  });
  addShow(rule, ctx, RULES, 'Show a rule: its trigger, conditions and action');
  addAction(rule, ctx, RULES, { name: 'enable', description: 'Enable a rule (admin)', method: 'POST', suffix: '/enable', done: (ref) => `Rule ${ref} enabled.\n` });
  addAction(rule, ctx, RULES, { name: 'disable', description: 'Disable a rule (admin)', method: 'POST', suffix: '/disable', done: (ref) => `Rule ${ref} disabled.\n` });
  addAction(rule, ctx, RULES, { name: 'delete', description: 'Delete a rule (admin)', method: 'DELETE', done: (ref) => `Rule ${ref} deleted.\n` });
}
