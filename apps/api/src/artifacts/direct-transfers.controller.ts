import { applyDecorators, Body, Param, type Type } from '@nestjs/common';
import { ApiBody, type ApiOperationOptions } from '@nestjs/swagger';
import type { Response } from 'express';
import { AllowExecutionToken, CurrentPrincipal, type Principal } from '../auth/auth.decorators';
import { idPipe } from '../common/id.pipe';
import { ApiController, ApiCreateRoute } from '../common/openapi.decorators';
import { ArtifactVersionDto, toVersionDto } from './artifact.dto';
import { CommitUploadDto, DirectUploadDto, UploadUrlDto } from './direct-transfers.dto';
import { DirectTransfers } from './direct-transfers.service';

type Data<T> = { data: T };

/** A POST that an operator, or an execution token for its own artifacts, makes: 201 with `{data: response}`. */
const WriteRoute = (path: string, doc: ApiOperationOptions, body: Type<unknown>, response: Type<unknown>, errors: number[]) =>
  applyDecorators(ApiBody({ type: body }), AllowExecutionToken(), ApiCreateRoute('operator', path, response, errors, doc));

const UPLOAD_URL_DOC: ApiOperationOptions = {
  summary: 'A presigned PUT for uploading a version straight into the bucket (S3 driver only)',
  description:
    'Answers a URL for one staging object, valid for a short time (ATTUNE_S3_PRESIGN_TTL_SECONDS, default 300 s, or `expires_in` if shorter), ' +
    'and the headers the PUT must carry: `content-length`, `content-type` and `x-amz-checksum-sha256` (the base64 SHA-256), all signed. ' +
    'S3 and MinIO refuse a body whose digest differs. Then POST `{upload_id}` to `commit_url`. ' +
    'With the fs driver this answers **409** (`details.reason` DIRECT_TRANSFER_UNAVAILABLE, `details.upload` the proxied route): ' +
    'upload through POST /api/v1/artifacts/{id}/versions/upload instead.',
};

const COMMIT_DOC: ApiOperationOptions = {
  summary: 'Commit a direct upload as the next version, once its size and SHA-256 are verified',
  description:
    'artifact-store checks the object against the size and SHA-256 given for the URL before the version exists: from the bucket\'s own checksum ' +
    'where it keeps one (S3, MinIO), otherwise by hashing a copy only it can write. ' +
    'No object (the PUT did not happen, or came after the URL expired) gives **409** (`details.reason` UPLOAD_MISSING); a wrong size or ' +
    'checksum gives **422**. Either way no version is created and the uploaded object is deleted. Committing the same upload_id again ' +
    'answers the same version.',
};

/** The answer to `?redirect=true` on S3: 302 to the presigned GET, with the digest to check the bytes against. */
export function sendRedirect(res: Response, sha256: string, ticket: { url: string; expiresAt: Date }): void {
  res.setHeader('X-Checksum-Sha256', sha256);
  res.setHeader('ETag', `"${sha256}"`);
  res.setHeader('Cache-Control', 'private, no-store');
  res.setHeader('Expires', ticket.expiresAt.toUTCString());
  res.redirect(302, ticket.url);
}

/**
 * Direct uploads on S3: a presigned PUT straight into the bucket, then a commit that is verified
 * before the version exists. The api never sees the bytes. (Direct downloads are
 * `?redirect=true` on the download routes.)
 */
@ApiController('artifacts', 'api/v1/artifacts')
export class DirectTransfersController {
  constructor(private readonly direct: DirectTransfers) {}

  @WriteRoute(':id/versions/upload-url', UPLOAD_URL_DOC, UploadUrlDto, DirectUploadDto, [400, 404, 409, 413, 422])
  async uploadUrl(@CurrentPrincipal() principal: Principal, @Param('id', idPipe) id: number, @Body() body: UploadUrlDto): Promise<Data<DirectUploadDto>> {
    return { data: await this.direct.uploadUrl(principal, id, body) };
  }

  @WriteRoute(':id/versions/commit', COMMIT_DOC, CommitUploadDto, ArtifactVersionDto, [400, 404, 409, 422, 503])
  async commit(@CurrentPrincipal() principal: Principal, @Param('id', idPipe) id: number, @Body() body: CommitUploadDto): Promise<Data<ArtifactVersionDto>> {
    return { data: toVersionDto(await this.direct.commit(principal, id, body)) };
  }
}
