import { Annotations, Duration, Token } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { CloudFormationTransform, transformProblems } from './cloudformation-transform';
import { LambdaTrafficShift, LambdaTrafficShiftProps } from './lambda-traffic-shift';
import { buildVariableProblems, CODEBUILD_RESERVED, renderBuildVariables } from './private/build-variables';
import { CodeBuildDeployers, DEPLOY_PROJECT_RESERVED } from './private/codebuild-deployers';
import { ReleaseParameter, releaseParameterProblems } from './release-parameter';
import { CodeDeployServerDeployment, CodeDeployServerDeploymentProps } from './codedeploy-server-deployment';
import { StackSetDeployment, StackSetDeploymentProps } from './stack-set-deployment';
import { IArtifactStore } from '../artifact-store/artifact-store';
import { DeploymentContract } from '../shared/deployment-contract';
import { RELEASE_INBOX_OBJECT_KEY } from '../shared/naming';
import { Problem } from '../shared/validation';

/** A target account and region of a pipeline stage. */
export interface PipelineTarget {
  /** Unique across the pipeline; becomes the CodePipeline action name (`[A-Za-z0-9.@_-]`, at most 100). */
  readonly id: string;
  /** The target account. */
  readonly account: string;
  /** The target region. */
  readonly region: string;
  /**
   * Values for this target: CloudFormation parameter overrides, or environment
   * variables of a CodeBuild deployment. At most 1,024 bytes as JSON.
   *
   * @default - none
   */
  readonly parameters?: Record<string, string>;
}

/** What a deployment kind knows when it renders the actions of one target. */
export interface DeploymentActionContext {
  /** The target. */
  readonly target: PipelineTarget;
  /** The contract of the pipeline. */
  readonly contract: DeploymentContract;
  /** Name of the artifact the build produced (the input of every deploy action). */
  readonly inputArtifactName: string;
  /** ARN of the target's action role (the role the action runs as). */
  readonly actionRoleArn: string;
  /** ARN of the target's CloudFormation execution role. */
  readonly executionRoleArn: string;
}

/** One CodePipeline action a deployment kind renders for a target. */
export interface DeploymentAction {
  /** Appended to the target id to name the action; needed when a kind renders several actions per target. @default - the target id alone */
  readonly nameSuffix?: string;
  /** Action category, e.g. 'Deploy', 'Build', 'Invoke'. */
  readonly category: string;
  /** Action provider, e.g. 'CloudFormation', 'CodeBuild', 'ECS'. */
  readonly provider: string;
  /** @default 'AWS' */
  readonly owner?: string;
  /** @default '1' */
  readonly version?: string;
  /** The action configuration. */
  readonly configuration: Record<string, any>;
  /** The role the action runs as. @default - the target's action role */
  readonly roleArn?: string;
  /** Run as the pipeline role in the tooling account instead (for actions such as CodeBuild). @default false */
  readonly runAsPipelineRole?: boolean;
  /** Run in the target's region (true) or the pipeline's (false). @default true */
  readonly inTargetRegion?: boolean;
  /** Order within the target's actions of the wave. @default 1 */
  readonly runOrder?: number;
}

/** What a deployment kind gets to set itself up once per pipeline construct. */
export interface DeploymentKindBindOptions {
  /** The role the pipelines run as. */
  readonly pipelineRole: iam.IRole;
  /** The contract of the pipeline. */
  readonly contract: DeploymentContract;
  /** Every target account of the pipeline (may repeat). */
  readonly targetAccounts: string[];
  /** The pipeline's artifact store (CodeBuild projects read their input artifact from it). */
  readonly artifactStore: IArtifactStore;
}

/**
 * How each target is deployed. Implement it to add your own kind; use the
 * factories of {@link DeploymentKind} for the built-in ones.
 */
export interface IDeploymentKind {
  /** CodePipeline actions per target (waves are sized so that every target's actions fit one stage). */
  readonly actionsPerTarget: number;

  /** Target parameters every target must have. */
  readonly requiredParameters: string[];

  /**
   * Create what the kind shares across targets (once per pipeline construct)
   * and grant the pipeline role what running it needs.
   */
  bind(scope: Construct, options: DeploymentKindBindOptions): void;

