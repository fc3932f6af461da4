/**
 * Reads a synthesized cloud assembly and extracts the IAM-relevant facts of
 * every stack (roles, buckets, KMS keys, EFS file systems) with all
 * intrinsics resolved, as they would look after deployment. Test-only: feeds
 * test/support/access-model.ts.
 */
import * as cxapi from 'aws-cdk-lib/cx-api';
import { CfnResource, IntrinsicResolver, StackContext } from './intrinsics';

export interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: any[] | any;
}

export interface NamedPolicy {
  readonly name: string;
  readonly document: PolicyDocument;
}

/** Where a fact came from, for error messages and explanations. */
export interface Source {
  readonly stackName: string;
  readonly logicalId: string;
}

export interface LoadedRole {
  readonly arn: string;
  readonly name: string;
  readonly account: string;
  readonly roleId: string;
  readonly trustPolicy: PolicyDocument;
  readonly identityPolicies: NamedPolicy[];
  readonly permissionsBoundary?: NamedPolicy;
  readonly source: Source;
}

export interface LoadedBucket {
  readonly arn: string;
  readonly name: string;
  readonly account: string;
  readonly region: string;
  readonly bucketPolicy?: PolicyDocument;
  /**
   * All four Block Public Access settings are explicitly on in the template.
   * A missing configuration counts as off: we do not rely on the S3 default.
   */
  readonly blockPublicAccess: boolean;
  /** The RestrictPublicBuckets setting, the one that matters for policy evaluation. */
  readonly restrictPublicBuckets: boolean;
  readonly source: Source;
}

export interface LoadedKey {
  readonly arn: string;
  readonly keyId: string;
  readonly account: string;
  readonly region: string;
  readonly keyPolicy: PolicyDocument;
  /** Full alias names, e.g. 'alias/foo'. */
  readonly aliases: string[];
  readonly source: Source;
}

export interface LoadedAccessPoint {
  readonly arn: string;
  readonly accessPointId: string;
  /** Root directory the access point exposes, e.g. '/app' ('/' when not set). */
  readonly path: string;
  readonly source: Source;
}

export interface LoadedFileSystem {
  readonly arn: string;
  readonly fileSystemId: string;
  readonly account: string;
  readonly region: string;
  /** The FileSystemPolicy property; without one EFS applies its default policy (see access-model.ts). */
  readonly fileSystemPolicy?: PolicyDocument;
  readonly accessPoints: LoadedAccessPoint[];
  readonly source: Source;
}

export interface LoadedRepository {
  readonly arn: string;
  /** The repository name, e.g. 'cdkx-main/assets'. */
  readonly name: string;
  readonly account: string;
  readonly region: string;
  /** The RepositoryPolicyText; undefined when the repository has none. */
  readonly repositoryPolicy?: PolicyDocument;
  readonly source: Source;
}

export interface LoadedAssembly {
  readonly stacks: Array<{ stackName: string; account: string; region: string }>;
  readonly roles: LoadedRole[];
  readonly buckets: LoadedBucket[];
  readonly keys: LoadedKey[];
  readonly fileSystems: LoadedFileSystem[];
  readonly repositories: LoadedRepository[];
  /**
   * Resource policies the loader does not evaluate, by service, with where
   * they are declared: the access model refuses requests to that service in
   * that account instead of evaluating them without the policy.
   */
  readonly unmodelledResourcePolicies: Array<{ service: string; account: string; source: Source }>;
  /**
   * Resolves `value` (e.g. `{ Ref: logicalId }`) in the named stack as the
   * loader does: the deployed physical names and ARNs the policies use.
   */
  readonly resolve: (stackName: string, value: unknown) => any;
}

/** Resource types that attach a resource policy the access model does not evaluate, by service. */
const UNMODELLED_RESOURCE_POLICY_TYPES: Record<string, string> = {
  'AWS::SSM::ResourcePolicy': 'ssm',
  'AWS::SecretsManager::ResourcePolicy': 'secretsmanager',
  // A function's resource policy is the sum of its AWS::Lambda::Permission statements.
  'AWS::Lambda::Permission': 'lambda',
};

export interface LoadAssemblyOptions {
  /** Environment for environment-agnostic stacks; without it such stacks are an error. */
  readonly defaultEnv?: { account: string; region: string };
  /**
   * Documents for managed policies that are not in the assembly (AWS-managed
   * policies, or customer policies created elsewhere), keyed by ARN.
   */
  readonly awsManagedPolicies?: Record<string, PolicyDocument>;
}

