import { Annotations, Aws, Duration, Names, RemovalPolicy, Stack, Token } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { objectKeyProblems, PUBLISH_BUCKET_VARIABLE, PUBLISH_KEY_VARIABLE, PUBLISH_KMS_KEY_VARIABLE, publishCommands } from './private/publish-step';
import { actorIdProblems, actorPattern, branchNameProblems, branchRefPattern } from './private/webhook-patterns';
import { PullRequestCiProps, PullRequestCommentApproval } from './pull-request-ci-props';
import { PipelineBuildOptions } from '../cross-account-pipeline/cross-account-pipeline-props';
import { renderBuildVariables } from '../cross-account-pipeline/private/build-variables';
import { letLogsUseKey, logKeyRegionProblems } from '../fargate-spot-runner/private/log-encryption';
import { addNagSuppressions, ANY_PARTITION, CODEBUILD_OWN_LOGS_AND_REPORTS, suppressOnDefaultPolicy } from '../shared/nag-suppressions';
import { PRIVATE_BUCKET_DEFAULTS } from '../shared/private-bucket';
import { createAccessLogsBucket, logAccessTo } from '../shared/server-access-logs';
import { Problem, throwIfProblems } from '../shared/validation';

const DEFAULT_OBJECT_KEY = 'pull-request-ci/main.zip';
const PROJECT_NAME_PREFIX = /^[A-Za-z0-9][A-Za-z0-9_-]{0,199}$/;

/**
 * Builds and tests every pull request into the main branch, reports the
 * result on the pull request, and publishes the main branch's output as a zip
 * to S3, where a `PipelineSource.s3` pipeline picks it up.
 *
 * Why CodeBuild webhooks: CodeBuild starts a build from the provider's
 * webhook (GitHub, GitHub Enterprise Server, Bitbucket) and reports its
 * status on the commit and the pull request, with the provider's own
 * credentials or a CodeConnections connection. A CodePipeline V2
 * pull-request trigger starts a pipeline but reports nothing back to the pull
 * request, serializes runs of one pipeline, and would put untrusted code in
 * the pipeline that deploys. So the pull requests get their own CodeBuild
 * project, and the release pipeline stays fed by trusted output only.
 *
 * Two projects, two roles:
 * - `prProject` runs the code of a pull request's author, who may be anyone
 *   able to open a pull request, including from a fork. Its role can write
 *   its own logs and reports and nothing durable: no artifact store, not the
 *   publish bucket, no key, no secret or parameter unless named in
 *   `pullRequestSecrets` (warned about). By default a pull request whose
 *   author lacks write access waits for a maintainer's
 *   `/codebuild_run(<sha>)` comment (`commentApproval`), and
 *   `pullRequestActorIds` can restrict builds to named authors. It uses no
 *   build cache, so one pull request cannot leave files for the next.
 * - `publishProject` runs on pushes to the main branch only (which need write
 *   access to the repository), with the build's secrets, and uploads the
 *   output with one `PutObject` on the publish key: its role may write that
 *   object and no other, and list nothing.
 *
 * @example
 * import { App, Stack } from 'aws-cdk-lib';
 * import {
 *   ArtifactStore, CrossAccountPipeline, DeploymentContract, DeploymentKind, PipelineSource, PullRequestCi, PullRequestRepository,
 * } from 'cdk-cross-account-cicd';
 *
 * const app = new App();
 * const stack = new Stack(app, 'Tooling', { env: { account: '111111111111', region: 'us-east-1' } });
 * const ci = new PullRequestCi(stack, 'Ci', {
 *   repository: PullRequestRepository.gitHub({ owner: 'acme', repo: 'shop' }),
 *   buildOptions: { installCommands: ['npm ci'], commands: ['npm test', 'npx cdk synth --output dist'], outputDirectory: 'dist' },
 * });
 * const contract = new DeploymentContract({ toolingAccount: '111111111111', organizationId: 'o-a1b2c3d4e5' });
 * new CrossAccountPipeline(stack, 'Release', {
 *   contract,
 *   artifactStore: new ArtifactStore(stack, 'Store', { contract }),
 *   source: PipelineSource.s3({ bucket: ci.publishBucket, objectKey: ci.publishObjectKey }),
 *   deploymentKind: DeploymentKind.cloudFormation({ stackName: 'main-shop', templatePath: 'Shop.template.json' }),
 *   stages: [{ name: 'Dev', targets: [{ id: 'dev', account: '222222222222', region: 'us-east-1' }] }],
 * });
 */