  /** The actions of one target. */
  renderActions(context: DeploymentActionContext): DeploymentAction[];
}

/** Deploy a CloudFormation template of the build output into each target. */
export interface CloudFormationDeploymentProps {
  /** Stack name in every target; must start with the contract's stack name prefix. */
  readonly stackName: string;
  /** Path of the template inside the build output, e.g. 'cdk.out/App.template.json'. */
  readonly templatePath: string;
  /** Parameter overrides for every target; each target's parameters take precedence. @default - none */
  readonly parameterOverrides?: Record<string, string>;
  /** Parameters every target must set. @default - none */
  readonly requiredParameters?: string[];
  /** Create a change set and execute it (two actions per target) instead of updating the stack directly. @default false */
  readonly useChangeSets?: boolean;
  /**
   * Transforms the template declares, e.g. `[CloudFormationTransform.SERVERLESS]`
   * for an AWS SAM template. Each is checked at synth, and the synth reports
   * (as an info annotation) that the targets' `TenantDeploymentRole` must list
   * them in `allowedTransforms`. Both action modes expand transforms: the stack
   * is created or updated with CAPABILITY_AUTO_EXPAND, which the kind always
   * acknowledges, so `useChangeSets` is not required.
   *
   * @default - the template declares no transform
   */
  readonly transforms?: CloudFormationTransform[];
  /**
   * Template parameters set from the release when the pipeline runs, by
   * parameter name, e.g. `{ CodeKey: ReleaseParameter.artifactObjectKey() }`.
   * Neither `parameterOverrides` nor a target's parameters may set the same
   * names. All overrides of a target together are at most 1,000 characters
   * of JSON (checked at synth).
   *
   * @default - none
   */
  readonly releaseParameters?: Record<string, ReleaseParameter>;
}

/**
 * Run commands with each target's action role credentials (cdk deploy, sam deploy, serverless deploy).
 *
 * Environment of the commands (the deploy project's buildspec assumes the
 * target's action role in its pre_build phase, before `commands`):
 * - `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`: the
 *   target's action role credentials (a 1-hour session named `deploy-<TARGET_ID>`);
 * - `AWS_REGION`, `AWS_DEFAULT_REGION`: the target's region;
 * - `TARGET_ROLE_ARN`, `TARGET_ACCOUNT`, `TARGET_REGION`, `TARGET_ID`: the
 *   target's action role, account, region and id;
 * - `PARAM_<name>`: each of the target's `parameters`;
 * - the variables of `secrets`, `parameters` and `environment` below;
 * - CodeBuild's own (`CODEBUILD_*`), and the pre_build's shell variables
 *   `SESSION_NAME` and `CREDS`.
 * A variable of `secrets`, `parameters` or `environment` may not take any of
 * these names (refused at synth).
 *
 * `installCommands` run before the role is assumed, with the deploy project's
 * own role: they install tools, and cannot reach the target.
 */
export interface CodeBuildDeploymentProps {
  /** Commands run with the target's action role credentials and the variables listed above. */
  readonly commands: string[];
  /**
   * Commands run in the install phase, before the target's role is assumed
   * (e.g. `npm ci`, `pip install aws-sam-cli`). No buildspec file is offered
   * for deploy projects: the construct's buildspec assumes the target's role in
   * its pre_build phase, which a file from the source could drop or reorder;
   * run a script of the build output from `commands` instead (`./deploy.sh`).
   *
   * @default - none
   */
  readonly installCommands?: string[];
  /** Build image. @default codebuild.LinuxBuildImage.STANDARD_7_0 */
  readonly buildImage?: codebuild.IBuildImage;
  /** Compute type. @default codebuild.ComputeType.SMALL */
  readonly computeType?: codebuild.ComputeType;
  /**
   * Run the deploy projects in privileged mode, which Docker needs (`cdk deploy`
   * of Docker image assets, `sam build --use-container`).
   *
   * The risk: the commands get root access to the build container's kernel
   * features and the Docker daemon while they hold the target's action role
   * credentials; whoever controls the commands (or the build output they run)
   * can do more on the build host than deploy. What they can reach in AWS stays
   * the deployer role's and the target's action role's. cdk-nag's
   * AwsSolutions-CB3 finding is suppressed on the deploy projects when this is
   * true, with that reason.
   *
   * @default false
   */
  readonly privileged?: boolean;
  /**
   * Environment variables from Secrets Manager: variable name -> secret name or
   * ARN (optionally `:json-key`), as `PipelineBuildOptions.secrets`. The secrets
   * belong to this deployment kind: the deploy role of every target account
   * the kind deploys may read them, and no other role of the pipeline (not the
   * build's, not the pipeline's, not another kind's deployers).
   *
   * @default - none
   */
  readonly secrets?: Record<string, string>;
  /** Environment variables from SSM Parameter Store: variable name -> parameter name; readable by this kind's deploy roles only. @default - none */
  readonly parameters?: Record<string, string>;
  /** Plain environment variables (never secrets), the same for every target; per-target values go in the target's parameters (PARAM_<name>). @default - none */
  readonly environment?: Record<string, string>;
  /** Timeout of one target's deployment, at most the action role's 1-hour session. @default Duration.minutes(60) */
  readonly timeout?: Duration;
  /** Parameters every target must set. @default - none */
  readonly requiredParameters?: string[];
}

