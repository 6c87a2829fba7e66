import { Controller, Get, Inject, Res, SetMetadata, type DynamicModule, type Provider } from '@nestjs/common';
import type { Response } from 'express';

/** One real dependency of a service, checked by GET /health. */
export interface HealthIndicator {
  readonly name: string;
  /** Resolves when the dependency answers; rejects (or times out) otherwise. */
  check(): Promise<void>;
}

export const HEALTH_INDICATORS = Symbol('HEALTH_INDICATORS');

/** Metadata key honoured by an app's auth guard: the route needs no token. */
export const IS_PUBLIC = 'attune:public';
/** The route needs no token (health, metrics, login, webhooks, docs). */
export const Public = () => SetMetadata(IS_PUBLIC, true);
const CHECK_TIMEOUT_MS = 3000;

async function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      p,
      new Promise<void>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

@Public()
@Controller()
export class HealthController {
  constructor(
    @Inject(HEALTH_INDICATORS) private readonly indicators: HealthIndicator[],
    @Inject('SERVICE_NAME') private readonly service: string,
  ) {}

  @Get('health')
  async health(@Res() res: Response): Promise<void> {
    const results = await Promise.all(
      this.indicators.map(async (i) => {
        try {
          await withTimeout(i.check(), CHECK_TIMEOUT_MS);
          return { name: i.name, status: 'up' as const };
        } catch (err) {
          return { name: i.name, status: 'down' as const, error: (err as Error).message };
        }
      }),
    );
    const checks = Object.fromEntries(results.map((r) => [r.name, r.error ? { status: r.status, error: r.error } : { status: r.status }]));
    const down = results.filter((r) => r.status === 'down');
    if (down.length === 0) {
      res.status(200).json({ status: 'ok', service: this.service, checks });
      return;
    }
    res.status(503).json({
      error: `unavailable: ${down.map((d) => `${d.name} (${d.error})`).join(', ')}`,
      code: 'SERVICE_UNAVAILABLE',
      details: { service: this.service, checks },
    });
  }
}

export class HealthModule {
  /**
   * `indicators` are provider tokens (exported by global modules such as the persistence and
   * messaging modules, or provided by the app) whose instances implement HealthIndicator.
   */
  static forRoot(service: string, indicators: unknown[], providers: Provider[] = []): DynamicModule {
    return {
      module: HealthModule,
      controllers: [HealthController],
      providers: [
        ...providers,
        { provide: 'SERVICE_NAME', useValue: service },
        {
          provide: HEALTH_INDICATORS,
          useFactory: (...found: HealthIndicator[]) => found,
          inject: indicators as never[],
        },
      ],
    };
  }
}
