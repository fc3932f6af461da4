import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { checkWithNag, INTEG_TENANT_ACCOUNT, INTEG_TOOLING_ACCOUNT, newIntegApp } from './integ-environment';
import {
  ArtifactStore, CloudFormationTransform, CrossAccountPipeline, DeploymentContract, DeploymentKind, LambdaDeployStrategy, PipelineSource,
  ReleaseParameter,
} from '../src';

/**
 * The pipeline shapes other than build-and-deploy, in one tooling stack
 * sharing one artifact store:
 * - build-only (Source and Build, `stages: []`, no deployment kind), without a
 *   push trigger, startable by an orchestrator role through `grantStart`;
 * - without a build: the repository's template deployed as it is to a Dev
 *   stage of CloudFormation kind, with no push trigger either;
 * - a StackSet kind: the build's template updates a service-managed StackSet
 *   targeting an OU, with percent failure tolerance and concurrency, from the
 *   organization's management account (CDKX_INTEG_TENANT_ACCOUNT);
 * - the Lambda traffic-shift and in-place CodeDeploy kinds, one stage each (the
 *   tenant's roles need `lambdaDeployments` and `codeDeployServerDeployments`,
 *   and the function, alias, application and group must exist), after a build
 *   that runs Docker (privileged) and a SAM stage: the packaged template's
 *   transform expanded through change sets, the code's bucket and key passed
 *   as release parameters (the tenant's roles need the SAM preset).
 * For a real run the sources are a CodeConnections connection
 * (CDKX_INTEG_CONNECTION_ARN, CDKX_INTEG_REPOSITORY, and
 * CDKX_INTEG_TEMPLATES_REPOSITORY for the one without a build) and an OU id in
 * CDKX_INTEG_OU_ID; the targets' TenantDeploymentRole stacks must be deployed
 * first (the management account's with `stackSetAdministration`). The
 * assertions read the pipelines back from CodePipeline (stage names, source
 * trigger switches, the StackSet action's settings) and ask IAM whether the
 * orchestrator may start the build-only pipeline and only it.
 */
