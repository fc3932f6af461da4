import { Aws, CfnResource, Duration, Names, Stack, Token } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { assumeOneTargetActionRoleStatement } from './assume-target-roles';
import { ReservedVariables } from './build-variables';
import { suppressPrivilegedMode } from './pipeline-projects';
import { IArtifactStore } from '../../artifact-store/artifact-store';
import { DeploymentContract } from '../../shared/deployment-contract';
import { anyPartition, CODEBUILD_OWN_LOGS_AND_REPORTS, suppressOnDefaultPolicy } from '../../shared/nag-suppressions';
import { acknowledgeTemplateValidation } from '../../shared/template-validation';
import { throwIfProblems } from '../../shared/validation';

/**
 * Target accounts one CodeBuild deployment serves in one pipeline. Each takes
 * a project, a role and its policy in the pipeline stack (3 of its 500
 * resources, about 7 KB of template as CDK writes it with a one-line
 * command, since the buildspec is repeated in every project) and one of the
 * tooling account's 1,000 IAM roles (default quota). 50 accounts take 150
 * resources and about 350 KB, which leaves the pipeline room in the stack.
 */
export const CODEBUILD_DEPLOYMENT_ACCOUNT_LIMIT = 50;

/**
 * Bytes of the stack template (one-space indented, as CDK writes it) the
 * deploy projects may take together: long commands repeat in every project.
 */
export const CODEBUILD_DEPLOYMENT_TEMPLATE_BUDGET = 400_000;

/**
 * Variables the deploy projects set themselves: the action's TARGET_* and
 * PARAM_* (CodePipeline's action variables override the project's), and the
 * pre_build's credentials, region and shell variables.
 */
export const DEPLOY_PROJECT_RESERVED: ReservedVariables = {
  names: [
    'TARGET_ROLE_ARN', 'TARGET_ACCOUNT', 'TARGET_REGION', 'TARGET_ID',
    'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_REGION', 'AWS_DEFAULT_REGION',
    'SESSION_NAME', 'CREDS',
  ],
  prefixes: ['PARAM_'],
  setBy: 'the CodeBuild deploy project',
};

/** Matches the artifact objects grant (`<...Bucket1A2B3C4D.Arn>/*`) in cdk-nag findings. */
const STORE_OBJECTS = { regex: '/^Resource::<.*Bucket[0-9A-F]{8}\\.Arn>\\/\\*$/' };

export interface CodeBuildDeployersProps {
  readonly contract: DeploymentContract;
  readonly artifactStore: IArtifactStore;
  /** The role that starts the builds (the pipeline role). */
  readonly pipelineRole: iam.IRole;
  readonly buildSpec: codebuild.BuildSpec;
  readonly buildImage: codebuild.IBuildImage;
  readonly computeType: codebuild.ComputeType;
  readonly timeout: Duration;
  /** Privileged mode (Docker), on the user's request. */
  readonly privileged: boolean;
  /** The kind's secrets, parameters and plain variables: each project's role may read the secrets and parameters. */
  readonly environmentVariables: Record<string, codebuild.BuildEnvironmentVariable>;
}

/**
 * The deploy projects of one CodeBuild deployment in one pipeline: one per
 * target account, made when the first target of the account is rendered.
 * A build's commands choose which role they assume, so isolation lies in the
 * project's role: it sits on the contract's deployer path of its account
 * (which only that account's action role trusts) and may assume only that
 * account's action role. The pipeline role may start these projects only.
 */
export class CodeBuildDeployers extends Construct {
  private readonly projects = new Map<string, codebuild.PipelineProject>();
  /** Every project's name starts with it, so one statement lets the pipeline start them all. */
  private readonly namePrefix: string;

  constructor(scope: Construct, id: string, private readonly props: CodeBuildDeployersProps) {
    super(scope, id);
    this.namePrefix = Names.uniqueResourceName(this, { maxLength: 64 });
    this.node.addValidation({ validate: () => this.templateSizeProblems() });
    const projects = this.projectArn(`${this.namePrefix}-*`);
    props.pipelineRole.addToPrincipalPolicy(new iam.PolicyStatement({
      // A second CodeBuild kind of the pipeline is bound as 'CodeBuildDeployment2' (and so on):
      // its statement needs a Sid of its own (CloudFormation's validation, E3510, refuses twins).
      sid: `RunDeployProjects${/\d*$/.exec(this.node.id)![0]}`,
      actions: ['codebuild:StartBuild', 'codebuild:BatchGetBuilds'],
      resources: [projects],
    }));
    suppressOnDefaultPolicy(props.pipelineRole, [{
      id: 'AwsSolutions-IAM5',
      reason: 'The deploy projects of this pipeline, one per target account, all named with one prefix: one statement instead of one per account keeps the pipeline role policy constant-size.',
      appliesTo: [anyPartition(`Resource::arn:<AWS::Partition>:codebuild:${Stack.of(this).region}:${Stack.of(this).account}:project/${this.namePrefix}-*`)],
    }]);
  }

  /** The projects made so far, in the order of their accounts' first targets. */
  public get deployProjects(): codebuild.IProject[] {
    return [...this.projects.values()];
  }

