/**
 * What a tenant role does with the artifacts. Both sides of the contract use
 * these lists (the store's resource policies admit them, the tenant roles'
 * identity policies grant them), so they cannot drift apart.
 */

/** Reading one artifact object (CodePipeline fetches a specific version). */
export const TENANT_OBJECT_READ_ACTIONS = ['s3:GetObject', 's3:GetObjectVersion'];

/** Decrypting it; only ever through S3 (kms:ViaService). */
export const TENANT_KEY_READ_ACTIONS = ['kms:Decrypt'];
