import { Annotations, Aws, Duration, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { DeploymentPermissions } from './deployment-permissions';
import { GitHubOidcTrust, gitHubTrustProblems, gitHubTrustStatement } from './github-oidc-trust';
import { grantCodeDeployServerDeployments } from './private/codedeploy-server-deployments';
import { grantEcsServiceDeployments } from './private/ecs-service-deployments';
import { grantLambdaDeployments } from './private/lambda-deployments';
import { grantStackSetAdministration } from './private/stack-set-administration';
import { transformChangeSetStatement } from './private/transform-permissions';
import { CloudFormationTransform, transformProblems } from '../cross-account-pipeline/cloudformation-transform';
import { StackSetPermissionModel } from '../cross-account-pipeline/stack-set-deployment';
import { TENANT_KEY_READ_ACTIONS, TENANT_OBJECT_READ_ACTIONS } from '../shared/artifact-access';
import { contractProblems } from '../shared/contract-problems';
import { DeploymentContract } from '../shared/deployment-contract';
import { ANY_PARTITION, anyPartition, suppressOnDefaultPolicy } from '../shared/nag-suppressions';
import { artifactBucketNamePattern, releaseInboxBucketName } from '../shared/naming';
import { PolicyQuota } from '../shared/policy-size';
import { guardPolicySizes } from '../shared/policy-size-guard';
import { Problem, throwIfProblems } from '../shared/validation';

/** Let the action role roll new images out to ECS services (the ECS deployment kind). */
export interface EcsServiceDeploymentPermissions {
  /** Name of the cluster. */
  readonly clusterName: string;
  /** Services of that cluster the action role may update. @default - every service of the cluster */
  readonly serviceNames?: string[];
  /** Task and execution roles the new task definitions use (the action role may pass only these, only to ECS tasks). */
  readonly taskRoleArns: string[];
}

/**
 * Let the action role administer the contract's StackSets in this account
 * (the pipeline's `DeploymentKind.stackSet`): create and update StackSets
 * whose names start with the contract's stack name prefix, and their stack
 * instances.
 *
 * The stacks of a StackSet are deployed by StackSets' own roles in the
 * accounts of the instances (the `stacksets-exec-*` roles of service-managed
 * StackSets, or the self-managed execution role), not by this construct's
 * execution role: whatever reaches the pipeline reaches those accounts with
 * the permissions of those roles.
 */
export interface StackSetAdministrationPermissions {
  /** The permission model of the StackSets this account administers. @default StackSetPermissionModel.SERVICE_MANAGED */
  readonly permissionModel?: StackSetPermissionModel;
  /**
   * Self-managed: the administration role in this account, the only role the
   * action role may pass (only to CloudFormation).
   *
   * @default 'AWSCloudFormationStackSetAdministrationRole'
   */
  readonly administrationRoleName?: string;
  /**
   * Service-managed, from a delegated administrator account: for callers that
   * send `CallAs: DELEGATED_ADMIN` themselves (e.g. `DeploymentKind.codeBuild`
   * running `aws cloudformation update-stack-set --call-as DELEGATED_ADMIN`).
   * CodePipeline's StackSet actions cannot; they run in the management account.
   * Adds `organizations:ListDelegatedAdministrators`, and admits the
   * contract's StackSets of any account (they live in the management account).
   *
   * @default false
   */
  readonly delegatedAdministrator?: boolean;
}

/**
 * Properties of a {@link TenantDeploymentRole}.
 */
export interface TenantDeploymentRoleProps {
  /** The deployment contract shared with the tooling account's artifact store and pipelines. */
  readonly contract: DeploymentContract;

  /**
   * Managed policies for the CloudFormation execution role: what the deployed
   * stacks may create. There is no AdministratorAccess default.
   *
   * @default - none
   */
  readonly executionRoleManagedPolicies?: iam.IManagedPolicy[];

  /**
   * Statements for the CloudFormation execution role (kept inline; the IAM limit
   * for all inline policies of a role is 10,240 characters).
   *
   * @default - none
   */
  readonly executionRoleStatements?: iam.PolicyStatement[];

  /**
   * Statements for the action role, for what a deploy tool calls besides the
   * CloudFormation stack actions this construct grants (kept inline, under
   * the same size guard; no `*` action).
   *
   * @default - none
   */
  readonly actionRoleStatements?: iam.PolicyStatement[];

  /**
   * Permission presets for the deploy tools and pipeline actions of this
   * account; each grants the action role and the execution role their part.
   * At most one of each preset; `ecsService()` and `stackSetAdministration()`
   * replace the `ecsServiceDeployments` and `stackSetAdministration` props
   * (use one or the other).
   *
   * @default - none
   */
  readonly permissions?: DeploymentPermissions[];

  /**
   * A permissions boundary for the execution role, and a guard so that no
   * principal escapes it through what the stacks deploy. The execution role
   * then:
   *
   * - creates roles and users only with this boundary, never removes or
   *   changes it, and never edits the boundary policy;
   * - attaches, detaches, puts and deletes policies, and updates trust
   *   policies, only of roles and users that carry this boundary (these IAM
   *   actions check the boundary of the principal acted on, so an existing
   *   administrator role is out of reach whatever its name);
   * - creates or changes credentials (access keys, console passwords, SSH
   *   keys, service-specific credentials) only of users, passes (iam:PassRole)
   *   only roles, and writes new versions only of managed policies whose name
   *   or path starts with the contract's stack name prefix. IAM offers no
   *   boundary check for these, and CloudFormation names what a stack creates
   *   after the stack, so the stacks' own principals and policies pass. Give
   *   roles, users and policies that you name yourself the prefix, and do not
   *   use the prefix for principals outside the pipeline.
   *
   * The boundary must allow what the stacks create, plus reading and
   * decrypting the artifacts (s3:GetObject, s3:GetObjectVersion, kms:Decrypt).
   *
   * @default - no boundary
   */
  readonly permissionsBoundary?: iam.IManagedPolicy;

  /**
   * A permissions boundary for the action role. It must allow everything the
   * action role is granted (artifact read and decrypt, the CloudFormation stack
   * actions, iam:PassRole of the execution role), or pipeline actions fail with 403.
   *
   * @default - no boundary
   */
  readonly actionRolePermissionsBoundary?: iam.IManagedPolicy;

  /**
   * An external id callers must present (`sts:ExternalId`). CodePipeline cannot
   * send one when it assumes action roles, so use it only for callers that
   * assume the role themselves (for example CodeBuild running `cdk deploy`).
   *
   * @default - no external id
   */
  readonly externalId?: string;

  /**
   * Also require the calling pipeline role to belong to the contract's
   * organization (`aws:PrincipalOrgID`). Needs an organization in the contract.
   *
   * @default - true when the contract has an organization
   */
  readonly requireCallerInOrganization?: boolean;

  /**
   * Let GitHub Actions workflows of one repository assume the action role.
   *
   * @default - no GitHub trust
   */
  readonly gitHubOidc?: GitHubOidcTrust;

  /**
   * Let the action role update ECS services (for the pipeline's ECS deployment kind).
   *
   * @default - no ECS permissions
   */
  readonly ecsServiceDeployments?: EcsServiceDeploymentPermissions;

  /**
   * Let the action role drop releases into this account's release inboxes
   * (the pipeline's `DeploymentKind.blueGreenEfsRelease`, for a
   * `BlueGreenEfsDeploy` with `releasedBy` in this account).
   *
   * @default false
   */
  readonly blueGreenEfsReleases?: boolean;

  /**
   * Let the action role administer the contract's StackSets from this account
   * (for the pipeline's `DeploymentKind.stackSet`).
   *
   * @default - no StackSet permissions
   */
  readonly stackSetAdministration?: StackSetAdministrationPermissions;

  /**
   * Let the action role publish new versions of the contract's Lambda
   * functions in this account (names starting with the contract's stack name
   * prefix) and shift their aliases, reading the account's CloudWatch alarms
   * (for the pipeline's `DeploymentKind.lambdaTrafficShift`).
   *
   * @default false
   */
  readonly lambdaDeployments?: boolean;

  /**
   * Transforms the deployed templates declare (e.g.
   * `CloudFormationTransform.SERVERLESS` for AWS SAM): the action role may
   * create change sets that expand them (`cloudformation:CreateChangeSet` on
   * each transform's ARN in this stack's region). The execution role still
   * needs the permissions for what the expanded template creates.
   *
   * @default - no transforms
   */
  readonly allowedTransforms?: CloudFormationTransform[];

  /**
   * Let the action role deploy in place with CodeDeploy (EC2/on-premises) to
   * this account's applications and deployment groups whose names start with
   * the contract's stack name prefix (for the pipeline's
   * `DeploymentKind.codeDeployServer`): register revisions, create and follow
   * deployments, read the deployment configurations (the predefined
   * `CodeDeployDefault.*` ones and those named with the prefix). No role to
   * pass: CodeDeploy uses the deployment group's own service role.
   *
   * The instances download the revision from the artifact store with their
   * own role, which must be named `contract.codeDeployInstanceRoleName`.
   *
   * @default false
   */
  readonly codeDeployServerDeployments?: boolean;

  /**
   * Maximum session duration of the action role.
   *
   * @default Duration.hours(1)
   */
  readonly maxSessionDuration?: Duration;
}

/** CloudFormation actions that change stacks: allowed only through the execution role. */
const STACK_CHANGE_ACTIONS = [
  'cloudformation:CreateStack',
  'cloudformation:UpdateStack',
  'cloudformation:DeleteStack',
  'cloudformation:CreateChangeSet',
];

/** CloudFormation actions that read stacks or act on existing change sets. */
const STACK_READ_ACTIONS = [
  'cloudformation:DescribeStacks',
  'cloudformation:DescribeStackEvents',
  'cloudformation:DescribeStackResources',
  'cloudformation:GetTemplate',
  'cloudformation:DescribeChangeSet',
  'cloudformation:ListChangeSets',
  'cloudformation:ExecuteChangeSet',
  'cloudformation:DeleteChangeSet',
];

/** Presets that grant the execution role permissions of its own. */
const EXECUTION_ROLE_PRESETS = ['samApplicationWithCodeDeploy', 'serverlessFramework'];

/** AWS managed policies that amount to administrator access (IAMFullAccess can grant itself anything). */
const ADMIN_EQUIVALENT_POLICIES = ['AdministratorAccess', 'IAMFullAccess'];

/** IAM actions on the two tenant roles that would let a deployment rewrite its own permissions. */
const SELF_MODIFICATION_ACTIONS = [
  'iam:AttachRolePolicy',
  'iam:DetachRolePolicy',
  'iam:PutRolePolicy',
  'iam:DeleteRolePolicy',
  'iam:UpdateAssumeRolePolicy',
  'iam:PutRolePermissionsBoundary',
  'iam:DeleteRolePermissionsBoundary',
  'iam:DeleteRole',
  'iam:UpdateRole',
  'iam:TagRole',
  'iam:UntagRole',
];

/** Creating or changing a role or user: denied unless it carries the execution role's boundary. */
const BOUNDARY_KEYED_ACTIONS = [
  'iam:CreateRole', 'iam:PutRolePermissionsBoundary', 'iam:AttachRolePolicy', 'iam:DetachRolePolicy',
  'iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:UpdateAssumeRolePolicy',
  'iam:CreateUser', 'iam:PutUserPermissionsBoundary', 'iam:AttachUserPolicy', 'iam:DetachUserPolicy',
  'iam:PutUserPolicy', 'iam:DeleteUserPolicy',
];

/** Credentials of a user, which whoever deploys the stack could read back. */
const USER_CREDENTIAL_ACTIONS = [
  'iam:CreateAccessKey', 'iam:UpdateAccessKey', 'iam:CreateLoginProfile', 'iam:UpdateLoginProfile',
  'iam:CreateServiceSpecificCredential', 'iam:UploadSSHPublicKey',
];

/** Changing what a managed policy grants, everywhere it is attached. */
const POLICY_VERSION_ACTIONS = ['iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:DeletePolicyVersion'];

/**
 * The two roles a cross-account pipeline needs in a target account, with the
 * fixed names of the deployment contract:
 *
 * - the **action role**, assumed by the tooling account's pipeline roles only
 *   (account principal narrowed by `aws:PrincipalArn` to the contract's role
 *   path) and by the tooling-account roles that deploy this account with
 *   `DeploymentKind.codeBuild` (the contract's deployer path of this account,
 *   never another's). It reads and decrypts the contract's artifacts, manages stacks whose
 *   names start with the contract's prefix, only through the execution role,
 *   and passes the execution role to CloudFormation;
 * - the **execution role**, assumed by CloudFormation, with exactly the
 *   permissions the user declares. The action role is the only role this
 *   construct lets pass it; principals of the target account that may pass any
 *   role (`iam:PassRole` on `*`) can pass it too, so restrict those with an SCP.
 *
 * @example
 * import { App, Stack } from 'aws-cdk-lib';
 * import * as iam from 'aws-cdk-lib/aws-iam';
 * import { DeploymentContract, TenantDeploymentRole } from 'cdk-cross-account-cicd';
 *
 * const app = new App();
 * const contract = new DeploymentContract({ toolingAccount: '111111111111', organizationId: 'o-a1b2c3d4e5', qualifier: 'shop' });
 * const tenant = new Stack(app, 'TenantRoles', { env: { account: '333333333333', region: 'us-east-1' } });
 * new TenantDeploymentRole(tenant, 'DeploymentRoles', {
 *   contract,
 *   // Exactly what the application's stacks need; there is no administrator default.
 *   executionRoleStatements: [new iam.PolicyStatement({
 *     actions: ['sns:CreateTopic', 'sns:DeleteTopic', 'sns:GetTopicAttributes'],
 *     resources: ['arn:aws:sns:*:333333333333:shop-*'],
 *   })],
 * });
 * app.synth();
 */
export class TenantDeploymentRole extends Construct {
  /** ARN of the action role of `contract` in `account`, without a reference to its stack. */
  public static actionRoleArn(contract: DeploymentContract, account: string): string {
    return contract.actionRoleArn(account);
  }

  /** ARN of the execution role of `contract` in `account`, without a reference to its stack. */
  public static executionRoleArn(contract: DeploymentContract, account: string): string {
    return contract.executionRoleArn(account);
  }

  /** The role the tooling account's pipeline assumes. */
  public readonly actionRole: iam.Role;
  /** The role CloudFormation assumes to create the stacks' resources. */
  public readonly executionRole: iam.Role;
  /** The contract both roles follow. */
  public readonly contract: DeploymentContract;

  constructor(scope: Construct, id: string, props: TenantDeploymentRoleProps) {
    super(scope, id);
    this.contract = props.contract;
    throwIfProblems(this, roleProblems(this, props));
    const contract = props.contract;

    this.executionRole = new iam.Role(this, 'ExecutionRole', {
      roleName: contract.executionRoleName,
      description: `CloudFormation execution role of deployment contract '${contract.qualifier}'`,
      // No aws:SourceAccount/aws:SourceArn: CloudFormation documents them for
      // StackSets administration roles and extension roles, not for a stack's
      // service role, so a condition could refuse CloudFormation itself.
      // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-iam-servicerole.html
      assumedBy: new iam.ServicePrincipal('cloudformation.amazonaws.com'),
      managedPolicies: props.executionRoleManagedPolicies,
      permissionsBoundary: props.permissionsBoundary,
    });
    for (const statement of props.executionRoleStatements ?? []) {
      this.executionRole.addToPrincipalPolicy(statement);
    }
    // Resources that CloudFormation creates with this role may fetch files of the
    // artifact themselves (e.g. Lambda code referenced with Fn::GetArtifactAtt).
    this.executionRole.addToPrincipalPolicy(this.readArtifactObjects());
    this.executionRole.addToPrincipalPolicy(this.decryptArtifacts());
    this.executionRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'DenyChangingTheDeploymentRoles',
      effect: iam.Effect.DENY,
      actions: SELF_MODIFICATION_ACTIONS,
      resources: [contract.actionRoleArn(Aws.ACCOUNT_ID), contract.executionRoleArn(Aws.ACCOUNT_ID)],
    }));
    if (props.permissionsBoundary) {
      this.enforceBoundary(props.permissionsBoundary);
    }

    this.actionRole = new iam.Role(this, 'ActionRole', {
      roleName: contract.actionRoleName,
      description: `Assumed by the pipelines of deployment contract '${contract.qualifier}' in account ${contract.toolingAccount}`,
      assumedBy: this.pipelinePrincipal(props),
      permissionsBoundary: props.actionRolePermissionsBoundary,
      maxSessionDuration: props.maxSessionDuration ?? Duration.hours(1),
    });
    if (props.gitHubOidc) {
      this.actionRole.assumeRolePolicy?.addStatements(gitHubTrustStatement(props.gitHubOidc));
    }
    this.grantActionRolePermissions();
    for (const statement of props.actionRoleStatements ?? []) {
      this.actionRole.addToPrincipalPolicy(statement);
    }
    for (const preset of props.permissions ?? []) {
      preset._grant({ contract, actionRole: this.actionRole, executionRole: this.executionRole });
    }
    if (props.ecsServiceDeployments) grantEcsServiceDeployments(this.actionRole, props.ecsServiceDeployments);
    if (props.blueGreenEfsReleases) this.grantReleaseInboxWrites();
    if (props.stackSetAdministration) grantStackSetAdministration(this.actionRole, contract, props.stackSetAdministration);
    if (props.lambdaDeployments) grantLambdaDeployments(this.actionRole, contract);
    if (props.allowedTransforms?.length) {
      const transforms = transformChangeSetStatement(props.allowedTransforms.map((t) => t.name), Aws.PARTITION, Aws.REGION);
      this.actionRole.addToPrincipalPolicy(new iam.PolicyStatement({ sid: 'ExpandTemplateTransforms', ...transforms }));
    }
    if (props.codeDeployServerDeployments) grantCodeDeployServerDeployments(this.actionRole, contract);

    this.suppressExpectedNagFindings();
    guardPolicySizes(this, {
      [PolicyQuota.IAM_ROLE_INLINE_POLICIES]: 'move execution role permissions from executionRoleStatements into executionRoleManagedPolicies; for the action role, trim actionRoleStatements or permissions',
      [PolicyQuota.IAM_TRUST_POLICY]: 'ask AWS to raise the role trust policy quota to 4,096, or drop optional trust conditions',
      [PolicyQuota.IAM_MANAGED_POLICY]: 'split the managed policy into several',
      [PolicyQuota.MANAGED_POLICIES_PER_ROLE]: 'merge execution role statements (or actionRoleStatements) that share actions (CDK moves what exceeds the inline limit into extra managed policies), or ask AWS to raise the quota to 20',
    });
    const presetsGrantExecutionRole = (props.permissions ?? []).some((p) => EXECUTION_ROLE_PRESETS.includes(p.presetName));
    if (!props.executionRoleManagedPolicies?.length && !props.executionRoleStatements?.length && !presetsGrantExecutionRole) {
      Annotations.of(this).addWarningV2('cdk-cross-account-cicd:executionRoleHasNoPermissions',
        'The CloudFormation execution role has no permissions of its own: stacks deployed through it can create nothing. ' +
        'Declare executionRoleManagedPolicies or executionRoleStatements for the resources your stacks create.');
    }
  }

  /**
   * The tooling account, narrowed to the contract's pipeline role path and to
   * the deployer roles of this account only (CodeBuild deployments), and to
   * the organization. `${AWS::AccountId}` keeps the template the same for
   * every account, as a StackSet needs.
   */
  private pipelinePrincipal(props: TenantDeploymentRoleProps): iam.IPrincipal {
    const contract = props.contract;
    const stringEquals: Record<string, string> = {};
    if (props.externalId) stringEquals['sts:ExternalId'] = props.externalId;
    if (props.requireCallerInOrganization ?? contract.organizationId !== undefined) {
      stringEquals['aws:PrincipalOrgID'] = contract.organizationId!;
    }
    return new iam.AccountPrincipal(contract.toolingAccount).withConditions({
      ArnLike: { 'aws:PrincipalArn': [contract.pipelineRoleArnPattern(), contract.deployerRoleArnPattern(Aws.ACCOUNT_ID)] },
      ...(Object.keys(stringEquals).length > 0 ? { StringEquals: stringEquals } : {}),
    });
  }

  private grantActionRolePermissions(): void {
    const contract = this.contract;
    const stackArn = `arn:${Aws.PARTITION}:cloudformation:*:${Aws.ACCOUNT_ID}:stack/${contract.stackNamePrefix}*/*`;
    this.actionRole.addToPrincipalPolicy(this.readArtifactObjects());
    this.actionRole.addToPrincipalPolicy(this.decryptArtifacts());
    this.actionRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ChangeStacksOnlyThroughTheExecutionRole',
      actions: STACK_CHANGE_ACTIONS,
      resources: [stackArn],
      conditions: { StringEquals: { 'cloudformation:RoleArn': this.executionRole.roleArn } },
    }));
    this.actionRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ReadStacksAndRunChangeSets',
      actions: STACK_READ_ACTIONS,
      resources: [stackArn],
    }));
    this.actionRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'PassTheExecutionRoleToCloudFormation',
      actions: ['iam:PassRole'],
      resources: [this.executionRole.roleArn],
      conditions: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
    }));
  }

  /** Objects of this account's release inboxes (every region): write only, no read, list or delete. */
  private grantReleaseInboxWrites(): void {
    const inboxes = releaseInboxBucketName(this.contract.qualifier, Aws.ACCOUNT_ID, '*');
    this.actionRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'DropBlueGreenReleases',
      actions: ['s3:PutObject'],
      resources: [`arn:${Aws.PARTITION}:s3:::${inboxes}/*`],
      conditions: { StringEquals: { 'aws:ResourceAccount': Aws.ACCOUNT_ID } },
    }));
    suppressOnDefaultPolicy(this.actionRole, [{
      id: 'AwsSolutions-IAM5',
      reason: 'Release objects in this account\'s release inbox of every region (the bucket name carries the account; write only).',
      appliesTo: [{ regex: `/^Resource::arn:${ANY_PARTITION}:s3:::cdkx-.*-releases-<AWS::AccountId>-\\*\\/\\*$/` }],
    }]);
  }

  /** Objects of the contract's artifact buckets (every region), owned by the tooling account. */
  private readArtifactObjects(): iam.PolicyStatement {
    const bucketPattern = artifactBucketNamePattern(this.contract.qualifier, this.contract.toolingAccount);
    return new iam.PolicyStatement({
      sid: 'ReadArtifacts',
      actions: TENANT_OBJECT_READ_ACTIONS,
      resources: [`arn:${Aws.PARTITION}:s3:::${bucketPattern}/*`],
      conditions: { StringEquals: { 'aws:ResourceAccount': this.contract.toolingAccount } },
    });
  }

  /** The contract's artifact key (found by its alias, in any region), only as S3 uses it. */
  private decryptArtifacts(): iam.PolicyStatement {
    return new iam.PolicyStatement({
      sid: 'DecryptArtifactsThroughS3',
      actions: TENANT_KEY_READ_ACTIONS,
      resources: [`arn:${Aws.PARTITION}:kms:*:${this.contract.toolingAccount}:key/*`],
      conditions: {
        'ForAnyValue:StringEquals': { 'kms:ResourceAliases': this.contract.artifactKeyAliasName },
        'StringLike': { 'kms:ViaService': 's3.*.amazonaws.com' },
      },
    });
  }

  /**
   * No principal escapes the boundary through what the stacks deploy: roles
   * and users the execution role creates or changes carry the boundary, which
   * it cannot lift or rewrite, and principals or policies that may lack it
   * (those not named by the stacks) keep their credentials, trust and policy
   * versions, and cannot be passed to a service.
   */
  private enforceBoundary(boundary: iam.IManagedPolicy): void {
    // The IAM actions that support iam:PermissionsBoundary (the boundary of the
    // role or user acted on); a principal without one fails StringNotEquals.
    // https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsidentityandaccessmanagementiam.html
    this.executionRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'DenyPrincipalsWithoutTheBoundary',
      effect: iam.Effect.DENY,
      actions: BOUNDARY_KEYED_ACTIONS,
      resources: ['*'],
      conditions: { StringNotEquals: { 'iam:PermissionsBoundary': boundary.managedPolicyArn } },
    }));
    // These support no iam:PermissionsBoundary: allowed only on what the stacks
    // name (CloudFormation names resources after the stack, which starts with the prefix).
    const prefix = this.contract.stackNamePrefix;
    const named = (type: string) => [
      `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:${type}/${prefix}*`,
      `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:${type}/*/${prefix}*`,
    ];
    this.executionRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'DenyCredentialsOfOtherUsers',
      effect: iam.Effect.DENY,
      actions: USER_CREDENTIAL_ACTIONS,
      notResources: named('user'),
    }));
    this.executionRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'DenyPassingOtherRoles',
      effect: iam.Effect.DENY,
      actions: ['iam:PassRole'],
      notResources: named('role'),
    }));
    this.executionRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'DenyRewritingOtherPolicies',
      effect: iam.Effect.DENY,
      actions: POLICY_VERSION_ACTIONS,
      notResources: named('policy'),
    }));
    this.executionRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'DenyRemovingTheBoundary',
      effect: iam.Effect.DENY,
      actions: ['iam:DeleteRolePermissionsBoundary', 'iam:DeleteUserPermissionsBoundary'],
      resources: ['*'],
    }));
    this.executionRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'DenyEditingTheBoundary',
      effect: iam.Effect.DENY,
      actions: ['iam:CreatePolicyVersion', 'iam:DeletePolicy', 'iam:DeletePolicyVersion', 'iam:SetDefaultPolicyVersion'],
      resources: [boundary.managedPolicyArn],
    }));
  }

  private suppressExpectedNagFindings(): void {
    const stackPattern = `Resource::arn:<AWS::Partition>:cloudformation:*:<AWS::AccountId>:stack/${this.contract.stackNamePrefix}*/*`;
    const keyPattern = `Resource::arn:<AWS::Partition>:kms:*:${this.contract.toolingAccount}:key/*`;
    const bucketPattern = `Resource::arn:<AWS::Partition>:s3:::${artifactBucketNamePattern(this.contract.qualifier, this.contract.toolingAccount)}/*`;
    const reasons = {
      bucket: 'Artifact objects of the contract\'s bucket in every region: the bucket name is fixed by the contract, the region and object keys are not known to the target account.',
      key: 'The artifact key is identified by its alias (kms:ResourceAliases) because its id is not known to the target account; only decrypt through S3.',
      stack: 'Only stacks whose names start with the contract\'s prefix, in any region of this account; changes only through the execution role.',
    };
    for (const [role, patterns] of [
      [this.actionRole, [[bucketPattern, reasons.bucket], [keyPattern, reasons.key], [stackPattern, reasons.stack]]],
      [this.executionRole, [[bucketPattern, reasons.bucket], [keyPattern, reasons.key]]],
    ] as const) {
      suppressOnDefaultPolicy(role, patterns.map(([finding, reason]) => ({ id: 'AwsSolutions-IAM5', reason, appliesTo: [anyPartition(finding)] })));
    }
  }
}

