import { type ArtifactDeclaration, type ExecutionDispatchV1, parseArtifactDeclarations } from '@attune/contracts';
import { artifactRetentionPolicy, type WorkflowDefinition } from '@attune/workflows';

export type ArtifactDispatchFields = Pick<ExecutionDispatchV1, 'artifacts' | 'consumes' | 'artifact_config'>;

/**
 * What a dispatch says about files (the contract's "Task artifacts"): the action's declared
 * artifacts, then, for a workflow's task, the task's own, the artifacts it consumes from its run
 * and the run's `config` (checksums, compression, retention), from the definition the run started with.
 */
export function artifactDispatchFields(
  actionArtifacts: ArtifactDeclaration[] | undefined,
  definition: WorkflowDefinition | null,
  taskName: string | undefined,
): ArtifactDispatchFields {
  const task = taskName ? definition?.tasks.find((t) => t.name === taskName) : undefined;
  const artifacts = [...(actionArtifacts ?? []), ...parseArtifactDeclarations(task?.artifacts ?? []).declarations];
  const out: ArtifactDispatchFields = artifacts.length ? { artifacts } : {};
  if (!definition || !task) return out;
  if (task.consumes.length) out.consumes = task.consumes;
  const retention = artifactRetentionPolicy(definition.config.artifactRetention);
  out.artifact_config = {
    verify_checksums: definition.config.verifyChecksums,
    artifact_compression: definition.config.artifactCompression,
    ...(retention ?? {}),
  };
  return out;
}
