import { ArtifactCommitV1 } from './artifacts';

/**
 * Commits an object a client PUT straight into the bucket through a presigned URL (direct
 * upload). Unlike ArtifactCommitV1, no service saw the bytes: artifact-store verifies the size
 * and the SHA-256 before the version exists, from the store's own checksum where it keeps one
 * (S3, MinIO) and otherwise by hashing a copy it owns. A mismatch or a missing object is refused
 * (VALIDATION_ERROR, CONFLICT) and the object deleted. `encoding` is not used here.
 * Replies with the ArtifactVersionRecordV1.
 */
export class ArtifactDirectCommitV1 extends ArtifactCommitV1 {}
