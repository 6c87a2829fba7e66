import { EXECUTION_TOKEN_GRACE_SECONDS, type ExecutionTokenClaims } from '@attune/contracts';
import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';

/** Mints the short-lived token a running action uses to call the api about itself. */
@Injectable()
export class ExecutionTokenService {
  constructor(private readonly jwt: JwtService) {}

  mint(executionId: number, timeoutSeconds: number): Promise<string> {
    const claims: ExecutionTokenClaims = { typ: 'execution', sub: `execution:${executionId}`, execution_id: executionId };
    return this.jwt.signAsync(claims, { expiresIn: timeoutSeconds + EXECUTION_TOKEN_GRACE_SECONDS });
  }
}
