import { Resource, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type { IArtifactStore } from './artifact-store';
import { throwIfProblems } from '../shared/validation';

/** Actions that read artifacts. Spelled out: no wildcard actions anywhere. */
const READ_ACTIONS = {
  objects: ['s3:GetObject', 's3:GetObjectVersion'],
  bucket: ['s3:GetBucketLocation', 's3:GetBucketVersioning', 's3:ListBucket'],
  key: ['kms:Decrypt', 'kms:DescribeKey'],
};

/** Actions that write artifacts, on top of reading them (what a pipeline role needs). */
const WRITE_ACTIONS = {
  objects: ['s3:PutObject', 's3:AbortMultipartUpload'],
  key: ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:ReEncryptFrom', 'kms:ReEncryptTo'],
};

/**
 * What an owned `ArtifactStore` and one imported with `ArtifactStore.fromAttributes`
 * share: the grants, written once against the bucket and key each of them names.
 */
export abstract class ArtifactStoreBase extends Resource implements IArtifactStore {
  /** The artifact bucket. */
  public abstract readonly bucket: s3.IBucket;
  /** The key that encrypts every artifact. */
  public abstract readonly encryptionKey: kms.IKey;
  /** The region of the store. */
  public abstract readonly region: string;

  /** Let a principal of the store's account read artifacts. */
  public grantRead(grantee: iam.IGrantable): iam.Grant {
    return this.grantArtifacts(grantee, false);
  }

  /** Let a principal of the store's account read and write artifacts (a pipeline role). */
  public grantReadWrite(grantee: iam.IGrantable): iam.Grant {
    return this.grantArtifacts(grantee, true);
  }

  /**
   * Through the principal's identity policy only: the key policy delegates to
   * IAM in the owning account and the bucket policy only adds cross-account
   * readers, so an identity grant is all a same-account principal needs.
   */
  private grantArtifacts(grantee: iam.IGrantable, write: boolean): iam.Grant {
    this.assertSameAccount(grantee);
    const bucketArn = this.bucket.bucketArn;
    return iam.Grant.addToPrincipal({
      grantee,
      actions: write ? [...READ_ACTIONS.objects, ...WRITE_ACTIONS.objects] : READ_ACTIONS.objects,
      resourceArns: [`${bucketArn}/*`],
    }).combine(iam.Grant.addToPrincipal({
      grantee,
      actions: READ_ACTIONS.bucket,
      resourceArns: [bucketArn],
    })).combine(iam.Grant.addToPrincipal({
      grantee,
      actions: write ? [...READ_ACTIONS.key, ...WRITE_ACTIONS.key] : READ_ACTIONS.key,
      resourceArns: [this.encryptionKey.keyArn],
    }));
  }

  /**
   * Cross-account readers come in through the store's resource policies, which
   * admit the tenant roles of the contract; an identity grant to a foreign
   * principal would silently do nothing, so refuse it.
   */
  private assertSameAccount(grantee: iam.IGrantable): void {
    const storeAccount = this.env.account;
    const granteeAccount = grantee.grantPrincipal.principalAccount;
    if (!granteeAccount || Token.isUnresolved(storeAccount) || Token.isUnresolved(granteeAccount)) return;
    if (granteeAccount === storeAccount) return;
    throwIfProblems(this, [{
      property: 'grantee',
      value: granteeAccount,
      reason: `grantRead and grantReadWrite are for principals of the store's account ${storeAccount}`,
      fix: 'let target accounts read through the deployment contract (organizationId, readerAccounts or addReaderAccounts) and their TenantDeploymentRole roles',
    }]);
  }
}