/** Roll a new image out to an ECS service in each target (CodePipeline's ECS deploy action). */
export interface EcsServiceDeploymentProps {
  /** Cluster name in every target. */
  readonly clusterName: string;
  /** Service name in every target. */
  readonly serviceName: string;
  /** The image definitions file in the build output. @default 'imagedefinitions.json' */
  readonly imageDefinitionsFile?: string;
  /** How long the action waits for the deployment to finish (1 to 60 minutes). @default Duration.minutes(60) */
  readonly deploymentTimeout?: Duration;
}

/** The built-in deployment kinds. */
export class DeploymentKind {
  /** CloudFormation create/update (or change set + execute) with the target's action and execution roles. */
  public static cloudFormation(props: CloudFormationDeploymentProps): IDeploymentKind {
    return new CloudFormationDeployment(props);
  }

  /**
   * CodeBuild in the tooling account running commands with the target's
   * action role credentials (cdk deploy, sam deploy, serverless deploy).
   *
   * Isolation between targets: the commands choose which role to assume and
   * with which session name, so they are not trusted to pick the right one.
   * Each target account gets its own deploy project, run by its own role on
   * the contract's deployer path of that account
   * (`DeploymentContract.deployerRolePath`, not under the pipeline role path).
   * That role may assume only that account's action role, and a
   * `TenantDeploymentRole` action role admits only the deployers of its own
   * account besides the pipeline roles: the commands deploying one account
   * cannot reach another's, whatever they run. Targets of one account (in
   * several regions) share the project.
   *
   * At most 50 target accounts per pipeline (a project and a role each in the
   * pipeline stack, about 7 KB of template each); deploy larger fleets with
   * `DeploymentKind.cloudFormation`.
   */
  public static codeBuild(props: CodeBuildDeploymentProps): IDeploymentKind {
    return new CodeBuildDeployment(props);
  }

  /**
   * ECS service update in each target, as the target's action role. The targets'
   * TenantDeploymentRole must allow it (`ecsServiceDeployments`).
   */
  public static ecsService(props: EcsServiceDeploymentProps): IDeploymentKind {
    return new EcsServiceDeployment(props);
  }

  /**
   * Hand the build output to a `BlueGreenEfsDeploy` in each target: the zip is
   * dropped into the target's release inbox (named by the contract), which
   * starts that web tier's own release pipeline (publish into the idle color,
   * blue/green deployment). The targets' TenantDeploymentRole must allow it
   * (`blueGreenEfsReleases`), and their `BlueGreenEfsDeploy` must set `releasedBy`.
   */
  public static blueGreenEfsRelease(): IDeploymentKind {
    return new BlueGreenEfsRelease();
  }

  /**
   * Update a CloudFormation StackSet (CodePipeline's `CloudFormationStackSet`
   * action, plus `CloudFormationStackInstances` for instance parameter
   * overrides) as the target's action role. Each target is the StackSet's
   * administrator account and region: the organization's management account
   * for service-managed StackSets (CodePipeline's StackSet actions cannot act
   * as a delegated administrator), any account for self-managed ones. The
   * targets' TenantDeploymentRole must allow it (`stackSetAdministration`).
   */
  public static stackSet(props: StackSetDeploymentProps): IDeploymentKind {
    return new StackSetDeployment(props);
  }

