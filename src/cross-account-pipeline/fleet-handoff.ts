import { ArnFormat, Stack, Token } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import { grantArtifactFolders } from './private/artifact-folder-grants';
import { IArtifactStore } from '../artifact-store/artifact-store';
import { FLEET_RELEASES_FOLDER } from '../artifact-store/private/handoff-folder';
import { FleetRollout } from '../fleet-rollout/fleet-rollout';
import { DeploymentContract } from '../shared/deployment-contract';
import { ANY_PARTITION, CODEBUILD_OWN_LOGS_AND_REPORTS, suppressOnDefaultPolicy } from '../shared/nag-suppressions';
import { acknowledgeTemplateValidation } from '../shared/template-validation';
import { Problem } from '../shared/validation';

/** How a {@link CrossAccountPipeline} hands its release to a {@link FleetRollout}. */
export interface FleetRolloutHandoff {
  /** The rollout; in the pipeline's account and region. */
  readonly rollout: FleetRollout;
  /** The CloudFormation template in the build output (the source, without a build), e.g. `cdk.out/App.template.json`. */
  readonly templatePath: string;
  /**
   * Parameters every tenant gets (a tenant's own parameters win).
   * @default - none
   */
  readonly parameters?: Record<string, string>;
}

/** The release version the Fleet stage gives the rollout: the pipeline execution id (a UUID). */
const RELEASE_VERSION = '#{codepipeline.PipelineExecutionId}';

/** Where the publish step puts a release's template: the key the rollout and onboarding deploy from. */
export function fleetTemplateKey(version: string): string {
  return `${FLEET_RELEASES_FOLDER}/${version}/template.json`;
}

/**
 * The Fleet stage at the end of a pipeline chain: a publish step copies the
 * template from the release artifact to `fleet-releases/<execution id>/` of
 * the store (a folder only pipeline-path roles may write, since onboarding
 * deploys from it later), then CodePipeline's Step Functions action starts
 * the rollout with that release and waits for it to finish.
 *
 * @internal
 */
export class FleetHandoffStage extends Construct {
  private readonly project: codebuild.PipelineProject;

