import { ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { NagSuppressions } from 'cdk-nag';
import { checkWithNag, INTEG_TOOLING_ACCOUNT, newIntegApp } from './integ-environment';
import { BlueGreenEfsDeploy, PipelineSource } from '../src';

/**
 * A BlueGreenEfsDeploy web tier released from a zip in S3: a new VPC, EFS
 * with the two colors, a fleet of two behind an internal ALB, the EC2 blue/green
 * deployment group (custom resource) and the release pipeline. The assertions
 * check the deployment group CodeDeploy holds (blue/green, copy of the fleet,
 * rollback on failure, stop and alarms, the termination wait) and the initial
 * release state (blue live, so the first release publishes into green). The
 * fleet also mounts a shared directory read-write, and the content build
 * selects its Node.js runtime.
 */
export function buildBlueGreenEfsDeployIntegApp(app: App = newIntegApp()): { app: App; stacks: Stack[] } {
  const stack = new Stack(app, 'cdkx-integ-blue-green-efs-deploy', { env: { account: INTEG_TOOLING_ACCOUNT, region: 'us-east-1' } });
  const releases = new s3.Bucket(stack, 'Releases', {
    versioned: true,
    eventBridgeEnabled: true,
    enforceSSL: true,
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    encryption: s3.BucketEncryption.S3_MANAGED,
    removalPolicy: RemovalPolicy.DESTROY,
    autoDeleteObjects: true,
    serverAccessLogsPrefix: 'access-logs/',
  });
  const web = new BlueGreenEfsDeploy(stack, 'Web', {
    releaseName: 'cdkx-integ-web',
    source: PipelineSource.s3({ bucket: releases, objectKey: 'web/site.zip' }),
    // Internal: a sandbox has no certificate for a public HTTPS listener, and
    // the load balancer then admits only the VPC.
    internetFacing: false,
    contentBuild: { runtimeVersions: { nodejs: '20' }, commands: ['mkdir -p public && cp -r site/. public/'], outputDirectory: 'public' },
    // Uploads and other run-time content: writable by the fleet, kept across releases and colors.
    sharedDirectory: { mountPath: '/var/www/shared' },
    healthCheckPath: '/health.html',
    terminationWaitTime: Duration.minutes(30),
    removalPolicy: RemovalPolicy.DESTROY,
    hookCommands: { afterInstall: ['systemctl reload nginx'] },
  });
  // The source bucket's EventBridge switch is CDK's own notifications handler, not this library's.
  NagSuppressions.addResourceSuppressionsByPath(stack, `/${stack.stackName}/BucketNotificationsHandler050a0587b7544547bf325f094a3db834/Role/Resource`, [{
    id: 'AwsSolutions-IAM4', reason: 'CDK bucket-notifications handler of the integ source bucket (test fixture) writes only its own logs.',
  }]);
  checkWithNag(stack);

  const integ = new IntegTest(app, 'BlueGreenEfsDeployInteg', { testCases: [stack] });
  integ.assertions
    .awsApiCall('CodeDeploy', 'getDeploymentGroup', { applicationName: 'cdkx-integ-web', deploymentGroupName: web.deploymentGroupName })
    .expect(ExpectedResult.objectLike({
      deploymentGroupInfo: {
        deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
        blueGreenDeploymentConfiguration: {
          greenFleetProvisioningOption: { action: 'COPY_AUTO_SCALING_GROUP' },
          terminateBlueInstancesOnDeploymentSuccess: { action: 'TERMINATE', terminationWaitTimeInMinutes: 30 },
        },
        autoRollbackConfiguration: { enabled: true },
        alarmConfiguration: { enabled: true },
      },
    }));
  integ.assertions
    .awsApiCall('SSM', 'getParameter', { Name: '/cdkx/bluegreen/cdkx-integ-web/live' })
    .expect(ExpectedResult.objectLike({ Parameter: { Value: '{"color":"blue","deploymentId":"initial"}' } }));
  return { app, stacks: [stack] };
}

if (require.main === module) {
  buildBlueGreenEfsDeployIntegApp().app.synth();
}