  /**
   * Publish the build output as a new version of a Lambda function in each
   * target and shift an alias to it, canary, linear or all at once, rolled
   * back when a CloudWatch alarm goes off (CodePipeline's Lambda deploy
   * action, as the target's action role). The targets' TenantDeploymentRole
   * must allow it (`lambdaDeployments`). The action has no pre- or
   * post-traffic hooks.
   */
  public static lambdaTrafficShift(props: LambdaTrafficShiftProps): IDeploymentKind {
    return new LambdaTrafficShift(props);
  }

  /**
   * In-place CodeDeploy deployment (EC2/on-premises compute platform) of the
   * build output to an application's deployment group in each target, as the
   * target's action role, in the target's region (CodePipeline's `CodeDeploy`
   * action). The targets' TenantDeploymentRole must allow it
   * (`codeDeployServerDeployments`), and their instances' role must carry the
   * contract's name (`DeploymentContract.codeDeployInstanceRoleName`): the
   * CodeDeploy agent downloads the revision from the artifact store with it.
   */
  public static codeDeployServer(props: CodeDeployServerDeploymentProps): IDeploymentKind {
    return new CodeDeployServerDeployment(props);
  }

  private constructor() {}
}

/** Problems of a kind that only the kind can see (e.g. a stack name outside the contract prefix). @internal */
export function deploymentKindProblems(
  kind: IDeploymentKind, contract: DeploymentContract, property: string, targets: PipelineTarget[] = [], targetsProperty = 'targets',
): Problem[] {
  if (kind instanceof CloudFormationDeployment) return kind.problems(contract, property, targets, targetsProperty);
  if (kind instanceof CodeBuildDeployment) return kind.problems(property);
  if (kind instanceof EcsServiceDeployment) return kind.problems(property);
  if (kind instanceof StackSetDeployment) return kind.problems(contract, property);
  if (kind instanceof LambdaTrafficShift) return kind.problems(contract, property);
  if (kind instanceof CodeDeployServerDeployment) return kind.problems(contract, property);
  return [];
}

/** A duration in whole minutes from `min` to `max`, or a problem naming the property. */
function minutesProblems(property: string, duration: Duration | undefined, min: number, max: number, why: string): Problem[] {
  if (!duration || Token.isUnresolved(duration.toSeconds())) return [];
  const minutes = duration.toMinutes({ integral: false });
  if (Number.isInteger(minutes) && minutes >= min && minutes <= max) return [];
  return [{ property, value: `${minutes} minutes`, reason: why, fix: `use whole minutes from ${min} to ${max}` }];
}

class CloudFormationDeployment implements IDeploymentKind {
  public readonly actionsPerTarget: number;
  public readonly requiredParameters: string[];

  constructor(private readonly props: CloudFormationDeploymentProps) {
    this.actionsPerTarget = props.useChangeSets ? 2 : 1;
    this.requiredParameters = props.requiredParameters ?? [];
  }

