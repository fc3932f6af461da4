/**
 * Measures a synthesized cloud assembly from the files on disk: stacks (nested
 * stacks and nested assemblies included), template sizes, pipelines, and the
 * policies that grow with targets, sized as the library sizes them
 * (`estimateResolvedLength`: intrinsics at their longest plausible value).
 */
import * as fs from 'fs';
import * as path from 'path';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { estimateResolvedLength } from '../src/shared/policy-size';

/** What one run produced. */
export interface AssemblyMeasurement {
  readonly pipelines: number;
  /** Stacks, nested stacks included. */
  readonly stacks: number;
  /** The largest template file as written, and the resource count of its stack. */
  readonly largestTemplate: { readonly file: string; readonly bytes: number; readonly resources: number };
  readonly maxResourcesPerStack: number;
  /** Largest KeyPolicy of an AWS::KMS::Key. */
  readonly keyPolicyBytes: number;
  /** Largest PolicyDocument of an AWS::S3::BucketPolicy. */
  readonly bucketPolicyBytes: number;
  /** Largest sum of the inline policies of one role (its Policies and the AWS::IAM::Policy resources naming it). */
  readonly roleInlinePolicyBytes: number;
  /** Most managed policies attached to one role (CDK moves what overflows the inline limit into them). */
  readonly managedPoliciesPerRole: number;
  /** Largest PolicyDocument of an AWS::IAM::ManagedPolicy. */
  readonly managedPolicyBytes: number;
  /** Largest identity policy total (inline and attached managed policies) of a role a pipeline runs as. */
  readonly pipelineRolePolicyBytes: number;
  readonly maxStagesPerPipeline: number;
  readonly maxActionsPerStage: number;
}

interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, any>;
}

interface Template {
  readonly file: string;
  readonly bytes: number;
  readonly resources: Record<string, CfnResource>;
}

export function measureAssembly(assembly: cxapi.CloudAssembly): AssemblyMeasurement {
  const templates = templatesOf(assembly);
  const largest = templates.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  const pipelines = templates.flatMap((t) => resourcesOfType(t, 'AWS::CodePipeline::Pipeline').map(([, r]) => r));
  const roleSizes = templates.map(inlinePolicySizesByRole);
  const managedSizes = templates.map(managedPolicySizesByRole);
  const pipelineRoleSizes = templates.flatMap((t, i) => pipelineRoleIds(t)
    .map((id) => (roleSizes[i].get(id) ?? 0) + (managedSizes[i].get(id) ?? 0)));
  const stages = pipelines.flatMap((p) => (p.Properties?.Stages ?? []) as Array<{ Actions?: unknown[] }>);
  return {
    pipelines: pipelines.length,
    stacks: templates.length,
    largestTemplate: { file: largest.file, bytes: largest.bytes, resources: Object.keys(largest.resources).length },
    maxResourcesPerStack: max(templates.map((t) => Object.keys(t.resources).length)),
    keyPolicyBytes: max(templates.flatMap((t) => resourcesOfType(t, 'AWS::KMS::Key').map(([, r]) => estimateResolvedLength(r.Properties?.KeyPolicy)))),
    bucketPolicyBytes: max(templates.flatMap((t) =>
      resourcesOfType(t, 'AWS::S3::BucketPolicy').map(([, r]) => estimateResolvedLength(r.Properties?.PolicyDocument)))),
    roleInlinePolicyBytes: max(roleSizes.flatMap((sizes) => [...sizes.values()])),
    managedPoliciesPerRole: max(templates.flatMap((t) => [...managedPolicyCountsByRole(t).values()])),
    managedPolicyBytes: max(templates.flatMap((t) =>
      resourcesOfType(t, 'AWS::IAM::ManagedPolicy').map(([, r]) => estimateResolvedLength(r.Properties?.PolicyDocument)))),
    pipelineRolePolicyBytes: max(pipelineRoleSizes),
    maxStagesPerPipeline: max(pipelines.map((p) => (p.Properties?.Stages ?? []).length)),
    maxActionsPerStage: max(stages.map((s) => (s.Actions ?? []).length)),
  };
}

