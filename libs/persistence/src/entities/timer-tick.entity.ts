import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

/** A tick of a timer rule that has fired: the row is the lease that makes it fire once. Executor only. */
@Entity({ name: 'timer_ticks' })
export class TimerTickEntity {
  @PrimaryColumn({ type: 'bigint' }) rule!: number;
  @PrimaryColumn({ type: 'timestamptz', name: 'tick_at' }) tickAt!: Date;
  @Column({ type: 'bigint', nullable: true }) event!: number | null;
  @Column({ type: 'text', name: 'fired_by' }) firedBy!: string;
  @CreateDateColumn({ type: 'timestamptz' }) created!: Date;
}
