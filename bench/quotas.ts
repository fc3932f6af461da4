/**
 * The quotas a deployment of many targets runs into, in the order the
 * benchmark checks them, and the first one a measurement breaks.
 */
import { AssemblyMeasurement } from './measure';

/** One quota: its limit and the measured number it bounds. */
export interface Quota {
  readonly name: string;
  readonly limit: number;
  readonly measured: (m: AssemblyMeasurement) => number;
}

export const QUOTAS: readonly Quota[] = [
  { name: 'S3 bucket policy 20,480 B', limit: 20_480, measured: (m) => m.bucketPolicyBytes },
  { name: 'KMS key policy 32,768 B', limit: 32_768, measured: (m) => m.keyPolicyBytes },
  { name: 'IAM inline policies per role 10,240 B', limit: 10_240, measured: (m) => m.roleInlinePolicyBytes },
  { name: 'template 1,048,576 B', limit: 1_048_576, measured: (m) => m.largestTemplate.bytes },
  { name: '500 resources per stack', limit: 500, measured: (m) => m.maxResourcesPerStack },
  { name: '50 stages per pipeline', limit: 50, measured: (m) => m.maxStagesPerPipeline },
  { name: '50 actions per stage', limit: 50, measured: (m) => m.maxActionsPerStage },
  // Where CDK moves the statements that overflow a role's inline limit (its OverflowPolicy resources).
  { name: 'IAM managed policy 6,144 B', limit: 6_144, measured: (m) => m.managedPolicyBytes },
  { name: '10 managed policies per role', limit: 10, measured: (m) => m.managedPoliciesPerRole },
];

/** The first quota (in the order above) the measurement exceeds, with the measured value. */
export function firstBrokenQuota(m: AssemblyMeasurement): string | undefined {
  const broken = QUOTAS.find((q) => q.measured(m) > q.limit);
  return broken && `${broken.name} (${broken.measured(m).toLocaleString('en-US')})`;
}
