import { CfnResource, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IConstruct } from 'constructs';

/** A cdk-nag rule a construct deliberately does not follow, and why. */
export interface NagSuppression {
  readonly id: string;
  readonly reason: string;
  /**
   * Findings the suppression is limited to, e.g. `Resource::*` (IAM5), or
   * `{ regex: '/^Resource::<.*Bucket.*\\.Arn>\\/\\*$/' }` for findings that name
   * a generated logical id. Write ARNs with {@link anyPartition} or
   * {@link ANY_PARTITION}: newer aws-cdk-lib renders the partition of a stack
   * with a known region as a literal (`arn:aws:...`) where older lines render
   * `arn:<AWS::Partition>:...`.
   */
  readonly appliesTo?: Array<string | { regex: string }>;
}

/** The CloudFormation metadata cdk-nag 2 reads (`NagSuppressions`). */
const CDK_NAG_2_METADATA = 'cdk_nag';
/**
 * The construct metadata cdk-nag 3 reads: aws-cdk-lib's
 * `Validations.ACKNOWLEDGED_RULES_METADATA_KEY`, written by
 * `Validations.of(scope).acknowledge()`. Written by hand because the library's
 * aws-cdk-lib floor has no `Validations`.
 */
const ACKNOWLEDGED_RULES = 'aws:cdk:acknowledged-rules';
/** The namespace `acknowledge()` gives rule ids of annotation-style plugins; cdk-nag 3 ignores it when matching. */
const ACKNOWLEDGED_NAMESPACE = 'Annotation::';

/** Matches the partition of an ARN in a cdk-nag finding, whether rendered as a reference or a literal. */
export const ANY_PARTITION = '(?:<AWS::Partition>|aws(?:-[a-z]+)*)';

/**
 * A finding written as cdk-nag prints it on older aws-cdk-lib lines (with
 * `<AWS::Partition>`), as a pattern that also matches the literal partitions
 * newer lines render. Everything else in `finding` is matched literally.
 */
export function anyPartition(finding: string): { regex: string } {
  const literal = finding.split('<AWS::Partition>').map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  return { regex: `/^${literal.join(ANY_PARTITION)}$/` };
}

/**
 * Records suppressions on the CloudFormation resource of `construct` (or the
 * construct itself when it is one) so that both cdk-nag majors honour them:
 *
 * - cdk-nag 2: the `cdk_nag` CloudFormation metadata (`rules_to_suppress`),
 *   where `appliesTo` may hold patterns;
 * - cdk-nag 3: aws-cdk-lib acknowledgments (`aws:cdk:acknowledged-rules`
 *   construct metadata), one per exact finding (`AwsSolutions-IAM5[Resource::*]`),
 *   since cdk-nag 3 matches findings only literally. The findings a pattern
 *   matches are worked out when the app is validated (after every grant is
 *   in place), from the resource's resolved policies, the way cdk-nag's IAM
 *   rules compute them.
 *
 * Written by hand so cdk-nag stays a devDependency: the library never imports
 * it, yet users who run either major see only findings that are theirs.
 */
export function addNagSuppressions(construct: IConstruct, suppressions: readonly NagSuppression[]): void {
  const resource = construct instanceof CfnResource ? construct : construct.node.defaultChild;
  if (!(resource instanceof CfnResource)) {
    throw new Error(`addNagSuppressions: ${construct.node.path} has no CloudFormation resource to annotate`);
  }
  acknowledge(resource, suppressions);
  const existing = (resource.getMetadata(CDK_NAG_2_METADATA)?.rules_to_suppress ?? []) as unknown[];
  resource.addMetadata(CDK_NAG_2_METADATA, {
    rules_to_suppress: [
      ...existing,
      ...suppressions.map((s) => ({ id: s.id, reason: s.reason, ...(s.appliesTo ? { applies_to: s.appliesTo } : {}) })),
    ],
  });
}

/**
 * Suppresses findings on the policy CDK generates for a role's grants (its
 * `DefaultPolicy`), which holds them, when the role has one.
 */
export function suppressOnDefaultPolicy(role: IConstruct | undefined, suppressions: readonly NagSuppression[]): void {
  const policy = role?.node.tryFindChild('DefaultPolicy');
  if (policy) addNagSuppressions(policy, suppressions);
}

/** Findings for the grants CodeBuild generates on a project's own log streams and report groups. */
export const CODEBUILD_OWN_LOGS_AND_REPORTS: ReadonlyArray<{ regex: string }> = [
  { regex: `/^Resource::arn:${ANY_PARTITION}:logs:.*:log-group:\\/aws\\/codebuild\\/<.*>:\\*$/` },
  { regex: `/^Resource::arn:${ANY_PARTITION}:codebuild:.*:report-group\\/<.*>-\\*$/` },
];

/** The one AWS managed policy a Lambda function's role carries: writing its own logs. */
export function suppressLambdaBasicExecution(role: IConstruct): void {
  addNagSuppressions(role, [{
    id: 'AwsSolutions-IAM4',
    reason: 'AWSLambdaBasicExecutionRole only lets the function write its own logs.',
    appliesTo: [anyPartition('Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole')],
  }]);
}

