import type { JsonSchemaObject } from '@attune/contracts';
import { Column, CreateDateColumn, Entity, UpdateDateColumn } from 'typeorm';
import { PackContentEntity } from './pack-content.entity';

/** Something that fires events: a webhook trigger, a custom trigger, or a built-in timer. Written by the api. */
@Entity({ name: 'triggers' })
export class TriggerEntity extends PackContentEntity {
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
