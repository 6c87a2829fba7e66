import type { Runtime } from '@attune/contracts';
import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** Workers seen on the bus. Written by the executor from heartbeats: workers have no database. */
@Entity({ name: 'workers' })
export class WorkerEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: number;
  @Column({ type: 'text', unique: true }) name!: string;
  @Column({ type: 'text' }) hostname!: string;
  @Column({ type: 'text' }) pool!: string;
  /** The bus namespace (ATTUNE_AMQP_NAMESPACE) its heartbeats arrived on. */
  @Column({ type: 'text', default: '' }) namespace!: string;
  @Column({ type: 'text', array: true, default: () => "'{}'" }) runtimes!: Runtime[];
  @Column({ type: 'text' }) status!: string;
  @Column({ type: 'integer', default: 0 }) running!: number;
  @Column({ type: 'integer', default: 1 }) capacity!: number;
  @Column({ type: 'timestamptz', name: 'last_heartbeat' }) lastHeartbeat!: Date;
  @CreateDateColumn({ type: 'timestamptz' }) created!: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updated!: Date;
}