/** Every stack template: top-level stacks of every (nested) assembly, and the nested stack templates beside them. */
function templatesOf(assembly: cxapi.CloudAssembly): Template[] {
  const stackFiles = assembly.stacksRecursively.map((s) => s.templateFullPath);
  const nestedFiles = assembliesOf(assembly).flatMap((a) => fs.readdirSync(a.directory)
    .filter((f) => f.endsWith('.nested.template.json'))
    .map((f) => path.join(a.directory, f)));
  return [...stackFiles, ...nestedFiles].map((file) => {
    const text = fs.readFileSync(file, 'utf8');
    return { file: path.basename(file), bytes: Buffer.byteLength(text), resources: JSON.parse(text).Resources ?? {} };
  });
}

function assembliesOf(assembly: cxapi.CloudAssembly): cxapi.CloudAssembly[] {
  return [assembly, ...assembly.nestedAssemblies.flatMap((a) => assembliesOf(a.nestedAssembly))];
}

function resourcesOfType(template: Template, type: string): Array<[string, CfnResource]> {
  return Object.entries(template.resources).filter(([, r]) => r.Type === type);
}

/**
 * IAM counts all inline policies of a role together: the role's own Policies
 * plus every AWS::IAM::Policy that lists it in Roles. Keyed by the role's
 * logical id (or, for a role of another stack, by how it is referenced).
 */
function inlinePolicySizesByRole(template: Template): Map<string, number> {
  const sizes = new Map<string, number>();
  const add = (role: string, bytes: number) => sizes.set(role, (sizes.get(role) ?? 0) + bytes);
  for (const [id, role] of resourcesOfType(template, 'AWS::IAM::Role')) {
    const policies = (role.Properties?.Policies ?? []) as Array<{ PolicyDocument: unknown }>;
    add(id, policies.map((p) => estimateResolvedLength(p.PolicyDocument)).reduce((a, b) => a + b, 0));
  }
  for (const [, policy] of resourcesOfType(template, 'AWS::IAM::Policy')) {
    const bytes = estimateResolvedLength(policy.Properties?.PolicyDocument);
    for (const role of (policy.Properties?.Roles ?? []) as unknown[]) add(roleKey(role), bytes);
  }
  return sizes;
}

/** Managed policies per role: its ManagedPolicyArns plus the AWS::IAM::ManagedPolicy resources that list it in Roles. */
function managedPolicyCountsByRole(template: Template): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (role: string, n: number) => counts.set(role, (counts.get(role) ?? 0) + n);
  for (const [id, role] of resourcesOfType(template, 'AWS::IAM::Role')) add(id, (role.Properties?.ManagedPolicyArns ?? []).length);
  for (const [, policy] of resourcesOfType(template, 'AWS::IAM::ManagedPolicy')) {
    for (const role of (policy.Properties?.Roles ?? []) as unknown[]) add(roleKey(role), 1);
  }
  return counts;
}

/** Bytes of the AWS::IAM::ManagedPolicy resources of this template attached to each role. */
function managedPolicySizesByRole(template: Template): Map<string, number> {
  const sizes = new Map<string, number>();
  for (const [, policy] of resourcesOfType(template, 'AWS::IAM::ManagedPolicy')) {
    const bytes = estimateResolvedLength(policy.Properties?.PolicyDocument);
    for (const role of (policy.Properties?.Roles ?? []) as unknown[]) sizes.set(roleKey(role), (sizes.get(roleKey(role)) ?? 0) + bytes);
  }
  return sizes;
}

/** A role reference: the logical id of `{ Ref }`, or the reference itself for a role of another stack. */
function roleKey(role: unknown): string {
  const ref = (role as { Ref?: unknown }).Ref;
  return typeof ref === 'string' ? ref : JSON.stringify(role);
}

/** Logical ids of the roles the pipelines of this template run as (`RoleArn: Fn::GetAtt [Role, Arn]`). */
function pipelineRoleIds(template: Template): string[] {
  return resourcesOfType(template, 'AWS::CodePipeline::Pipeline')
    .map(([, p]) => p.Properties?.RoleArn?.['Fn::GetAtt']?.[0])
    .filter((id): id is string => typeof id === 'string');
}

function max(values: number[]): number {
  return values.reduce((a, b) => Math.max(a, b), 0);
}
