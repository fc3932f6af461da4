import { Aws } from 'aws-cdk-lib';
import { codeDeployCopyPrefix } from './deployment-group-settings';

/** ARNs of the CodeDeploy and Auto Scaling resources of a release, in this stack's account and region. */
export const releaseArns = {
  application: (applicationName: string) => codeDeployArn(`application:${applicationName}`),
  /** `groupName` may be `*` for every group of the application. */
  deploymentGroup: (applicationName: string, groupName: string) => codeDeployArn(`deploymentgroup:${applicationName}/${groupName}`),
  deploymentConfig: (configName: string) => codeDeployArn(`deploymentconfig:${configName}`),
  autoScalingGroup: (groupName: string) =>
    `arn:${Aws.PARTITION}:autoscaling:${Aws.REGION}:${Aws.ACCOUNT_ID}:autoScalingGroup:*:autoScalingGroupName/${groupName}`,
  /** Every Auto Scaling group CodeDeploy copies for a blue/green deployment of `groupName`. */
  fleetCopies: (groupName: string) => releaseArns.autoScalingGroup(`${codeDeployCopyPrefix(groupName)}d-*`),
};

function codeDeployArn(resource: string): string {
  return `arn:${Aws.PARTITION}:codedeploy:${Aws.REGION}:${Aws.ACCOUNT_ID}:${resource}`;
}