/** A stack with its resolver, before facts are extracted. */
interface StackInfo {
  readonly stackName: string;
  readonly account: string;
  readonly region: string;
  readonly resources: Record<string, CfnResource>;
  readonly outputs: Record<string, any>;
  readonly resolver: IntrinsicResolver;
}

/** Loads an assembly object (from `app.synth()`) or an assembly directory. */
export function loadAssembly(source: cxapi.CloudAssembly | string, options: LoadAssemblyOptions = {}): LoadedAssembly {
  const assembly = typeof source === 'string' ? new cxapi.CloudAssembly(source) : source;
  const stacks = assembly.stacksRecursively.map((artifact) => stackInfo(artifact, options, () => exportsByName));
  // Exports are resolved lazily so that Fn::ImportValue works in any stack order.
  const exportsByName = collectExports(stacks);

  const managedPolicies = collect(stacks, 'AWS::IAM::ManagedPolicy', (stack, id, props) => ({
    arn: stack.resolver.ref(id) as string,
    account: stack.account,
    name: stack.resolver.physicalName(id),
    roles: resolveList(stack, props.Roles, `Resources.${id}.Properties.Roles`),
    document: stack.resolver.resolve(props.PolicyDocument, `Resources.${id}.Properties.PolicyDocument`) as PolicyDocument,
  }));
  const inlinePolicies = collect(stacks, 'AWS::IAM::Policy', (stack, id, props) => ({
    account: stack.account,
    name: stack.resolver.resolve(props.PolicyName, `Resources.${id}.Properties.PolicyName`) as string,
    roles: resolveList(stack, props.Roles, `Resources.${id}.Properties.Roles`),
    document: stack.resolver.resolve(props.PolicyDocument, `Resources.${id}.Properties.PolicyDocument`) as PolicyDocument,
  }));

  const managedPolicyDocument = (arn: string, where: string): NamedPolicy => {
    const inAssembly = managedPolicies.find((p) => p.arn === arn);
    if (inAssembly) {
      return { name: arn, document: inAssembly.document };
    }
    const known = options.awsManagedPolicies?.[arn];
    if (!known) {
      throw new Error(`${where}: managed policy ${arn} is not in the assembly; pass its document in awsManagedPolicies`);
    }
    return { name: arn, document: known };
  };

  const roles = collect(stacks, 'AWS::IAM::Role', (stack, id, props): LoadedRole => {
    const name = stack.resolver.physicalName(id);
    const at = (prop: string) => `Resources.${id}.Properties.${prop}`;
    const where = `[${stack.stackName}] role ${id}`;
    const attachedTo = (p: { account: string; roles: string[] }) => p.account === stack.account && p.roles.includes(name);
    const boundaryArn = props.PermissionsBoundary !== undefined ? stack.resolver.resolve(props.PermissionsBoundary, at('PermissionsBoundary')) : undefined;
    return {
      arn: stack.resolver.getAtt(id, 'Arn'),
      name,
      account: stack.account,
      roleId: stack.resolver.getAtt(id, 'RoleId'),
      trustPolicy: stack.resolver.resolve(props.AssumeRolePolicyDocument, at('AssumeRolePolicyDocument')),
      identityPolicies: [
        ...(stack.resolver.resolve(props.Policies ?? [], at('Policies')) as any[])
          .map((p) => ({ name: `${id}/${p.PolicyName}`, document: p.PolicyDocument })),
        ...inlinePolicies.filter(attachedTo).map((p) => ({ name: p.name, document: p.document })),
        ...managedPolicies.filter(attachedTo).map((p) => ({ name: p.arn, document: p.document })),
        ...resolveList(stack, props.ManagedPolicyArns, at('ManagedPolicyArns'))
          .filter((arn) => !managedPolicies.some((p) => p.arn === arn && attachedTo(p))) // attached both ways: count once
          .map((arn) => managedPolicyDocument(arn, where)),
      ],
      permissionsBoundary: boundaryArn !== undefined ? managedPolicyDocument(boundaryArn, `${where} permissions boundary`) : undefined,
      source: { stackName: stack.stackName, logicalId: id },
    };
  });

  const bucketPolicies = collect(stacks, 'AWS::S3::BucketPolicy', (stack, id, props) => ({
    account: stack.account,
    bucket: stack.resolver.resolve(props.Bucket, `Resources.${id}.Properties.Bucket`) as string,
    document: stack.resolver.resolve(props.PolicyDocument, `Resources.${id}.Properties.PolicyDocument`) as PolicyDocument,
    logicalId: id,
  }));
  const buckets = collect(stacks, 'AWS::S3::Bucket', (stack, id, props): LoadedBucket => {
    const name = stack.resolver.physicalName(id);
    const policies = bucketPolicies.filter((p) => p.bucket === name);
    if (policies.length > 1) {
      throw new Error(`bucket ${name} has several AWS::S3::BucketPolicy resources (${policies.map((p) => p.logicalId).join(', ')})`);
    }
    const bpa = stack.resolver.resolve(props.PublicAccessBlockConfiguration ?? {}, `Resources.${id}.Properties.PublicAccessBlockConfiguration`);
    const on = (flag: string) => bpa[flag] === true || bpa[flag] === 'true';
    return {
      arn: stack.resolver.getAtt(id, 'Arn'),
      name,
      account: stack.account,
      region: stack.region,
      bucketPolicy: policies[0]?.document,
      blockPublicAccess: ['BlockPublicAcls', 'BlockPublicPolicy', 'IgnorePublicAcls', 'RestrictPublicBuckets'].every(on),
      restrictPublicBuckets: on('RestrictPublicBuckets'),
      source: { stackName: stack.stackName, logicalId: id },
    };
  });

  const aliases = collect(stacks, 'AWS::KMS::Alias', (stack, id, props) => ({
    account: stack.account,
    region: stack.region,
    name: stack.resolver.resolve(props.AliasName, `Resources.${id}.Properties.AliasName`) as string,
    target: stack.resolver.resolve(props.TargetKeyId, `Resources.${id}.Properties.TargetKeyId`) as string,
  }));
  const keys = collect(stacks, 'AWS::KMS::Key', (stack, id, props): LoadedKey => {
    const keyId = stack.resolver.physicalName(id);
    const arn = stack.resolver.getAtt(id, 'Arn');
    return {
      arn,
      keyId,
      account: stack.account,
      region: stack.region,
      keyPolicy: stack.resolver.resolve(props.KeyPolicy, `Resources.${id}.Properties.KeyPolicy`),
      // TargetKeyId accepts the key id or the key ARN.
      aliases: aliases
        .filter((a) => a.account === stack.account && a.region === stack.region && (a.target === keyId || a.target === arn))
        .map((a) => a.name),
      source: { stackName: stack.stackName, logicalId: id },
    };
  });

  const accessPoints = collect(stacks, 'AWS::EFS::AccessPoint', (stack, id, props) => ({
    account: stack.account,
    region: stack.region,
    fileSystemId: stack.resolver.resolve(props.FileSystemId, `Resources.${id}.Properties.FileSystemId`) as string,
    accessPoint: {
      arn: stack.resolver.getAtt(id, 'Arn'),
      accessPointId: stack.resolver.physicalName(id),
      path: (stack.resolver.resolve(props.RootDirectory?.Path ?? '/', `Resources.${id}.Properties.RootDirectory.Path`) as string),
      source: { stackName: stack.stackName, logicalId: id },
    } satisfies LoadedAccessPoint,
  }));
  const fileSystems = collect(stacks, 'AWS::EFS::FileSystem', (stack, id, props): LoadedFileSystem => {
    const fileSystemId = stack.resolver.physicalName(id);
    return {
      arn: stack.resolver.getAtt(id, 'Arn'),
      fileSystemId,
      account: stack.account,
      region: stack.region,
      fileSystemPolicy: props.FileSystemPolicy !== undefined
        ? stack.resolver.resolve(props.FileSystemPolicy, `Resources.${id}.Properties.FileSystemPolicy`)
        : undefined,
      accessPoints: accessPoints
        .filter((a) => a.account === stack.account && a.region === stack.region && a.fileSystemId === fileSystemId)
        .map((a) => a.accessPoint),
      source: { stackName: stack.stackName, logicalId: id },
    };
  });

  const repositories = collect(stacks, 'AWS::ECR::Repository', (stack, id, props): LoadedRepository => ({
    arn: stack.resolver.getAtt(id, 'Arn'),
    name: stack.resolver.physicalName(id),
    account: stack.account,
    region: stack.region,
    repositoryPolicy: props.RepositoryPolicyText !== undefined
      ? stack.resolver.resolve(props.RepositoryPolicyText, `Resources.${id}.Properties.RepositoryPolicyText`)
      : undefined,
    source: { stackName: stack.stackName, logicalId: id },
  }));

  const unmodelledResourcePolicies = Object.entries(UNMODELLED_RESOURCE_POLICY_TYPES).flatMap(([type, service]) =>
    collect(stacks, type, (stack, id) => ({ service, account: stack.account, source: { stackName: stack.stackName, logicalId: id } })));

  return {
    stacks: stacks.map(({ stackName, account, region }) => ({ stackName, account, region })),
    roles,
    buckets,
    keys,
    fileSystems,
    repositories,
    unmodelledResourcePolicies,
    resolve: (stackName, value) => {
      const stack = stacks.find((st) => st.stackName === stackName);
      if (!stack) {
        throw new Error(`no stack ${stackName} in the assembly (${stacks.map((st) => st.stackName).join(', ')})`);
      }
      return stack.resolver.resolve(value);
    },
  };
}

