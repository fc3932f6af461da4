/**
 * "Would AWS allow this request?" for a synthesized multi-account assembly.
 *
 * The assembly loader (./assembly) provides the deployed policies; this file
 * decides which of them apply to a request, fills the request context the way
 * AWS would, and lets @cloud-copilot/iam-simulate apply real IAM evaluation
 * logic (same- vs cross-account, trust, key, bucket and EFS file system
 * policies, boundaries, S3 BPA).
 *
 * @cloud-copilot/iam-simulate is AGPL: it must only ever be imported from test code.
 */
import {
  anonymousPrincipal,
  getDenialReasons,
  getGrantReasons,
  runSimulation,
  runUnsafeSimulation,
  type Simulation,
} from '@cloud-copilot/iam-simulate';
import type * as cxapi from 'aws-cdk-lib/cx-api';
import {
  loadAssembly,
  LoadAssemblyOptions,
  LoadedAssembly,
  LoadedAccessPoint,
  LoadedBucket,
  LoadedFileSystem,
  LoadedKey,
  LoadedRepository,
  LoadedRole,
  NamedPolicy,
  PolicyDocument,
} from './assembly';

export type Decision = 'Allowed' | 'ImplicitlyDenied' | 'ExplicitlyDenied';

/** The decision plus a human-readable account of how it was reached. */
export interface AccessResult {
  readonly decision: Decision;
  readonly explanation: string;
}

/**
 * Identity side of a principal:
 * - 'allow-all-tested': an identity policy allowing exactly the action on the
 *   resource of each request, so that only the resource side decides;
 * - a list of policies: exactly these.
 */
export type IdentitySpec = 'allow-all-tested' | NamedPolicy[];

export interface RolePrincipal {
  readonly kind: 'role';
  /** The role ARN, with path. */
  readonly arn: string;
  readonly account: string;
  readonly roleId: string;
  readonly identity: IdentitySpec;
  readonly permissionsBoundary?: NamedPolicy;
}

/** A web identity (OIDC) provider calling sts:AssumeRoleWithWebIdentity. */
export interface WebIdentityPrincipal {
  readonly kind: 'web-identity';
  /** The OIDC provider ARN, as used in `Principal.Federated`. */
  readonly providerArn: string;
}

export interface AnonymousPrincipal {
  readonly kind: 'anonymous';
}

/**
 * An AWS service acting with its own service principal (e.g. Lambda fetching
 * a function's image); it has no identity policy, so only the resource policy
 * decides. Pass what the service sends (aws:SourceArn, aws:SourceAccount) as context.
 */
export interface ServicePrincipalSpec {
  readonly kind: 'service';
  /** e.g. 'lambda.amazonaws.com' */
  readonly service: string;
}

export type AccessPrincipal = RolePrincipal | WebIdentityPrincipal | AnonymousPrincipal | ServicePrincipalSpec;

/** A role of the assembly: usable as a principal, and carries its trust policy. */
export interface ModelRole extends LoadedRole, RolePrincipal {
  readonly identity: NamedPolicy[];
}

export interface AccessRequest {
  readonly principal: AccessPrincipal;
  readonly action: string;
  /** Resource ARN, or '*' for actions that only support '*'. */
  readonly resource: string;
  /** Added to (and overriding) the context filled in automatically. */
  readonly context?: Record<string, string | string[] | boolean>;
  /** @default true */
  readonly secureTransport?: boolean;
}

export interface Organization {
  readonly id: string;
  readonly accounts: string[];
  /** account -> its aws:PrincipalOrgPaths entry, e.g. 'o-xxx/r-xxxx/ou-xxxx/'. Omitted accounts get no org path. */
  readonly ouPaths?: Record<string, string>;
}

/**
 * A DynamoDB table the test declares, with its resource policy (none when
 * `resourcePolicy` is undefined). The loader does not read tables; requests
 * to a table that is not declared are refused rather than evaluated.
 */
