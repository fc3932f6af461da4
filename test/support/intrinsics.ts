/**
 * Offline resolution of CloudFormation intrinsics, just enough to turn the
 * policy documents of a synthesized template into the concrete JSON that AWS
 * would evaluate after deployment.
 *
 * Design rule: anything this resolver does not understand throws an error that
 * names the stack and the JSON path. A wrong guess would make access proofs
 * pass or fail for the wrong reason, which is worse than no proof at all.
 */
import { createHash } from 'crypto';

/** One `Resources` entry of a CloudFormation template. */
export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, any>;
  readonly Condition?: string;
}

/** Everything the resolver needs to know about one deployed stack. */
export interface StackContext {
  readonly stackName: string;
  readonly account: string;
  readonly region: string;
  /** @default 'aws' */
  readonly partition?: string;
  /** @default 'amazonaws.com' */
  readonly urlSuffix?: string;
  readonly resources: Record<string, CfnResource>;
  readonly parameters?: Record<string, { Type?: string; Default?: unknown }>;
  /** Values for parameters, overriding their `Default`. */
  readonly parameterValues?: Record<string, unknown>;
  readonly conditions?: Record<string, unknown>;
  readonly mappings?: Record<string, Record<string, Record<string, unknown>>>;
  /** Looks up `Fn::ImportValue` exports (the assembly wires this across stacks). */
  readonly importValue?: (exportName: string) => unknown;
}

/** Thrown for anything the resolver cannot resolve faithfully. */
export class UnresolvableError extends Error {
  constructor(stackName: string, path: string, message: string) {
    super(`[${stackName}] ${path || '<root>'}: ${message}`);
    this.name = 'UnresolvableError';
  }
}

/** Marker for `Ref: AWS::NoValue`; removed from the enclosing object or array. */
const NO_VALUE = Symbol('AWS::NoValue');

/**
 * How `Ref` and `Fn::GetAtt` behave for the resource types policies usually
 * point at. `name` is the property holding an explicit physical name; `arn`
 * builds the ARN from the (explicit or synthetic) physical name.
 * Extend this table rather than guessing elsewhere.
 */
interface ResourceTypeInfo {
  readonly nameProperty?: string;
  /** What `Ref` returns: the physical name (default) or the ARN. */
  readonly ref?: 'name' | 'arn';
  readonly lowercase?: boolean;
  readonly maxLength?: number;
  /**
   * For resources that never have a name, only an id AWS generates (KMS keys,
   * EFS file systems and access points): a deterministic id in AWS's format,
   * from a seed unique to the resource. Used as the "name" everywhere else.
   */
  readonly generatedId?: (seed: string) => string;
  readonly arn?: (c: ArnParts, name: string, props: Record<string, any>) => string;
  readonly attributes?: Record<string, (c: ArnParts, name: string, props: Record<string, any>) => string>;
}

interface ArnParts {
  readonly partition: string;
  readonly account: string;
  readonly region: string;
  readonly urlSuffix: string;
}

const iamPath = (props: Record<string, any>) => (typeof props.Path === 'string' ? props.Path : '/');