export class PullRequestCi extends Construct {
  /** The project that builds pull requests (untrusted code; no write access to anything durable). */
  public readonly prProject: codebuild.IProject;
  /** The project that builds the main branch and publishes its output. */
  public readonly publishProject: codebuild.IProject;
  /** Where the main branch's output is published. */
  public readonly publishBucket: s3.IBucket;
  /** The key of the published zip in `publishBucket`. */
  public readonly publishObjectKey: string;
  /** The key that encrypts the build logs (and the publish bucket, when created here). */
  public readonly encryptionKey: kms.IKey;
  /** The branch pull requests target and that is published. */
  public readonly mainBranch: string;

  constructor(scope: Construct, id: string, props: PullRequestCiProps) {
    super(scope, id);
    this.mainBranch = props.mainBranch ?? 'main';
    this.publishObjectKey = props.publishObjectKey ?? DEFAULT_OBJECT_KEY;
    const prefix = props.projectNamePrefix ?? Names.uniqueResourceName(this, { maxLength: 64, separator: '-' });
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    throwIfProblems(this, [
      ...pullRequestCiProblems(props, this.mainBranch, this.publishObjectKey, prefix),
      ...(props.encryptionKey ? logKeyRegionProblems(this, props.encryptionKey, 'encryptionKey') : []),
    ]);

    this.encryptionKey = props.encryptionKey ?? new kms.Key(this, 'Key', {
      description: `Encrypts the build logs and published output of ${this.node.path}`,
      enableKeyRotation: true,
      removalPolicy,
    });
    const names = { pr: `${prefix}-pull-requests`, publish: `${prefix}-publish` };
    const logGroupNames = { pr: `/aws/codebuild/${names.pr}`, publish: `/aws/codebuild/${names.publish}` };
    if (!letLogsUseKey(this, this.encryptionKey, Object.values(logGroupNames))) {
      Annotations.of(this).addWarningV2('cdk-cross-account-cicd:pullRequestCiLogsKeyPolicy',
        `encryptionKey is imported: its policy must let logs.<region>.amazonaws.com use it for the log groups ${Object.values(logGroupNames).join(', ')}, or the builds cannot write logs.`);
    }
    this.publishBucket = props.publishBucket ?? this.createPublishBucket(props, removalPolicy);

    const build = props.buildOptions;
    const repository = props.repository;
    const pullRequestEvents = [
      codebuild.EventAction.PULL_REQUEST_CREATED, codebuild.EventAction.PULL_REQUEST_UPDATED,
      ...(repository._reopenedEvent ? [codebuild.EventAction.PULL_REQUEST_REOPENED] : []),
    ];
    let pullRequests = codebuild.FilterGroup.inEventOf(...pullRequestEvents).andBaseRefIs(branchRefPattern(this.mainBranch));
    if (props.pullRequestActorIds) pullRequests = pullRequests.andActorAccountIs(actorPattern(props.pullRequestActorIds));

    const prProject = new codebuild.Project(this, 'PullRequests', {
      projectName: names.pr,
      description: `Builds and tests pull requests into ${this.mainBranch} (untrusted code: no write access)`,
      source: repository._source({ filterGroups: [pullRequests], statusName: 'pull-request-ci' }),
      buildSpec: buildSpecOf(build, []),
      environment: environmentOf(build),
      environmentVariables: renderBuildVariables(build, props.pullRequestSecrets ?? []),
      timeout: build.timeout ?? Duration.minutes(60),
      logging: { cloudWatch: { logGroup: this.logGroup('PullRequestLogs', logGroupNames.pr, removalPolicy) } },
    });
    repository._bindConnection(prProject);
    // CodeBuild's pull request build policy, on the project's webhook.
    // https://docs.aws.amazon.com/codebuild/latest/userguide/pull-request-build-policy.html
    (prProject.node.defaultChild as codebuild.CfnProject).addPropertyOverride('Triggers.PullRequestBuildPolicy', {
      RequiresCommentApproval: props.commentApproval ?? PullRequestCommentApproval.ALL_PULL_REQUESTS,
    });
    this.prProject = prProject;

    const kmsEncrypted = this.publishBucket.encryptionKey !== undefined;
    const publishProject = new codebuild.Project(this, 'Publish', {
      projectName: names.publish,
      description: `Builds ${this.mainBranch} and publishes its output to s3://<bucket>/${this.publishObjectKey}`,
      source: repository._source({
        filterGroups: [codebuild.FilterGroup.inEventOf(codebuild.EventAction.PUSH).andHeadRefIs(branchRefPattern(this.mainBranch))],
        statusName: 'publish',
      }),
      buildSpec: buildSpecOf(build, publishCommands(build.outputDirectory ?? '.', kmsEncrypted)),
      environment: environmentOf(build),
      environmentVariables: {
        ...renderBuildVariables(build),
        [PUBLISH_BUCKET_VARIABLE]: { value: this.publishBucket.bucketName },
        [PUBLISH_KEY_VARIABLE]: { value: this.publishObjectKey },
        ...(kmsEncrypted ? { [PUBLISH_KMS_KEY_VARIABLE]: { value: this.publishBucket.encryptionKey!.keyArn } } : {}),
      },
      timeout: build.timeout ?? Duration.minutes(60),
      cache: build.localCache === false ? undefined : codebuild.Cache.local(codebuild.LocalCacheMode.SOURCE, codebuild.LocalCacheMode.DOCKER_LAYER),
      logging: { cloudWatch: { logGroup: this.logGroup('PublishLogs', logGroupNames.publish, removalPolicy) } },
    });
    repository._bindConnection(publishProject);
    this.grantPublish(publishProject.role!);
    if (!props.publishBucket) {
      // The bucket created here takes objects from the publish role only, whatever
      // another policy grants (a grant added to prProject's role later, an admin role).
      this.publishBucket.addToResourcePolicy(new iam.PolicyStatement({
        sid: 'OnlyThePublishProjectWrites',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.publishBucket.arnForObjects('*')],
        conditions: { ArnNotEquals: { 'aws:PrincipalArn': publishProject.role!.roleArn } },
      }));
    }
    this.publishProject = publishProject;

