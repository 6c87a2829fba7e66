// Short names for the api's schemas and enums, all taken from the generated `schema.ts`.
import {
  artifactDtoOriginValues,
  artifactDtoScopeValues,
  artifactDtoTypeValues,
  type components,
  enforcementDtoStatusValues,
  executionCleanupItemDtoStatusValues,
  executionDtoStatusValues,
  userDetailDtoRolesValues,
} from './schema';

type Schemas = components['schemas'];

export type ApiErrorBody = Schemas['ErrorDto'];
export type ErrorCode = ApiErrorBody['code'];
/** One entry of a 422's `details`. */
export type FieldError = Schemas['ErrorDetailDto'];

export type Pagination = Schemas['PaginationDto'];
export type CursorPagination = Schemas['CursorPaginationDto'];
/** A list answer: `{data, pagination}` (numbered pages, or cursor pages for executions, events, enforcements, artifacts). */
export interface Page<T> {
  data: T[];
  pagination: Pagination | CursorPagination;
}

export type User = Schemas['UserDto'];
export type Me = Schemas['MeDto'];
export type UserDetail = Schemas['UserDetailDto'];
export type Tokens = Schemas['TokensDto'];
export type Role = UserDetail['roles'][number];
export type ApiKey = Schemas['ApiKeyDto'];
export type CreatedApiKey = Schemas['CreatedApiKeyDto'];

export type Execution = Schemas['ExecutionDto'];
export type ExecutionResult = Schemas['ExecutionResultDto'];
export type ExecutionStatus = Execution['status'];
export type ExecutionCleanupReport = Schemas['ExecutionCleanupReportDto'];
export type Worker = Schemas['WorkerDto'];

export type Pack = Schemas['PackDto'];
export type PackVersion = Schemas['PackVersionDto'];
export type PackUploadResult = Schemas['PackUploadResultDto'];
export type PackRegisterResult = Schemas['PackRegisterResultDto'];
export type Action = Schemas['ActionDto'];

export type Artifact = Schemas['ArtifactDto'];
export type ArtifactSummary = Schemas['ArtifactSummaryDto'];
export type ArtifactVersion = Schemas['ArtifactVersionDto'];
export type ArtifactType = Artifact['type'];
export type ArtifactScope = Artifact['scope'];
export type ArtifactOrigin = Artifact['origin'];
export type ArtifactCleanupReport = Schemas['CleanupReportDto'];
export type ExecutionManifest = Schemas['ManifestDto'];

export type Trigger = Schemas['TriggerDto'];
export type Rule = Schemas['RuleDto'];
export type RuleCondition = Schemas['RuleConditionDto'];
export type AttuneEvent = Schemas['EventDto'];
export type Enforcement = Schemas['EnforcementDto'];
export type EnforcementStatus = Enforcement['status'];

export type WorkflowSummary = Schemas['WorkflowSummaryDto'];
export type Workflow = Schemas['WorkflowDto'];
/** GET /api/v1/executions/{id}/workflow: a workflow run's task graph. */
export type WorkflowGraph = Schemas['WorkflowViewDto'];
export type WorkflowNode = Schemas['WorkflowNodeDto'];
export type WorkflowEdge = Schemas['WorkflowEdgeViewDto'];
export type WorkflowTaskRun = Schemas['WorkflowTaskRunDto'];

export type Key = Schemas['KeyDto'];
export type Inquiry = Schemas['InquiryDto'];

export const EXECUTION_STATUSES: readonly ExecutionStatus[] = executionDtoStatusValues;
/** The statuses an execution never leaves. */
export const TERMINAL_STATUSES: readonly ExecutionStatus[] = executionCleanupItemDtoStatusValues;
export const isTerminal = (status: string): boolean => (TERMINAL_STATUSES as readonly string[]).includes(status);
export const ARTIFACT_TYPES: readonly ArtifactType[] = artifactDtoTypeValues;
export const ARTIFACT_SCOPES: readonly ArtifactScope[] = artifactDtoScopeValues;
export const ARTIFACT_ORIGINS: readonly ArtifactOrigin[] = artifactDtoOriginValues;
export const ENFORCEMENT_STATUSES: readonly EnforcementStatus[] = enforcementDtoStatusValues;
export const ROLES: readonly Role[] = userDetailDtoRolesValues;
