import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { checkWithNag, INTEG_TOOLING_ACCOUNT, newIntegApp } from './integ-environment';
import { ArtifactStore, DeploymentContract } from '../src';

/**
 * An artifact store in the tooling account, readable by the tenant roles of one
 * listed account. The assertions check what a deployed store must show:
 * KMS encryption with the store's key, rotation on, public access blocked.
 */
export function buildArtifactStoreIntegApp(app: App = newIntegApp()): { app: App; stacks: Stack[] } {
  const stack = new Stack(app, 'cdkx-integ-artifact-store');
  const contract = new DeploymentContract({ toolingAccount: INTEG_TOOLING_ACCOUNT, qualifier: 'integ' });
  const store = new ArtifactStore(stack, 'Store', {
    contract,
    readerAccounts: [INTEG_TOOLING_ACCOUNT],
    // Sandbox accounts: leave nothing behind.
    removalPolicy: RemovalPolicy.DESTROY,
    autoDeleteObjects: true,
  });
  checkWithNag(stack);

  const integ = new IntegTest(app, 'ArtifactStoreInteg', { testCases: [stack] });
  const encryption = integ.assertions.awsApiCall('S3', 'getBucketEncryption', { Bucket: store.bucket.bucketName });
  // The SDK call's IAM action has another name than the call itself.
  encryption.provider.addToRolePolicy({ Effect: 'Allow', Action: ['s3:GetEncryptionConfiguration'], Resource: [store.bucket.bucketArn] });
  encryption.expect(ExpectedResult.objectLike({
    ServerSideEncryptionConfiguration: {
      Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: store.encryptionKey.keyArn }, BucketKeyEnabled: true }],
    },
  }));
  integ.assertions
    .awsApiCall('KMS', 'getKeyRotationStatus', { KeyId: store.encryptionKey.keyId })
    .expect(ExpectedResult.objectLike({ KeyRotationEnabled: true }));
  const publicAccess = integ.assertions.awsApiCall('S3', 'getPublicAccessBlock', { Bucket: store.bucket.bucketName });
  publicAccess.provider.addToRolePolicy({ Effect: 'Allow', Action: ['s3:GetBucketPublicAccessBlock'], Resource: [store.bucket.bucketArn] });
  publicAccess.expect(ExpectedResult.objectLike({
    PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
  }));
  return { app, stacks: [stack] };
}

if (require.main === module) {
  buildArtifactStoreIntegApp().app.synth();
}