export interface DeclaredTable {
  /** arn:aws:dynamodb:<region>:<account>:table/<name> */
  readonly arn: string;
  /** The table's `ResourcePolicy.PolicyDocument`; undefined when it has none. */
  readonly resourcePolicy?: PolicyDocument;
}

/**
 * A resource outside the assembly that the test declares to have no
 * resource-based policy (or one that grants the caller nothing and denies
 * nothing), so that its owner account's identity side alone decides. For
 * resources the stacks under test would create (a Lambda function, a log
 * group, a bucket of a stack), in the account that owns them.
 */
export interface DeclaredResource {
  /** The ARN; for an S3 bucket, `arn:aws:s3:::<name>` also covers its objects. */
  readonly arn: string;
  /** The owner account. */
  readonly account: string;
}

export interface AccessModelOptions extends LoadAssemblyOptions {
  readonly organizations?: Organization[];
  /** DynamoDB tables that requests may name (with their resource policies). */
  readonly dynamoDbTables?: DeclaredTable[];
  /** Resources without a resource policy that requests may name. */
  readonly resourcesWithoutPolicy?: DeclaredResource[];
}

/** Actions authorized against a role's trust policy. */
const TRUST_POLICY_ACTIONS = new Set([
  'sts:assumerole', 'sts:assumerolewithwebidentity', 'sts:assumerolewithsaml',
  'sts:tagsession', 'sts:setsourceidentity', 'sts:setcontext',
]);

/**
 * Services whose resources cannot carry a resource-based policy, so evaluating
 * them without one is faithful. Resources of any other service that the model
 * does not load (SQS, SNS, Lambda, ECR, Secrets Manager, ...) are refused
 * rather than evaluated with a missing policy.
 */
const NO_RESOURCE_POLICY_SERVICES = new Set([
  'iam', 'cloudformation', 'codepipeline', 'codebuild', 'codedeploy', 'ec2', 'ecs', 'autoscaling', 'elasticloadbalancing',
  // https://docs.aws.amazon.com/step-functions/latest/dg/security_iam_service-with-iam.html (resource-based policies: no)
  'states',
  // https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/security_iam_service-with-iam.html (resource-based policies: no)
  'cloudwatch',
]);

/** A transform hosted by CloudFormation, e.g. arn:aws:cloudformation:eu-west-1:aws:transform/Serverless-2016-10-31. */
const TRANSFORM_ARN = /^arn:[^:]+:cloudformation:[^:]+:aws:transform\/[A-Za-z0-9-]+$/;

/** NFS client actions, authorized by EFS against the file system (identity policy or file system policy). */
const EFS_CLIENT_ACTIONS = new Set(['elasticfilesystem:clientmount', 'elasticfilesystem:clientwrite', 'elasticfilesystem:clientrootaccess']);

/**
 * What EFS applies while a file system has no policy of its own: full access
 * for any client, even anonymous, that reaches a mount target.
 * https://docs.aws.amazon.com/efs/latest/ug/iam-access-control-nfs-efs.html
 */
export const EFS_DEFAULT_FILE_SYSTEM_POLICY: PolicyDocument = {
  Version: '2012-10-17',
  Statement: [{
    Effect: 'Allow',
    Principal: { AWS: '*' },
    Action: ['elasticfilesystem:ClientRootAccess', 'elasticfilesystem:ClientWrite', 'elasticfilesystem:ClientMount'],
    Condition: { Bool: { 'elasticfilesystem:AccessedViaMountTarget': 'true' } },
  }],
};

const SESSION_NAME = 'access-model';

/** What the resource side of a request looks like. */
interface ResourceSide {
  readonly account: string;
  readonly region?: string;
  readonly policy?: NamedPolicy;
  readonly bucket?: LoadedBucket;
  readonly key?: LoadedKey;
  readonly fileSystem?: LoadedFileSystem;
}

