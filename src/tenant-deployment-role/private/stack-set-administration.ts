import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { DEFAULT_STACK_SET_ADMINISTRATION_ROLE, StackSetPermissionModel } from '../../cross-account-pipeline/stack-set-deployment';
import { DeploymentContract } from '../../shared/deployment-contract';
import { ANY_PARTITION, suppressOnDefaultPolicy } from '../../shared/nag-suppressions';

/** What the opt-in takes (the public `StackSetAdministrationPermissions`). */
export interface StackSetAdministrationOptions {
  readonly permissionModel?: StackSetPermissionModel;
  readonly administrationRoleName?: string;
  readonly delegatedAdministrator?: boolean;
}

/**
 * What CodePipeline's `CloudFormationStackSet` and `CloudFormationStackInstances`
 * actions call as the action role: create or update the StackSet, add or
 * update its instances, and follow the operation. The API calls are those the
 * action reference names, and those aws-cdk-lib's StackSet actions grant.
 * https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-StackSets.html
 */
export const STACK_SET_ACTIONS = [
  'cloudformation:UpdateStackSet',
  'cloudformation:DescribeStackSet',
  'cloudformation:DescribeStackSetOperation',
  'cloudformation:ListStackSetOperationResults',
  'cloudformation:ListStackInstances',
  'cloudformation:CreateStackInstances',
  // CreateStackInstances on instances that exist calls UpdateStackInstances (action reference, "See also").
  'cloudformation:UpdateStackInstances',
];

/**
 * Calls that also name the targets (`stackset-target`) and resource types
 * (`type`) of the operation as optional resources, besides the StackSet.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscloudformation.html
 */
const TARGETED_ACTIONS = ['cloudformation:UpdateStackSet', 'cloudformation:CreateStackInstances', 'cloudformation:UpdateStackInstances'];

/** Grant `role` the StackSet administration of the contract's StackSets (names with the stack name prefix). */
export function grantStackSetAdministration(role: iam.Role, contract: DeploymentContract, options: StackSetAdministrationOptions): void {
  const delegated = options.delegatedAdministrator ?? false;
  // Service-managed StackSets live in the management account, also those a
  // delegated administrator creates, so that account is unknown here.
  // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-delegated-admin.html
  const owner = delegated ? '*' : Aws.ACCOUNT_ID;
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'AdministerContractStackSets',
    actions: STACK_SET_ACTIONS,
    resources: [`arn:${Aws.PARTITION}:cloudformation:*:${owner}:stackset/${contract.stackNamePrefix}*:*`],
  }));
  // The StackSet stays a required resource of these calls (bound above to the
  // prefix); the targets and resource types they also name are not narrowed.
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'NameTargetsOfContractStackSets',
    actions: TARGETED_ACTIONS,
    resources: [
      `arn:${Aws.PARTITION}:cloudformation:*:*:stackset-target/*`,
      `arn:${Aws.PARTITION}:cloudformation:*:*:type/resource/*`,
    ],
  }));
  // CreateStackSet supports no resource-level permissions (Service Authorization
  // Reference, above). An empty StackSet of any name deploys nothing: adding
  // instances (CreateStackInstances) and updating them stay bound to the prefix.
  role.addToPrincipalPolicy(new iam.PolicyStatement({
    sid: 'CreateStackSets',
    actions: ['cloudformation:CreateStackSet'],
    resources: ['*'],
  }));
  const appliesTo: Array<string | { regex: string }> = [
    { regex: `/^Resource::arn:${ANY_PARTITION}:cloudformation:\\*:(<AWS::AccountId>|\\*):(stackset|stackset-target|type\\/resource)\\/.*$/` },
    'Resource::*',
  ];
  if ((options.permissionModel ?? StackSetPermissionModel.SERVICE_MANAGED) === StackSetPermissionModel.SELF_MANAGED) {
    // Self-managed: CreateStackSet and UpdateStackSet pass the administration role.
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-prereqs-self-managed.html
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'PassTheStackSetAdministrationRole',
      actions: ['iam:PassRole'],
      resources: [`arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${options.administrationRoleName ?? DEFAULT_STACK_SET_ADMINISTRATION_ROLE}`],
      conditions: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
    }));
  }
  if (delegated) {
    // "Make sure your delegated administrators have organizations:ListDelegatedAdministrators permissions";
    // the action supports no resource-level permissions.
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/stacksets-orgs-delegated-admin.html
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'FindTheDelegatedAdministrators',
      actions: ['organizations:ListDelegatedAdministrators'],
      resources: ['*'],
    }));
  }
  suppressOnDefaultPolicy(role, [{
    id: 'AwsSolutions-IAM5',
    reason: 'StackSets whose names start with the contract\'s prefix, in any region, and the targets they name; CreateStackSet (and organizations:ListDelegatedAdministrators) support no resource-level permissions.',
    appliesTo,
  }]);
}