function roleProblems(scope: Construct, props: TenantDeploymentRoleProps): Problem[] {
  const problems = contractProblems(props.contract);
  if (props.requireCallerInOrganization && !props.contract.organizationId) {
    problems.push({
      property: 'requireCallerInOrganization',
      value: true,
      reason: 'the contract has no organizationId to require',
      fix: 'give the DeploymentContract an organizationId, or drop requireCallerInOrganization',
    });
  }
  if (props.gitHubOidc) problems.push(...gitHubTrustProblems(props.gitHubOidc, 'gitHubOidc'));
  problems.push(...transformProblems(props.allowedTransforms ?? [], 'allowedTransforms'));
  if (props.ecsServiceDeployments) problems.push(...ecsProblems(props.ecsServiceDeployments, 'ecsServiceDeployments'));
  if (props.stackSetAdministration) problems.push(...stackSetProblems(props.stackSetAdministration, 'stackSetAdministration'));
  problems.push(...presetProblems(props));
  if (props.externalId !== undefined && !Token.isUnresolved(props.externalId) && !/^[\w+=,.@:\/-]{2,1224}$/.test(props.externalId)) {
    problems.push({
      property: 'externalId',
      value: props.externalId,
      reason: 'an external id is 2 to 1,224 characters of letters, digits and +=,.@:/-',
      fix: 'use a random string of those characters',
    });
  }
  problems.push(...everyActionProblems(props.executionRoleStatements, 'executionRoleStatements',
    'list the service actions your stacks need, e.g. "s3:CreateBucket", or attach scoped managed policies'));
  problems.push(...everyActionProblems(props.actionRoleStatements, 'actionRoleStatements',
    'list the actions your deploy tool calls, e.g. "lambda:UpdateFunctionCode", or use a DeploymentPermissions preset'));
  const stack = Stack.of(scope);
  (props.executionRoleManagedPolicies ?? []).forEach((policy, index) => {
    const arn = JSON.stringify(stack.resolve(policy.managedPolicyArn));
    const adminEquivalent = ADMIN_EQUIVALENT_POLICIES.find((name) => arn.includes(`:iam::aws:policy/${name}"`));
    if (adminEquivalent) {
      problems.push({
        property: `executionRoleManagedPolicies[${index}]`,
        value: adminEquivalent,
        reason: 'the execution role would be able to do anything in the account, and so would every commit that reaches the pipeline',
        fix: 'attach managed policies scoped to the services your stacks create (PowerUserAccess is not scoped either); if you accept the risk, add it yourself with executionRole.addManagedPolicy()',
      });
    }
  });
  return problems;
}

