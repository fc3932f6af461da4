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
    case 'Fn::GetAtt':
      // ['Key', 'Arn'] or 'Key.Arn': either way, an ARN attribute ends the text.
      return attributeLength(Array.isArray(arg) ? String(arg[1]) : String(arg));
    case 'Fn::Join': {
      const [separator, parts] = arg as [string, unknown[]];
      if (!Array.isArray(parts)) return UNKNOWN_REFERENCE_LENGTH;
      return parts.map(partLength).reduce((a, b) => a + b, 0) + separator.length * Math.max(parts.length - 1, 0);
    }
    case 'Fn::Sub': {
      const [template, variables] = Array.isArray(arg) ? [String(arg[0]), arg[1]] : [String(arg), undefined];
      return jsonTextLength(template.replace(/\$\{([^}]+)\}/g, (_, variable: string) => 'x'.repeat(subVariableLength(variable, variables))));
    }
    case 'Fn::ImportValue':
      // What a policy imports is the ARN of a key, bucket or role of another stack.
      return UNKNOWN_ARN_LENGTH;
    case 'Fn::Select': {
      // [index, list]: the longest item of a literal list; a list still unresolved
      // (Fn::Split, Fn::GetAZs, a Ref) is an unknown value.
      const list = Array.isArray(arg) ? arg[1] : undefined;
      return Array.isArray(list) ? longest(list) : UNKNOWN_REFERENCE_LENGTH;
    }
    case 'Fn::If':
      // [condition, value if true, value if false]: the longer value, which may be a whole statement.
      return Array.isArray(arg) ? longest(arg.slice(1)) : UNKNOWN_REFERENCE_LENGTH;
    case 'Fn::Base64':
      return 4 * Math.ceil(partLength(arg) / 3);
    case 'Fn::FindInMap':
      return UNKNOWN_REFERENCE_LENGTH;
  }
  return undefined; // not an intrinsic: an object like any other
}

/** `${Name}` of a `Fn::Sub`: a value of its variable map, else a GetAtt (with a dot), a pseudo parameter or a Ref. */
function subVariableLength(variable: string, variables: unknown): number {
  const map = (variables ?? {}) as Record<string, unknown>;
  if (Object.prototype.hasOwnProperty.call(map, variable)) return partLength(map[variable]);
  if (variable.includes('.')) return attributeLength(variable);
  return PSEUDO_PARAMETER_LENGTHS[variable] ?? UNKNOWN_REFERENCE_LENGTH;
}

/** A GetAtt whose attribute (alone, or after `Key.` in the dotted form) ends in `Arn` is an ARN. */
function attributeLength(attribute: string): number {
  return attribute.endsWith('Arn') ? UNKNOWN_ARN_LENGTH : UNKNOWN_REFERENCE_LENGTH;
}

function longest(values: unknown[]): number {
  return Math.max(0, ...values.map(partLength));
}

/** Length of a string inside a JSON document, without its quotes (`"` counts 2: `\"`). */
function jsonTextLength(text: string): number {
  return JSON.stringify(text).length - 2;
}

/** Length of one resolved value where it becomes text (a `Fn::Join` part, a `Fn::Sub` variable, a branch). */
function partLength(part: unknown): number {
  if (typeof part === 'string') return jsonTextLength(part);
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