  public problems(contract: DeploymentContract, property: string, targets: PipelineTarget[] = [], targetsProperty = 'targets'): Problem[] {
    const problems: Problem[] = [
      ...transformProblems(this.props.transforms ?? [], `${property}.transforms`),
      ...releaseParameterProblems(this.props.releaseParameters ?? {}, `${property}.releaseParameters`,
        this.props.parameterOverrides ?? {}, targets, targetsProperty),
    ];
    const name = this.props.stackName;
    if (Token.isUnresolved(name)) return problems;
    if (!name.startsWith(contract.stackNamePrefix)) {
      problems.push({
        property: `${property}.stackName`,
        value: name,
        reason: `the tenant action role may only manage stacks whose names start with '${contract.stackNamePrefix}'`,
        fix: `name the stack '${contract.stackNamePrefix}${name}', or change the contract's stackNamePrefix`,
      });
    }
    if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(name)) {
      problems.push({ property: `${property}.stackName`, value: name, reason: 'not a CloudFormation stack name (letters, digits, hyphens, at most 128, starting with a letter)', fix: "e.g. 'main-app'" });
    }
    return problems;
  }

  public bind(scope: Construct): void {
    // Nothing shared: every action runs as the target's own roles. Those must admit the transforms.
    const names = (this.props.transforms ?? []).map((t) => t.name);
    if (names.length > 0) {
      Annotations.of(scope).addInfo(`Stack '${this.props.stackName}' declares transforms ${names.join(', ')}: ` +
        'the TenantDeploymentRole of every target must list them in allowedTransforms (cloudformation:CreateChangeSet on the transform), ' +
        'and its execution role must allow what the expanded template creates.');
    }
  }

  public renderActions(context: DeploymentActionContext): DeploymentAction[] {
    // Release parameters are override functions: JSON objects inside the ParameterOverrides JSON, not strings.
    const release = Object.fromEntries(Object.entries(this.props.releaseParameters ?? {})
      .map(([name, parameter]) => [name, parameter._render(context.inputArtifactName)]));
    const overrides = { ...(this.props.parameterOverrides ?? {}), ...(context.target.parameters ?? {}), ...release };
    const common = {
      StackName: this.props.stackName,
      RoleArn: context.executionRoleArn,
      // CAPABILITY_AUTO_EXPAND lets CreateStack/UpdateStack expand transforms (AWS::Serverless included) without a
      // reviewed change set (CloudFormation API Reference, CreateStack, Capabilities): CREATE_UPDATE deploys SAM templates.
      Capabilities: 'CAPABILITY_IAM,CAPABILITY_NAMED_IAM,CAPABILITY_AUTO_EXPAND',
    };
    const template = {
      TemplatePath: `${context.inputArtifactName}::${this.props.templatePath}`,
      ...(Object.keys(overrides).length > 0 ? { ParameterOverrides: JSON.stringify(overrides) } : {}),
    };
    if (!this.props.useChangeSets) {
      return [{ category: 'Deploy', provider: 'CloudFormation', configuration: { ActionMode: 'CREATE_UPDATE', ...common, ...template } }];
    }
    const changeSetName = `${this.props.stackName}-pipeline`;
    return [
      {
        nameSuffix: '.Plan',
        category: 'Deploy',
        provider: 'CloudFormation',
        runOrder: 1,
        configuration: { ActionMode: 'CHANGE_SET_REPLACE', ChangeSetName: changeSetName, ...common, ...template },
      },
      {
        nameSuffix: '.Apply',
        category: 'Deploy',
        provider: 'CloudFormation',
        runOrder: 2,
        configuration: { ActionMode: 'CHANGE_SET_EXECUTE', ChangeSetName: changeSetName, StackName: this.props.stackName },
      },
    ];
  }
}

class CodeBuildDeployment implements IDeploymentKind {
  public readonly actionsPerTarget = 1;
  public readonly requiredParameters: string[];
  /** The projects of the pipeline being rendered (bind comes right before a pipeline's renderActions). */
  private deployers?: CodeBuildDeployers;

  constructor(private readonly props: CodeBuildDeploymentProps) {
    this.requiredParameters = props.requiredParameters ?? [];
  }

  public problems(property: string): Problem[] {
    return [
      ...minutesProblems(`${property}.timeout`, this.props.timeout, 5, 60,
        "the commands run on the target action role's credentials, whose session lasts at most 1 hour"),
      ...buildVariableProblems(property, this.props, [CODEBUILD_RESERVED, DEPLOY_PROJECT_RESERVED]),
    ];
  }