/** Statements that grant every action (Action "*" or NotAction). */
function everyActionProblems(statements: iam.PolicyStatement[] | undefined, property: string, fix: string): Problem[] {
  const problems: Problem[] = [];
  (statements ?? []).forEach((statement, index) => {
    const json = statement.toStatementJson();
    const actions = ([] as string[]).concat(json.Action ?? []);
    if (actions.includes('*') || json.NotAction !== undefined) {
      problems.push({
        property: `${property}[${index}]`,
        value: json.Action ?? { NotAction: json.NotAction },
        reason: 'grants every action (Action "*" or NotAction): a pipeline would become remote administrator access to the account',
        fix,
      });
    }
  });
  return problems;
}

function ecsProblems(ecs: EcsServiceDeploymentPermissions, property: string): Problem[] {
  if (Token.isUnresolved(ecs.clusterName) || /^[A-Za-z0-9_-]{1,255}$/.test(ecs.clusterName)) return [];
  return [{
    property: `${property}.clusterName`,
    value: ecs.clusterName,
    reason: 'an ECS cluster name holds 1 to 255 letters, digits, hyphens and underscores (no wildcards)',
    fix: "name the one cluster the pipeline deploys to, e.g. 'shop'",
  }];
}

function stackSetProblems(admin: StackSetAdministrationPermissions, property: string): Problem[] {
  const problems: Problem[] = [];
  if (admin.administrationRoleName !== undefined) {
    if (admin.permissionModel !== StackSetPermissionModel.SELF_MANAGED) {
      problems.push({
        property: `${property}.administrationRoleName`,
        value: admin.administrationRoleName,
        reason: 'only self-managed StackSets pass an administration role',
        fix: 'set permissionModel to StackSetPermissionModel.SELF_MANAGED, or leave administrationRoleName out',
      });
    } else if (!Token.isUnresolved(admin.administrationRoleName) && !/^[\w+=,.@-]{1,64}$/.test(admin.administrationRoleName)) {
      problems.push({
        property: `${property}.administrationRoleName`,
        value: admin.administrationRoleName,
        reason: 'not an IAM role name (1 to 64 letters, digits and +=,.@_-; no wildcards)',
        fix: "name the one administration role, e.g. 'AWSCloudFormationStackSetAdministrationRole'",
      });
    }
  }
  if (admin.delegatedAdministrator && admin.permissionModel === StackSetPermissionModel.SELF_MANAGED) {
    problems.push({
      property: `${property}.delegatedAdministrator`,
      value: true,
      reason: 'delegated administrators manage service-managed StackSets only',
      fix: 'use permissionModel SERVICE_MANAGED, or drop delegatedAdministrator',
    });
  }
  return problems;
}

