import type { UserDetail, Worker } from '@attune/api-client';
import type { Command } from 'commander';
import type { CliContext } from '../cli-context';
import { formatDate, statusColour, yesNo } from '../output/format';
import { ID_COLUMN } from './columns';
import { type ListOpt, printList, withList } from './common';
import { addList, addShow, type Resource } from './resource';

export const USERS: Resource<UserDetail> = {
  path: '/api/v1/users',
  noun: 'user',
  key: 'id',
  columns: [
    ID_COLUMN,
    { header: 'LOGIN', value: (u) => u.login },
    { header: 'ROLES', value: (u) => u.roles.join(',') || '-' },
    { header: 'ACTIVE', value: (u) => yesNo(u.is_active), color: statusColour },
    { header: 'NAME', value: (u) => u.display_name, max: 40 },
  ],
  fields: (u) => [
    ['User', u.id],
    ['Login', u.login],
    ['Name', u.display_name],
    ['Roles', u.roles.join(', ') || '-'],
    ['Active', yesNo(u.is_active)],
    ['Created', formatDate(u.created)],
    ['Updated', formatDate(u.updated)],
  ],
};

const WORKER_COLUMNS = [
  { header: 'NAME', value: (w: Worker) => w.name },
  { header: 'POOL', value: (w: Worker) => w.pool },
  { header: 'STATUS', value: (w: Worker) => w.status, color: statusColour },
  { header: 'RUNTIMES', value: (w: Worker) => w.runtimes.join(',') },
  { header: 'RUNNING', value: (w: Worker) => `${w.running}/${w.capacity}`, right: true },
  { header: 'HEARTBEAT', value: (w: Worker) => formatDate(w.last_heartbeat) },
];

export function registerUserCommands(program: Command, ctx: CliContext): void {
  const user = program.command('user').description('List and inspect user accounts (admin)');
  addList(user, ctx, USERS, { description: 'List users (admin)' });
  addShow(user, ctx, USERS, 'Show a user and their roles (admin)');

  const worker = program.command('worker').description('List the workers and what they run');
  withList(worker.command('list').description('List the workers seen, with their runtimes and last heartbeat')).action((o: ListOpt) =>
    printList(ctx, o, { path: '/api/v1/workers', columns: WORKER_COLUMNS, empty: 'No workers.\n' }),
  );
}
