import type { Inquiry } from '@attune/api-client';
import type { Command } from 'commander';
import type { CliContext } from '../cli-context';
import { usageError } from '../errors/exit-codes';
import { formatDate } from '../output/format';
import { type JsonOpt, parseId, printList, withJson, withLimit } from './common';

export function registerInquiryCommands(program: Command, ctx: CliContext): void {
  const inquiry = program.command('inquiry').description('Questions that running workflows ask people (core.inquiry)');

  const list = inquiry
    .command('list')
    .description('List inquiries (the pending ones unless --status says otherwise)')
    .option('--status <status>', 'pending, responded, timeout, cancelled or all', 'pending');
  withJson(withLimit(list)).action((opts: JsonOpt & { status: string; limit: number }) =>
    printList<Inquiry>(ctx, opts, {
      path: '/api/v1/inquiries',
      query: { status: opts.status === 'all' ? undefined : opts.status },
      columns: [
        { header: 'ID', value: (i) => String(i.id) },
        { header: 'EXECUTION', value: (i) => String(i.execution) },
        { header: 'STATUS', value: (i) => i.status },
        { header: 'PROMPT', value: (i) => i.prompt ?? i.title ?? '', max: 50 },
        { header: 'ASSIGNED TO', value: (i) => i.assigned_to.join(', '), max: 30 },
        { header: 'TIMEOUT', value: (i) => (i.timeout_at ? formatDate(i.timeout_at) : '') },
      ],
      empty: 'No inquiries.\n',
    }),
  );

  withJson(inquiry.command('show').description('Show an inquiry with the schema of its answer').argument('<id>', 'inquiry id')).action(
    async (id: string, opts: JsonOpt) => {
      const i = await ctx.api.get<Inquiry>(`/api/v1/inquiries/${parseId(id, 'inquiry id')}`);
      ctx.output(opts).fields(i, [
        ['Id', i.id],
        ['Execution', i.execution],
        ['Status', i.status],
        ['Prompt', i.prompt ?? i.title ?? ''],
        ['Assigned to', i.assigned_to.join(', ') || '(anyone with the role)'],
        ['Schema', JSON.stringify(i.schema)],
        ['Response', i.response ? JSON.stringify(i.response) : ''],
        ['Timeout', i.timeout_at ? formatDate(i.timeout_at) : ''],
      ]);
    },
  );

  withJson(
    inquiry
      .command('respond')
      .description("Answer an inquiry; the answer must match its schema (see `inquiry show`)")
      .argument('<id>', 'inquiry id')
      .requiredOption('--data <json>', 'the answer as a JSON object, e.g. \'{"approved": true}\''),
  ).action(async (id: string, opts: JsonOpt & { data: string }) => {
    let response: unknown;
    try {
      response = JSON.parse(opts.data);
    } catch {
      throw usageError('--data is not valid JSON');
    }
    if (!response || typeof response !== 'object' || Array.isArray(response)) throw usageError('--data must be a JSON object');
    const i = await ctx.api.data<Inquiry>('POST', `/api/v1/inquiries/${parseId(id, 'inquiry id')}/respond`, { json: { response } });
    ctx.output(opts).result(i, () => `Inquiry ${i.id} ${i.status === 'responded' ? 'answered' : `is ${i.status}`}; execution ${i.execution} continues\n`);
  });
}