const RESOURCE_TYPES: Record<string, ResourceTypeInfo> = {
  'AWS::IAM::Role': {
    nameProperty: 'RoleName',
    maxLength: 64,
    arn: (c, name, p) => `arn:${c.partition}:iam::${c.account}:role${iamPath(p)}${name}`,
    attributes: { RoleId: (c, name) => syntheticId('AROA', `${c.account}/${name}`) },
  },
  'AWS::IAM::User': {
    nameProperty: 'UserName',
    maxLength: 64,
    arn: (c, name, p) => `arn:${c.partition}:iam::${c.account}:user${iamPath(p)}${name}`,
  },
  'AWS::IAM::ManagedPolicy': {
    // Ref of a managed policy is its ARN.
    nameProperty: 'ManagedPolicyName',
    ref: 'arn',
    maxLength: 128,
    arn: (c, name, p) => `arn:${c.partition}:iam::${c.account}:policy${iamPath(p)}${name}`,
    attributes: { PolicyArn: (c, name, p) => `arn:${c.partition}:iam::${c.account}:policy${iamPath(p)}${name}` },
  },
  'AWS::IAM::Policy': { nameProperty: 'PolicyName', maxLength: 128 },
  'AWS::Logs::LogGroup': {
    nameProperty: 'LogGroupName',
    maxLength: 512,
    // GetAtt Arn of a log group ends in ':*'.
    arn: (c, name) => `arn:${c.partition}:logs:${c.region}:${c.account}:log-group:${name}:*`,
  },
  'AWS::StepFunctions::StateMachine': {
    // Ref of a state machine is its ARN.
    nameProperty: 'StateMachineName',
    ref: 'arn',
    maxLength: 80,
    arn: (c, name) => `arn:${c.partition}:states:${c.region}:${c.account}:stateMachine:${name}`,
    attributes: { Name: (_c, name) => name },
  },
  'AWS::ECR::Repository': {
    // Ref is the repository name; names are lowercase, at most 256 characters.
    nameProperty: 'RepositoryName',
    lowercase: true,
    maxLength: 256,
    arn: (c, name) => `arn:${c.partition}:ecr:${c.region}:${c.account}:repository/${name}`,
  },
  'AWS::ECS::Cluster': {
    nameProperty: 'ClusterName',
    maxLength: 255,
    arn: (c, name) => `arn:${c.partition}:ecs:${c.region}:${c.account}:cluster/${name}`,
  },
  'AWS::ECS::TaskDefinition': {
    // Ref of a task definition is its ARN, with the revision.
    nameProperty: 'Family',
    ref: 'arn',
    maxLength: 255,
    arn: (c, name) => `arn:${c.partition}:ecs:${c.region}:${c.account}:task-definition/${name}:1`,
    attributes: { TaskDefinitionArn: (c, name) => `arn:${c.partition}:ecs:${c.region}:${c.account}:task-definition/${name}:1` },
  },
  'AWS::CodeBuild::ReportGroup': {
    // Ref of a report group is its ARN.
    nameProperty: 'Name',
    ref: 'arn',
    maxLength: 128,
    arn: (c, name) => `arn:${c.partition}:codebuild:${c.region}:${c.account}:report-group/${name}`,
  },
  'AWS::CodeBuild::Project': {
    nameProperty: 'Name',
    maxLength: 150,
    arn: (c, name) => `arn:${c.partition}:codebuild:${c.region}:${c.account}:project/${name}`,
  },
  'AWS::IAM::InstanceProfile': {
    nameProperty: 'InstanceProfileName',
    maxLength: 128,
    arn: (c, name, p) => `arn:${c.partition}:iam::${c.account}:instance-profile${iamPath(p)}${name}`,
  },
  'AWS::S3::Bucket': {
    nameProperty: 'BucketName',
    lowercase: true,
    maxLength: 63,
    arn: (c, name) => `arn:${c.partition}:s3:::${name}`,
    attributes: {
      DomainName: (c, name) => `${name}.s3.${c.urlSuffix}`,
      RegionalDomainName: (c, name) => `${name}.s3.${c.region}.${c.urlSuffix}`,
    },
  },
  'AWS::KMS::Key': {
    // Keys have no name: Ref is the key id, which we derive deterministically.
    generatedId: (seed) => syntheticUuid(seed),
    arn: (c, keyId) => `arn:${c.partition}:kms:${c.region}:${c.account}:key/${keyId}`,
    attributes: { KeyId: (_c, keyId) => keyId },
  },
  'AWS::KMS::Alias': { nameProperty: 'AliasName' },
  'AWS::EFS::FileSystem': {
    // Ref is the file system id (fs- and 17 hex digits).
    generatedId: (seed) => `fs-${syntheticHex(seed, 17)}`,
    arn: (c, id) => `arn:${c.partition}:elasticfilesystem:${c.region}:${c.account}:file-system/${id}`,
    attributes: { FileSystemId: (_c, id) => id },
  },
  'AWS::EFS::AccessPoint': {
    // Ref is the access point id (fsap- and 17 hex digits).
    generatedId: (seed) => `fsap-${syntheticHex(seed, 17)}`,
    arn: (c, id) => `arn:${c.partition}:elasticfilesystem:${c.region}:${c.account}:access-point/${id}`,
    attributes: { AccessPointId: (_c, id) => id },
  },
  'AWS::DynamoDB::Table': {
    nameProperty: 'TableName',
    maxLength: 255,
    arn: (c, name) => `arn:${c.partition}:dynamodb:${c.region}:${c.account}:table/${name}`,
    // A stream's ARN ends with its creation time; any fixed time serves the model.
    attributes: { StreamArn: (c, name) => `arn:${c.partition}:dynamodb:${c.region}:${c.account}:table/${name}/stream/2026-12-01T00:00:00.000` },
  },
  'AWS::SNS::Topic': {
    // Ref of a topic is its ARN.
    nameProperty: 'TopicName',
    ref: 'arn',
    maxLength: 256,
    arn: (c, name) => `arn:${c.partition}:sns:${c.region}:${c.account}:${name}`,
    attributes: { TopicArn: (c, name) => `arn:${c.partition}:sns:${c.region}:${c.account}:${name}`, TopicName: (_c, name) => name },
  },
  'AWS::SQS::Queue': {
    // FIFO queue names end in .fifo; the model does not send messages, it only needs the ARN.
    nameProperty: 'QueueName',
    maxLength: 80,
    arn: (c, name) => `arn:${c.partition}:sqs:${c.region}:${c.account}:${name}`,
    attributes: { QueueName: (_c, name) => name },
  },
  // Ref of a parameter is its name; CloudFormation has no Arn attribute for it.
  'AWS::SSM::Parameter': { nameProperty: 'Name', maxLength: 1011 },
  'AWS::Lambda::Function': {
    nameProperty: 'FunctionName',
    maxLength: 64,
    arn: (c, name) => `arn:${c.partition}:lambda:${c.region}:${c.account}:function:${name}`,
  },
  'AWS::EC2::LaunchTemplate': {
    // Ref is the launch template id; a new template is at version 1.
    generatedId: (seed) => `lt-${syntheticHex(seed, 17)}`,
    attributes: {
      LaunchTemplateId: (_c, id) => id,
      DefaultVersionNumber: () => '1',
      LatestVersionNumber: () => '1',
    },
  },
  'AWS::EC2::Subnet': {
    // Ref is the subnet id.
    generatedId: (seed) => `subnet-${syntheticHex(seed, 17)}`,
    attributes: { SubnetId: (_c, id) => id },
  },
  'AWS::AutoScaling::AutoScalingGroup': { nameProperty: 'AutoScalingGroupName', maxLength: 255 },
  'AWS::ElasticLoadBalancingV2::TargetGroup': {
    // Ref of a target group is its ARN, which ends in a generated 16-hex-digit id.
    nameProperty: 'Name',
    ref: 'arn',
    maxLength: 32,
    arn: (c, name) => `arn:${c.partition}:elasticloadbalancing:${c.region}:${c.account}:targetgroup/${name}/${syntheticHex(`tg/${c.account}/${c.region}/${name}`, 16)}`,
    attributes: {
      TargetGroupName: (_c, name) => name,
      TargetGroupFullName: (c, name) => `targetgroup/${name}/${syntheticHex(`tg/${c.account}/${c.region}/${name}`, 16)}`,
    },
  },
  'AWS::CodeDeploy::Application': { nameProperty: 'ApplicationName', maxLength: 100 },
};

