import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct } from 'constructs';
import { ContentBuildOptions } from '../blue-green-efs-deploy-props';
import { ColorFileSystem } from './color-file-system';
import { PipelineSource, SOURCE_ARTIFACT, pipelineArnOf } from '../../cross-account-pipeline/pipeline-source';
import { addNagSuppressions, ANY_PARTITION, CODEBUILD_OWN_LOGS_AND_REPORTS, suppressOnDefaultPolicy } from '../../shared/nag-suppressions';
import { PRIVATE_BUCKET_DEFAULTS } from '../../shared/private-bucket';
import { logAccessTo } from '../../shared/server-access-logs';
import { codePipelinePrincipal } from '../../shared/service-principals';
import { contentBuildSpec } from '../content-build';
import { releaseArns } from '../release-arns';
import { ReleaseBundleOptions, releaseToolFiles } from '../release-bundle';

const CONTENT_ARTIFACT = 'Content';
const BUNDLE_ARTIFACT = 'Bundle';
/** Where the publishing build leaves the CodeDeploy bundle, relative to its source directory. */
const BUNDLE_DIRECTORY = '.cdkx-bundle';
const TOOLS_DIRECTORY = '/tmp/cdkx-release-tools';
/** Image of the content build when none is given. */
export const DEFAULT_CONTENT_BUILD_IMAGE = codebuild.LinuxBuildImage.STANDARD_7_0;

export interface ReleasePipelineProps {
  readonly pipelineName: string;
  readonly source: PipelineSource;
  readonly contentBuild?: ContentBuildOptions;
  readonly contentDirectory: string;
  readonly vpc: ec2.IVpc;
  readonly subnets: ec2.SubnetSelection;
  readonly colors: ColorFileSystem;
  readonly liveParameter: ssm.IStringParameter;
  readonly pendingParameter: ssm.IStringParameter;
  readonly applicationName: string;
  readonly deploymentGroupName: string;
  readonly deploymentGroupArn: string;
  readonly deploymentConfig: codedeploy.IServerDeploymentConfig;
  readonly bundle: ReleaseBundleOptions;
  readonly accessLogs: s3.IBucket;
  readonly instanceRole: iam.IRole;
}

/**
 * Source, optional build, then one Release stage: publish into the idle color
 * and deploy it. Publishing and deploying share a stage because CodePipeline
 * lets one execution at a time into a stage: the next release cannot publish
 * until this one's deployment has finished, so two releases never share a color.
 */
export class ReleasePipeline extends Construct {
  public readonly pipeline: codepipeline.CfnPipeline;
  public readonly pipelineRole: iam.Role;
  public readonly artifactBucket: s3.Bucket;
  public readonly artifactKey: kms.Key;
  public readonly buildProject?: codebuild.PipelineProject;
  public readonly publishProject: codebuild.PipelineProject;

