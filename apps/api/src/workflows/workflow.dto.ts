import { ACTION_REF_PATTERN, PACK_REF_PATTERN } from '@attune/contracts';
import type { ActionEntity } from '@attune/persistence';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsBoolean, IsNotEmpty, IsObject, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { PageQuery } from '../common/pagination';
import { packMember, timestamps } from '../common/records';
import { OptionalJsonObject } from '../common/field.decorators';

const DEFINITION_DOC =
  'The workflow YAML\'s content as JSON: `parameters` (or `param_schema`), `vars`, `tasks`, `output_map`, `timeout`, ' +
  '`cancellation_policy`, `config`. Validated when saved: a cycle in depends_on, a name in do/depends_on that is not a ' +
  'task, an expression that does not parse or an action that does not exist answers 422 naming ' +
  '`definition.tasks.<task>.<field>`, and nothing is saved. See docs/workflows.md.';
const PARAM_SCHEMA_DOC =
  'JSON Schema or the flat form `{name: {type, required?, default?, secret?}}`. When absent, the definition\'s `parameters` are used.';

export const WORKFLOW_EXAMPLE = {
  ref: 'examples.greet_twice',
  pack_ref: 'examples',
  label: 'Greet twice',
  description: 'Says hello, then says it louder',
  version: '1.0.0',
  tags: ['demo'],
  definition: {
    parameters: { name: { type: 'string', required: true } },
    tasks: [
      {
        name: 'greet',
        action: 'core.echo',
        input: { message: 'hello {{ parameters.name }}' },
        next: [{ when: '{{ succeeded() }}', publish: [{ greeting: '{{ result().stdout }}' }], do: ['shout'] }],
      },
      { name: 'shout', action: 'core.echo', input: { message: '{{ vars.greeting | upper }}' } },
    ],
    output_map: { greeting: '{{ vars.greeting }}' },
  },
};

/** `tags=a,b` or `tags=a&tags=b`. */
function tagList({ value }: { value: unknown }): unknown {
  const list = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : value;
  return Array.isArray(list) ? list.map((t) => String(t).trim()).filter(Boolean) : list;
}

function boolParam({ value }: { value: unknown }): unknown {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return value;
}

export class WorkflowListQuery extends PageQuery {
  @ApiPropertyOptional({ description: 'Only the workflows of this pack' }) @IsOptional() @IsString() pack_ref?: string;
  @ApiPropertyOptional({ description: 'Comma-separated: workflows carrying any of these tags', example: 'deploy,ci' })
  @IsOptional() @Transform(tagList) @IsString({ each: true }) @ArrayMaxSize(50)
  tags?: string[];
  @ApiPropertyOptional({ type: Boolean }) @IsOptional() @Transform(boolParam) @IsBoolean() enabled?: boolean;
  @ApiPropertyOptional({ description: 'Case-insensitive text in the ref, label or description' })
  @IsOptional() @IsString() @MaxLength(200)
  search?: string;
}

/** The writable fields shared by create and update. */
class WorkflowFieldsDto {
  @ApiPropertyOptional({ nullable: true, type: String }) @IsOptional() @IsString() @MaxLength(10_000) description?: string | null;
  @OptionalJsonObject({ description: PARAM_SCHEMA_DOC })
  param_schema?: Record<string, unknown>;
  @OptionalJsonObject({ nullable: true, description: 'JSON Schema of the output (output_map)' })
  out_schema?: Record<string, unknown> | null;
  @ApiPropertyOptional({ type: [String], example: ['deploy'] })
  @IsOptional() @IsString({ each: true }) @MaxLength(100, { each: true }) @ArrayMaxSize(50)
  tags?: string[];
  @ApiPropertyOptional({ default: true }) @IsOptional() @IsBoolean() enabled?: boolean;
}

export class CreateWorkflowDto extends WorkflowFieldsDto {
  @ApiProperty({ example: 'examples.greet_twice', description: 'pack.name; also the ref of the action that runs it' })
  @IsString() @Matches(ACTION_REF_PATTERN, { message: 'ref must look like pack.name (letters, digits, _ and -)' })
  ref!: string;
  @ApiProperty({ example: 'examples', description: 'The pack (it must exist); the pack of ref' })
  @IsString() @Matches(PACK_REF_PATTERN, { message: 'pack_ref must be a pack ref (lowercase letters, digits, _ and -)' })
  pack_ref!: string;
  @ApiProperty({ example: 'Greet twice' }) @IsString() @IsNotEmpty() @MaxLength(255) label!: string;
  @ApiProperty({ example: '1.0.0' }) @IsString() @IsNotEmpty() @MaxLength(64) version!: string;
  @ApiProperty({ type: 'object', additionalProperties: true, description: DEFINITION_DOC })
  @IsObject()
  definition!: Record<string, unknown>;
}

export class UpdateWorkflowDto extends WorkflowFieldsDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @IsNotEmpty() @MaxLength(255) label?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @IsNotEmpty() @MaxLength(64) version?: string;
  @OptionalJsonObject({ description: DEFINITION_DOC })
  definition?: Record<string, unknown>;
}