/** Resolves intrinsics within one stack. */
export class IntrinsicResolver {
  private readonly arnParts: ArnParts;

  constructor(private readonly ctx: StackContext) {
    this.arnParts = {
      partition: ctx.partition ?? 'aws',
      account: ctx.account,
      region: ctx.region,
      urlSuffix: ctx.urlSuffix ?? 'amazonaws.com',
    };
  }

  /** Deep-resolves `value`; `path` is only used in error messages. */
  public resolve(value: unknown, path = ''): any {
    const resolved = this.resolveValue(value, path);
    if (resolved === NO_VALUE) {
      throw this.error(path, 'AWS::NoValue outside of an object property or list element');
    }
    return resolved;
  }

  /** Evaluates a named template condition. */
  public condition(name: string, path = `Conditions.${name}`): boolean {
    const definition = this.ctx.conditions?.[name];
    if (definition === undefined) {
      throw this.error(path, `unknown condition '${name}'`);
    }
    return this.evaluateCondition(definition, `Conditions.${name}`);
  }

  /** Physical name of a resource: its name property when set, otherwise a deterministic synthetic one. */
  public physicalName(logicalId: string, path = ''): string {
    const resource = this.resource(logicalId, path);
    const info = RESOURCE_TYPES[resource.Type];
    if (info?.generatedId) {
      return info.generatedId(`${this.ctx.account}/${this.ctx.region}/${this.ctx.stackName}/${logicalId}`);
    }
    const explicit = info?.nameProperty ? resource.Properties?.[info.nameProperty] : undefined;
    if (explicit !== undefined) {
      const name = this.resolve(explicit, `Resources.${logicalId}.Properties.${info!.nameProperty}`);
      if (typeof name !== 'string') {
        throw this.error(path, `name of ${logicalId} did not resolve to a string`);
      }
      return name;
    }
    // CloudFormation generates "<stack>-<logicalId>-<RANDOM>"; we keep the shape, deterministically.
    const suffix = createHash('sha256').update(`${this.ctx.stackName}/${logicalId}`).digest('hex').slice(0, 12).toUpperCase();
    const maxLength = info?.maxLength ?? 128;
    const generated = `${this.ctx.stackName}-${logicalId}`.slice(0, maxLength - suffix.length - 1) + `-${suffix}`;
    return info?.lowercase ? generated.toLowerCase() : generated;
  }