  constructor(scope: Construct, id: string, private readonly handoff: FleetRolloutHandoff, props: {
    contract: DeploymentContract; store: IArtifactStore; pipelineRole: iam.IRole; readFolders: string[];
  }) {
    super(scope, id);
    const role = new iam.Role(this, 'PublishRole', {
      // On the pipeline role path: the store denies writes under fleet-releases/ to every other role.
      path: props.contract.pipelineRolePath,
      assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com').withConditions({
        StringEquals: { 'aws:SourceAccount': Stack.of(this).account },
      }),
      description: `Publishes the release template of ${scope.node.path} for its fleet rollout`,
    });
    this.project = new codebuild.PipelineProject(this, 'Publish', {
      description: `Publishes the release template for the fleet rollout ${handoff.rollout.node.path}`,
      role,
      encryptionKey: props.store.encryptionKey,
      environment: { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0 },
      // No repository code runs here: one copy of one file.
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: {
          build: {
            commands: [
              `test -f "${handoff.templatePath}" || { echo "templatePath ${handoff.templatePath} is not in the release artifact" >&2; exit 1; }`,
              `aws s3 cp "${handoff.templatePath}" "s3://${props.store.bucket.bucketName}/${fleetTemplateKey('$RELEASE_VERSION')}"`,
            ],
          },
        },
      }),
    });
    grantArtifactFolders(this.project, props.store, props.readFolders, { write: false });
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'PublishFleetReleases',
      actions: ['s3:PutObject'],
      resources: [props.store.bucket.arnForObjects(`${FLEET_RELEASES_FOLDER}/*`)],
    }));
    props.store.encryptionKey.grant(role, 'kms:GenerateDataKey');
    props.pipelineRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['codebuild:StartBuild', 'codebuild:BatchGetBuilds'],
      resources: [this.project.projectArn],
    }));
    // CodePipeline's Step Functions action starts the execution and polls it.
    // https://docs.aws.amazon.com/codepipeline/latest/userguide/action-reference-StepFunctions.html
    props.pipelineRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['states:StartExecution', 'states:DescribeStateMachine'],
      resources: [handoff.rollout.stateMachine.stateMachineArn],
    }));
    props.pipelineRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['states:DescribeExecution'],
      resources: [Stack.of(this).formatArn({
        service: 'states', resource: 'execution', resourceName: `${handoff.rollout.stateMachine.stateMachineName}:*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      })],
    }));
    suppressOnDefaultPolicy(props.pipelineRole, [{
      id: 'AwsSolutions-IAM5',
      reason: 'The Step Functions action follows the rollout execution it started; execution names are generated per start.',
      appliesTo: [{ regex: `/^Resource::arn:${ANY_PARTITION}:states:[^:]+:[^:]+:execution:<.*StateMachine.*\\.Name>:\\*$/` }],
    }]);
    suppressOnDefaultPolicy(role, [{
      id: 'AwsSolutions-IAM5',
      reason: 'Releases are published under fleet-releases/<pipeline execution id>/ of the store (the id is known only at run time); '
        + 'CodeBuild generates the grants on this project\'s own logs and reports and the KMS actions for the one artifact key.',
      appliesTo: [
        ...CODEBUILD_OWN_LOGS_AND_REPORTS,
        'Action::kms:ReEncrypt*', 'Action::kms:GenerateDataKey*',
        { regex: `/^Resource::<.*Bucket[0-9A-F]{8}\\.Arn>\\/${FLEET_RELEASES_FOLDER}\\/\\*$/` },
      ],
    }]);
    // aws-cdk-lib's template validation (E3050, "role with a Path, use GetAtt Arn") flags the
    // project; its ServiceRole is the role's Fn::GetAtt Arn, path included, as the rule asks.
    acknowledgeTemplateValidation(this.project.node.defaultChild as codebuild.CfnProject, 'E3050',
      'ServiceRole is the publish role\'s Fn::GetAtt Arn, path included, as the rule asks.');
  }

  /** The CodePipeline stage: publish, then start the rollout and wait. */
  public render(stageName: string, inputArtifact: string): codepipeline.CfnPipeline.StageDeclarationProperty {
    const release = {
      version: RELEASE_VERSION,
      templateKey: fleetTemplateKey(RELEASE_VERSION),
      parameters: this.handoff.parameters ?? {},
    };
    return {
      name: stageName,
      actions: [{
        name: 'PublishRelease',
        actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' },
        configuration: {
          ProjectName: this.project.projectName,
          EnvironmentVariables: JSON.stringify([{ name: 'RELEASE_VERSION', value: RELEASE_VERSION, type: 'PLAINTEXT' }]),
        },
        inputArtifacts: [{ name: inputArtifact }],
        runOrder: 1,
      }, {
        name: 'RolloutToFleet',
        actionTypeId: { category: 'Invoke', owner: 'AWS', provider: 'StepFunctions', version: '1' },
        configuration: {
          StateMachineArn: this.handoff.rollout.stateMachine.stateMachineArn,
          ExecutionNamePrefix: 'pipeline',
          InputType: 'Literal',
          Input: Stack.of(this).toJsonString({ release }),
        },
        runOrder: 2,
      }],
    };
  }
}

/** The rollout must be where the pipeline is, and the template path a relative path. */
export function fleetHandoffProblems(scope: Construct, handoff: FleetRolloutHandoff): Problem[] {
  const problems: Problem[] = [];
  const here = Stack.of(scope);
  const there = Stack.of(handoff.rollout);
  for (const key of ['account', 'region'] as const) {
    const a = here[key];
    const b = there[key];
    if (!Token.isUnresolved(a) && !Token.isUnresolved(b) && a !== b) {
      problems.push({
        property: 'fleetRollout.rollout',
        value: handoff.rollout.node.path,
        reason: `the rollout is in ${key} ${b} and the pipeline in ${a}; CodePipeline's Step Functions action starts state machines of its own ${key}`,
        fix: 'give the pipeline the FleetRollout of its own account and region (one FleetRollout per region)',
      });
    }
  }
  const path = handoff.templatePath;
  if (!Token.isUnresolved(path) && (path.trim() === '' || path.startsWith('/') || path.split('/').includes('..') || /["$`\\]/.test(path))) {
    problems.push({
      property: 'fleetRollout.templatePath',
      value: path,
      reason: 'must be a relative path inside the release artifact, without quotes, `$`, backslashes or `..`',
      fix: "use the template's path in the build output, e.g. 'cdk.out/App.template.json'",
    });
  }
  return problems;
}
