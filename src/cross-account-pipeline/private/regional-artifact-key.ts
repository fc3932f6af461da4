import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct, IConstruct } from 'constructs';
import { DeploymentContract } from '../../shared/deployment-contract';
import { addNagSuppressions, anyPartition, suppressLambdaBasicExecution } from '../../shared/nag-suppressions';

/**
 * The ARN of the artifact key of the contract's store in another region, found
 * at deploy time by KMS DescribeKey on the contract's alias in that region.
 *
 * A pipeline's ArtifactStores must name that key by key id or ARN: CodePipeline
 * recognizes an alias only in the key's own account, and the cross-account
 * actions of the targets need the key itself
 * (https://docs.aws.amazon.com/codepipeline/latest/APIReference/API_EncryptionKey.html).
 * A key has no physical name, so only a lookup in its account can learn it; the
 * store of that region must therefore be deployed before the pipeline stack.
 *
 * One lookup per stack, contract and region, shared by every pipeline of the
 * stack (pipelines in nested stacks receive the ARN as a parameter).
 */
export function regionalArtifactKeyArn(scope: Construct, contract: DeploymentContract, region: string, partition: string): string {
  const stack = Stack.of(scope);
  const id = `CdkxArtifactKeyLookup-${contract.qualifier}-${region}`;
  const existing = stack.node.tryFindChild(id);
  const lookup = existing instanceof cr.AwsCustomResource ? existing : createLookup(stack, id, contract, region, partition);
  return lookup.getResponseField('KeyMetadata.Arn');
}

function createLookup(stack: Stack, id: string, contract: DeploymentContract, region: string, partition: string): cr.AwsCustomResource {
  const alias = contract.artifactKeyAliasName;
  const describeKey: cr.AwsSdkCall = {
    service: 'KMS',
    action: 'describeKey',
    region,
    parameters: { KeyId: alias },
    outputPaths: ['KeyMetadata.Arn'],
    physicalResourceId: cr.PhysicalResourceId.fromResponse('KeyMetadata.Arn'),
  };
  const keys = `arn:${partition}:kms:${region}:${contract.toolingAccount}:key/*`;
  const lookup = new cr.AwsCustomResource(stack, id, {
    onCreate: describeKey,
    onUpdate: describeKey,
    // DescribeKey by alias is authorized on the key, not on the alias; the
    // request's alias narrows it to the one key behind the contract's alias
    // (https://docs.aws.amazon.com/kms/latest/developerguide/alias-authorization.html).
    policy: cr.AwsCustomResourcePolicy.fromStatements([new iam.PolicyStatement({
      actions: ['kms:DescribeKey'],
      resources: [keys],
      conditions: { StringEquals: { 'kms:RequestAlias': alias } },
    })]),
    // The SDK of the Lambda runtime has DescribeKey; no download at deploy time.
    installLatestAwsSdk: false,
  });
  suppressLookupFindings(stack, lookup, keys);
  return lookup;
}

/** Provider functions already given their suppressions (one per stack, shared by the lookups). */
const suppressedProviders = new WeakSet<IConstruct>();

function suppressLookupFindings(stack: Stack, lookup: cr.AwsCustomResource, keys: string): void {
  const policy = lookup.node.tryFindChild('CustomResourcePolicy');
  if (policy) {
    addNagSuppressions(policy, [{
      id: 'AwsSolutions-IAM5',
      reason: 'A key has no name to put in Resource: kms:DescribeKey on the keys of one account and region, narrowed by kms:RequestAlias to the one key behind the contract\'s artifact key alias.',
      appliesTo: [anyPartition(`Resource::${keys.replace(/^arn:[^:]+:/, 'arn:<AWS::Partition>:')}`)],
    }]);
  }
  // The function aws-cdk-lib shares among the AwsCustomResources of a stack.
  const provider = stack.node.tryFindChild(`AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);
  if (!provider || suppressedProviders.has(provider)) return;
  suppressedProviders.add(provider);
  const role = provider.node.tryFindChild('ServiceRole');
  if (role) suppressLambdaBasicExecution(role);
  addNagSuppressions(provider, [{
    id: 'AwsSolutions-L1',
    reason: 'The AwsCustomResource provider function and its runtime are generated and pinned by aws-cdk-lib.',
  }]);
}
