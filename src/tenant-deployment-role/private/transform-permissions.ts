/**
 * The permission a caller needs to create a change set for a template that
 * declares transforms. Pure; no CDK imports.
 *
 * CloudFormation checks `cloudformation:CreateChangeSet` on the transform's
 * own ARN, `arn:<partition>:cloudformation:<region>:aws:transform/Serverless-2016-10-31`
 * for AWS SAM, besides the stack's ARN ("Controlling access with IAM",
 * CloudFormation User Guide, using-iam-template.html). The documented ARN is
 * that of AWS::Serverless; the other hosted transforms follow the same form
 * (the name without 'AWS::').
 */
import { transformResourceName } from '../../cross-account-pipeline/cloudformation-transform';

/** Actions and resources of the statement that admits the transforms. */
export interface TransformChangeSetStatement {
  readonly actions: string[];
  readonly resources: string[];
}

/**
 * `cloudformation:CreateChangeSet` on each named transform in one region
 * (CloudFormation expands a template in the stack's region). Names as the
 * template declares them ('AWS::Serverless-2016-10-31'); duplicates once.
 */
export function transformChangeSetStatement(transformNames: readonly string[], partition: string, region: string): TransformChangeSetStatement {
  const resources = [...new Set(transformNames)].map((name) =>
    `arn:${partition}:cloudformation:${region}:aws:transform/${transformResourceName(name)}`);
  return { actions: ['cloudformation:CreateChangeSet'], resources };
}
