import type { JsonSchemaObject } from '@attune/contracts';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** Something that fires events: a webhook trigger, a custom trigger, or a built-in timer. Written by the api. */
@Entity({ name: 'triggers' })
export class TriggerEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: number;
  @Column({ type: 'text', unique: true }) ref!: string;
  @Column({ type: 'bigint', name: 'pack_id' }) packId!: number;
  @Column({ type: 'text', name: 'pack_ref' }) packRef!: string;
  @Column({ type: 'text' }) label!: string;
  @Column({ type: 'text', nullable: true }) description!: string | null;
  /** The schema of a rule's `trigger_params` (JSON Schema form), or null for none. */
  @Column({ type: 'jsonb', name: 'param_schema', nullable: true }) paramSchema!: JsonSchemaObject | null;
  /** The schema of event payloads; events that fail it are refused with 422. */
  @Column({ type: 'jsonb', name: 'out_schema', nullable: true }) outSchema!: JsonSchemaObject | null;
  @Column({ type: 'boolean', default: true }) enabled!: boolean;
  @Column({ type: 'boolean', name: 'webhook_enabled', default: false }) webhookEnabled!: boolean;
  @Column({ type: 'text', name: 'webhook_key', nullable: true, unique: true }) webhookKey!: string | null;
  /** Registered by the platform (the timers): cannot be changed or deleted over the API. */
  @Column({ type: 'boolean', name: 'is_builtin', default: false }) isBuiltin!: boolean;
  @CreateDateColumn({ type: 'timestamptz' }) created!: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updated!: Date;
}
