import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { DeploymentContract } from '../../shared/deployment-contract';

/**
 * The one statement that lets a tooling role into the targets: the contract's
 * action role name in any account, narrowed to the organization (constant
 * size) or to the target accounts (one account id each). Every tooling role
 * that assumes target roles uses this, so none can reach beyond the targets.
 */
export function assumeTargetActionRolesStatement(contract: DeploymentContract, targetAccounts: readonly string[]): iam.PolicyStatement {
  const accounts = [...new Set(targetAccounts)].sort();
  return new iam.PolicyStatement({
    sid: 'AssumeTargetActionRoles',
    actions: ['sts:AssumeRole'],
    resources: [`arn:${Aws.PARTITION}:iam::*:role/${contract.actionRoleName}`],
    conditions: contract.organizationId
      ? { StringEquals: { 'aws:ResourceOrgID': contract.organizationId } }
      : { StringEquals: { 'aws:ResourceAccount': accounts } },
  });
}

/**
 * The statement of a role that deploys one target account only (a CodeBuild
 * deployer): that account's action role, by literal ARN.
 */
export function assumeOneTargetActionRoleStatement(contract: DeploymentContract, targetAccount: string): iam.PolicyStatement {
  return new iam.PolicyStatement({
    sid: 'AssumeTheTargetActionRole',
    actions: ['sts:AssumeRole'],
    resources: [contract.actionRoleArn(targetAccount)],
  });
}