function stackInfo(
  artifact: cxapi.CloudFormationStackArtifact,
  options: LoadAssemblyOptions,
  exports: () => Map<string, () => unknown>,
): StackInfo {
  const template = artifact.template ?? {};
  const resources: Record<string, CfnResource> = template.Resources ?? {};
  const nested = Object.keys(resources).filter((id) => resources[id].Type === 'AWS::CloudFormation::Stack');
  if (nested.length > 0) {
    // Their templates live elsewhere; silently skipping them would hide roles and policies.
    throw new Error(`[${artifact.stackName}] nested stacks are not supported by the access model: ${nested.join(', ')}`);
  }
  const env = artifact.environment;
  const account = env.account !== cxapi.UNKNOWN_ACCOUNT ? env.account : options.defaultEnv?.account;
  const region = env.region !== cxapi.UNKNOWN_REGION ? env.region : options.defaultEnv?.region;
  if (!account || !region) {
    throw new Error(`[${artifact.stackName}] is environment-agnostic (${env.account}/${env.region}); pass defaultEnv to the access model`);
  }
  const ctx: StackContext = {
    stackName: artifact.stackName,
    account,
    region,
    resources,
    parameters: template.Parameters,
    conditions: template.Conditions,
    mappings: template.Mappings,
    importValue: (name) => {
      const found = exports().get(`${account}/${region}/${name}`);
      if (!found) {
        throw new Error(`[${artifact.stackName}] Fn::ImportValue ${name}: no stack in ${account}/${region} exports it`);
      }
      return found();
    },
  };
  const outputs = template.Outputs ?? {};
  return { stackName: artifact.stackName, account, region, resources, outputs, resolver: new IntrinsicResolver(ctx) };
}

