import { Aws, Duration, IResource, Lazy, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { ContainerRegistryBase } from './container-registry-base';
import {
  ECR_REPOSITORY_POLICY_LIMIT, imagePullRolePath, LAMBDA_PULL_ACTIONS, LAMBDA_SERVICE, lambdaSourceArnPatterns,
  PULL_ACTIONS, pullerArnPatterns, repositoryNameProblems,
} from './repository-access';
import { AccountIdPrincipal } from '../artifact-store/private/account-id-principal';
import { contractProblems } from '../shared/contract-problems';
import { DeploymentContract } from '../shared/deployment-contract';
import { addNagSuppressions } from '../shared/nag-suppressions';
import { IMAGE_ASSETS_REPOSITORY } from '../shared/naming';
import { estimateResolvedLength } from '../shared/policy-size';
import { readerConditions } from '../shared/reader-conditions';
import { toolingResourceProblems } from '../shared/tooling-resource-problems';
import { checkAccountList, describeProblem, Problem, throwIfProblems } from '../shared/validation';

/**
 * The container repositories of a deployment contract in one region of the
 * tooling account.
 */
export interface IContainerRegistry extends IResource {
  /** The deployment contract whose repositories these are. */
  readonly contract: DeploymentContract;
  /** The region of the registry; a token when its stack is environment-agnostic. */
  readonly region: string;
  /** The short names of the repositories (`'assets'` for the image-assets repository). */
  readonly repositoryNames: string[];
  /**
   * The key that encrypts the repositories.
   *
   * @default - unknown (an imported registry without encryptionKeyArn)
   */
  readonly encryptionKey?: kms.IKey;

  /** The repository of a short name, e.g. `repository('web')` for `cdkx-<qualifier>/web`. */
  repository(name: string): ecr.IRepository;

  /** Let a principal of the registry's account push images to every repository (a build). */
  grantPush(grantee: iam.IGrantable): iam.Grant;

  /** Let a principal of the registry's account pull images from every repository. */
  grantPull(grantee: iam.IGrantable): iam.Grant;
}

/**
 * Properties of a {@link ContainerRegistry}.
 */
export interface ContainerRegistryProps {
  /**
   * The deployment contract shared with the tenants. Its organization (and OU
   * paths), if any, decides who may pull; its qualifier names the repositories
   * (`cdkx-<qualifier>/<name>`) and the image-pull role path.
   */
  readonly contract: DeploymentContract;

  /**
   * Create the repository a CDK application's image assets are published to
   * (`cdkx-<qualifier>/assets`).
   *
   * @default true
   */
  readonly imageAssets?: boolean;

  /**
   * Your own repositories, by short name: `'web'` becomes `cdkx-<qualifier>/web`.
   * Lowercase letters and digits separated by single `.`, `_`, `-` or `/`.
   *
   * @default - none
   */
  readonly repositoryNames?: string[];

  /**
   * Accounts whose roles may pull, for contracts without an organization. Each
   * adds its account id and a Lambda source ARN to every repository policy; use
   * an organization to keep the policies constant. More can be added with
   * `addReaderAccounts`.
   *
   * @default - none; required (here or through addReaderAccounts) without an organization
   */
  readonly readerAccounts?: string[];

  /**
   * Untagged images (layers left by re-tagging or failed pushes) are deleted
   * this long after they were pushed.
   *
   * @default Duration.days(14)
   */
  readonly untaggedImageExpiration?: Duration;

  /**
   * Each repository keeps this many images, newest first; older ones are
   * deleted. Keep enough for every release still running in a target: a
   * Lambda function or ECS task whose image is gone cannot start again.
   *
   * @default 100
   */
  readonly maxImageCount?: number;

  /**
   * What happens to the repositories and their key when the stack is deleted.
   * RETAIN keeps the images that tenant functions and tasks still run.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Delete the images on stack deletion, so the repositories can be deleted.
   * Only with `removalPolicy: RemovalPolicy.DESTROY`.
   *
   * @default false
   */
  readonly emptyOnDelete?: boolean;
}

/**
 * Attributes to import a container registry created elsewhere.
 */
export interface ContainerRegistryAttributes {
  /** The deployment contract whose repositories these are. */
  readonly contract: DeploymentContract;
  /**
   * The short names of the repositories, `'assets'` included when it exists.
   */
  readonly repositoryNames: string[];
  /**
   * Region of the registry.
   *
   * @default - the region of the stack it is imported into
   */
  readonly region?: string;
  /**
   * ARN of the KMS key that encrypts the repositories.
   *
   * @default - unknown; grants then add no key permissions
   */
  readonly encryptionKeyArn?: string;
}

/**
 * The container registry of a deployment contract in one region of the
 * tooling account: ECR repositories named by the contract
 * (`cdkx-<qualifier>/<name>`), encrypted with a customer-managed KMS key,
 * scanned on push, with immutable tags and lifecycle rules, that the target
 * accounts pull from and only the principals given `grantPush` push to.
 *
 * Who may pull (every repository policy, the same):
 * - the contract's CloudFormation execution role in a target account: it
 *   creates and updates Lambda functions from an image, and Lambda checks
 *   that the caller may read it;
 * - roles under the image-pull path (`ContainerRegistry.imagePullRolePath`)
 *   in a target account: ECS task execution roles, which pull for Fargate and
 *   EC2 tasks;
 * - the Lambda service, for functions of the target accounts in this region.
 *
 * With an organization in the contract these statements admit `*` narrowed by
 * `aws:PrincipalOrgID` (and OU paths) and `aws:PrincipalArn`: constant size.
 * Without one the accounts are named, and each adds bytes to every policy; the
 * policies are measured at synth against ECR's 10,240-character limit.
 *
 * @example
 * import { App, Stack } from 'aws-cdk-lib';
 * import { ContainerRegistry, DeploymentContract } from 'cdk-cross-account-cicd';
 *
 * const app = new App();
 * const contract = new DeploymentContract({ toolingAccount: '111111111111', organizationId: 'o-a1b2c3d4e5', qualifier: 'shop' });
 * const tooling = new Stack(app, 'Tooling', { env: { account: '111111111111', region: 'us-east-1' } });
 * // cdkx-shop/assets (image assets) and cdkx-shop/web, pulled by the organization's tenants.
 * new ContainerRegistry(tooling, 'Images', { contract, repositoryNames: ['web'] });
 * app.synth();
 */
export class ContainerRegistry extends ContainerRegistryBase {
  /**
   * Import a registry by its contract and repository names (for example one
   * deployed by another app).
   */
  public static fromAttributes(scope: Construct, id: string, attrs: ContainerRegistryAttributes): IContainerRegistry {
    return new ImportedContainerRegistry(scope, id, attrs);
  }

  /**
   * IAM path (`/cdkx-<qualifier>-image-pull/`) a role in a target account must
   * have to pull images of the contract's registries: give it to the ECS task
   * execution roles of the tenants (`new iam.Role(..., { path })`).
   */
  public static imagePullRolePath(contract: DeploymentContract): string {
    return imagePullRolePath(contract.qualifier);
  }

  public readonly contract: DeploymentContract;
  public readonly region: string;
  public readonly repositoryNames: string[];
  /**
   * The customer-managed key (rotation on) that encrypts every repository of the registry.
   *
   * @default - always set on a registry created here (optional only to match IContainerRegistry)
   */
  public readonly encryptionKey?: kms.IKey;
  /**
   * The repository of a CDK application's image assets (`cdkx-<qualifier>/assets`).
   *
   * @default - undefined when `imageAssets` is false
   */
  public readonly imageAssetsRepository?: ecr.IRepository;

  private readonly repositories = new Map<string, ecr.Repository>();
  private readonly readerAccounts: string[] = [];
  /** The statements naming the reader accounts (account-list mode), made with the first one. */
  private accountReaders?: iam.PolicyStatement[];

  constructor(scope: Construct, id: string, props: ContainerRegistryProps) {
    super(scope, id);
    this.contract = props.contract;
    this.region = Stack.of(this).region;
    const imageAssets = props.imageAssets ?? true;
    const own = props.repositoryNames ?? [];
    throwIfProblems(this, registryProblems(this, props, own, imageAssets));
    this.repositoryNames = [...(imageAssets ? [IMAGE_ASSETS_REPOSITORY] : []), ...own];

    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    // A customer-managed key: rotation on, and its policy is ours to read and
    // audit. ECR encrypts and decrypts layers through a grant it creates on the
    // key for the repository, so pullers need no key permissions.
    // https://docs.aws.amazon.com/AmazonECR/latest/userguide/encryption-at-rest.html
    const key = new kms.Key(this, 'Key', {
      description: `Encrypts the container images of deployment contract '${this.contract.qualifier}'`,
      enableKeyRotation: true,
      removalPolicy,
    });
    this.encryptionKey = key;

    for (const name of this.repositoryNames) {
      const repository = new ecr.Repository(this, `Repository-${name.replace(/\//g, '--')}`, {
        repositoryName: this.contract.containerRepositoryName(name),
        encryption: ecr.RepositoryEncryption.KMS,
        encryptionKey: key,
        imageScanOnPush: true,
        // A tag names one image forever: a release that a target runs cannot be replaced under it.
        imageTagMutability: ecr.TagMutability.IMMUTABLE,
        lifecycleRules: [
          {
            description: 'Expire untagged images',
            tagStatus: ecr.TagStatus.UNTAGGED,
            maxImageAge: props.untaggedImageExpiration ?? Duration.days(14),
          },
          {
            description: 'Keep the newest images',
            tagStatus: ecr.TagStatus.ANY,
            maxImageCount: props.maxImageCount ?? 100,
          },
        ],
        removalPolicy,
        emptyOnDelete: props.emptyOnDelete ?? false,
      });
      this.repositories.set(name, repository);
    }
    this.imageAssetsRepository = this.repositories.get(IMAGE_ASSETS_REPOSITORY);

    if (this.contract.organizationId) {
      this.admitOrganization();
    }
    this.addReaderAccounts(...(props.readerAccounts ?? []));

    this.node.addValidation({ validate: () => [...this.readerProblems(), ...this.policySizeProblems()] });
  }

  /** The repository of a short name, e.g. `repository('web')` for `cdkx-<qualifier>/web`. */
  public repository(name: string): ecr.IRepository {
    const repository = this.repositories.get(name);
    if (!repository) {
      throw new Error(`[${this.node.path}] no repository '${name}' (the registry has: ${this.repositoryNames.join(', ')})`);
    }
    return repository;
  }

  /**
   * Let the roles of more accounts pull. With an organization in the contract
   * this adds nothing: the organization condition already admits every member
   * account, and the policies stay the same size.
   */
  public addReaderAccounts(...accounts: string[]): void {
    if (this.contract.organizationId) return;
    throwIfProblems(this, checkAccountList('readerAccounts', [...this.readerAccounts, ...accounts]));
    this.readerAccounts.push(...accounts);
    if (accounts.length === 0) return;
    this.accountReaders ??= this.admitAccounts();
    for (const statement of this.accountReaders) {
      statement.addPrincipals(...accounts.map((account) => new AccountIdPrincipal(account)));
    }
  }

  /** Organization mode: two constant statements per repository. */
  private admitOrganization(): void {
    const scope = {
      organizationId: this.contract.organizationId,
      organizationalUnitPaths: this.contract.organizationalUnitPaths,
      accounts: [],
    };
    for (const repository of this.repositories.values()) {
      repository.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'TenantRolesPullImages',
        principals: [new iam.AnyPrincipal()],
        actions: PULL_ACTIONS,
        conditions: readerConditions(scope, this.pullerArnPatterns()),
      }));
      repository.addToResourcePolicy(this.lambdaStatement(lambdaSourceArnPatterns(Aws.PARTITION, this.region, undefined)));
      addNagSuppressions(repository, [{
        id: 'AwsSolutions-ECR1',
        reason: 'Principal "*" is narrowed by aws:PrincipalOrgID (and OU paths) to the organization of the deployment contract '
          + 'and by aws:PrincipalArn to its execution role and image-pull roles, so the policy does not grow per target.',
      }]);
    }
  }

  /**
   * Account-list mode: the accounts are principals (addReaderAccounts adds
   * them), and the Lambda statement lists their functions, rendered at synth.
   */
  private admitAccounts(): iam.PolicyStatement[] {
    const statements: iam.PolicyStatement[] = [];
    const sourceArns = Lazy.list({ produce: () => lambdaSourceArnPatterns(Aws.PARTITION, this.region, this.readerAccounts) });
    for (const repository of this.repositories.values()) {
      const statement = new iam.PolicyStatement({
        sid: 'TenantRolesPullImages',
        actions: PULL_ACTIONS,
        conditions: readerConditions({ organizationalUnitPaths: [], accounts: [] }, this.pullerArnPatterns()),
      });
      repository.addToResourcePolicy(statement);
      repository.addToResourcePolicy(this.lambdaStatement(sourceArns));
      statements.push(statement);
    }
    return statements;
  }

  /**
   * The Lambda service fetches a function's image with its own principal; the
   * documented cross-account statement narrows it with `aws:sourceARN` to the
   * functions of the pulling accounts.
   * https://docs.aws.amazon.com/lambda/latest/dg/images-create.html
   */
  private lambdaStatement(sourceArns: string[]): iam.PolicyStatement {
    return new iam.PolicyStatement({
      sid: 'LambdaPullsImagesOfTenantFunctions',
      principals: [new iam.ServicePrincipal(LAMBDA_SERVICE)],
      actions: LAMBDA_PULL_ACTIONS,
      conditions: { ArnLike: { 'aws:SourceArn': sourceArns } },
    });
  }

  private pullerArnPatterns(): string[] {
    return pullerArnPatterns(Aws.PARTITION, this.contract.qualifier, this.contract.executionRoleName);
  }

  private readerProblems(): string[] {
    if (this.contract.organizationId || this.readerAccounts.length > 0) return [];
    return [describeProblem({
      property: 'readerAccounts',
      value: [],
      reason: 'the registry has no pullers, so no target account could pull its images',
      fix: 'give the DeploymentContract an organizationId, or pass readerAccounts (or call addReaderAccounts)',
    })];
  }

  /** Every repository policy, resolved as far as the stack can, against ECR's limit. */
  private policySizeProblems(): string[] {
    const stack = Stack.of(this);
    return [...this.repositories.values()].flatMap((repository) => {
      const policy = stack.resolve((repository.node.defaultChild as ecr.CfnRepository).repositoryPolicyText);
      if (policy === undefined) return [];
      const size = estimateResolvedLength(policy);
      if (size <= ECR_REPOSITORY_POLICY_LIMIT) return [];
      return [`repository policy of ${repository.node.path} is ${size.toLocaleString('en-US')} characters, over the ECR repository `
        + `policy limit of ${ECR_REPOSITORY_POLICY_LIMIT.toLocaleString('en-US')}. Fix: give the DeploymentContract an organizationId `
        + 'so the repository policies do not list accounts'];
    });
  }
}