    if (props.pullRequestSecrets?.length) {
      Annotations.of(this).addWarningV2('cdk-cross-account-cicd:pullRequestSecrets',
        `pull-request builds get ${props.pullRequestSecrets.join(', ')}: a pull request runs its author's code, which can read and send away these values` +
        ((props.commentApproval ?? PullRequestCommentApproval.ALL_PULL_REQUESTS) === PullRequestCommentApproval.DISABLED
          ? ', and with commentApproval DISABLED anyone who opens a pull request, from a fork too, starts such a build.' : '.'));
    }
    for (const project of [prProject, publishProject]) suppressProjectFindings(project);
  }

  /** PutObject on the publish key only, and the data key to encrypt it. */
  private grantPublish(role: iam.IRole): void {
    role.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'PublishMainBranchOutput',
      actions: ['s3:PutObject'],
      resources: [this.publishBucket.arnForObjects(this.publishObjectKey)],
    }));
    const key = this.publishBucket.encryptionKey;
    if (key) {
      // A single PutObject with SSE-KMS needs kms:GenerateDataKey only (multipart uploads would need kms:Decrypt).
      // https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
      role.addToPrincipalPolicy(new iam.PolicyStatement({
        sid: 'EncryptPublishedOutput',
        actions: ['kms:GenerateDataKey'],
        resources: [key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${Stack.of(this).region}.${Stack.of(this).urlSuffix}` } },
      }));
    }
  }

  private createPublishBucket(props: PullRequestCiProps, removalPolicy: RemovalPolicy): s3.IBucket {
    const autoDeleteObjects = props.autoDeleteObjects ?? false;
    const accessLogs = props.serverAccessLogsBucket ?? createAccessLogsBucket(this, 'AccessLogs', {
      removalPolicy, autoDeleteObjects, loggedBucket: 'the pull-request CI publish bucket',
    });
    const bucket = new s3.Bucket(this, 'PublishBucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: true,
      ...PRIVATE_BUCKET_DEFAULTS,
      lifecycleRules: [{ id: 'expire-old-versions', noncurrentVersionExpiration: Duration.days(90), abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy,
      autoDeleteObjects,
    });
    // A PipelineSource.s3 pipeline starts on the bucket's "Object Created" events. Set on
    // the L1 resource, as ArtifactStore does (the L2 switch adds a custom resource and a Lambda).
    (bucket.node.defaultChild as s3.CfnBucket).notificationConfiguration = { eventBridgeConfiguration: { eventBridgeEnabled: true } };
    logAccessTo(this, bucket, accessLogs, {
      loggedBucketArn: `arn:${Aws.PARTITION}:s3:::${bucket.bucketName}`,
      prefix: 'pull-request-ci-publish/',
      givenByUser: props.serverAccessLogsBucket !== undefined,
      warningId: 'cdk-cross-account-cicd:pullRequestCiAccessLogsPolicyNotAdded',
    });
    return bucket;
  }

  private logGroup(id: string, logGroupName: string, removalPolicy: RemovalPolicy): logs.LogGroup {
    return new logs.LogGroup(this, id, { logGroupName, encryptionKey: this.encryptionKey, retention: logs.RetentionDays.ONE_YEAR, removalPolicy });
  }
}

/** The bad inputs of a PullRequestCi, each with its fix. */
export function pullRequestCiProblems(props: PullRequestCiProps, mainBranch: string, objectKey: string, prefix: string): Problem[] {
  const problems: Problem[] = [
    ...props.repository._problems('repository'),
    ...branchNameProblems('mainBranch', mainBranch),
    ...objectKeyProblems('publishObjectKey', objectKey),
    ...actorIdProblems('pullRequestActorIds', props.pullRequestActorIds),
  ];
  if (!Token.isUnresolved(prefix) && !PROJECT_NAME_PREFIX.test(prefix)) {
    problems.push({ property: 'projectNamePrefix', value: prefix, reason: 'CodeBuild project names are letters, digits, - and _, starting with a letter or digit', fix: "e.g. 'shop-ci'" });
  }
  const build = props.buildOptions;
  if (build.buildSpec) {
    problems.push({ property: 'buildOptions.buildSpec', value: '(a buildspec)', reason: 'the publish step must run after the build commands, which a full buildspec leaves no place for', fix: 'give installCommands and commands instead' });
  }
  if (build.testReportFiles?.length) {
    problems.push({ property: 'buildOptions.testReportFiles', value: build.testReportFiles, reason: 'a report group would be a place pull requests write to', fix: 'print test results to the build log, or publish reports from the main branch in your own project' });
  }
  const known = new Set([...Object.keys(build.secrets ?? {}), ...Object.keys(build.parameters ?? {})]);
  (props.pullRequestSecrets ?? []).forEach((name, i) => {
    if (!known.has(name)) {
      problems.push({ property: `pullRequestSecrets[${i}]`, value: name, reason: 'not a variable of buildOptions.secrets or buildOptions.parameters', fix: `name one of: ${[...known].join(', ') || '(none defined)'}` });
    }
  });
  return problems;
}

function buildSpecOf(build: PipelineBuildOptions, after: string[]): codebuild.BuildSpec {
  return codebuild.BuildSpec.fromObject({
    version: '0.2',
    phases: {
      ...(build.installCommands?.length ? { install: { commands: build.installCommands } } : {}),
      build: { commands: [...(build.commands ?? []), ...after] },
    },
  });
}

function environmentOf(build: PipelineBuildOptions): codebuild.BuildEnvironment {
  return { buildImage: build.buildImage ?? codebuild.LinuxBuildImage.STANDARD_7_0, computeType: build.computeType ?? codebuild.ComputeType.SMALL };
}

/** The findings CodeBuild's own grants raise, and the project key cdk-nag expects. */
function suppressProjectFindings(project: codebuild.Project): void {
  addNagSuppressions(project, [{
    id: 'AwsSolutions-CB4',
    reason: 'The project produces no CodeBuild artifacts (the publish step uploads with its own KMS-encrypted PutObject); a project key would only give the build role, which runs repository code, a key to use.',
  }]);
  suppressOnDefaultPolicy(project.role, [{
    id: 'AwsSolutions-IAM5',
    reason: 'Generated by CodeBuild for this project only: the log streams of its own log group and its own report groups; secrets are named by their name with the six characters Secrets Manager appends.',
    appliesTo: [
      ...CODEBUILD_OWN_LOGS_AND_REPORTS,
      { regex: `/^Resource::arn:${ANY_PARTITION}:secretsmanager:.*:secret:[^*]*-\\?\\?\\?\\?\\?\\?$/` },
    ],
  }]);
}

