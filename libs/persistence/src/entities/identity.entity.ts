import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

@Entity({ name: 'identities' })
export class IdentityEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: number;
  @Column({ type: 'text', unique: true }) login!: string;
  @Column({ type: 'text', name: 'display_name', nullable: true }) displayName!: string | null;
  /** bcrypt (`$2b$…`), or the older `scrypt$N$r$p$salt$hash`, rehashed to bcrypt at the next sign-in. */
  @Column({ type: 'text', name: 'password_hash' }) passwordHash!: string;
  @Column({ type: 'text', array: true, default: () => "'{}'" }) roles!: string[];
  /** A deactivated identity cannot sign in, and its tokens stop working at once. */
  @Column({ type: 'boolean', name: 'is_active', default: true }) isActive!: boolean;
  /** Tokens issued before this instant are refused (set when the password changes). */
  @Column({ type: 'timestamptz', name: 'tokens_valid_after', nullable: true }) tokensValidAfter!: Date | null;
  @CreateDateColumn({ type: 'timestamptz' }) created!: Date;
  @UpdateDateColumn({ type: 'timestamptz' }) updated!: Date;
}
