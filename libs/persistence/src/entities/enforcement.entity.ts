import type { ConditionMode, EnforcementStatus, RuleConditions } from '@attune/contracts';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** A rule that matched an event. Written by the executor only. */
@Entity({ name: 'enforcements' })
export class EnforcementEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: number;
  @Column({ type: 'bigint', nullable: true }) rule!: number | null;
  @Column({ type: 'text', name: 'rule_ref' }) ruleRef!: string;
  @Column({ type: 'text', name: 'trigger_ref' }) triggerRef!: string;
  @Column({ type: 'bigint', nullable: true }) event!: number | null;
  @Column({ type: 'text', default: 'created' }) status!: EnforcementStatus;
  /** The rule's `condition` and `conditions` when it matched. */
  @Column({ type: 'text' }) condition!: ConditionMode;
  @Column({ type: 'jsonb', default: () => "'[]'" }) conditions!: RuleConditions;
  /** The action parameters rendered from the event (before the action's defaults). */
  @Column({ type: 'jsonb', nullable: true }) config!: Record<string, unknown> | null;
  /** Why no execution was created, when none was. */
  @Column({ type: 'text', nullable: true }) error!: string | null;
  @CreateDateColumn({ type: 'timestamptz' }) created!: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updated!: Date;
  @Column({ type: 'timestamptz', name: 'resolved_at', nullable: true }) resolvedAt!: Date | null;
}
