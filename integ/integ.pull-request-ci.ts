import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { checkWithNag, INTEG_TENANT_ACCOUNT, INTEG_TOOLING_ACCOUNT, newIntegApp } from './integ-environment';
import { ArtifactStore, CrossAccountPipeline, DeploymentContract, DeploymentKind, PipelineSource, PullRequestCi, PullRequestRepository } from '../src';

/**
 * A pull-request CI publishing the main branch's output to its bucket, and a
 * CrossAccountPipeline whose `PipelineSource.s3` source watches that object
 * and deploys the template in it to a Dev stage.
 * For a real run: a GitHub repository in CDKX_INTEG_GITHUB_OWNER and
 * CDKX_INTEG_GITHUB_REPO reached through a CodeConnections connection
 * (CDKX_INTEG_CONNECTION_ARN), whose main branch holds `App.template.json` at
 * its root after `npm test`; the target's TenantDeploymentRole stack deployed
 * first. The assertions read both CodeBuild projects back (webhook filter
 * groups, status reporting, comment approval) and ask IAM whether the publish
 * role may put the publish object and the pull-request role may not.
 */
export function buildPullRequestCiIntegApp(app: App = newIntegApp()): { app: App; stacks: Stack[] } {
  const region = 'us-east-1';
  const stack = new Stack(app, 'cdkx-integ-pull-request-ci', { env: { account: INTEG_TOOLING_ACCOUNT, region } });
  const contract = new DeploymentContract({ toolingAccount: INTEG_TOOLING_ACCOUNT, qualifier: 'integ', organizationId: 'o-integtest01' });
  const ci = new PullRequestCi(stack, 'Ci', {
    repository: PullRequestRepository.gitHub({
      owner: process.env.CDKX_INTEG_GITHUB_OWNER ?? 'acme',
      repo: process.env.CDKX_INTEG_GITHUB_REPO ?? 'shop',
      connectionArn: process.env.CDKX_INTEG_CONNECTION_ARN ?? `arn:aws:codeconnections:${region}:${INTEG_TOOLING_ACCOUNT}:connection/00000000-0000-0000-0000-000000000000`,
    }),
    buildOptions: { installCommands: ['npm ci'], commands: ['npm test'] },
    projectNamePrefix: 'cdkx-integ-prci',
    removalPolicy: RemovalPolicy.DESTROY,
    autoDeleteObjects: true,
  });
  const store = new ArtifactStore(stack, 'Store', { contract, removalPolicy: RemovalPolicy.DESTROY, autoDeleteObjects: true });
  const release = new CrossAccountPipeline(stack, 'Release', {
    contract,
    artifactStore: store,
    pipelineName: 'cdkx-integ-prci-release',
    source: PipelineSource.s3({ bucket: ci.publishBucket, objectKey: ci.publishObjectKey }),
    deploymentKind: DeploymentKind.cloudFormation({ stackName: 'integ-prci-app', templatePath: 'App.template.json' }),
    stages: [{ name: 'Dev', targets: [{ id: 'dev', account: INTEG_TENANT_ACCOUNT, region }] }],
  });
  checkWithNag(stack);

  const integ = new IntegTest(app, 'PullRequestCiInteg', { testCases: [stack] });
  integ.assertions
    .awsApiCall('CodeBuild', 'batchGetProjects', { names: ['cdkx-integ-prci-pull-requests', 'cdkx-integ-prci-publish'] })
    .expect(ExpectedResult.objectLike({
      projects: [
        {
          name: 'cdkx-integ-prci-pull-requests',
          source: { type: 'GITHUB', reportBuildStatus: true },
          webhook: {
            filterGroups: [[
              { type: 'EVENT', pattern: 'PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED, PULL_REQUEST_REOPENED' },
              { type: 'BASE_REF', pattern: '^refs/heads/main$' },
            ]],
            pullRequestBuildPolicy: { requiresCommentApproval: 'ALL_PULL_REQUESTS' },
          },
        },
        {
          name: 'cdkx-integ-prci-publish',
          webhook: { filterGroups: [[{ type: 'EVENT', pattern: 'PUSH' }, { type: 'HEAD_REF', pattern: '^refs/heads/main$' }]] },
        },
      ],
    }));
  integ.assertions
    .awsApiCall('CodePipeline', 'getPipeline', { name: release.pipelineNames[0] })
    .expect(ExpectedResult.objectLike({
      pipeline: { stages: [{ name: 'Source', actions: [{ actionTypeId: { provider: 'S3' }, configuration: { S3ObjectKey: 'pull-request-ci/main.zip' } }] }] },
    }));
  return { app, stacks: [stack] };
}

if (require.main === module) {
  buildPullRequestCiIntegApp().app.synth();
}