function registryProblems(scope: Construct, props: ContainerRegistryProps, names: string[], imageAssets: boolean): Problem[] {
  const problems = contractProblems(props.contract);
  problems.push(...repositoryNameProblems(
    names,
    (name) => props.contract.containerRepositoryName(name),
    imageAssets ? IMAGE_ASSETS_REPOSITORY : undefined,
  ));
  if (!imageAssets && names.length === 0) {
    problems.push({
      property: 'repositoryNames',
      value: [],
      reason: 'with imageAssets off and no repository names the registry would hold no repository',
      fix: "name your repositories in repositoryNames (for example ['web']), or leave imageAssets on",
    });
  }
  problems.push(...toolingResourceProblems(Stack.of(scope).account, props.contract, props.readerAccounts, {
    resource: 'registry', tenantsDo: 'tenants pull images', membersDo: 'pull',
  }));
  if (props.emptyOnDelete && props.removalPolicy !== RemovalPolicy.DESTROY) {
    problems.push({
      property: 'emptyOnDelete',
      value: true,
      reason: 'deleting the images only makes sense when the repositories themselves are destroyed',
      fix: 'also set removalPolicy: RemovalPolicy.DESTROY, or drop emptyOnDelete',
    });
  }
  const count = props.maxImageCount;
  if (count !== undefined && !Token.isUnresolved(count) && (!Number.isInteger(count) || count < 1)) {
    problems.push({
      property: 'maxImageCount',
      value: count,
      reason: 'a repository must keep at least one image',
      fix: 'use a whole number of at least 1, e.g. 100',
    });
  }
  return problems;
}