/** Exports of every stack, keyed by account/region/name, resolved on first use. */
function collectExports(stacks: StackInfo[]): Map<string, () => unknown> {
  const result = new Map<string, () => unknown>();
  for (const stack of stacks) {
    for (const [id, output] of Object.entries(stack.outputs)) {
      if (output.Export?.Name === undefined) {
        continue;
      }
      const name = stack.resolver.resolve(output.Export.Name, `Outputs.${id}.Export.Name`);
      result.set(`${stack.account}/${stack.region}/${name}`, () => stack.resolver.resolve(output.Value, `Outputs.${id}.Value`));
    }
  }
  return result;
}

/** Maps every resource of `type` (whose Condition, if any, holds) in every stack. */
function collect<T>(stacks: StackInfo[], type: string, fn: (stack: StackInfo, logicalId: string, props: Record<string, any>) => T): T[] {
  const result: T[] = [];
  for (const stack of stacks) {
    for (const [id, resource] of Object.entries(stack.resources)) {
      if (resource.Type !== type) {
        continue;
      }
      if (resource.Condition !== undefined && !stack.resolver.condition(resource.Condition, `Resources.${id}.Condition`)) {
        continue;
      }
      result.push(fn(stack, id, resource.Properties ?? {}));
    }
  }
  return result;
}

function resolveList(stack: StackInfo, value: unknown, path: string): string[] {
  const resolved = stack.resolver.resolve(value ?? [], path);
  if (!Array.isArray(resolved) || resolved.some((v) => typeof v !== 'string')) {
    throw new Error(`[${stack.stackName}] ${path}: expected a list of strings, got ${JSON.stringify(resolved)}`);
  }
  return resolved;
}