export class AccessModel {
  public static fromAssembly(assembly: cxapi.CloudAssembly | string, options: AccessModelOptions = {}): AccessModel {
    return new AccessModel(loadAssembly(assembly, options), options.organizations ?? [], options.dynamoDbTables ?? [],
      options.resourcesWithoutPolicy ?? []);
  }

  private constructor(
    public readonly assembly: LoadedAssembly,
    private readonly organizations: Organization[],
    private readonly dynamoDbTables: DeclaredTable[] = [],
    private readonly resourcesWithoutPolicy: DeclaredResource[] = [],
  ) {}

  /** Evaluates and throws with the explanation when the decision is not `expected` (for tests). */
  public async expectDecision(request: AccessRequest, expected: Decision): Promise<void> {
    const result = await this.evaluate(request);
    if (result.decision !== expected) {
      throw new Error(`expected ${expected}, got ${result.decision}\n${result.explanation}`);
    }
  }

  /** `expectDecision` for sts:AssumeRole of a role ARN. */
  public async expectAssume(principal: AccessPrincipal, roleArn: string, expected: Decision): Promise<void> {
    await this.expectDecision({ principal, action: 'sts:AssumeRole', resource: roleArn }, expected);
  }

  /** The single role of `account` whose name equals the string or matches the regex. */
  public role(account: string, nameOrRegex: string | RegExp): ModelRole {
    const role = single(`role ${nameOrRegex} in ${account}`, this.assembly.roles.filter((r) => r.account === account),
      (r) => matches(r.name, nameOrRegex), (r) => `${r.account} ${r.arn}`, this.assembly.roles);
    return { ...role, kind: 'role', identity: role.identityPolicies };
  }

  /** The role a stack declares under `logicalId` (for roles whose generated names do not tell them apart). */
  public roleAt(stackName: string, logicalId: string): ModelRole {
    const role = single(`role ${logicalId} of stack ${stackName}`, this.assembly.roles,
      (r) => r.source.stackName === stackName && r.source.logicalId === logicalId,
      (r) => `${r.source.stackName} ${r.source.logicalId} ${r.arn}`, this.assembly.roles);
    return { ...role, kind: 'role', identity: role.identityPolicies };
  }

  /** The single EFS file system of `account` (declared under a logical id that equals the string or matches the regex, if given). */
  public fileSystem(account: string, logicalIdOrRegex?: string | RegExp): LoadedFileSystem {
    return single(`file system ${logicalIdOrRegex ?? '(any)'} in ${account}`, this.assembly.fileSystems.filter((f) => f.account === account),
      (f) => logicalIdOrRegex === undefined || matches(f.source.logicalId, logicalIdOrRegex),
      (f) => `${f.account} ${f.source.logicalId} ${f.arn}`, this.assembly.fileSystems);
  }

  /** The single access point of `fileSystem` whose root directory is `path`. */
  public accessPoint(fileSystem: LoadedFileSystem, path: string): LoadedAccessPoint {
    return single(`access point ${path} of ${fileSystem.fileSystemId}`, fileSystem.accessPoints, (a) => a.path === path,
      (a) => `${a.path} ${a.arn}`, fileSystem.accessPoints);
  }

  /** The single bucket of `account` (whose name equals the string or matches the regex, if given). */
  public bucket(account: string, nameOrRegex?: string | RegExp): LoadedBucket {
    return single(`bucket ${nameOrRegex ?? '(any)'} in ${account}`, this.assembly.buckets.filter((b) => b.account === account),
      (b) => nameOrRegex === undefined || matches(b.name, nameOrRegex), (b) => `${b.account} ${b.name}`, this.assembly.buckets);
  }

  /** The single KMS key of `account` (with an alias that equals the string or matches the regex, if given). */
  public key(account: string, aliasOrRegex?: string | RegExp): LoadedKey {
    return single(`key ${aliasOrRegex ?? '(any)'} in ${account}`, this.assembly.keys.filter((k) => k.account === account),
      (k) => aliasOrRegex === undefined || k.aliases.some((a) => matches(a, aliasOrRegex)),
      (k) => `${k.account} ${k.arn} [${k.aliases.join(', ')}]`, this.assembly.keys);
  }