/** A registry created elsewhere, known by its contract and repository names. */
class ImportedContainerRegistry extends ContainerRegistryBase {
  public readonly contract: DeploymentContract;
  public readonly region: string;
  public readonly repositoryNames: string[];
  public readonly encryptionKey?: kms.IKey;
  private readonly repositories = new Map<string, ecr.IRepository>();

  constructor(scope: Construct, id: string, attrs: ContainerRegistryAttributes) {
    super(scope, id, { account: attrs.contract.toolingAccount, region: attrs.region });
    this.contract = attrs.contract;
    this.region = attrs.region ?? this.env.region;
    this.repositoryNames = [...attrs.repositoryNames];
    this.encryptionKey = attrs.encryptionKeyArn ? kms.Key.fromKeyArn(this, 'Key', attrs.encryptionKeyArn) : undefined;
    for (const name of this.repositoryNames) {
      const repositoryName = this.contract.containerRepositoryName(name);
      this.repositories.set(name, ecr.Repository.fromRepositoryAttributes(this, `Repository-${name.replace(/\//g, '--')}`, {
        repositoryName,
        repositoryArn: `arn:${Aws.PARTITION}:ecr:${this.region}:${this.contract.toolingAccount}:repository/${repositoryName}`,
      }));
    }
  }

  public repository(name: string): ecr.IRepository {
    const repository = this.repositories.get(name);
    if (!repository) {
      throw new Error(`[${this.node.path}] no repository '${name}' (imported: ${this.repositoryNames.join(', ')})`);
    }
    return repository;
  }
}
