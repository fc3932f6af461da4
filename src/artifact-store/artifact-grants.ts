import { IResource, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { throwIfProblems } from '../shared/validation';

/** Actions that read artifacts. Spelled out: no wildcard actions anywhere. */
export const ARTIFACT_READ_ACTIONS = {
  objects: ['s3:GetObject', 's3:GetObjectVersion'],
  bucket: ['s3:GetBucketLocation', 's3:GetBucketVersioning', 's3:ListBucket'],
  key: ['kms:Decrypt', 'kms:DescribeKey'],
};

/** Actions that read and write artifacts (what a pipeline role needs). */
export const ARTIFACT_WRITE_ACTIONS = {
  objects: ['s3:PutObject', 's3:AbortMultipartUpload'],
  key: ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
};

/** Where the artifacts are, as ARNs. */
export interface ArtifactLocation {
  readonly bucketArn: string;
  readonly keyArn: string;
}

/**
 * Grants a principal of the store's own account access to the artifacts
 * through its identity policy. The key policy delegates to IAM in the owning
 * account and the bucket policy only adds cross-account readers, so an
 * identity grant is all a same-account principal needs.
 */
export function grantArtifactAccess(
  store: IResource,
  grantee: iam.IGrantable,
  location: ArtifactLocation,
  write: boolean,
): iam.Grant {
  assertSameAccount(store, grantee);
  const objectActions = write ? [...ARTIFACT_READ_ACTIONS.objects, ...ARTIFACT_WRITE_ACTIONS.objects] : ARTIFACT_READ_ACTIONS.objects;
  const keyActions = write ? [...ARTIFACT_READ_ACTIONS.key, ...ARTIFACT_WRITE_ACTIONS.key] : ARTIFACT_READ_ACTIONS.key;
  return iam.Grant.addToPrincipal({
    grantee,
    actions: objectActions,
    resourceArns: [`${location.bucketArn}/*`],
  }).combine(iam.Grant.addToPrincipal({
    grantee,
    actions: ARTIFACT_READ_ACTIONS.bucket,
    resourceArns: [location.bucketArn],
  })).combine(iam.Grant.addToPrincipal({
    grantee,
    actions: keyActions,
    resourceArns: [location.keyArn],
  }));
}

/**
 * Cross-account readers come in through the store's resource policies, which
 * admit the tenant roles of the contract; an identity grant to a foreign
 * principal would silently do nothing, so refuse it.
 */
function assertSameAccount(store: IResource, grantee: iam.IGrantable): void {
  const storeAccount = store.env.account;
  const granteeAccount = grantee.grantPrincipal.principalAccount;
  if (!granteeAccount || Token.isUnresolved(storeAccount) || Token.isUnresolved(granteeAccount)) return;
  if (granteeAccount === storeAccount) return;
  throwIfProblems(store, [{
    property: 'grantee',
    value: granteeAccount,
    reason: `grantRead and grantReadWrite are for principals of the store's account ${storeAccount}`,
    fix: 'let target accounts read through the deployment contract (organizationId, readerAccounts or addReaderAccounts) and their TenantDeploymentRole roles',
  }]);
}
