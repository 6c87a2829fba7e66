export * from './blob-store';
export * from './blob-store.errors';
export { assertValidBlobKey, assertValidBlobPrefix, contentAddressedKey, MAX_BLOB_KEY_BYTES, MAX_BLOB_KEY_SEGMENT_BYTES } from './blob-key';
export { FsBlobStore, type FsBlobStoreOptions } from './fs-blob-store';
export { S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store';
export { BLOB_STORE, createBlobStore, StorageHealthIndicator, StorageModule, type StorageConfig } from './storage.module';
export { StorageSettings } from './storage-settings';
export { HashingCounter, type HashingOptions } from './blob-streams';
