import type { ConditionMode, RuleConditions } from '@attune/contracts';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** Event → action, with conditions and templated parameters. Written by the api. */
@Entity({ name: 'rules' })
export class RuleEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: number;
  @Column({ type: 'text', unique: true }) ref!: string;
  @Column({ type: 'bigint', name: 'pack_id' }) packId!: number;
  @Column({ type: 'text', name: 'pack_ref' }) packRef!: string;
  @Column({ type: 'text' }) label!: string;
  @Column({ type: 'text', nullable: true }) description!: string | null;
  /** Null once the trigger is deleted; `triggerRef` stays. */
  @Column({ type: 'bigint', nullable: true }) trigger!: number | null;
  @Column({ type: 'text', name: 'trigger_ref' }) triggerRef!: string;
  /** Null once the action is deleted; enforcement looks the action up by `actionRef`. */
  @Column({ type: 'bigint', nullable: true }) action!: number | null;
  @Column({ type: 'text', name: 'action_ref' }) actionRef!: string;
  @Column({ type: 'jsonb', name: 'trigger_params', default: () => "'{}'" }) triggerParams!: Record<string, unknown>;
  @Column({ type: 'jsonb', name: 'action_params', default: () => "'{}'" }) actionParams!: Record<string, unknown>;
  @Column({ type: 'jsonb', default: () => "'[]'" }) conditions!: RuleConditions;
  @Column({ type: 'text', default: 'all' }) condition!: ConditionMode;
  @Column({ type: 'boolean', default: true }) enabled!: boolean;
  @CreateDateColumn({ type: 'timestamptz' }) created!: Date;
  /** Also the anchor of a timer rule's schedule: any change restarts it. */
  @UpdateDateColumn({ type: 'timestamptz' }) updated!: Date;
}