  public bind(scope: Construct, options: DeploymentKindBindOptions): void {
    this.deployers = new CodeBuildDeployers(scope, freeId(scope, 'CodeBuildDeployment'), {
      contract: options.contract,
      artifactStore: options.artifactStore,
      pipelineRole: options.pipelineRole,
      buildImage: this.props.buildImage ?? codebuild.LinuxBuildImage.STANDARD_7_0,
      computeType: this.props.computeType ?? codebuild.ComputeType.SMALL,
      timeout: this.props.timeout ?? Duration.minutes(60),
      privileged: this.props.privileged ?? false,
      environmentVariables: renderBuildVariables(this.props),
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        env: { shell: 'bash' },
        phases: {
          ...(this.props.installCommands?.length ? { install: { commands: this.props.installCommands } } : {}),
          pre_build: {
            commands: [
              'set -euo pipefail',
              // Credentials of the target's action role for the commands that follow.
              // A session name holds at most 64 characters; the action role's sessions last 1 hour.
              // No `${...}` in the buildspec: CloudFormation would read it as a parameter (cfn-lint E1029).
              'SESSION_NAME="deploy-$(printf %s "$TARGET_ID" | cut -c1-57)"',
              'CREDS=$(aws sts assume-role --role-arn "$TARGET_ROLE_ARN" --role-session-name "$SESSION_NAME" --duration-seconds 3600 --query Credentials --output json)',
              'export AWS_ACCESS_KEY_ID=$(echo "$CREDS" | jq -r .AccessKeyId) AWS_SECRET_ACCESS_KEY=$(echo "$CREDS" | jq -r .SecretAccessKey) AWS_SESSION_TOKEN=$(echo "$CREDS" | jq -r .SessionToken)',
              'export AWS_REGION="$TARGET_REGION" AWS_DEFAULT_REGION="$TARGET_REGION"',
            ],
          },
          build: { commands: this.props.commands },
        },
      }),
    });
  }

  public renderActions(context: DeploymentActionContext): DeploymentAction[] {
    const project = this.deployers!.projectFor(context.target.account);
    const variables = [
      { name: 'TARGET_ROLE_ARN', value: context.actionRoleArn, type: 'PLAINTEXT' },
      { name: 'TARGET_ACCOUNT', value: context.target.account, type: 'PLAINTEXT' },
      { name: 'TARGET_REGION', value: context.target.region, type: 'PLAINTEXT' },
      { name: 'TARGET_ID', value: context.target.id, type: 'PLAINTEXT' },
      ...Object.entries(context.target.parameters ?? {}).map(([name, value]) => ({ name: `PARAM_${name}`, value, type: 'PLAINTEXT' })),
    ];
    return [{
      category: 'Build',
      provider: 'CodeBuild',
      // Runs in the tooling account as the pipeline role; the build assumes the target role as the account's deployer.
      runAsPipelineRole: true,
      inTargetRegion: false,
      configuration: { ProjectName: project.projectName, EnvironmentVariables: JSON.stringify(variables) },
    }];
  }
}

/** `base`, or `base2`, `base3` ... when a kind of the same type is already bound to `scope`. */
function freeId(scope: Construct, base: string): string {
  let id = base;
  for (let n = 2; scope.node.tryFindChild(id); n++) id = `${base}${n}`;
  return id;
}

class EcsServiceDeployment implements IDeploymentKind {
  public readonly actionsPerTarget = 1;
  public readonly requiredParameters: string[] = [];

  constructor(private readonly props: EcsServiceDeploymentProps) {}

  public problems(property: string): Problem[] {
    return minutesProblems(`${property}.deploymentTimeout`, this.props.deploymentTimeout, 1, 60,
      "CodePipeline's ECS deploy action waits at most 60 minutes");
  }

  public bind(): void {
    // Nothing shared: the action runs as the target's action role.
  }

  public renderActions(): DeploymentAction[] {
    const timeout = this.props.deploymentTimeout ?? Duration.minutes(60);
    return [{
      category: 'Deploy',
      provider: 'ECS',
      configuration: {
        ClusterName: this.props.clusterName,
        ServiceName: this.props.serviceName,
        FileName: this.props.imageDefinitionsFile ?? 'imagedefinitions.json',
        DeploymentTimeout: String(timeout.toMinutes()),
      },
    }];
  }
}

class BlueGreenEfsRelease implements IDeploymentKind {
  public readonly actionsPerTarget = 1;
  public readonly requiredParameters: string[] = [];

  public bind(): void {
    // Nothing shared: the action runs as the target's action role.
  }

  public renderActions(context: DeploymentActionContext): DeploymentAction[] {
    return [{
      category: 'Deploy',
      provider: 'S3',
      configuration: {
        BucketName: context.contract.releaseInboxBucketName(context.target.account, context.target.region),
        ObjectKey: RELEASE_INBOX_OBJECT_KEY,
        Extract: 'false',
      },
    }];
  }
}
