import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { DeploymentContract } from '../../shared/deployment-contract';
import { ANY_PARTITION, suppressOnDefaultPolicy } from '../../shared/nag-suppressions';

/**
 * What CodePipeline's Lambda deploy action calls on the function as the
 * action role: update the code from the input artifact, wait for the update,
 * publish a version, and move the alias (its routing config) to it, reading
 * the alias and its provisioned concurrency on the way. The action reference
 * lists the role's permissions in its "Service role policy permissions"
 * section; keep this list equal to it (GetProvisionedConcurrencyConfig acts on
 * a version or an alias, hence the qualified ARNs below).
 * https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-LambdaDeploy.html
 */
export const LAMBDA_DEPLOY_ACTIONS = [
  'lambda:GetAlias',
  // The CLI's waiters after update-function-code (`aws lambda wait function-updated`) read the function.
  'lambda:GetFunction',
  'lambda:GetFunctionConfiguration',
  'lambda:GetProvisionedConcurrencyConfig',
  'lambda:PublishVersion',
  'lambda:UpdateAlias',
  'lambda:UpdateFunctionCode',
];

/** Reading the alarms that roll the shift back (same page). */
export const LAMBDA_DEPLOY_ALARM_ACTIONS = ['cloudwatch:DescribeAlarms'];

/**
 * The statements of the `lambdaDeployments` opt-in (pure: no construct): the
 * deploy calls on the contract's functions of `account` (names starting with
 * the stack name prefix, unqualified and qualified by version or alias), in
 * any region, and reading the alarms of `account`. The code comes from the
 * artifact store, which the action role already reads.
 */
export function lambdaDeploymentStatements(
  contract: DeploymentContract, partition: string = Aws.PARTITION, account: string = Aws.ACCOUNT_ID,
): iam.PolicyStatement[] {
  const functions = `arn:${partition}:lambda:*:${account}:function:${contract.stackNamePrefix}*`;
  return [
    new iam.PolicyStatement({
      sid: 'ShiftContractLambdaAliases',
      actions: LAMBDA_DEPLOY_ACTIONS,
      resources: [functions, `${functions}:*`],
    }),
    new iam.PolicyStatement({
      sid: 'ReadLambdaRollbackAlarms',
      actions: LAMBDA_DEPLOY_ALARM_ACTIONS,
      resources: [`arn:${partition}:cloudwatch:*:${account}:alarm:*`],
    }),
  ];
}

/** Grant `role` the `lambdaDeployments` statements, with the reasons cdk-nag asks for. */
export function grantLambdaDeployments(role: iam.Role, contract: DeploymentContract): void {
  for (const statement of lambdaDeploymentStatements(contract)) role.addToPrincipalPolicy(statement);
  suppressOnDefaultPolicy(role, [{
    id: 'AwsSolutions-IAM5',
    reason: 'Lambda functions whose names start with the contract\'s prefix (and their versions and aliases) in any region of this account; the alarms of this account, read only.',
    appliesTo: [{ regex: `/^Resource::arn:${ANY_PARTITION}:(lambda:\\*:<AWS::AccountId>:function:.*|cloudwatch:\\*:<AWS::AccountId>:alarm:\\*)$/` }],
  }]);
}
