import { Aws } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { DeploymentContract } from '../../shared/deployment-contract';
import { ANY_PARTITION, suppressOnDefaultPolicy } from '../../shared/nag-suppressions';

/**
 * What CodePipeline's CodeDeploy action calls as the action role, per the
 * CodeDeploy statement of the CodePipeline service role policy
 * (https://docs.aws.amazon.com/codepipeline/latest/userguide/how-to-custom-role.html),
 * grouped by the one resource type each requires (Service Authorization
 * Reference, https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscodedeploy.html).
 */
export const CODEDEPLOY_APPLICATION_ACTIONS = [
  'codedeploy:GetApplication',
  'codedeploy:GetApplicationRevision',
  'codedeploy:RegisterApplicationRevision',
];
export const CODEDEPLOY_DEPLOYMENT_GROUP_ACTIONS = ['codedeploy:CreateDeployment', 'codedeploy:GetDeployment'];
export const CODEDEPLOY_DEPLOYMENT_CONFIG_ACTIONS = ['codedeploy:GetDeploymentConfig'];

/**
 * The statements of the opt-in, in any region of this account: applications
 * and deployment groups named with the contract's prefix (both parts of the
 * deployment group ARN, `<application>/<group>`), and the deployment
 * configurations those groups may use: the predefined `CodeDeployDefault.*`
 * ones and those named with the prefix. Pure: no construct.
 */
export function codeDeployServerStatements(contract: DeploymentContract): iam.PolicyStatement[] {
  const prefix = contract.stackNamePrefix;
  const arn = (resource: string) => `arn:${Aws.PARTITION}:codedeploy:*:${Aws.ACCOUNT_ID}:${resource}`;
  return [
    new iam.PolicyStatement({
      sid: 'RegisterContractCodeDeployRevisions',
      actions: CODEDEPLOY_APPLICATION_ACTIONS,
      resources: [arn(`application:${prefix}*`)],
    }),
    new iam.PolicyStatement({
      sid: 'DeployToContractCodeDeployGroups',
      actions: CODEDEPLOY_DEPLOYMENT_GROUP_ACTIONS,
      resources: [arn(`deploymentgroup:${prefix}*/${prefix}*`)],
    }),
    new iam.PolicyStatement({
      sid: 'ReadCodeDeployConfigs',
      actions: CODEDEPLOY_DEPLOYMENT_CONFIG_ACTIONS,
      resources: [arn('deploymentconfig:CodeDeployDefault.*'), arn(`deploymentconfig:${prefix}*`)],
    }),
  ];
}

/** Grant `role` the CodeDeploy in-place deployments of the contract (`DeploymentKind.codeDeployServer`). */
export function grantCodeDeployServerDeployments(role: iam.Role, contract: DeploymentContract): void {
  for (const statement of codeDeployServerStatements(contract)) role.addToPrincipalPolicy(statement);
  suppressOnDefaultPolicy(role, [{
    id: 'AwsSolutions-IAM5',
    reason: 'CodeDeploy applications, deployment groups and deployment configurations named with the contract\'s prefix (and the predefined CodeDeployDefault configurations), in any region of this account.',
    appliesTo: [{ regex: `/^Resource::arn:${ANY_PARTITION}:codedeploy:\\*:<AWS::AccountId>:(application|deploymentgroup|deploymentconfig):.*\\*$/` }],
  }]);
}