  /**
   * A role that is not in the assembly, e.g. in an undeclared account. Its
   * identity side must be stated: by default it allows whatever is tested.
   */
  public externalRole(arn: string, options: { identity?: IdentitySpec; roleId?: string } = {}): RolePrincipal {
    const match = /^arn:[^:]+:iam::(\d{12}):role\/(.+)$/.exec(arn);
    if (!match) {
      throw new Error(`externalRole expects a role ARN (arn:aws:iam::123456789012:role/path/name), got ${arn}`);
    }
    if (this.assembly.roles.some((r) => r.arn === arn)) {
      throw new Error(`${arn} is in the assembly; use role() so that its real policies apply`);
    }
    return {
      kind: 'role',
      arn,
      account: match[1],
      roleId: options.roleId ?? 'AROAEXTERNALROLE00001',
      identity: options.identity ?? 'allow-all-tested',
    };
  }

  /** An OIDC provider calling sts:AssumeRoleWithWebIdentity; pass its claims in `context`. */
  public webIdentity(providerArn: string): WebIdentityPrincipal {
    return { kind: 'web-identity', providerArn };
  }

  /** An AWS service principal, e.g. 'lambda.amazonaws.com'. */
  public service(service: string): ServicePrincipalSpec {
    return { kind: 'service', service };
  }

  /** The single ECR repository of `account` whose name equals the string or matches the regex. */
  public repository(account: string, nameOrRegex: string | RegExp): LoadedRepository {
    return single(`repository ${nameOrRegex} in ${account}`, this.assembly.repositories.filter((r) => r.account === account),
      (r) => matches(r.name, nameOrRegex), (r) => `${r.account} ${r.name}`, this.assembly.repositories);
  }

  /** An unsigned request. */
  public anonymous(): AnonymousPrincipal {
    return { kind: 'anonymous' };
  }

  /** Whether `principal` may call sts:AssumeRole on `roleArn`. */
  public async canAssume(principal: AccessPrincipal, roleArn: string): Promise<boolean> {
    return (await this.evaluate({ principal, action: 'sts:AssumeRole', resource: roleArn })).decision === 'Allowed';
  }