  constructor(scope: Construct, id: string, props: ReleasePipelineProps) {
    super(scope, id);
    this.artifactKey = new kms.Key(this, 'ArtifactKey', {
      enableKeyRotation: true,
      description: `Encrypts the release artifacts of ${props.pipelineName}`,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.artifactBucket = new s3.Bucket(this, 'Artifacts', {
      ...PRIVATE_BUCKET_DEFAULTS,
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.artifactKey,
      bucketKeyEnabled: true,
      lifecycleRules: [{ id: 'expire-release-artifacts', expiration: Duration.days(90), noncurrentVersionExpiration: Duration.days(30) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    logAccessTo(this, this.artifactBucket, props.accessLogs, {
      loggedBucketArn: this.artifactBucket.bucketArn, prefix: 'artifacts/', givenByUser: false, warningId: 'cdkx:releaseArtifactLogs',
    });

    // Only for this pipeline of this account (IfExists: see codePipelinePrincipal).
    this.pipelineRole = new iam.Role(this, 'PipelineRole', {
      assumedBy: codePipelinePrincipal(Aws.ACCOUNT_ID, [pipelineArnOf(props.pipelineName)]),
      description: `Runs the release pipeline ${props.pipelineName}`,
    });
    this.artifactBucket.grantReadWrite(this.pipelineRole);

    const source = props.source._render(this, this.pipelineRole, props.pipelineName);
    const stages: codepipeline.CfnPipeline.StageDeclarationProperty[] = [{ name: 'Source', actions: [source.action] }];

    let contentArtifact = SOURCE_ARTIFACT;
    let contentDirectory = props.contentDirectory;
    if (props.contentBuild) {
      this.buildProject = this.createBuildProject(props.contentBuild, `${props.pipelineName}-build`);
      stages.push({ name: 'Build', actions: [this.codeBuildAction('Build', this.buildProject, SOURCE_ARTIFACT, CONTENT_ARTIFACT, 1)] });
      contentArtifact = CONTENT_ARTIFACT;
      contentDirectory = '.';
    }

    this.publishProject = this.createPublishProject(props, contentDirectory);
    stages.push({
      name: 'Release',
      actions: [
        this.codeBuildAction('PublishToIdleColor', this.publishProject, contentArtifact, BUNDLE_ARTIFACT, 1),
        {
          name: 'BlueGreenDeploy',
          actionTypeId: { category: 'Deploy', owner: 'AWS', provider: 'CodeDeploy', version: '1' },
          configuration: { ApplicationName: props.applicationName, DeploymentGroupName: props.deploymentGroupName },
          inputArtifacts: [{ name: BUNDLE_ARTIFACT }],
          runOrder: 2,
        },
      ],
    });
    this.grantDeploy(props);

    this.pipeline = new codepipeline.CfnPipeline(this, 'Pipeline', {
      name: props.pipelineName,
      roleArn: this.pipelineRole.roleArn,
      pipelineType: 'V2',
      // One release after another, each through every stage; never PARALLEL,
      // where executions would not wait for each other at the Release stage.
      executionMode: codepipeline.ExecutionMode.QUEUED,
      restartExecutionOnUpdate: false,
      artifactStore: { type: 'S3', location: this.artifactBucket.bucketName, encryptionKey: { id: this.artifactKey.keyArn, type: 'KMS' } },
      stages,
      triggers: source.trigger ? [source.trigger] : undefined,
    });
    const rolePolicy = this.pipelineRole.node.tryFindChild('DefaultPolicy');
    if (rolePolicy) this.pipeline.node.addDependency(rolePolicy);

    // The fleet's CodeDeploy agents download the bundle with the instance role:
    // objects only, no listing, no write.
    props.instanceRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'DownloadReleaseBundles',
      actions: ['s3:GetObject', 's3:GetObjectVersion'],
      resources: [this.artifactBucket.arnForObjects('*')],
    }));
    props.instanceRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'DecryptReleaseBundles',
      actions: ['kms:Decrypt'],
      resources: [this.artifactKey.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `s3.${Aws.REGION}.amazonaws.com` } },
    }));
    this.suppressNagFindings();
  }

  private codeBuildAction(
    name: string, project: codebuild.IProject, input: string, output: string, runOrder: number,
  ): codepipeline.CfnPipeline.ActionDeclarationProperty {
    this.pipelineRole.addToPrincipalPolicy(new iam.PolicyStatement({
      actions: ['codebuild:StartBuild', 'codebuild:BatchGetBuilds'],
      resources: [project.projectArn],
    }));
    return {
      name,
      actionTypeId: { category: 'Build', owner: 'AWS', provider: 'CodeBuild', version: '1' },
      configuration: { ProjectName: project.projectName },
      inputArtifacts: [{ name: input }],
      outputArtifacts: [{ name: output }],
      runOrder,
    };
  }

  private createBuildProject(build: ContentBuildOptions, projectName: string): codebuild.PipelineProject {
    const project = new codebuild.PipelineProject(this, 'Build', {
      projectName,
      role: this.projectRole('BuildRole', projectName, 'Builds the content of a release (runs the user\'s build commands)'),
      description: 'Builds the content of a release',
      encryptionKey: this.artifactKey,
      environment: {
        buildImage: build.buildImage ?? DEFAULT_CONTENT_BUILD_IMAGE,
        computeType: build.computeType ?? codebuild.ComputeType.SMALL,
      },
      environmentVariables: Object.fromEntries(Object.entries(build.environment ?? {}).map(([name, value]) => [name, { value }])),
      buildSpec: build.buildSpec ?? codebuild.BuildSpec.fromObject(contentBuildSpec(build)),
      timeout: Duration.minutes(60),
    });
    this.artifactBucket.grantReadWrite(project);
    return project;
  }

  /**
   * The publishing build: in the VPC, mounts the idle color's access point
   * with amazon-efs-utils (TLS, IAM), rsyncs the content into it and writes the
   * CodeDeploy bundle. Privileged because mounting needs it; it runs only the
   * generated release script, never the user's build commands.
   */
  private createPublishProject(props: ReleasePipelineProps, contentDirectory: string): codebuild.PipelineProject {
    const tools = new s3assets.Asset(this, 'ReleaseTools', { path: stageReleaseTools(props.bundle) });
    const securityGroup = new ec2.SecurityGroup(this, 'PublishSecurityGroup', {
      vpc: props.vpc,
      description: 'Release publishing build: NFS to the file system, HTTPS to AWS APIs and package mirrors',
      allowAllOutbound: false,
    });
    securityGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'AWS APIs and package repositories');
    props.colors.fileSystem.connections.allowFrom(securityGroup, ec2.Port.tcp(2049), 'Release publishing build');
    securityGroup.connections.allowTo(props.colors.fileSystem, ec2.Port.tcp(2049), 'Mount the idle color');

    const projectName = `${props.pipelineName}-publish`;
    const project = new codebuild.PipelineProject(this, 'Publish', {
      projectName,
      role: this.projectRole('PublishRole', projectName, 'Publishes releases into the idle color and writes the CodeDeploy bundle'),
      description: 'Publishes a release into the idle color on EFS and writes the CodeDeploy bundle',
      encryptionKey: this.artifactKey,
      vpc: props.vpc,
      subnetSelection: props.subnets,
      securityGroups: [securityGroup],
      environment: {
        buildImage: codebuild.LinuxBuildImage.AMAZON_LINUX_2023_5,
        computeType: codebuild.ComputeType.SMALL,
        privileged: true,
      },
      environmentVariables: {
        CDKX_APPLICATION_NAME: { value: props.applicationName },
        CDKX_DEPLOYMENT_GROUP_NAME: { value: props.deploymentGroupName },
        CDKX_LIVE_PARAMETER: { value: props.liveParameter.parameterName },
        CDKX_PENDING_PARAMETER: { value: props.pendingParameter.parameterName },
        CDKX_FILE_SYSTEM_ID: { value: props.colors.fileSystem.fileSystemId },
        CDKX_BLUE_ACCESS_POINT_ID: { value: props.colors.colorAccessPoints.blue.accessPointId },
        CDKX_GREEN_ACCESS_POINT_ID: { value: props.colors.colorAccessPoints.green.accessPointId },
        CDKX_CONTENT_SUBDIRECTORY: { value: contentDirectory },
        CDKX_TOOLS_URL: { value: tools.s3ObjectUrl },
      },
      buildSpec: codebuild.BuildSpec.fromObject({
        version: '0.2',
        phases: {
          install: {
            commands: [
              'dnf install -y -q amazon-efs-utils rsync jq unzip',
            ],
          },
          build: {
            commands: [
              `mkdir -p ${TOOLS_DIRECTORY} && aws s3 cp --only-show-errors "$CDKX_TOOLS_URL" ${TOOLS_DIRECTORY}.zip && unzip -oq ${TOOLS_DIRECTORY}.zip -d ${TOOLS_DIRECTORY}`,
              `export CDKX_CONTENT_DIR="$CODEBUILD_SRC_DIR/$CDKX_CONTENT_SUBDIRECTORY" CDKX_BUNDLE_TEMPLATE_DIR=${TOOLS_DIRECTORY}/bundle CDKX_BUNDLE_OUT=/tmp/cdkx-bundle`,
              `bash ${TOOLS_DIRECTORY}/release-tools/sync-release.sh`,
              `rm -rf "$CODEBUILD_SRC_DIR/${BUNDLE_DIRECTORY}" && cp -r /tmp/cdkx-bundle "$CODEBUILD_SRC_DIR/${BUNDLE_DIRECTORY}" && chmod -R a+rX "$CODEBUILD_SRC_DIR/${BUNDLE_DIRECTORY}" && chmod a+x "$CODEBUILD_SRC_DIR/${BUNDLE_DIRECTORY}"/hooks/*.sh`,
            ],
          },
        },
        artifacts: { 'base-directory': BUNDLE_DIRECTORY, 'files': ['**/*'] },
      }),
      timeout: Duration.minutes(60),
    });
    // This one object, not the whole bootstrap asset bucket that grantRead would open.
    project.addToRolePolicy(new iam.PolicyStatement({
      sid: 'ReadReleaseTools',
      actions: ['s3:GetObject'],
      resources: [`arn:${Aws.PARTITION}:s3:::${tools.s3BucketName}/${tools.s3ObjectKey}`],
    }));
    this.artifactBucket.grantReadWrite(project);
    props.liveParameter.grantRead(project);
    props.pendingParameter.grantRead(project);
    props.pendingParameter.grantWrite(project);
    project.addToRolePolicy(new iam.PolicyStatement({
      sid: 'ReadDeploymentGroupState',
      actions: ['codedeploy:GetDeploymentGroup', 'codedeploy:GetDeployment'],
      resources: [props.deploymentGroupArn],
    }));
    props.colors.allowPublish(project.role as iam.IRole);
    return project;
  }

  /**
   * The service role of one project, which CodeBuild assumes only for that
   * project of this account (named, so the trust can name it without a
   * reference cycle):
   * https://docs.aws.amazon.com/codebuild/latest/userguide/cross-service-confused-deputy-prevention.html
   */
  private projectRole(id: string, projectName: string, description: string): iam.Role {
    const stack = Stack.of(this);
    return new iam.Role(this, id, {
      assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com', {
        conditions: {
          StringEquals: {
            'aws:SourceAccount': stack.account,
            'aws:SourceArn': stack.formatArn({ service: 'codebuild', resource: 'project', resourceName: projectName }),
          },
        },
      }),
      description,
    });
  }

  private grantDeploy(props: ReleasePipelineProps): void {
    this.pipelineRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'StartBlueGreenDeployments',
      actions: ['codedeploy:CreateDeployment', 'codedeploy:GetDeployment'],
      resources: [props.deploymentGroupArn],
    }));
    this.pipelineRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'RegisterReleaseRevisions',
      actions: ['codedeploy:GetApplication', 'codedeploy:GetApplicationRevision', 'codedeploy:RegisterApplicationRevision'],
      resources: [releaseArns.application(props.applicationName)],
    }));
    this.pipelineRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ReadDeploymentConfig',
      actions: ['codedeploy:GetDeploymentConfig'],
      resources: [releaseArns.deploymentConfig(props.deploymentConfig.deploymentConfigName)],
    }));
  }

  private suppressNagFindings(): void {
    const reason = 'Generated grants scoped to this pipeline\'s artifact bucket objects, its one KMS key, and the project\'s own logs and reports.';
    const appliesTo = [
      'Action::s3:GetBucket*', 'Action::s3:GetObject*', 'Action::s3:List*', 'Action::s3:DeleteObject*', 'Action::s3:Abort*',
      'Action::kms:ReEncrypt*', 'Action::kms:GenerateDataKey*',
      { regex: '/^Resource::<.*Artifacts.*\\.Arn>\\/\\*$/' },
      ...CODEBUILD_OWN_LOGS_AND_REPORTS,
      { regex: `/^Resource::arn:${ANY_PARTITION}:ec2:<AWS::Region>:<AWS::AccountId>:network-interface\\/\\*$/` },
    ];
    for (const role of [this.pipelineRole, this.buildProject?.role, this.publishProject.role]) {
      suppressOnDefaultPolicy(role, [{ id: 'AwsSolutions-IAM5', reason, appliesTo }]);
    }
    const vpcPolicy = this.publishProject.node.tryFindChild('PolicyDocument');
    if (vpcPolicy) {
      addNagSuppressions(vpcPolicy, [{
        id: 'AwsSolutions-IAM5',
        reason: 'Generated by CodeBuild for a project in a VPC: ENI describe/create/delete calls have no resource-level scoping; ENI permissions are limited to the project\'s subnets.',
        appliesTo: ['Resource::*'],
      }]);
    }
    addNagSuppressions(this.publishProject, [{
      id: 'AwsSolutions-CB3',
      reason: 'Mounting the EFS access point with amazon-efs-utils needs a privileged build; this project runs only the generated release script, never the user\'s build commands.',
    }]);
  }
}

/**
 * Writes the release tools (publish script, bundle template) into a directory
 * for the asset. Named after its content, so repeated synths reuse one
 * directory instead of leaving a new one behind each time.
 */
function stageReleaseTools(options: ReleaseBundleOptions): string {
  const files = releaseToolFiles(options);
  const hash = crypto.createHash('sha256');
  for (const file of files) hash.update(`${file.path}\0${file.executable}\0${file.content}\0`);
  const directory = path.join(os.tmpdir(), `cdkx-release-tools-${hash.digest('hex').slice(0, 16)}`);
  for (const file of files) {
    const target = path.join(directory, file.path);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, file.content, { mode: file.executable ? 0o755 : 0o644 });
  }
  return directory;
}