export function buildPipelineShapesIntegApp(app: App = newIntegApp()): { app: App; stacks: Stack[] } {
  const region = 'us-east-1';
  const stack = new Stack(app, 'cdkx-integ-pipeline-shapes', { env: { account: INTEG_TOOLING_ACCOUNT, region } });
  const contract = new DeploymentContract({ toolingAccount: INTEG_TOOLING_ACCOUNT, qualifier: 'integ', organizationId: 'o-integtest01' });
  const store = new ArtifactStore(stack, 'Store', {
    contract,
    removalPolicy: RemovalPolicy.DESTROY,
    autoDeleteObjects: true,
  });
  const connection = {
    connectionArn: process.env.CDKX_INTEG_CONNECTION_ARN ?? `arn:aws:codeconnections:${region}:${INTEG_TOOLING_ACCOUNT}:connection/00000000-0000-0000-0000-000000000000`,
    repository: process.env.CDKX_INTEG_REPOSITORY ?? 'acme/shop',
    branch: 'main',
  };

  // (1) Build-only, started by another system only.
  const ci = new CrossAccountPipeline(stack, 'Ci', {
    contract,
    artifactStore: store,
    pipelineName: 'cdkx-integ-shapes-ci',
    source: PipelineSource.connection({ ...connection, triggerOnPush: false }),
    buildOptions: { installCommands: ['npm ci'], commands: ['npm test'] },
    stages: [],
  });
  const orchestrator = new iam.Role(stack, 'Orchestrator', {
    roleName: 'cdkx-integ-shapes-orchestrator',
    assumedBy: new iam.AccountPrincipal(INTEG_TOOLING_ACCOUNT),
    description: 'Starts the build-only integ pipeline, and may do nothing else with it',
  });
  ci.grantStart(orchestrator);

  // (2) No build: the repository's template deploys as it is, when someone starts the pipeline.
  // A connection source with its trigger off; an S3 source's grants are checked by
  // test/pipeline-s3-source.test.ts (named actions, no cdk-nag finding).
  const deployOnly = new CrossAccountPipeline(stack, 'DeployOnly', {
    contract,
    artifactStore: store,
    pipelineName: 'cdkx-integ-shapes-deploy-only',
    source: PipelineSource.connection({ ...connection, repository: process.env.CDKX_INTEG_TEMPLATES_REPOSITORY ?? 'acme/shop-templates', triggerOnPush: false }),
    deploymentKind: DeploymentKind.cloudFormation({ stackName: 'integ-shapes-app', templatePath: 'App.template.json' }),
    stages: [{ name: 'Dev', targets: [{ id: 'dev', account: INTEG_TENANT_ACCOUNT, region }] }],
  });

  // (3) A StackSet kind: the management account updates a service-managed StackSet over an OU.
  const guardrails = new CrossAccountPipeline(stack, 'Guardrails', {
    contract,
    artifactStore: store,
    pipelineName: 'cdkx-integ-shapes-guardrails',
    source: PipelineSource.connection({ ...connection, filePaths: ['guardrails/**'] }),
    buildOptions: { installCommands: ['npm ci'], commands: ['npx cdk synth --output dist'], outputDirectory: 'dist' },
    deploymentKind: DeploymentKind.stackSet({
      stackSetName: 'integ-guardrails',
      templatePath: 'Guardrails.template.json',
      organizationalUnitIds: [process.env.CDKX_INTEG_OU_ID ?? 'ou-ab12-11111111'],
      regions: ['us-east-1', 'eu-west-1'],
      failureTolerancePercentage: 10,
      maxConcurrentPercentage: 25,
    }),
    stages: [{ name: 'Org', targets: [{ id: 'org', account: INTEG_TENANT_ACCOUNT, region }] }],
  });
  // (4) Stages of other kinds: a Lambda alias shifted canary with an alarm, then a fleet deployed in place.
  new CrossAccountPipeline(stack, 'Services', {
    contract,
    artifactStore: store,
    pipelineName: 'cdkx-integ-shapes-services',
    source: PipelineSource.connection({ ...connection, filePaths: ['services/**'] }),
    buildOptions: { commands: ['npm ci', 'npm run package', 'docker build -t services .'], outputDirectory: 'dist', privileged: true },
    stages: [
      {
        name: 'Sam',
        deploymentKind: DeploymentKind.cloudFormation({
          stackName: 'integ-sam-app',
          templatePath: 'packaged.yaml',
          transforms: [CloudFormationTransform.SERVERLESS],
          useChangeSets: true,
          releaseParameters: { CodeBucket: ReleaseParameter.artifactBucketName(), CodeKey: ReleaseParameter.artifactObjectKey() },
        }),
        targets: [{ id: 'sam', account: INTEG_TENANT_ACCOUNT, region }],
      },
      {
        name: 'Api',
        deploymentKind: DeploymentKind.lambdaTrafficShift({
          functionName: 'integ-api',
          aliasName: 'live',
          strategy: LambdaDeployStrategy.canary(10, Duration.minutes(5)),
          alarmNames: ['integ-api-errors'],
        }),
        targets: [{ id: 'api', account: INTEG_TENANT_ACCOUNT, region }],
      },
      {
        name: 'Web',
        deploymentKind: DeploymentKind.codeDeployServer({ applicationName: 'integ-web', deploymentGroupName: 'integ-web-fleet' }),
        targets: [{ id: 'web', account: INTEG_TENANT_ACCOUNT, region }],
      },
    ],
  });
  checkWithNag(stack);

  const integ = new IntegTest(app, 'PipelineShapesInteg', { testCases: [stack] });
  integ.assertions
    .awsApiCall('CodePipeline', 'getPipeline', { name: ci.pipelineNames[0] })
    .expect(ExpectedResult.objectLike({
      pipeline: {
        pipelineType: 'V2',
        stages: [
          { name: 'Source', actions: [{ actionTypeId: { provider: 'CodeStarSourceConnection' }, configuration: { DetectChanges: 'false' } }] },
          { name: 'Build' },
        ],
      },
    }));
  integ.assertions
    .awsApiCall('CodePipeline', 'getPipeline', { name: deployOnly.pipelineNames[0] })
    .expect(ExpectedResult.objectLike({
      pipeline: {
        pipelineType: 'V2',
        stages: [
          { name: 'Source', actions: [{ actionTypeId: { provider: 'CodeStarSourceConnection' }, configuration: { DetectChanges: 'false' } }] },
          { name: 'Dev-Wave-1-of-1', actions: [{ name: 'dev', actionTypeId: { category: 'Deploy', provider: 'CloudFormation' }, configuration: { StackName: 'integ-shapes-app' } }] },
        ],
      },
    }));
  integ.assertions
    .awsApiCall('CodePipeline', 'getPipeline', { name: guardrails.pipelineNames[0] })
    .expect(ExpectedResult.objectLike({
      pipeline: {
        pipelineType: 'V2',
        stages: [
          { name: 'Source' },
          { name: 'Build' },
          {
            name: 'Org-Wave-1-of-1',
            actions: [{
              name: 'org',
              actionTypeId: { category: 'Deploy', provider: 'CloudFormationStackSet' },
              configuration: { StackSetName: 'integ-guardrails', FailureTolerancePercentage: '10', MaxConcurrentPercentage: '25' },
            }],
          },
        ],
      },
    }));
  // The orchestrator may start the build-only pipeline, and not the others.
  // Plain ARNs: the assertion stack is environment-agnostic and cannot reference this stack's tokens.
  const arnOf = (name: string) => `arn:aws:codepipeline:${region}:${INTEG_TOOLING_ACCOUNT}:${name}`;
  const [ciArn, deployOnlyArn] = [arnOf(ci.pipelineNames[0]), arnOf(deployOnly.pipelineNames[0])];
  integ.assertions
    .awsApiCall('IAM', 'simulatePrincipalPolicy', {
      PolicySourceArn: `arn:aws:iam::${INTEG_TOOLING_ACCOUNT}:role/cdkx-integ-shapes-orchestrator`,
      ActionNames: ['codepipeline:StartPipelineExecution'],
      ResourceArns: [ciArn, deployOnlyArn],
    })
    .expect(ExpectedResult.objectLike({
      EvaluationResults: [
        { EvalActionName: 'codepipeline:StartPipelineExecution', EvalResourceName: ciArn, EvalDecision: 'allowed' },
        { EvalActionName: 'codepipeline:StartPipelineExecution', EvalResourceName: deployOnlyArn, EvalDecision: 'implicitDeny' },
      ],
    }));
  return { app, stacks: [stack] };
}

if (require.main === module) {
  buildPipelineShapesIntegApp().app.synth();
}
