import { Module } from '@nestjs/common';
import { createSecretKey } from 'node:crypto';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { ApiConfig } from '../config/api.config';
import { AuthController } from './auth.controller';
import { AuthGuard } from './auth.guard';
import { AuthService } from './auth.service';
import { TokenService } from './token.service';
import { PasswordHasher } from './password-hasher';
import { LoginThrottle } from './login-throttle';
import { MetricsAccess } from './metrics-access.service';
import { MetricsController } from './metrics.controller';
import { UsersController } from '../users/users.controller';
import { UsersService } from '../users/users.service';
import { ApiKeysController } from '../api-keys/api-keys.controller';
import { ApiKeysService } from '../api-keys/api-keys.service';

@Module({
  imports: [
    JwtModule.registerAsync({
      inject: [ApiConfig],
      // A KeyObject, made once: given a string, jsonwebtoken tries it as a public key first and
      // builds a key from it on every verify (about 1 ms of CPU per request).
      useFactory: (config: ApiConfig) => ({ secret: createSecretKey(Buffer.from(config.jwtSecret)), signOptions: { algorithm: 'HS256' } }),
    }),
  ],
  controllers: [AuthController, UsersController, MetricsController, ApiKeysController],
  providers: [AuthService, TokenService, ApiKeysService, PasswordHasher, LoginThrottle, UsersService, MetricsAccess, { provide: APP_GUARD, useClass: AuthGuard }],
  exports: [TokenService, PasswordHasher],
})
export class AuthModule {}
