import { Body, Param, Query } from '@nestjs/common';
import { CurrentPrincipal, type Principal } from '../auth/auth.decorators';
import { idPipe } from '../common/id.pipe';
import { ApiCommandRoute, ApiController, ApiGetRoute, ApiListRoute } from '../common/openapi.decorators';
import { paginated, type Paginated } from '../common/pagination';
import { InquiryDto, InquiryListQuery, RespondInquiryDto, toInquiryDto } from './inquiry.dto';
import { InquiriesService } from './inquiries.service';

@ApiController('inquiries', 'api/v1/inquiries')
export class InquiriesController {
  constructor(private readonly inquiries: InquiriesService) {}

  @ApiListRoute({ summary: 'List inquiries (newest first)', description: 'Questions asked by core.inquiry executions; `?status=pending` lists the open ones.' }, InquiryDto, 'page')
  async list(@Query() q: InquiryListQuery): Promise<Paginated<InquiryDto>> {
    const { items, total } = await this.inquiries.list({ status: q.status, execution: q.execution }, q.page, q.per_page);
    return paginated(items.map(toInquiryDto), total, q);
  }

  @ApiGetRoute('viewer', ':id', InquiryDto, [400, 404], {
    summary: 'Get an inquiry',
    description: 'Its question, answer schema, who may answer, its status and, once answered, the response.',
  })
  async get(@Param('id', idPipe) id: number): Promise<{ data: InquiryDto }> {
    return { data: toInquiryDto(await this.inquiries.get(id)) };
  }

  @ApiCommandRoute('viewer', ':id/respond', InquiryDto, [400, 404, 409, 422, 503], {
    summary: 'Answer an inquiry',
    description:
      "The answer (`response`, or `data`) must match the inquiry's schema (422 naming each failing field). Admins may always answer; otherwise a login " +
      'in `assigned_to`, or, when nobody is assigned, a holder of one of `roles` (default operator): 403 for anyone else. 409 once the inquiry is ' +
      "settled or past its timeout. The execution then completes with the answer in result.data; the answer shows `status: responded` once " +
      'the executor has recorded it (usually before this returns).',
  })
  async respond(@CurrentPrincipal() principal: Principal, @Param('id', idPipe) id: number, @Body() body: RespondInquiryDto): Promise<{ data: InquiryDto }> {
    return { data: toInquiryDto(await this.inquiries.respond(principal, id, body.response ?? body.data)) };
  }
}
