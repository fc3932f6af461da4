import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import {
  describeOverQuota, estimateResolvedLength, overQuota, PolicyMeasurement, PolicyQuota,
} from './policy-size';

/** What to tell the user for each quota a construct's policies can outgrow. */
export type PolicySizeFixes = Partial<Record<PolicyQuota, string>>;

/**
 * Measures, at synth, every key policy, bucket policy, role trust policy,
 * role inline policy set and managed policy under `scope`, resolved as far as
 * the stack can resolve it, and fails synth for each one over its quota.
 * Runs as a construct validation, so it sees grants added after construction.
 */
export function guardPolicySizes(scope: IConstruct, fixes: PolicySizeFixes): void {
  scope.node.addValidation({
    validate: () => overQuota(measurePolicies(scope)).map((m) => {
      const fix = fixes[m.quota] ?? 'split the permissions across more resources';
      return `${describeOverQuota(m)}. Fix: ${fix}`;
    }),
  });
}

/** Every policy under `scope` with its estimated deployed size. */
export function measurePolicies(scope: IConstruct): PolicyMeasurement[] {
  const measurements: PolicyMeasurement[] = [];
  const constructs = scope.node.findAll();
  const policies = constructs.filter((c): c is iam.CfnPolicy => c instanceof iam.CfnPolicy);
  const managedPolicies = constructs.filter((c): c is iam.CfnManagedPolicy => c instanceof iam.CfnManagedPolicy);
  for (const c of constructs) {
    if (c instanceof kms.CfnKey) {
      measurements.push(measure(c, 'key policy', c.keyPolicy, PolicyQuota.KMS_KEY_POLICY));
    } else if (c instanceof s3.CfnBucketPolicy) {
      measurements.push(measure(c, 'bucket policy', c.policyDocument, PolicyQuota.S3_BUCKET_POLICY));
    } else if (c instanceof iam.CfnManagedPolicy) {
      measurements.push(measure(c, 'managed policy', c.policyDocument, PolicyQuota.IAM_MANAGED_POLICY));
    } else if (c instanceof iam.CfnRole) {
      measurements.push(measure(c, 'trust policy', c.assumeRolePolicyDocument, PolicyQuota.IAM_TRUST_POLICY));
      measurements.push(measureInlinePolicies(c, policies));
      measurements.push(countManagedPolicies(c, managedPolicies));
    }
  }
  return measurements;
}

function measure(resource: IConstruct, what: string, document: unknown, quota: PolicyQuota): PolicyMeasurement {
  const resolved = Stack.of(resource).resolve(document);
  return { subject: `${what} of ${resource.node.path}`, quota, size: estimateResolvedLength(resolved) };
}

/** IAM counts the inline policies of a role together, whichever resource attaches them. */
function measureInlinePolicies(role: iam.CfnRole, policies: readonly iam.CfnPolicy[]): PolicyMeasurement {
  const stack = Stack.of(role);
  const roleRef = JSON.stringify(stack.resolve(role.ref));
  // L1 property names (policyDocument) until the template is rendered.
  const embedded = (stack.resolve(role.policies) ?? []) as Array<{ policyDocument: unknown }>;
  const attached = policies
    .filter((p) => (stack.resolve(p.roles) ?? []).some((r: unknown) => JSON.stringify(r) === roleRef))
    .map((p) => stack.resolve(p.policyDocument));
  const size = [...embedded.map((p) => p.policyDocument), ...attached]
    .map(estimateResolvedLength)
    .reduce((a, b) => a + b, 0);
  return { subject: `inline policies of ${role.node.path}`, quota: PolicyQuota.IAM_ROLE_INLINE_POLICIES, size };
}

/**
 * Managed policies attached to a role: its ManagedPolicyArns plus the managed
 * policies that attach themselves (CDK moves statements that overflow the
 * inline limit into such policies, so a large grant shows up here).
 */
function countManagedPolicies(role: iam.CfnRole, managedPolicies: readonly iam.CfnManagedPolicy[]): PolicyMeasurement {
  const stack = Stack.of(role);
  const roleRef = JSON.stringify(stack.resolve(role.ref));
  const listed = ((stack.resolve(role.managedPolicyArns) ?? []) as unknown[]).length;
  const attaching = managedPolicies
    .filter((p) => (stack.resolve(p.roles) ?? []).some((r: unknown) => JSON.stringify(r) === roleRef)).length;
  return { subject: `managed policies attached to ${role.node.path}`, quota: PolicyQuota.MANAGED_POLICIES_PER_ROLE, size: listed + attaching };
}