/** A workflow in a list: Attune's WorkflowSummary, with `enabled` and the number of tasks. */
export class WorkflowSummaryDto {
  @ApiProperty({ description: 'The id of the action that runs it' }) id!: number;
  @ApiProperty({ example: 'examples.sequential' }) ref!: string;
  @ApiProperty({ description: 'The pack\'s id' }) pack!: number;
  @ApiProperty() pack_ref!: string;
  @ApiProperty() label!: string;
  @ApiProperty({ nullable: true, type: String }) description!: string | null;
  @ApiProperty({ example: '1.0.0' }) version!: string;
  @ApiProperty({ type: [String] }) tags!: string[];
  @ApiProperty() enabled!: boolean;
  @ApiProperty({ description: 'How many tasks the definition has' }) task_count!: number;
  @ApiProperty({ description: 'True when created over the API, false when registered from a pack' }) is_adhoc!: boolean;
  @ApiProperty() created!: string;
  @ApiProperty() updated!: string;
}

/** One workflow: Attune's WorkflowResponse, with `enabled` and where its file lives in its pack. */
export class WorkflowDto extends WorkflowSummaryDto {
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'Always JSON Schema: the workflow\'s parameters' }) param_schema!: Record<string, unknown>;
  @ApiProperty({ type: 'object', additionalProperties: true, nullable: true }) out_schema!: Record<string, unknown> | null;
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The definition as written' }) definition!: Record<string, unknown>;
  @ApiProperty({ example: 'actions/workflows/sequential.workflow.yaml', description: 'The workflow file in its pack (the action\'s entrypoint)' })
  workflow_file!: string;
  @ApiProperty({ nullable: true, type: Number, description: 'The whole run\'s limit in seconds (the definition\'s timeout)' })
  timeout_seconds!: number | null;
}

function taskCount(definition: Record<string, unknown> | null): number {
  return Array.isArray(definition?.tasks) ? definition.tasks.length : 0;
}

export function toWorkflowSummaryDto(a: ActionEntity): WorkflowSummaryDto {
  return {
    ...packMember(a),
    version: a.workflowVersion ?? '',
    tags: a.tags ?? [],
    enabled: a.enabled,
    task_count: taskCount(a.workflowDefinition),
    is_adhoc: a.isAdhoc ?? false,
    ...timestamps(a),
  };
}

export function toWorkflowDto(a: ActionEntity): WorkflowDto {
  return {
    ...toWorkflowSummaryDto(a),
    param_schema: a.paramSchema,
    out_schema: a.outSchema,
    definition: a.workflowDefinition ?? {},
    workflow_file: a.entrypoint,
    timeout_seconds: a.timeoutSeconds,
  };
}

// ---- GET /api/v1/executions/{id}/workflow ----

export class WorkflowTaskRunDto {
  @ApiProperty({ nullable: true, type: Number, description: 'The child execution (null while a retry waits for its delay)' })
  execution!: number | null;
  @ApiProperty({ nullable: true, type: Number, description: 'The item\'s index for with_items' }) item_index!: number | null;
  @ApiProperty({ description: '1 for the first run; each retry counts up' }) attempt!: number;
  @ApiProperty({ description: 'The child execution\'s status' }) status!: string;
  @ApiProperty({ description: 'True when the child is itself a workflow run (a sub-workflow): it has a view of its own' }) workflow!: boolean;
  @ApiProperty({ nullable: true, type: String }) started_at!: string | null;
  @ApiProperty({ nullable: true, type: String }) finished_at!: string | null;
}

export class WorkflowItemsDto {
  @ApiProperty() total!: number;
  @ApiProperty() done!: number;
}

export class WorkflowNodeDto {
  @ApiProperty({ example: 'build' }) task!: string;
  @ApiProperty({ example: 'core.echo', description: 'The action or workflow the task runs' }) action!: string;
  @ApiProperty({
    example: 'running',
    description:
      'The task\'s status as the engine records it (e.g. pending, running, succeeded, failed); `pending` before the engine has ' +
      'reached it, `skipped` when the run ended without reaching it',
  })
  status!: string;
  @ApiProperty({ type: [Number], description: 'Its child executions, by item then attempt' }) executions!: number[];
  @ApiProperty({ type: [WorkflowTaskRunDto] }) runs!: WorkflowTaskRunDto[];
  @ApiProperty({ nullable: true, type: WorkflowItemsDto, description: 'For with_items: how many items, and how many ended' })
  items!: WorkflowItemsDto | null;
  @ApiProperty({ nullable: true, type: String }) started_at!: string | null;
  @ApiProperty({ nullable: true, type: String }) finished_at!: string | null;
}

export class WorkflowEdgeViewDto {
  @ApiProperty() from!: string;
  @ApiProperty() to!: string;
  @ApiProperty({ nullable: true, type: String, example: '{{ succeeded() }}', description: 'The transition\'s condition; null: always' })
  when!: string | null;
  @ApiProperty({ enum: ['transition', 'depends_on'] }) kind!: string;
}

export class WorkflowViewDto {
  @ApiProperty({ description: 'The parent execution' }) execution!: number;
  @ApiProperty({ example: 'examples.sequential', description: 'The workflow that runs' }) definition_ref!: string;
  @ApiProperty({ description: 'The parent execution\'s status' }) status!: string;
  @ApiProperty({ nullable: true, type: String, description: 'Why the run failed, when the engine recorded a reason' }) error!: string | null;
  @ApiProperty({ type: [WorkflowNodeDto], description: 'One per task, in the definition\'s order' }) nodes!: WorkflowNodeDto[];
  @ApiProperty({ type: [WorkflowEdgeViewDto] }) edges!: WorkflowEdgeViewDto[];
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'The run\'s variables (vars and what publish set)' }) vars!: Record<string, unknown>;
}

