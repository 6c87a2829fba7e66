import type { EventSource } from '@attune/contracts';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One firing of a trigger. Inserted by the api (webhooks, POST /events) or by the executor's
 * timers; afterwards only `processedAt` changes, set by the executor once rules were matched.
 */
@Entity({ name: 'events' })
export class EventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: number;
  @Column({ type: 'bigint', nullable: true }) trigger!: number | null;
  @Column({ type: 'text', name: 'trigger_ref' }) triggerRef!: string;
  @Column({ type: 'jsonb' }) payload!: unknown;
  @Column({ type: 'text' }) source!: EventSource;
  /** Timer events belong to the one rule whose schedule fired them. */
  @Column({ type: 'bigint', nullable: true }) rule!: number | null;
  @Column({ type: 'text', name: 'rule_ref', nullable: true }) ruleRef!: string | null;
  @Column({ type: 'timestamptz', name: 'processed_at', nullable: true }) processedAt!: Date | null;
  @CreateDateColumn({ type: 'timestamptz' }) created!: Date;
}
