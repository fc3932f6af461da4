import * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * What every bucket of this library is: private (all four Block Public Access
 * settings, no ACLs), reachable over TLS 1.2 or newer only, and versioned.
 */
export const PRIVATE_BUCKET_DEFAULTS = {
  blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
  objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
  enforceSSL: true,
  minimumTLSVersion: 1.2,
  versioned: true,
} satisfies Partial<s3.BucketProps>;
