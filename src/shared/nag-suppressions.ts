import { CfnResource } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/** A cdk-nag rule a construct deliberately does not follow, and why. */
export interface NagSuppression {
  readonly id: string;
  readonly reason: string;
  /**
   * Findings the suppression is limited to, e.g. `Resource::arn:...:stack/app-*`
   * (IAM5), or `{ regex: '/^Resource::<.*Bucket.*\\.Arn>\\/\\*$/' }` for findings
   * that name a generated logical id.
   */
  readonly appliesTo?: Array<string | { regex: string }>;
}

/**
 * Records suppressions in the `cdk_nag` metadata that cdk-nag reads, on the
 * CloudFormation resource of `construct` (or the construct itself when it is
 * one). Written by hand so cdk-nag stays a devDependency: the library never
 * imports it, yet users who run cdk-nag see only findings that are theirs.
 */
export function addNagSuppressions(construct: IConstruct, suppressions: readonly NagSuppression[]): void {
  const resource = construct instanceof CfnResource ? construct : construct.node.defaultChild;
  if (!(resource instanceof CfnResource)) {
    throw new Error(`addNagSuppressions: ${construct.node.path} has no CloudFormation resource to annotate`);
  }
  const existing = (resource.getMetadata('cdk_nag')?.rules_to_suppress ?? []) as unknown[];
  resource.addMetadata('cdk_nag', {
    rules_to_suppress: [
      ...existing,
      ...suppressions.map((s) => ({ id: s.id, reason: s.reason, ...(s.appliesTo ? { applies_to: s.appliesTo } : {}) })),
    ],
  });
}

/** Findings for the grants CodeBuild generates on a project's own log streams and report groups. */
export const CODEBUILD_OWN_LOGS_AND_REPORTS: ReadonlyArray<{ regex: string }> = [
  { regex: '/^Resource::arn:(<AWS::Partition>|aws[a-z-]*):logs:.*:log-group:\\/aws\\/codebuild\\/<.*>:\\*$/' },
  { regex: '/^Resource::arn:(<AWS::Partition>|aws[a-z-]*):codebuild:.*:report-group\\/<.*>-\\*$/' },
];

/** The one AWS managed policy a Lambda function's role carries: writing its own logs. */
export function suppressLambdaBasicExecution(role: IConstruct): void {
  addNagSuppressions(role, [{
    id: 'AwsSolutions-IAM4',
    reason: 'AWSLambdaBasicExecutionRole only lets the function write its own logs.',
    appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
  }]);
}
