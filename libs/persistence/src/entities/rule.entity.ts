import type { ConditionMode, RuleConditions } from '@attune/contracts';
import { Column, CreateDateColumn, Entity, UpdateDateColumn } from 'typeorm';
import { PackContentEntity } from './pack-content.entity';

/** Event → action, with conditions and templated parameters. Written by the api. */
@Entity({ name: 'rules' })
export class RuleEntity extends PackContentEntity {
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
