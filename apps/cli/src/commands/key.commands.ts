import type { Key } from '@attune/api-client';
import type { Command } from 'commander';
import type { CliContext } from '../cli-context';
import { usageError } from '../errors/exit-codes';
import { formatDate, yesNo } from '../output/format';
import { positiveInt } from '../params/parse-params';
import { type JsonOpt, printList, withJson, withLimit } from './common';

interface ScopeOpts {
  scope?: string;
  owner?: string;
}

const SCOPE_HELP = 'system (default), user (or identity) or pack';
const valueText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

function scoped(cmd: Command): Command {
  return cmd.option('--scope <scope>', SCOPE_HELP).option('--owner <owner>', 'the login (user keys; default: you) or the pack ref (pack keys)');
}

/** A key argument: a name (with --scope/--owner) or a canonical ref such as pack.github.token. */
function keyPath(name: string): string {
  if (!name.trim()) throw usageError('give a key name or ref');
  return `/api/v1/keys/${encodeURIComponent(name.trim())}`;
}

function scopeQuery(opts: ScopeOpts) {
  return { scope: opts.scope, owner: opts.owner };
}

export function registerKeyCommands(program: Command, ctx: CliContext): void {
  const key = program.command('key').description('The datastore: key-value pairs that actions and rules read ({{ keystore.<name> }})');

  const list = key
    .command('list')
    .description('List keys (encrypted values masked)')
    .option('--scope <scope>', SCOPE_HELP)
    .option('--owner <owner>', 'only this owner (login or pack ref)')
    .option('--name <text>', 'names containing this text');
  withJson(withLimit(list)).action((opts: JsonOpt & ScopeOpts & { name?: string; limit: number }) =>
    printList<Key>(ctx, opts, {
      path: '/api/v1/keys',
      query: { ...scopeQuery(opts), name: opts.name },
      columns: [
        { header: 'REF', value: (k) => k.ref, max: 50 },
        { header: 'VALUE', value: (k) => valueText(k.value), max: 40 },
        { header: 'ENCRYPTED', value: (k) => yesNo(k.encrypted) },
        { header: 'EXPIRES', value: (k) => (k.expires_at ? formatDate(k.expires_at) : '') },
        { header: 'UPDATED', value: (k) => formatDate(k.updated) },
      ],
      empty: 'No keys.\n',
    }),
  );

  withJson(
    scoped(key.command('get').description('Show a key').argument('<name>', 'key name, or a ref such as pack.github.token'))
      .option('--decrypt', 'show an encrypted value (yours, or any as an admin)'),
  ).action(async (name: string, opts: JsonOpt & ScopeOpts & { decrypt?: boolean }) => {
    const k = await ctx.api.get<Key>(keyPath(name), { ...scopeQuery(opts), decrypt: opts.decrypt ? 'true' : undefined });
    ctx.output(opts).fields(k, [
      ['Ref', k.ref],
      ['Value', valueText(k.value)],
      ['Encrypted', yesNo(k.encrypted)],
      ['Expires', k.expires_at ? `${formatDate(k.expires_at)} (in ${k.ttl} s)` : 'never'],
      ['Created by', k.created_by ?? ''],
      ['Updated', formatDate(k.updated)],
    ]);
  });

  withJson(
    scoped(
      key
        .command('set')
        .description('Create a key or replace its value')
        .argument('<name>', 'key name, or a ref such as pack.github.token')
        .argument('<value>', 'the value (text; with --json-value, JSON)'),
    )
      .option('--encrypt', 'store the value encrypted; it is shown masked')
      .option('--ttl <seconds>', 'delete the key after this many seconds', positiveInt('--ttl'))
      .option('--json-value', 'parse <value> as JSON (an object, a number…)'),
  ).action(async (name: string, raw: string, opts: JsonOpt & ScopeOpts & { encrypt?: boolean; ttl?: number; jsonValue?: boolean }) => {
    let value: unknown = raw;
    if (opts.jsonValue) {
      try {
        value = JSON.parse(raw);
      } catch {
        throw usageError('--json-value: <value> is not valid JSON');
      }
    }
    const k = await ctx.api.data<Key>('PUT', keyPath(name), {
      query: scopeQuery(opts),
      json: { value, encrypted: opts.encrypt === true, ...(opts.ttl ? { ttl: opts.ttl } : {}) },
    });
    ctx.output(opts).result(k, () => `Set ${k.ref}${k.encrypted ? ' (encrypted)' : ''}${k.ttl ? `, expires in ${k.ttl} s` : ''}\n`);
  });

  withJson(scoped(key.command('delete').description('Delete a key').argument('<name>', 'key name, or a ref such as pack.github.token'))).action(
    async (name: string, opts: JsonOpt & ScopeOpts) => {
      await ctx.api.json('DELETE', keyPath(name), { query: scopeQuery(opts) });
      ctx.output(opts).result({ deleted: name }, () => `Deleted ${name}\n`);
    },
  );
}