/** cdk-nag 3 acknowledgments for `suppressions` on `resource`. */
function acknowledge(resource: CfnResource, suppressions: readonly NagSuppression[]): void {
  const exact: Record<string, string> = {};
  const patterns: Array<{ id: string; reason: string; pattern: RegExp }> = [];
  for (const s of suppressions) {
    if (!s.appliesTo) {
      exact[`${ACKNOWLEDGED_NAMESPACE}${s.id}`] = s.reason;
      continue;
    }
    for (const finding of s.appliesTo) {
      if (typeof finding === 'string') exact[`${ACKNOWLEDGED_NAMESPACE}${s.id}[${finding}]`] = s.reason;
      else patterns.push({ id: s.id, reason: s.reason, pattern: regexOf(finding.regex, resource) });
    }
  }
  if (patterns.length > 0 && !isIamResource(resource)) {
    throw new Error(`addNagSuppressions: ${resource.node.path} is a ${resource.cfnResourceType}; finding patterns are supported on IAM policies, roles, users and groups only`);
  }
  if (Object.keys(exact).length > 0) resource.node.addMetadata(ACKNOWLEDGED_RULES, exact);
  if (patterns.length === 0) return;
  // Filled in when the app is validated, which happens before validation
  // plugins such as cdk-nag 3 run and before the metadata is written out.
  const matched: Record<string, string> = {};
  resource.node.addMetadata(ACKNOWLEDGED_RULES, matched);
  resource.node.addValidation({
    validate: () => {
      for (const key of Object.keys(matched)) delete matched[key];
      for (const finding of iamFindings(resource)) {
        for (const { id, reason, pattern } of patterns) {
          if (pattern.test(finding)) matched[`${ACKNOWLEDGED_NAMESPACE}${id}[${finding}]`] = reason;
        }
      }
      return [];
    },
  });
}

/** A pattern as cdk-nag reads it: `/source/flags`. */
function regexOf(pattern: string, resource: IConstruct): RegExp {
  const parts = /^\/(.*)\/([a-z]*)$/.exec(pattern);
  if (!parts) throw new Error(`addNagSuppressions: ${resource.node.path}: '${pattern}' is not a /pattern/ regular expression`);
  return new RegExp(parts[1], parts[2]);
}

function isIamResource(resource: CfnResource): boolean {
  return resource instanceof iam.CfnPolicy || resource instanceof iam.CfnManagedPolicy
    || resource instanceof iam.CfnRole || resource instanceof iam.CfnUser || resource instanceof iam.CfnGroup;
}

/**
 * The findings cdk-nag's granular IAM rules report on a resource, in their
 * format: `Action::<action>` and `Resource::<resource>` for the wildcards of
 * allowed statements (IAM5), `Policy::<arn>` for AWS managed policies (IAM4).
 */
function iamFindings(resource: CfnResource): string[] {
  const stack = Stack.of(resource);
  const documents: any[] = [];
  const managedPolicyArns: unknown[] = [];
  if (resource instanceof iam.CfnPolicy || resource instanceof iam.CfnManagedPolicy) {
    documents.push(stack.resolve(resource.policyDocument));
  } else if (resource instanceof iam.CfnRole || resource instanceof iam.CfnUser || resource instanceof iam.CfnGroup) {
    for (const policy of stack.resolve(resource.policies) ?? []) {
      documents.push(stack.resolve(stack.resolve(policy).policyDocument));
    }
    managedPolicyArns.push(...(stack.resolve(resource.managedPolicyArns) ?? []));
  }
  const findings = new Set<string>();
  for (const document of documents) {
    for (const statement of asArray(document?.Statement)) {
      if (statement?.Effect !== 'Allow') continue;
      for (const action of asArray(statement.Action)) {
        if (typeof action === 'string' && action.includes('*')) findings.add(`Action::${action}`);
      }
      for (const target of asArray(statement.Resource)) {
        const flat = flattenReference(target);
        if (flat.includes('*')) findings.add(`Resource::${flat}`);
      }
    }
  }
  for (const arn of managedPolicyArns) {
    const flat = flattenReference(stack.resolve(arn));
    if (flat.includes(':iam::aws:')) findings.add(`Policy::${flat}`);
  }
  return [...findings];
}

/**
 * A resolved CloudFormation value as one string, the way cdk-nag names it in
 * findings: joins joined, `{ Ref: X }` as `<X>`, `Fn::GetAtt` as `<X.Attr>`,
 * `Fn::Sub` placeholders in angle brackets, anything else as JSON.
 */
function flattenReference(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const v = (value ?? {}) as Record<string, any>;
  if (v['Fn::Join']) {
    const [separator, items] = v['Fn::Join'];
    return (items as unknown[]).map(flattenReference).join(separator);
  }
  if (v['Fn::Sub']) return flattenReference(v['Fn::Sub']);
  if (v['Fn::GetAtt']) {
    const [logicalId, attribute] = v['Fn::GetAtt'];
    return `<${flattenReference(logicalId)}.${flattenReference(attribute)}>`;
  }
  if (v['Fn::ImportValue']) return flattenReference(v['Fn::ImportValue']);
  if (v.Ref) return `<${flattenReference(v.Ref)}>`;
  return JSON.stringify(value);
}

function asArray(value: unknown): any[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}