  /** The deploy project of a target account. */
  public projectFor(account: string): codebuild.PipelineProject {
    const existing = this.projects.get(account);
    if (existing) return existing;
    this.checkRoomFor(account);
    const project = this.createProject(account);
    this.projects.set(account, project);
    return project;
  }

  private createProject(account: string): codebuild.PipelineProject {
    const { contract } = this.props;
    const scope = new Construct(this, account);
    const projectName = `${this.namePrefix}-${account}`;
    const role = new iam.Role(scope, 'Role', {
      path: contract.deployerRolePath(account),
      description: `Runs the deploy commands for account ${account} with its action role`,
      // Only this project's builds: the service role trust CodeBuild documents.
      // https://docs.aws.amazon.com/codebuild/latest/userguide/setting-up-service-role.html
      assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        ArnEquals: { 'aws:SourceArn': this.projectArn(projectName) },
      }),
    });
    role.addToPrincipalPolicy(assumeOneTargetActionRoleStatement(contract, account));
    const project = new codebuild.PipelineProject(scope, 'Project', {
      projectName,
      description: `Deploys the targets in account ${account} with its action role credentials`,
      role,
      // CodeBuild downloads the input artifact with the project's own role.
      encryptionKey: this.props.artifactStore.encryptionKey,
      environment: { buildImage: this.props.buildImage, computeType: this.props.computeType, privileged: this.props.privileged },
      // Secrets and parameters: aws-cdk-lib grants this project's role read of exactly these.
      environmentVariables: this.props.environmentVariables,
      timeout: this.props.timeout,
      buildSpec: this.props.buildSpec,
    });
    // aws-cdk-lib 2.276's template validation reports E3050 ("Ref to an IAM role with a
    // Path, use GetAtt Arn") on this project, whose ServiceRole already is the role's
    // GetAtt Arn (test/cloudformation-embedded-parameters.test.ts synthesizes it with cdk
    // init's flags, where the finding would stop synth); cfn-lint 1.58 reports nothing.
    acknowledgeTemplateValidation(project.node.defaultChild as codebuild.CfnProject, 'E3050',
      'ServiceRole is the deployer role\'s Fn::GetAtt Arn, path included, as the rule asks.');
    this.props.artifactStore.grantRead(role);
    if (this.props.privileged) {
      suppressPrivilegedMode(project, 'The user turned on privileged mode (DeploymentKind.codeBuild privileged) for deploy commands that run Docker; the deployer role stays limited to assuming its own account\'s action role and reading the artifacts and the kind\'s secrets.');
    }
    suppressOnDefaultPolicy(role, [{
      id: 'AwsSolutions-IAM5',
      reason: 'Generated by CodeBuild for this project only (its own log streams and report groups, the KMS actions for the one artifact key) and the artifact objects it reads.',
      appliesTo: [...CODEBUILD_OWN_LOGS_AND_REPORTS, 'Action::kms:ReEncrypt*', 'Action::kms:GenerateDataKey*', STORE_OBJECTS],
    }]);
    return project;
  }

  private checkRoomFor(account: string): void {
    const where = this.node.scope!;
    if (Token.isUnresolved(account)) {
      throwIfProblems(where, [{
        property: 'deploymentKind',
        value: account,
        reason: 'DeploymentKind.codeBuild names a deploy project and role after each target account, so the account must be known at synth',
        fix: 'give the target a literal 12-digit account id',
      }]);
    }
    if (this.projects.size < CODEBUILD_DEPLOYMENT_ACCOUNT_LIMIT) return;
    throwIfProblems(where, [{
      property: 'deploymentKind',
      value: `DeploymentKind.codeBuild for ${this.projects.size + 1} target accounts`,
      reason: `each target account gets its own deploy project and role in the pipeline stack (3 resources, about 7 KB of template and one IAM role each), at most ${CODEBUILD_DEPLOYMENT_ACCOUNT_LIMIT} per pipeline; account ${account} is one too many`,
      fix: `deploy at most ${CODEBUILD_DEPLOYMENT_ACCOUNT_LIMIT} accounts with CodeBuild per pipeline: use DeploymentKind.cloudFormation for the other stages, split the targets over several pipelines, or roll tenant fleets out with a fleet rollout`,
    }]);
  }

  /** The projects' share of the stack template, measured as CDK will write it. */
  private templateSizeProblems(): string[] {
    const stack = Stack.of(this);
    const resources = this.node.findAll().filter((c): c is CfnResource => c instanceof CfnResource);
    const size = resources.reduce((sum, r) => sum + JSON.stringify(stack.resolve(r._toCloudFormation()), undefined, 1).length, 0);
    if (size <= CODEBUILD_DEPLOYMENT_TEMPLATE_BUDGET) return [];
    return [`the deploy projects of ${this.projects.size} target accounts take ${size.toLocaleString('en-US')} bytes of the stack template, ` +
      `over the budget of ${CODEBUILD_DEPLOYMENT_TEMPLATE_BUDGET.toLocaleString('en-US')} (CloudFormation reads at most 1 MB, and every project repeats the commands). ` +
      'Fix: move the commands into a script in the build output and run that, or deploy fewer accounts with DeploymentKind.codeBuild per pipeline'];
  }

  private projectArn(projectName: string): string {
    return Stack.of(this).formatArn({ service: 'codebuild', resource: 'project', resourceName: projectName });
  }
}
