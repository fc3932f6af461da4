/**
 * Sizes of resolved policy documents against the AWS quotas that bound them.
 * Pure: it takes a CloudFormation-resolved value (plain JSON with intrinsics
 * such as `Ref`, `Fn::GetAtt`, `Fn::Join`) and estimates how many characters
 * the policy will have once CloudFormation substitutes real values. Unknown
 * values are counted at their longest plausible length, so the estimate errs
 * high and synth fails before a deploy would.
 */

/** The quotas of REFERENCE.md, in characters (bytes for KMS and S3). */
export enum PolicyQuota {
  KMS_KEY_POLICY = 32_768,
  S3_BUCKET_POLICY = 20_480,
  IAM_ROLE_INLINE_POLICIES = 10_240,
  IAM_MANAGED_POLICY = 6_144,
  IAM_TRUST_POLICY = 2_048,
  /** A count, not a size: managed policies attached to one role (raisable to 20). */
  MANAGED_POLICIES_PER_ROLE = 10,
}

/** Human name of each quota, for error messages. */
export const QUOTA_NAMES: Record<PolicyQuota, string> = {
  [PolicyQuota.KMS_KEY_POLICY]: 'KMS key policy limit',
  [PolicyQuota.S3_BUCKET_POLICY]: 'S3 bucket policy limit',
  [PolicyQuota.IAM_ROLE_INLINE_POLICIES]: 'IAM limit for all inline policies of one role',
  [PolicyQuota.IAM_MANAGED_POLICY]: 'IAM managed policy limit',
  [PolicyQuota.IAM_TRUST_POLICY]: 'IAM role trust policy limit (default; raisable to 4,096)',
  [PolicyQuota.MANAGED_POLICIES_PER_ROLE]: 'IAM limit of managed policies attached to one role (default; raisable to 20)',
};

/** Longest values a pseudo parameter can take. */
const PSEUDO_PARAMETER_LENGTHS: Record<string, number> = {
  'AWS::AccountId': 12,
  'AWS::Region': 14, // ap-southeast-2
  'AWS::Partition': 10, // aws-us-gov
  'AWS::URLSuffix': 16, // amazonaws.com.cn
  'AWS::StackName': 128,
  'AWS::StackId': 160,
  'AWS::NoValue': 0,
};

/** Longest value a `Ref` or `Fn::GetAtt` of an unknown resource is assumed to take. */
const UNKNOWN_REFERENCE_LENGTH = 128;
/** Longest ARN plausible for `Fn::GetAtt X.Arn`. */
const UNKNOWN_ARN_LENGTH = 160;

/**
 * Estimated length, in characters, of a value after CloudFormation resolves it,
 * as AWS measures policies: JSON without insignificant white space.
 */
export function estimateResolvedLength(value: unknown): number {
  return JSON.stringify(placeholderFor(value)).length;
}

/**
 * Replaces each intrinsic with a string of its longest plausible length, so that
 * `JSON.stringify` of the result measures the deployed policy.
 */
function placeholderFor(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(placeholderFor);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [key, arg] = entries[0];
    const length = intrinsicLength(key, arg);
    if (length !== undefined) return 'x'.repeat(length);
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, placeholderFor(v)]));
}

function intrinsicLength(name: string, arg: unknown): number | undefined {
  switch (name) {
    case 'Ref':
      return typeof arg === 'string' ? PSEUDO_PARAMETER_LENGTHS[arg] ?? UNKNOWN_REFERENCE_LENGTH : UNKNOWN_REFERENCE_LENGTH;
    case 'Fn::GetAtt': {
      const attribute = Array.isArray(arg) ? String(arg[1]) : String(arg).split('.').slice(1).join('.');
      return attribute === 'Arn' || attribute.endsWith('Arn') ? UNKNOWN_ARN_LENGTH : UNKNOWN_REFERENCE_LENGTH;
    }
    case 'Fn::Join': {
      const [separator, parts] = arg as [string, unknown[]];
      if (!Array.isArray(parts)) return UNKNOWN_REFERENCE_LENGTH;
      return parts.map(partLength).reduce((a, b) => a + b, 0) + separator.length * Math.max(parts.length - 1, 0);
    }
    case 'Fn::Sub': {
      const template = Array.isArray(arg) ? String(arg[0]) : String(arg);
      return template.replace(/\$\{([^}]+)\}/g, (_, variable: string) =>
        'x'.repeat(PSEUDO_PARAMETER_LENGTHS[variable] ?? UNKNOWN_REFERENCE_LENGTH)).length;
    }
    case 'Fn::ImportValue':
    case 'Fn::Select':
    case 'Fn::FindInMap':
    case 'Fn::If':
    case 'Fn::Base64':
      return UNKNOWN_REFERENCE_LENGTH;
    default:
      return undefined;
  }
}

/** Length of one part of a `Fn::Join`, without the quotes a JSON string would add. */
function partLength(part: unknown): number {
  if (typeof part === 'string') return JSON.stringify(part).length - 2;
  const placeholder = placeholderFor(part);
  if (typeof placeholder === 'string') return placeholder.length;
  return JSON.stringify(placeholder).length;
}

/** One measured policy. */
export interface PolicyMeasurement {
  /** What was measured, e.g. the construct path of the resource. */
  readonly subject: string;
  readonly quota: PolicyQuota;
  readonly size: number;
}

/** The measurements over their quota. */
export function overQuota(measurements: readonly PolicyMeasurement[]): PolicyMeasurement[] {
  return measurements.filter((m) => m.size > m.quota);
}

/** One line per measurement over its quota, naming the subject, size and limit. */
export function describeOverQuota(measurement: PolicyMeasurement): string {
  const unit = measurement.quota === PolicyQuota.MANAGED_POLICIES_PER_ROLE ? 'policies' : 'characters';
  return `${measurement.subject} is ${measurement.size.toLocaleString('en-US')} ${unit}, over the ` +
    `${QUOTA_NAMES[measurement.quota]} of ${(measurement.quota as number).toLocaleString('en-US')}`;
}