  public async evaluate(request: AccessRequest): Promise<AccessResult> {
    const resource = this.resourceSide(request);
    const principal = request.principal;
    const simulation: Simulation = {
      request: {
        principal: this.simulatorPrincipal(principal),
        action: request.action,
        resource: { resource: request.resource, accountId: resource.account },
        contextVariables: this.context(request, resource),
      },
      identityPolicies: this.identityPolicies(request).map((p) => ({ name: p.name, policy: p.document })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: resource.policy?.document,
      permissionBoundaryPolicies: principal.kind === 'role' && principal.permissionsBoundary
        ? [{ name: principal.permissionsBoundary.name, policy: principal.permissionsBoundary.document }]
        : undefined,
      additionalSettings: resource.bucket ? { s3: { blockPublicAccess: resource.bucket.restrictPublicBuckets } } : undefined,
    };

    if (TRANSFORM_ARN.test(request.resource)) {
      // The Service Authorization Reference lists no transform resource type for cloudformation:CreateChangeSet,
      // so runSimulation refuses the request; the CloudFormation User Guide documents the check (using-iam-template.html).
      // Same evaluation engine, without the resource-type validation.
      const decision = runUnsafeSimulation(simulation, {}) as Decision;
      return { decision, explanation: `${describe(request)} => ${decision} (transform: evaluated without resource-type validation)` };
    }
    const response = await runSimulation(simulation, { simulationMode: 'Strict' });
    if (response.resultType === 'error') {
      throw new Error(`iam-simulate rejected ${describe(request)}: ${JSON.stringify(response.errors, null, 2)}`);
    }
    if (response.resultType !== 'single') {
      throw new Error(`${describe(request)}: expected a single concrete resource, got a wildcard simulation`);
    }
    // iam-simulate silently drops context keys that do not apply to the action;
    // a key the test supplied on purpose being dropped means the test is wrong.
    const dropped = (response.result.ignoredContextKeys ?? [])
      .filter((k) => Object.keys(request.context ?? {}).some((given) => given.toLowerCase() === k.toLowerCase()));
    if (dropped.length > 0) {
      throw new Error(`${describe(request)}: context keys ${dropped.join(', ')} do not apply to ${request.action} (iam-simulate would ignore them)`);
    }

    const analysis = response.result.analysis;
    const explanation = [
      `${describe(request)} => ${response.overallResult}`,
      `  resource account ${resource.account}; resource policy: ${resource.policy?.name ?? 'none'}`
        + `${principal.kind === 'role' ? `; same account: ${analysis.sameAccount}` : ''}`,
      `  identity: ${analysis.identityAnalysis?.result ?? 'n/a'}, resource: ${analysis.resourceAnalysis?.result ?? 'n/a'}, `
        + `boundary: ${analysis.permissionBoundaryAnalysis?.result ?? 'none'}${analysis.blockedBy ? `, blocked by: ${analysis.blockedBy.join(', ')}` : ''}`,
      ...getGrantReasons(analysis).map((g) => `  granted by ${JSON.stringify(g)}`),
      ...getDenialReasons(analysis).map((d) => `  denied by ${JSON.stringify(d)}`),
      `  context: ${JSON.stringify(simulation.request.contextVariables)}`,
    ].join('\n');
    return { decision: response.overallResult, explanation };
  }

  /** Finds the resource's account and the resource-based policy AWS would consult. */
  private resourceSide(request: AccessRequest): ResourceSide {
    const { resource, action, principal } = request;
    if (principal.kind === 'service' && resource === '*') {
      throw new Error(`${describe(request)}: a service principal needs a concrete resource`);
    }
    if (principal.kind === 'web-identity' && action.toLowerCase() !== 'sts:assumerolewithwebidentity') {
      throw new Error(`${describe(request)}: a web identity can only call sts:AssumeRoleWithWebIdentity`);
    }
    if (resource === '*') {
      if (principal.kind !== 'role') {
        throw new Error(`${describe(request)}: '*' resources need a role principal to take the account from`);
      }
      return { account: principal.account };
    }
    if (resource.includes('*')) {
      throw new Error(`${describe(request)}: use a concrete resource ARN, not a pattern`);
    }
    const arn = /^arn:([^:]+):([^:]+):([^:]*):([^:]*):(.+)$/.exec(resource);
    if (!arn) {
      throw new Error(`${describe(request)}: not an ARN`);
    }
    const [, , service, region, account, path] = arn;

    const declared = this.resourcesWithoutPolicy.find((d) => resource === d.arn || (service === 's3' && resource.startsWith(`${d.arn}/`)));
    if (declared) {
      return { account: declared.account, region: region || undefined };
    }
    if (service === 's3' && account === '') {
      const bucketName = path.split('/')[0];
      const bucket = this.assembly.buckets.find((b) => b.name === bucketName);
      if (!bucket) {
        throw new Error(`${describe(request)}: bucket ${bucketName} is not in the assembly (${this.assembly.buckets.map((b) => b.name).join(', ')})`);
      }
      return { account: bucket.account, region: bucket.region, bucket, policy: bucket.bucketPolicy && named(`bucket policy of ${bucket.name}`, bucket.bucketPolicy) };
    }
    if (service === 'kms') {
      const key = this.assembly.keys.find((k) => k.arn === resource);
      if (!key) {
        throw new Error(`${describe(request)}: not a KMS key ARN of the assembly (${this.assembly.keys.map((k) => k.arn).join(', ')})`);
      }
      return { account: key.account, region: key.region, key, policy: named(`key policy of ${key.arn}`, key.keyPolicy) };
    }
    if (service === 'elasticfilesystem') {
      return this.fileSystemSide(request, path);
    }
    if (service === 'ecr') {
      // Repository actions are authorized against the repository's policy.
      const repository = this.assembly.repositories.find((r) => r.arn === resource);
      if (!repository) {
        throw new Error(`${describe(request)}: not an ECR repository of the assembly (${this.assembly.repositories.map((r) => r.arn).join(', ')})`);
      }
      return {
        account: repository.account,
        region: repository.region,
        policy: repository.repositoryPolicy && named(`repository policy of ${repository.name}`, repository.repositoryPolicy),
      };
    }
    if (service === 'ssm') {
      return this.ssmSide(request, account, region, path);
    }
    if (service === 'dynamodb') {
      return this.dynamoDbSide(request, path);
    }
    if (service === 'secretsmanager') {
      return this.secretSide(request, account, region, path);
    }
    if (service === 'lambda') {
      return this.lambdaSide(request, account, region, path);
    }
    if (TRUST_POLICY_ACTIONS.has(action.toLowerCase())) {
      const role = this.assembly.roles.find((r) => r.arn === resource);
      if (!role) {
        throw new Error(`${describe(request)}: the role is not in the assembly, so its trust policy is unknown`);
      }
      return { account: role.account, policy: named(`trust policy of ${role.arn}`, role.trustPolicy) };
    }
    // A transform hosted by CloudFormation (account 'aws') has no resource policy: the caller's identity decides.
    if (service === 'cloudformation' && account === 'aws' && path.startsWith('transform/') && principal.kind === 'role') {
      return { account: principal.account, region };
    }
    if (!NO_RESOURCE_POLICY_SERVICES.has(service) || !/^\d{12}$/.test(account)) {
      throw new Error(`${describe(request)}: resource policies of ${service} resources are not modelled; extend access-model.ts`);
    }
    return { account, region: region || undefined };
  }

  /**
   * NFS client actions are authorized against the file system: the identity
   * policy or the file system policy may allow (cross-account: both), and the
   * access point used is a condition key, not the resource.
   */
  private fileSystemSide(request: AccessRequest, path: string): ResourceSide {
    if (!EFS_CLIENT_ACTIONS.has(request.action.toLowerCase())) {
      throw new Error(`${describe(request)}: only the NFS client actions (elasticfilesystem:Client*) are modelled for EFS`);
    }
    if (!path.startsWith('file-system/')) {
      throw new Error(`${describe(request)}: client actions are authorized on the file system ARN; `
        + 'pass an access point as context elasticfilesystem:AccessPointArn');
    }
    const fileSystem = this.assembly.fileSystems.find((f) => f.arn === request.resource);
    if (!fileSystem) {
      throw new Error(`${describe(request)}: not a file system of the assembly (${this.assembly.fileSystems.map((f) => f.arn).join(', ')})`);
    }
    const policy = fileSystem.fileSystemPolicy
      ? named(`file system policy of ${fileSystem.fileSystemId}`, fileSystem.fileSystemPolicy)
      : named(`default file system policy of ${fileSystem.fileSystemId} (none set)`, EFS_DEFAULT_FILE_SYSTEM_POLICY);
    return { account: fileSystem.account, region: fileSystem.region, fileSystem, policy };
  }

  /**
   * SSM parameters carry a resource policy only when one is attached
   * (AWS::SSM::ResourcePolicy, advanced-tier parameters shared with other
   * accounts); without one in the account, the identity side decides.
   */
  private ssmSide(request: AccessRequest, account: string, region: string, path: string): ResourceSide {
    if (!path.startsWith('parameter/') || !/^\d{12}$/.test(account)) {
      throw new Error(`${describe(request)}: only SSM parameters of an account are modelled`);
    }
    const unmodelled = this.assembly.unmodelledResourcePolicies.filter((p) => p.service === 'ssm' && p.account === account);
    if (unmodelled.length > 0) {
      throw new Error(`${describe(request)}: account ${account} declares SSM resource policies the model does not evaluate `
        + `(${unmodelled.map((p) => `${p.source.stackName}/${p.source.logicalId}`).join(', ')}); extend access-model.ts`);
    }
    return { account, region: region || undefined };
  }

  /**
   * Secrets carry a resource policy only when one is attached
   * (AWS::SecretsManager::ResourcePolicy); without one in the account, the
   * identity side decides for principals of the same account.
   * https://docs.aws.amazon.com/secretsmanager/latest/userguide/auth-and-access.html
   */
  private secretSide(request: AccessRequest, account: string, region: string, path: string): ResourceSide {
    if (!path.startsWith('secret:') || !/^\d{12}$/.test(account)) {
      throw new Error(`${describe(request)}: only secrets of an account are modelled`);
    }
    const unmodelled = this.assembly.unmodelledResourcePolicies.filter((p) => p.service === 'secretsmanager' && p.account === account);
    if (unmodelled.length > 0) {
      throw new Error(`${describe(request)}: account ${account} declares secret resource policies the model does not evaluate `
        + `(${unmodelled.map((p) => `${p.source.stackName}/${p.source.logicalId}`).join(', ')}); extend access-model.ts`);
    }
    return { account, region: region || undefined };
  }

  /**
   * Lambda functions (and their versions and aliases) of an account that
   * declares no AWS::Lambda::Permission: evaluated without a resource policy,
   * as a function nobody shared has. An account that declares permissions is
   * refused, not evaluated without them.
   * https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html
   */
  private lambdaSide(request: AccessRequest, account: string, region: string, path: string): ResourceSide {
    if (!/^function:[^:]+(:[^:]+)?$/.test(path) || !/^\d{12}$/.test(account)) {
      throw new Error(`${describe(request)}: only Lambda functions, versions and aliases of an account are modelled`);
    }
    const unmodelled = this.assembly.unmodelledResourcePolicies.filter((p) => p.service === 'lambda' && p.account === account);
    if (unmodelled.length > 0) {
      throw new Error(`${describe(request)}: account ${account} declares Lambda permissions the model does not evaluate `
        + `(${unmodelled.map((p) => `${p.source.stackName}/${p.source.logicalId}`).join(', ')}); extend access-model.ts`);
    }
    return { account, region: region || undefined };
  }

  /**
   * DynamoDB tables (and their indexes and streams) are authorized with the
   * table's resource policy, if it has one (ResourcePolicy of
   * AWS::DynamoDB::Table). Only declared tables are evaluated.
   * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/access-control-resource-based.html
   */
  private dynamoDbSide(request: AccessRequest, path: string): ResourceSide {
    const match = /^table\/([^/]+)(\/(index|stream)\/.+)?$/.exec(path);
    if (!match) {
      throw new Error(`${describe(request)}: only DynamoDB tables, their indexes and streams are modelled`);
    }
    const tableArn = request.resource.slice(0, request.resource.length - (match[2]?.length ?? 0));
    const table = this.dynamoDbTables.find((t) => t.arn === tableArn);
    if (!table) {
      throw new Error(`${describe(request)}: DynamoDB table ${tableArn} is not declared (dynamoDbTables: ${this.dynamoDbTables.map((t) => t.arn).join(', ') || 'none'})`);
    }
    const [, , , region, account] = tableArn.split(':');
    return { account, region, policy: table.resourcePolicy && named(`resource policy of ${tableArn}`, table.resourcePolicy) };
  }

  private simulatorPrincipal(principal: AccessPrincipal): Simulation['request']['principal'] {
    switch (principal.kind) {
      case 'anonymous': return anonymousPrincipal;
      case 'web-identity': return principal.providerArn;
      case 'service': return principal.service;
      case 'role': {
        // Requests are made by a session of the role, not by the role itself.
        const [, partition, account, rolePath] = /^arn:([^:]+):iam::(\d{12}):role\/(.+)$/.exec(principal.arn)!;
        return `arn:${partition}:sts::${account}:assumed-role/${rolePath.split('/').pop()}/${SESSION_NAME}`;
      }
    }
  }

  private identityPolicies(request: AccessRequest): NamedPolicy[] {
    const { principal } = request;
    if (principal.kind !== 'role') {
      return [];
    }
    if (principal.identity === 'allow-all-tested') {
      return [named('allow-all-tested', { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: request.action, Resource: request.resource }] })];
    }
    return principal.identity;
  }

  /** The request context AWS would populate, overridden by `request.context`. */
  private context(request: AccessRequest, resource: ResourceSide): Record<string, string | string[]> {
    const { principal } = request;
    const context: Record<string, string | string[]> = {
      'aws:SecureTransport': String(request.secureTransport ?? true),
      'aws:ResourceAccount': resource.account,
      ...this.orgContext('aws:Resource', resource.account),
    };
    if (resource.region) {
      context['aws:RequestedRegion'] = resource.region;
    }
    if (principal.kind === 'anonymous') {
      context['aws:PrincipalType'] = 'Anonymous';
    }
    if (principal.kind === 'service') {
      context['aws:PrincipalIsAWSService'] = 'true';
      context['aws:PrincipalServiceName'] = principal.service;
    }
    if (principal.kind === 'role') {
      Object.assign(context, {
        'aws:PrincipalArn': principal.arn,
        'aws:PrincipalAccount': principal.account,
        'aws:PrincipalType': 'AssumedRole',
        'aws:PrincipalIsAWSService': 'false',
        'aws:userid': `${principal.roleId}:${SESSION_NAME}`,
        ...this.orgContext('aws:Principal', principal.account),
      });
      if (request.action.toLowerCase().startsWith('kms:')) {
        context['kms:CallerAccount'] = principal.account;
      }
    }
    if (resource.key) {
      context['kms:ResourceAliases'] = resource.key.aliases;
    }
    if (resource.fileSystem) {
      // NFS clients reach EFS through a mount target; a test may say otherwise.
      context['elasticfilesystem:AccessedViaMountTarget'] = 'true';
    }
    for (const [key, value] of Object.entries(request.context ?? {})) {
      context[key] = typeof value === 'boolean' ? String(value) : value;
    }
    return context;
  }

  /** aws:PrincipalOrgID/OrgPaths or aws:ResourceOrgID/OrgPaths for an account. */
  private orgContext(prefix: 'aws:Principal' | 'aws:Resource', account: string): Record<string, string | string[]> {
    const org = this.organizations.find((o) => o.accounts.includes(account));
    if (!org) {
      return {};
    }
    const path = org.ouPaths?.[account];
    return { [`${prefix}OrgID`]: org.id, ...(path ? { [`${prefix}OrgPaths`]: [path] } : {}) };
  }
}

function named(name: string, document: PolicyDocument): NamedPolicy {
  return { name, document };
}

function matches(value: string, pattern: string | RegExp): boolean {
  return typeof pattern === 'string' ? value === pattern : pattern.test(value);
}

/** Exactly one match, or an error that lists what there is to choose from. */
function single<T>(what: string, candidates: T[], predicate: (item: T) => boolean, label: (item: T) => string, all: T[]): T {
  const found = candidates.filter(predicate);
  if (found.length === 1) {
    return found[0];
  }
  const problem = found.length === 0 ? 'no match' : `${found.length} matches`;
  const listed = (found.length === 0 ? all : found).map((item) => `  ${label(item)}`).join('\n') || '  (none)';
  throw new Error(`${what}: ${problem}; ${found.length === 0 ? 'available' : 'matching'}:\n${listed}`);
}

function describe(request: AccessRequest): string {
  const p = request.principal;
  const who = p.kind === 'role' ? p.arn : p.kind === 'web-identity' ? p.providerArn : p.kind === 'service' ? p.service : 'anonymous';
  return `${request.action} by ${who} on ${request.resource}`;
}