  /** `Fn::GetAtt` */
  public getAtt(logicalId: string, attribute: string, path = ''): string {
    const resource = this.resource(logicalId, path);
    const info = RESOURCE_TYPES[resource.Type];
    const props = resource.Properties ?? {};
    const name = this.physicalName(logicalId, path);
    if (attribute === 'Arn' && info?.arn) {
      return info.arn(this.arnParts, name, props);
    }
    const attr = info?.attributes?.[attribute];
    if (!attr) {
      throw this.error(path, `Fn::GetAtt ${logicalId}.${attribute} is not supported for ${resource.Type} (extend RESOURCE_TYPES in test/support/intrinsics.ts)`);
    }
    return attr(this.arnParts, name, props);
  }

  /** `Ref` to a pseudo parameter, a parameter or a resource. */
  public ref(target: string, path = ''): unknown {
    switch (target) {
      case 'AWS::AccountId': return this.ctx.account;
      case 'AWS::Region': return this.ctx.region;
      case 'AWS::Partition': return this.arnParts.partition;
      case 'AWS::URLSuffix': return this.arnParts.urlSuffix;
      case 'AWS::StackName': return this.ctx.stackName;
      case 'AWS::StackId':
        return `arn:${this.arnParts.partition}:cloudformation:${this.ctx.region}:${this.ctx.account}:stack/${this.ctx.stackName}/`
          + syntheticUuid(`stack/${this.ctx.account}/${this.ctx.region}/${this.ctx.stackName}`);
      case 'AWS::NoValue': return NO_VALUE;
    }
    if (target.startsWith('AWS::')) {
      throw this.error(path, `unsupported pseudo parameter ${target}`);
    }
    const parameter = this.ctx.parameters?.[target];
    if (parameter) {
      if (this.ctx.parameterValues && target in this.ctx.parameterValues) {
        return this.ctx.parameterValues[target];
      }
      if (parameter.Type?.startsWith('AWS::SSM::Parameter::')) {
        throw this.error(path, `parameter ${target} is resolved from SSM at deploy time; pass parameterValues`);
      }
      if (parameter.Default === undefined) {
        throw this.error(path, `parameter ${target} has no Default; pass parameterValues`);
      }
      return parameter.Default;
    }
    const resource = this.resource(target, path);
    const info = RESOURCE_TYPES[resource.Type];
    if (!info) {
      throw this.error(path, `Ref to ${target} of type ${resource.Type} is not supported (extend RESOURCE_TYPES in test/support/intrinsics.ts)`);
    }
    return info.ref === 'arn' ? this.getAtt(target, 'Arn', path) : this.physicalName(target, path);
  }

