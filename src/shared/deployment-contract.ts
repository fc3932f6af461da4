import { Aws } from 'aws-cdk-lib';
import * as naming from './naming';

/**
 * Properties of a {@link DeploymentContract}.
 */
export interface DeploymentContractProps {
  /**
   * The tooling account: where the artifact store and the pipelines live.
   */
  readonly toolingAccount: string;

  /**
   * Distinguishes independent deployment systems sharing the same accounts, as the
   * qualifier of `cdk bootstrap` does. Lowercase letters, digits and inner hyphens.
   *
   * @default 'main'
   */
  readonly qualifier?: string;

  /**
   * The AWS Organizations id that holds the target accounts. When set, resource
   * policies admit the organization with `aws:PrincipalOrgID` and do not grow
   * with the number of targets.
   *
   * @default - no organization; readers must be listed by account id
   */
  readonly organizationId?: string;

  /**
   * Narrow the organization to these OU paths (`o-xxx/r-xxxx/ou-xxxx-xxxxxxxx/`),
   * matched with `aws:PrincipalOrgPaths` (the OU and everything below it).
   *
   * @default - the whole organization
   */
  readonly organizationalUnitPaths?: string[];

  /**
   * Stacks the tenant action role may create, update and delete must have names
   * starting with this prefix.
   *
   * @default - the qualifier followed by a hyphen, e.g. 'main-'
   */
  readonly stackNamePrefix?: string;
}

/**
 * The agreement between the tooling side (artifact store, pipelines) and the
 * target side (tenant deployment roles): role names, the IAM paths of the
 * pipeline roles, the artifact bucket and key alias names, and the organization.
 *
 * Both sides take the same contract object, so they cannot be configured
 * inconsistently, and both compute every name themselves, so no stack needs a
 * reference to another. The artifact store and the tenant roles deploy in any
 * order; a pipeline stack deploys after the tenant roles of its targets,
 * because CodePipeline checks at create and update time that the pipeline role
 * can assume every action role.
 *
 * @example
 * import { DeploymentContract } from 'cdk-cross-account-cicd';
 *
 * // One object, given to the tooling stacks and to every tenant stack alike.
 * const contract = new DeploymentContract({
 *   toolingAccount: '111111111111',
 *   organizationId: 'o-a1b2c3d4e5',
 *   qualifier: 'shop',
 * });
 */
export class DeploymentContract {
  /** The tooling account id. */
  public readonly toolingAccount: string;
  /** The qualifier that namespaces every name of this contract. */
  public readonly qualifier: string;
  /** The organization of the target accounts, if any. */
  public readonly organizationId?: string;
  /** OU paths that narrow the organization; empty for the whole organization. */
  public readonly organizationalUnitPaths: string[];
  /** Prefix of the stack names the tenant action role may manage. */
  public readonly stackNamePrefix: string;
  /** Name of the role in each target account that the pipeline assumes. */
  public readonly actionRoleName: string;
  /** Name of the role in each target account that CloudFormation assumes. */
  public readonly executionRoleName: string;
  /**
   * Name of the instance role of the EC2 (or on-premises) instances that
   * `DeploymentKind.codeDeployServer` deploys to: the CodeDeploy agent
   * downloads the revision from the artifact store with its credentials, and
   * the store lets roles of this name (in the accounts it admits) read and
   * decrypt artifacts, as it does the action and execution roles.
   */
  public readonly codeDeployInstanceRoleName: string;
  /**
   * IAM path of the tooling-account roles allowed into every target (the
   * pipeline roles); deployers of one target account have {@link deployerRolePath}.
   */
  public readonly pipelineRolePath: string;
  /** Alias of the artifact key in each region of the tooling account. */
  public readonly artifactKeyAliasName: string;

  constructor(props: DeploymentContractProps) {
    this.toolingAccount = props.toolingAccount;
    this.qualifier = props.qualifier ?? 'main';
    this.organizationId = props.organizationId;
    this.organizationalUnitPaths = [...(props.organizationalUnitPaths ?? [])];
    this.stackNamePrefix = props.stackNamePrefix ?? naming.defaultStackNamePrefix(this.qualifier);
    this.actionRoleName = naming.actionRoleName(this.qualifier);
    this.executionRoleName = naming.executionRoleName(this.qualifier);
    this.codeDeployInstanceRoleName = naming.codeDeployInstanceRoleName(this.qualifier);
    this.pipelineRolePath = naming.pipelineRolePath(this.qualifier);
    this.artifactKeyAliasName = naming.artifactKeyAliasName(this.qualifier);
  }

  /** ARN of the action role in a target account. */
  public actionRoleArn(account: string): string {
    return `arn:${Aws.PARTITION}:iam::${account}:role/${this.actionRoleName}`;
  }

  /** ARN of the CloudFormation execution role in a target account. */
  public executionRoleArn(account: string): string {
    return `arn:${Aws.PARTITION}:iam::${account}:role/${this.executionRoleName}`;
  }

  /** ARN pattern matching every tooling-account role that may assume tenant action roles. */
  public pipelineRoleArnPattern(): string {
    return `arn:${Aws.PARTITION}:iam::${this.toolingAccount}:role${this.pipelineRolePath}*`;
  }

  /**
   * IAM path of the tooling-account roles that run deploy commands for one
   * target account (`DeploymentKind.codeBuild`). It embeds the account and is
   * never under the pipeline role path.
   */
  public deployerRolePath(targetAccount: string): string {
    return naming.deployerRolePath(this.qualifier, targetAccount);
  }

  /**
   * ARN pattern matching the deployer roles of one target account; `'*'` for
   * the deployers of every account.
   */
  public deployerRoleArnPattern(targetAccount: string): string {
    return `arn:${Aws.PARTITION}:iam::${this.toolingAccount}:role${this.deployerRolePath(targetAccount)}*`;
  }

  /** Name of the artifact bucket of this contract in a region of the tooling account. */
  public artifactBucketName(region: string): string {
    return naming.artifactBucketName(this.qualifier, this.toolingAccount, region);
  }

  /**
   * Name of the release inbox in a target account and region: the bucket a
   * `BlueGreenEfsDeploy` released by this contract's pipeline starts from.
   */
  public releaseInboxBucketName(account: string, region: string): string {
    return naming.releaseInboxBucketName(this.qualifier, account, region);
  }

  /**
   * Name of a container repository of this contract in the tooling account
   * (`cdkx-<qualifier>/<name>`, the same in every region); `'assets'` names the
   * one a CDK application's image assets go to.
   */
  public containerRepositoryName(name: string): string {
    return naming.containerRepositoryName(this.qualifier, name);
  }

  /** ARN of the artifact key alias in a region of the tooling account. */
  public artifactKeyAliasArn(region: string): string {
    return `arn:${Aws.PARTITION}:kms:${region}:${this.toolingAccount}:${this.artifactKeyAliasName}`;
  }
}