/** Each preset once, not next to the prop it replaces, and with valid options. */
function presetProblems(props: TenantDeploymentRoleProps): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  const replaces: Record<string, keyof TenantDeploymentRoleProps> = {
    ecsService: 'ecsServiceDeployments',
    stackSetAdministration: 'stackSetAdministration',
    lambdaUpdate: 'lambdaDeployments',
  };
  (props.permissions ?? []).forEach((preset, index) => {
    const property = `permissions[${index}]`;
    if (seen.has(preset.presetName)) {
      problems.push({
        property,
        value: preset.presetName,
        reason: 'the preset is given twice (its statements would share their Sids)',
        fix: `give DeploymentPermissions.${preset.presetName}() once; for a second ECS cluster, add statements with actionRoleStatements`,
      });
    }
    seen.add(preset.presetName);
    const replaced = replaces[preset.presetName];
    if (replaced && props[replaced] !== undefined && props[replaced] !== false) {
      problems.push({
        property,
        value: preset.presetName,
        reason: `grants what the ${replaced} prop grants (their statements would share their Sids)`,
        fix: `use either DeploymentPermissions.${preset.presetName}() or ${replaced}, not both`,
      });
    }
    if (preset._ecsOptions) problems.push(...ecsProblems(preset._ecsOptions, `${property}.ecsService`));
    if (preset._stackSetOptions) problems.push(...stackSetProblems(preset._stackSetOptions, `${property}.stackSetAdministration`));
  });
  return problems;
}