  private resolveValue(value: unknown, path: string): unknown {
    if (Array.isArray(value)) {
      return value
        .map((item, i) => this.resolveValue(item, `${path}[${i}]`))
        .filter((item) => item !== NO_VALUE);
    }
    if (value === null || typeof value !== 'object') {
      return value;
    }
    const keys = Object.keys(value);
    if (keys.length === 1 && (keys[0] === 'Ref' || keys[0].startsWith('Fn::'))) {
      return this.resolveIntrinsic(keys[0], (value as any)[keys[0]], `${path}.${keys[0]}`);
    }
    const result: Record<string, unknown> = {};
    for (const key of keys) {
      const resolved = this.resolveValue((value as any)[key], path ? `${path}.${key}` : key);
      if (resolved !== NO_VALUE) {
        result[key] = resolved;
      }
    }
    return result;
  }

  private resolveIntrinsic(fn: string, arg: any, path: string): unknown {
    switch (fn) {
      case 'Ref':
        return this.ref(this.expectString(arg, path), path);
      case 'Fn::GetAtt': {
        const [logicalId, attribute] = typeof arg === 'string' ? splitOnce(arg, '.') : this.resolve(arg, path);
        return this.getAtt(logicalId, attribute, path);
      }
      case 'Fn::Join': {
        const [delimiter, list] = this.expectArray(arg, 2, path);
        return this.expectArray(this.resolve(list, `${path}[1]`), undefined, path)
          .map((part, i) => this.expectString(part, `${path}[1][${i}]`))
          .join(this.expectString(delimiter, path));
      }
      case 'Fn::Sub':
        return this.sub(arg, path);
      case 'Fn::Select': {
        const [index, list] = this.expectArray(arg, 2, path);
        const items = this.expectArray(this.resolve(list, `${path}[1]`), undefined, path);
        const i = Number(this.resolve(index, `${path}[0]`));
        if (!Number.isInteger(i) || i < 0 || i >= items.length) {
          throw this.error(path, `Fn::Select index ${i} out of range for ${items.length} items`);
        }
        return items[i];
      }
      case 'Fn::Split': {
        const [delimiter, source] = this.expectArray(arg, 2, path);
        return this.expectString(this.resolve(source, `${path}[1]`), path).split(this.expectString(delimiter, path));
      }
      case 'Fn::If': {
        const [name, whenTrue, whenFalse] = this.expectArray(arg, 3, path);
        return this.condition(this.expectString(name, path), path)
          ? this.resolveValue(whenTrue, `${path}[1]`)
          : this.resolveValue(whenFalse, `${path}[2]`);
      }
      case 'Fn::FindInMap': {
        const [map, first, second] = this.expectArray(this.resolve(arg, path), 3, path);
        const found = this.ctx.mappings?.[map]?.[first]?.[second];
        if (found === undefined) {
          throw this.error(path, `Fn::FindInMap ${map}.${first}.${second} not found`);
        }
        return found;
      }
      case 'Fn::ImportValue': {
        const name = this.expectString(this.resolve(arg, path), path);
        if (!this.ctx.importValue) {
          throw this.error(path, `Fn::ImportValue ${name} without an assembly to import from`);
        }
        return this.ctx.importValue(name);
      }
      default:
        throw this.error(path, `unsupported intrinsic ${fn}`);
    }
  }

