import * as iam from 'aws-cdk-lib/aws-iam';

/**
 * The service principals the pipelines' roles trust (CrossAccountPipeline's
 * and BlueGreenEfsDeploy's), narrowed against the confused deputy (https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html):
 * the service may assume the role only on behalf of this account's own resources.
 */

/**
 * CodePipeline, for the pipelines `pipelineArns` match (ARNs or ARN patterns)
 * in `account`.
 *
 * CodePipeline's documentation does not say that it sends aws:SourceAccount or
 * aws:SourceArn when it assumes its service role, and a plain condition on a key
 * that is absent denies: every run would fail. The IfExists forms deny a request
 * that carries another account or pipeline and keep the pipeline working when
 * the keys are absent (CodePipeline checks iam:PassRole for its caller anyway,
 * which a role of another account cannot pass).
 */
export function codePipelinePrincipal(account: string, pipelineArns: string[]): iam.IPrincipal {
  return new iam.ServicePrincipal('codepipeline.amazonaws.com', {
    conditions: {
      StringEqualsIfExists: { 'aws:SourceAccount': account },
      ArnLikeIfExists: { 'aws:SourceArn': pipelineArns },
    },
  });
}

/**
 * EventBridge, for the rules `ruleArn` matches in this account. EventBridge
 * sends the rule's ARN as aws:SourceArn and its account as aws:SourceAccount
 * when it assumes a target's role
 * (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-conditions.html).
 * Give the ARN built from the rule's name, not a reference: the rule names the
 * role, so a reference back would be a circular dependency.
 */
export function eventBridgePrincipal(account: string, ruleArn: string): iam.IPrincipal {
  return new iam.ServicePrincipal('events.amazonaws.com', {
    conditions: {
      StringEquals: { 'aws:SourceAccount': account },
      ArnLike: { 'aws:SourceArn': ruleArn },
    },
  });
}
