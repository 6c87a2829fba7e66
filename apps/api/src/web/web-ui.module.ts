import { Injectable, Logger, type MiddlewareConsumer, Module, type NestMiddleware, type NestModule, RequestMethod } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { existsSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { ApiConfig } from '../config/api.config';

/**
 * Paths the web UI never answers, whatever is on disk: the API, auth, operations and the API docs.
 * The boundary after the prefix keeps `/apiary` (a UI route, were there one) apart from `/api/…`.
 */
const RESERVED = /^\/(api|auth|health|metrics|docs|api-spec)(?=$|[/.-])/;

const NOT_BUILT = 'the web UI is not built on this server: run "npm run build" (or set ATTUNE_WEB_DIR); the API is at /api/v1 and its docs at /docs';

/** Vite names built assets by content hash, so they can be cached for good. */
const IMMUTABLE_DIR = '/assets/';

/**
 * Serves the built web UI (apps/web → dist/apps/web, or ATTUNE_WEB_DIR) at `/`: existing files as
 * they are, and index.html for any other page a browser navigates to (the UI routes on the client).
 * It runs before the controllers but steps aside for every reserved path, every method but
 * GET/HEAD, and any request that is neither a file nor a page, so no API answer changes.
 * Without a built UI the api still runs; a page request then gets a 404 that says why.
 */
@Injectable()
export class WebUiMiddleware implements NestMiddleware {
  private readonly logger = new Logger('WebUi');
  private readonly dir: string;

  constructor(config: ApiConfig) {
    this.dir = resolve(config.webDir);
    if (!existsSync(join(this.dir, 'index.html'))) {
      this.logger.warn(`no web UI in ${this.dir} (index.html missing): run "npm run build" or set ATTUNE_WEB_DIR; the API works without it`);
    }
  }

  use(req: Request, res: Response, next: NextFunction): void {
    // originalUrl: mounted on a wildcard, req.path is relative to the match, not the request.
    const path = req.originalUrl.split('?')[0];
    if ((req.method !== 'GET' && req.method !== 'HEAD') || RESERVED.test(path)) return next();
    if (path === '/' || path === '/index.html') return this.sendIndex(res, next);
    const page = isPageRequest(req, path);
    res.sendFile(
      path,
      {
        root: this.dir,
        dotfiles: 'ignore',
        index: false,
        // A hashed asset never changes; anything else is revalidated (ETag) on each visit.
        ...(path.startsWith(IMMUTABLE_DIR) ? { maxAge: '365d', immutable: true } : { maxAge: 0 }),
      } as Parameters<Response['sendFile']>[1],
      (err?: Error & { status?: number; statusCode?: number }) => {
        if (!err || res.headersSent) return;
        // Not a file (missing, a directory, or a path refused by `root`): a page route of the UI, or nothing of ours.
        if (page) this.sendIndex(res, next);
        else next();
      },
    );
  }

  private sendIndex(res: Response, next: NextFunction): void {
    if (!existsSync(join(this.dir, 'index.html'))) {
      // The API's error envelope, written here: this runs outside any controller.
      res.status(404).json({ error: NOT_BUILT, code: 'NOT_FOUND' });
      return;
    }
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile('index.html', { root: this.dir }, (err) => {
      if (err && !res.headersSent) next(err);
    });
  }
}

/**
 * A page of the UI: a browser navigation names text/html outright (UI routes may hold dots, as
 * in /actions/core.echo); other clients get it only for paths without a file extension, so a
 * missing script or image stays a 404.
 */
function isPageRequest(req: Request, path: string): boolean {
  if (/\btext\/html\b/.test(req.headers.accept ?? '')) return true;
  return extname(path) === '' && req.accepts(['html', 'json']) === 'html';
}

@Module({ providers: [WebUiMiddleware] })
export class WebUiModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(WebUiMiddleware).forRoutes({ path: '{*path}', method: RequestMethod.ALL });
  }
}
