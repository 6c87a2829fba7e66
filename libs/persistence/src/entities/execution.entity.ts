import type { ExecutionResult, ExecutionStatus, WorkflowTaskRef } from '@attune/contracts';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/**
 * One run of an action. `api` inserts it (status `requested`); every later write is the
 * executor's, through the guarded transitions of ExecutionRepository.
 */
@Entity({ name: 'executions' })
export class ExecutionEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: number;
  @Column({ type: 'bigint', nullable: true }) action!: number | null;
  @Column({ type: 'text', name: 'action_ref' }) actionRef!: string;
  /** The parameters after defaults. */
  @Column({ type: 'jsonb', default: () => "'{}'" }) config!: Record<string, unknown>;
  /** The secret parameters' values, encrypted (ParameterSecrets); `config` shows them masked. */
  @Column({ type: 'text', name: 'secret_parameters', nullable: true }) secretParameters!: string | null;
  @Column({ type: 'jsonb', name: 'env_vars', default: () => "'{}'" }) envVars!: Record<string, string>;
  @Column({ type: 'bigint', nullable: true }) parent!: number | null;
  /** Set on a workflow's task runs: `{workflow_execution, task_name, task_index?, attempt}`. */
  @Column({ type: 'jsonb', name: 'workflow_task', nullable: true }) workflowTask!: WorkflowTaskRef | null;
  @Column({ type: 'bigint', nullable: true }) enforcement!: number | null;
  /** The identity that requested the execution. */
  @Column({ type: 'bigint', nullable: true }) executor!: number | null;
  @Column({ type: 'text', nullable: true }) worker!: string | null;
  @Column({ type: 'text' }) status!: ExecutionStatus;
  @Column({ type: 'jsonb', nullable: true }) result!: ExecutionResult | null;
  @Column({ type: 'integer', name: 'timeout_seconds' }) timeoutSeconds!: number;
  /** Dispatch attempt: 1, then +1 for each re-dispatch after a lost worker. */
  @Column({ type: 'integer', default: 1 }) attempt!: number;
  /** The pack archive (SHA-256) the run uses, fixed when it was first scheduled. */
  @Column({ type: 'text', name: 'pack_digest', nullable: true }) packDigest!: string | null;
  /** Set while the execution waits in `scheduled` for a worker that can run it; says why. */
  @Column({ type: 'text', name: 'waiting_reason', nullable: true }) waitingReason!: string | null;
  @Column({ type: 'timestamptz', name: 'started_at', nullable: true }) startedAt!: Date | null;
  @Column({ type: 'timestamptz', name: 'finished_at', nullable: true }) finishedAt!: Date | null;
  @CreateDateColumn({ type: 'timestamptz' }) created!: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updated!: Date;
}
