import { Get, Param } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import { RequireRole } from '../auth/auth.decorators';
import { OwnExecutionOnly } from '../auth/execution-scope.guard';
import { idPipe } from '../common/id.pipe';
import { ApiController, ApiDataListResponse, ApiErrors, ApiGetRoute } from '../common/openapi.decorators';
import { ArtifactSummaryDto, ManifestDto } from './artifact.dto';
import { ExecutionArtifacts } from './execution-artifacts.service';

/** The artifacts of one execution, and its manifest (ExecutionArtifacts). */
@ApiController('executions', 'api/v1/executions')
export class ExecutionArtifactsController {
  constructor(private readonly executionArtifacts: ExecutionArtifacts) {}

  @Get(':id/artifacts')
  @RequireRole('viewer')
  @OwnExecutionOnly()
  @ApiOperation({ summary: 'Artifacts linked to an execution, oldest first' })
  @ApiDataListResponse(ArtifactSummaryDto)
  @ApiErrors(400, 404)
  async list(@Param('id', idPipe) id: number): Promise<{ data: ArtifactSummaryDto[] }> {
    return { data: await this.executionArtifacts.list(id) };
  }

  @ApiGetRoute('viewer', ':id/manifest', ManifestDto, [400, 404], {
    summary: "The execution's durable run record: its artifacts and every version with size, sha256 and download path",
  })
  @OwnExecutionOnly()
  async manifest(@Param('id', idPipe) id: number): Promise<{ data: ManifestDto }> {
    return { data: await this.executionArtifacts.manifest(id) };
  }
}
