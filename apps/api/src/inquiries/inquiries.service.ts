import { DomainError, type ExecutionInquiryResponseV1, type JsonSchemaObject, MessageTypes, ParameterSchemaValidator } from '@attune/contracts';
import { MessagePublisher } from '@attune/messaging';
import { type InquiryFilter, type InquiryRecord, InquiryRepository } from '@attune/persistence';
import { Injectable } from '@nestjs/common';
import { type Principal, type Role, roleRank, ROLES } from '../auth/auth.decorators';
import { ApiConfig } from '../config/api.config';
import { found } from '../common/found';

/**
 * Inquiries as users see them. The api never writes an inquiry or its execution: an answer
 * that passes every check here is published to the executor (which owns both), and the
 * request waits briefly for it to be recorded.
 */
@Injectable()
export class InquiriesService {
  private readonly validator = new ParameterSchemaValidator();

  constructor(
    private readonly inquiries: InquiryRepository,
    private readonly publisher: MessagePublisher,
    private readonly config: ApiConfig,
  ) {}

  list(filter: InquiryFilter, page: number, perPage: number) {
    return this.inquiries.list(filter, page, perPage);
  }

  async get(id: number): Promise<InquiryRecord> {
    return found(await this.inquiries.findById(id), `inquiry ${id}`);
  }

  async respond(principal: Principal, id: number, answer: Record<string, unknown> | undefined): Promise<InquiryRecord> {
    // An action may not answer (its own or any) inquiry: approvals come from people.
    if (principal.kind !== 'user') throw new DomainError('FORBIDDEN', 'inquiries are answered by users, not by execution tokens');
    const inquiry = await this.get(id);
    if (inquiry.status !== 'pending') throw new DomainError('CONFLICT', `inquiry ${id} is already ${inquiry.status}`, { status: inquiry.status });
    if (inquiry.timeoutAt && new Date(inquiry.timeoutAt).getTime() <= Date.now()) throw new DomainError('CONFLICT', `inquiry ${id} has timed out`, { status: 'timeout' });
    this.assertMayAnswer(principal, inquiry);
    if (answer === undefined) throw new DomainError('VALIDATION_ERROR', 'response is required', [{ field: 'response', message: 'is required: the answer as a JSON object' }]);
    const checked = this.validator.check(inquiry.schema as JsonSchemaObject, answer, { cacheKey: `inquiry:${inquiry.id}` });
    if (!checked.ok) {
      throw new DomainError('VALIDATION_ERROR', "the answer does not match the inquiry's schema", checked.problems.map(({ field, message }) => ({ field, message })));
    }
    const msg: ExecutionInquiryResponseV1 = { inquiry_id: inquiry.id, execution_id: inquiry.execution, response: checked.value, responded_by: principal.login };
    try {
      await this.publisher.publish(MessageTypes.ExecutionInquiryResponse, msg, { correlationId: `execution:${inquiry.execution}` });
    } catch {
      throw new DomainError('SERVICE_UNAVAILABLE', 'the message broker is unreachable; try again');
    }
    const deadline = Date.now() + this.config.inquiryRespondWaitMs;
    let latest = inquiry;
    while (latest.status === 'pending' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      latest = (await this.inquiries.findById(id)) ?? latest;
    }
    return latest;
  }

  /** Admins always; otherwise a login in assigned_to, or (nobody assigned) a role in `roles` (default operator). */
  private assertMayAnswer(principal: Extract<Principal, { kind: 'user' }>, inquiry: InquiryRecord): void {
    const rank = roleRank(principal.roles);
    if (rank >= ROLES.indexOf('admin') + 1) return;
    if (inquiry.assignedTo.length) {
      if (inquiry.assignedTo.includes(principal.login.toLowerCase())) return;
      throw new DomainError('FORBIDDEN', `inquiry ${inquiry.id} is assigned to ${inquiry.assignedTo.join(', ')}`);
    }
    const roles = inquiry.roles.length ? inquiry.roles : ['operator'];
    const allowed = roles.some((r) => (ROLES.includes(r as Role) ? rank >= ROLES.indexOf(r as Role) + 1 : principal.roles.includes(r)));
    if (!allowed) throw new DomainError('FORBIDDEN', `answering inquiry ${inquiry.id} needs the role ${roles.join(' or ')}`);
  }
}