  /** `Fn::Sub` in both forms: "string" and ["string", { Var: value }]. */
  private sub(arg: unknown, path: string): string {
    const [template, variables] = typeof arg === 'string' ? [arg, {}] : this.expectArray(arg, 2, path);
    const vars = this.resolve(variables, `${path}[1]`) as Record<string, unknown>;
    return this.expectString(template, path).replace(/\$\{([^}]*)\}/g, (_match, expr: string) => {
      if (expr.startsWith('!')) {
        return `\${${expr.slice(1)}}`; // ${!Literal} escapes a literal ${Literal}
      }
      if (expr in vars) {
        return this.expectString(vars[expr], `${path} \${${expr}}`);
      }
      const value = expr.includes('.') && !expr.startsWith('AWS::')
        ? this.getAtt(...splitOnce(expr, '.'), path)
        : this.ref(expr, path);
      return this.expectString(value, `${path} \${${expr}}`);
    });
  }

  private evaluateCondition(definition: any, path: string): boolean {
    if (typeof definition === 'boolean') {
      return definition;
    }
    const keys = definition && typeof definition === 'object' ? Object.keys(definition) : [];
    if (keys.length !== 1) {
      throw this.error(path, 'malformed condition');
    }
    const [fn] = keys;
    const arg = definition[fn];
    switch (fn) {
      case 'Condition':
        return this.condition(this.expectString(arg, path), path);
      case 'Fn::Equals': {
        const [a, b] = this.expectArray(arg, 2, path).map((v, i) => this.resolve(v, `${path}.${fn}[${i}]`));
        return JSON.stringify(a) === JSON.stringify(b);
      }
      case 'Fn::Not':
        return !this.evaluateCondition(this.expectArray(arg, 1, path)[0], `${path}.${fn}[0]`);
      case 'Fn::And':
        return this.expectArray(arg, undefined, path).every((c, i) => this.evaluateCondition(c, `${path}.${fn}[${i}]`));
      case 'Fn::Or':
        return this.expectArray(arg, undefined, path).some((c, i) => this.evaluateCondition(c, `${path}.${fn}[${i}]`));
      default:
        throw this.error(path, `unsupported condition function ${fn}`);
    }
  }

  private resource(logicalId: string, path: string): CfnResource {
    const resource = this.ctx.resources[logicalId];
    if (!resource) {
      throw this.error(path, `no resource or parameter named ${logicalId}`);
    }
    return resource;
  }

  private expectString(value: unknown, path: string): string {
    if (typeof value === 'number') {
      return String(value);
    }
    if (typeof value !== 'string') {
      throw this.error(path, `expected a string, got ${JSON.stringify(value)}`);
    }
    return value;
  }

  private expectArray(value: unknown, length: number | undefined, path: string): any[] {
    if (!Array.isArray(value) || (length !== undefined && value.length !== length)) {
      throw this.error(path, `expected a list${length !== undefined ? ` of ${length}` : ''}, got ${JSON.stringify(value)}`);
    }
    return value;
  }

  private error(path: string, message: string): UnresolvableError {
    return new UnresolvableError(this.ctx.stackName, path, message);
  }
}

function splitOnce(s: string, separator: string): [string, string] {
  const i = s.indexOf(separator);
  return i < 0 ? [s, ''] : [s.slice(0, i), s.slice(i + 1)];
}

/** A stable uuid-shaped string (KMS key ids, stack ids). */
export function syntheticUuid(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** `length` stable lowercase hex digits (EFS and EC2 resource ids). */
export function syntheticHex(seed: string, length: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

/** A stable IAM unique id such as AROA... for roles. */
export function syntheticId(prefix: string, seed: string): string {
  return prefix + createHash('sha256').update(seed).digest('hex').slice(0, 17).toUpperCase();
}
