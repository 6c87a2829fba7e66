import { WORKER_STATUSES } from '@attune/contracts';
import { ApiProperty } from '@nestjs/swagger';

/** A worker as its heartbeats left it, with the executor's verdict on its liveness. */
export class WorkerDto {
  @ApiProperty() name!: string;
  @ApiProperty() hostname!: string;
  @ApiProperty() pool!: string;
  @ApiProperty({
    enum: WORKER_STATUSES,
    description:
      'What its last heartbeat said (online, draining, offline), or stale: the executor heard nothing for ATTUNE_EXECUTOR_WORKER_LOST_AFTER_MS (15 s), so it gets no new work and its running executions follow their worker-loss policy',
  })
  status!: string;
  @ApiProperty({ type: [String] }) runtimes!: string[];
  @ApiProperty() running!: number;
  @ApiProperty() capacity!: number;
  @ApiProperty() last_heartbeat!: string;
}
