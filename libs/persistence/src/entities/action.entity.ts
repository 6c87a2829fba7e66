import type { ActionRuntime, ArtifactDeclaration, JsonSchemaObject, OutputFormat, WorkerLostPolicy } from '@attune/contracts';
import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'actions' })
export class ActionEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: number;
  @Column({ type: 'text', unique: true }) ref!: string;
  @Index() @Column({ type: 'bigint', name: 'pack_id' }) packId!: number;
  @Column({ type: 'text', name: 'pack_ref' }) packRef!: string;
  @Column({ type: 'text' }) label!: string;
  @Column({ type: 'text', nullable: true }) description!: string | null;
  @Column({ type: 'text' }) runtime!: ActionRuntime;
  @Column({ type: 'text' }) entrypoint!: string;
  /** True when `entrypoint` is inline script text (shell only) rather than a path in the pack. */
  @Column({ type: 'boolean', name: 'entrypoint_inline', default: false }) entrypointInline!: boolean;
  /** Always stored in the normalised JSON Schema form. */
  @Column({ type: 'jsonb', name: 'param_schema' }) paramSchema!: JsonSchemaObject;
  @Column({ type: 'jsonb', name: 'out_schema', nullable: true }) outSchema!: JsonSchemaObject | null;
  @Column({ type: 'text', name: 'output_format', default: 'text' }) outputFormat!: OutputFormat;
  @Column({ type: 'integer', name: 'timeout_seconds', nullable: true }) timeoutSeconds!: number | null;
  @Column({ type: 'boolean', default: true }) enabled!: boolean;
  /** What happens to an execution whose worker is lost mid-run (see WORKER_LOST_POLICIES). */
  @Column({ type: 'text', name: 'on_worker_lost', default: 'abandon' }) onWorkerLost!: WorkerLostPolicy;
  /** Bytes kept of each of stdout and stderr of a run; null: the worker's default. */
  @Column({ type: 'bigint', name: 'max_log_bytes', nullable: true }) maxLogBytes!: number | null;
  /** Created over the API (POST /actions) rather than registered from a pack archive (Attune's is_adhoc). */
  @Column({ type: 'boolean', name: 'is_adhoc', default: false }) isAdhoc!: boolean;
  /**
   * A workflow's definition (runtime `workflow`) as written: the workflow YAML's content, or the
   * `definition` of POST /api/v1/workflows. Validated when saved; null for script actions.
   */
  @Column({ type: 'jsonb', name: 'workflow_definition', nullable: true }) workflowDefinition!: Record<string, unknown> | null;
  /** A workflow's own version string (POST /api/v1/workflows `version`). */
  @Column({ type: 'text', name: 'workflow_version', nullable: true }) workflowVersion!: string | null;
  @Column({ type: 'jsonb', default: () => "'[]'" }) tags!: string[];
  /** Files the worker keeps after each run (`[{path, name?, type?, required?, when?}]`). */
  @Column({ type: 'jsonb', default: () => "'[]'" }) artifacts!: ArtifactDeclaration[];
  @CreateDateColumn({ type: 'timestamptz' }) created!: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updated!: Date;
}
