/**
 * CodeDeployServerGroup, the target side of DeploymentKind.codeDeployServer:
 * its resources, its bad inputs refused at synth, cdk-nag, and access proofs
 * (test/support/access-model.ts) for the instance role and `grantDeploy`.
 */
import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ArtifactStore, CodeDeployServerGroup, CodeDeployServerGroupProps, DeploymentContract } from '../src';
import { AccessModel } from './support/access-model';
import { synthErrorOf } from './support/synth-error';

const TOOLING = '111111111111';
const TENANT = '222222222222';
const REGION = 'eu-west-1';
const INSTANCE_ROLE = 'cdkx-main-codedeploy-instance';
const STORE_OBJECT = `arn:aws:s3:::cdkx-main-artifacts-${TOOLING}-${REGION}/main-web-release/BuildOutpu/abc123`;
const codedeploy = (resource: string) => `arn:aws:codedeploy:${REGION}:${TENANT}:${resource}`;

function build(props: Partial<CodeDeployServerGroupProps> = {}, withDeployer = false): { app: App; stack: Stack; group: CodeDeployServerGroup } {
  const app = new App();
  const stack = new Stack(app, 'Web', { env: { account: TENANT, region: REGION } });
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  const group = new CodeDeployServerGroup(stack, 'Fleet', {
    contract: new DeploymentContract({ toolingAccount: TOOLING }),
    vpc,
    applicationName: 'main-web',
    deploymentGroupName: 'main-web-fleet',
    ...props,
  });
  if (withDeployer) {
    // The contract's stores of this region and of another, in the tooling account.
    for (const region of [REGION, 'us-east-1']) {
      const tooling = new Stack(app, `Tooling-${region}`, { env: { account: TOOLING, region } });
      new ArtifactStore(tooling, 'Store', { contract: new DeploymentContract({ toolingAccount: TOOLING }), readerAccounts: [TENANT] });
    }
    const deployer = new iam.Role(stack, 'GitHubDeployer', { roleName: 'github-deployer', assumedBy: new iam.AccountPrincipal(TENANT) });
    group.grantDeploy(deployer);
  }
  return { app, stack, group };
}

describe('CodeDeployServerGroup resources', () => {
  const { stack } = build();
  const template = Template.fromStack(stack);

  test('an application and an in-place deployment group with the contract-prefixed names, rolled back on failure and stop', () => {
    template.hasResourceProperties('AWS::CodeDeploy::Application', { ApplicationName: 'main-web', ComputePlatform: 'Server' });
    const [group] = Object.values(template.findResources('AWS::CodeDeploy::DeploymentGroup')) as any[];
    expect(group.Properties.DeploymentGroupName).toBe('main-web-fleet');
    expect(group.Properties.DeploymentConfigName).toBe('CodeDeployDefault.HalfAtATime');
    expect(group.Properties.AutoRollbackConfiguration).toEqual({ Enabled: true, Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST'] });
    expect(group.Properties.AutoScalingGroups).toHaveLength(1);
    expect(group.Properties.DeploymentStyle).toBeUndefined();
  });

  test('the instance role has the contract name, SSM core, and the launch template requires IMDSv2 and encrypts the root volume', () => {
    template.hasResourceProperties('AWS::IAM::Role', {
      RoleName: INSTANCE_ROLE,
      ManagedPolicyArns: [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/AmazonSSMManagedInstanceCore']] }],
    });
    const [lt] = Object.values(template.findResources('AWS::EC2::LaunchTemplate')) as any[];
    expect(lt.Properties.LaunchTemplateData.MetadataOptions.HttpTokens).toBe('required');
    expect(lt.Properties.LaunchTemplateData.BlockDeviceMappings[0].Ebs.Encrypted).toBe(true);
  });

  test('the user data installs the CodeDeploy agent from the region\'s installer bucket', () => {
    const [lt] = Object.values(template.findResources('AWS::EC2::LaunchTemplate')) as any[];
    const userData = JSON.stringify(lt.Properties.LaunchTemplateData.UserData);
    expect(userData).toContain('aws-codedeploy-$CDKX_REGION.s3.$CDKX_REGION.$s3_suffix/latest/install');
    expect(userData).toContain(`CDKX_REGION='${REGION}'`);
    expect(userData).toContain('systemctl enable --now codedeploy-agent');
  });

  test('alarms stop and roll back a deployment', () => {
    const withAlarm = (() => {
      const a = new App();
      const s = new Stack(a, 'Web', { env: { account: TENANT, region: REGION } });
      const alarm = cloudwatch.Alarm.fromAlarmArn(s, 'Errors', `arn:aws:cloudwatch:${REGION}:${TENANT}:alarm:main-web-errors`);
      new CodeDeployServerGroup(s, 'Fleet', {
        contract: new DeploymentContract({ toolingAccount: TOOLING }),
        vpc: new ec2.Vpc(s, 'Vpc', { maxAzs: 2, natGateways: 1 }),
        applicationName: 'main-web',
        deploymentGroupName: 'main-web-fleet',
        alarms: [alarm],
      });
      return Template.fromStack(s);
    })();
    const [group] = Object.values(withAlarm.findResources('AWS::CodeDeploy::DeploymentGroup')) as any[];
    expect(group.Properties.AlarmConfiguration).toMatchObject({ Enabled: true, Alarms: [{ Name: 'main-web-errors' }] });
    expect(group.Properties.AutoRollbackConfiguration.Events).toEqual(['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM']);
  });
});

/**
 * The two AWS managed policies the construct attaches, abridged to an action
 * set of their own services: neither holds a CodeDeploy, S3 or KMS action
 * that the requests below could hit (the instance role's access to those is
 * the construct's own statements), and the CodeDeploy service role is no
 * principal of these requests.
 */
const ABRIDGED_MANAGED_POLICIES = {
  'arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore': {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['ssm:UpdateInstanceInformation', 'ssmmessages:CreateControlChannel', 'ec2messages:GetMessages'], Resource: '*' }],
  },
  'arn:aws:iam::aws:policy/service-role/AWSCodeDeployRole': {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Action: ['autoscaling:CompleteLifecycleAction', 'ec2:DescribeInstances'], Resource: '*' }],
  },
};

describe('CodeDeployServerGroup access', () => {
  const { app } = build({}, true);
  const model = AccessModel.fromAssembly(app.synth(), { awsManagedPolicies: ABRIDGED_MANAGED_POLICIES as any });
  const instance = model.role(TENANT, INSTANCE_ROLE);
  const deployer = model.role(TENANT, 'github-deployer');
  const storeKey = model.assembly.keys.find((k) => k.region === REGION)!.arn;
  const viaS3 = { 'kms:ViaService': `s3.${REGION}.amazonaws.com`, 'kms:ResourceAliases': ['alias/cdkx-main-artifacts'] };

  test('the instance role may read a revision of the contract store of its region and decrypt it through S3; not the store of another region, not write', async () => {
    const object = { 'aws:ResourceAccount': TOOLING };
    await model.expectDecision({ principal: instance, action: 's3:GetObject', resource: STORE_OBJECT, context: object }, 'Allowed');
    await model.expectDecision({ principal: instance, action: 's3:GetObject', resource: STORE_OBJECT.replace(REGION, 'us-east-1'), context: object }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: instance, action: 's3:PutObject', resource: STORE_OBJECT, context: object }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: instance, action: 'kms:Decrypt', resource: storeKey, context: viaS3 }, 'Allowed');
    await model.expectDecision({ principal: instance, action: 'kms:Decrypt', resource: storeKey, context: { 'kms:ResourceAliases': ['alias/cdkx-main-artifacts'] } }, 'ImplicitlyDenied');
  });

  test('grantDeploy: the deployer may register, deploy and follow this group only', async () => {
    await model.expectDecision({ principal: deployer, action: 'codedeploy:CreateDeployment', resource: codedeploy('deploymentgroup:main-web/main-web-fleet') }, 'Allowed');
    await model.expectDecision({ principal: deployer, action: 'codedeploy:GetDeployment', resource: codedeploy('deploymentgroup:main-web/main-web-fleet') }, 'Allowed');
    await model.expectDecision({ principal: deployer, action: 'codedeploy:RegisterApplicationRevision', resource: codedeploy('application:main-web') }, 'Allowed');
    await model.expectDecision({ principal: deployer, action: 'codedeploy:GetDeploymentConfig', resource: codedeploy('deploymentconfig:CodeDeployDefault.HalfAtATime') }, 'Allowed');
    await model.expectDecision({ principal: deployer, action: 'codedeploy:CreateDeployment', resource: codedeploy('deploymentgroup:main-web/main-other') }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: deployer, action: 'codedeploy:RegisterApplicationRevision', resource: codedeploy('application:main-other') }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: deployer, action: 'codedeploy:UpdateDeploymentGroup', resource: codedeploy('deploymentgroup:main-web/main-web-fleet') }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: deployer, action: 'codedeploy:GetDeploymentConfig', resource: codedeploy('deploymentconfig:CodeDeployDefault.AllAtOnce') }, 'ImplicitlyDenied');
  });

  test('the instance role may not deploy (control: the deployer may)', async () => {
    await model.expectDecision({ principal: deployer, action: 'codedeploy:CreateDeployment', resource: codedeploy('deploymentgroup:main-web/main-web-fleet') }, 'Allowed');
    await model.expectDecision({ principal: instance, action: 'codedeploy:CreateDeployment', resource: codedeploy('deploymentgroup:main-web/main-web-fleet') }, 'ImplicitlyDenied');
  });

});

test('cdk-nag AwsSolutions: no unsuppressed finding on the construct', () => {
  const { app, stack } = build({}, true);
  Aspects.of(stack).add(new AwsSolutionsChecks());
  const findings = app.synth().getStackByName('Web').messages
    .filter((m) => /AwsSolutions-/.test(String(m.entry.data)) && m.level === 'error')
    .map((m) => `${m.id} ${String(m.entry.data).split(':')[0]}`)
    // The test's VPC and its deployer role are not the construct's.
    .filter((f) => f.includes('/Fleet/'));
  expect(findings).toEqual([]);
});

describe('CodeDeployServerGroup refuses at synth', () => {
  test('an application name outside the contract prefix', () => {
    expect(synthErrorOf(() => build({ applicationName: 'web' }))).toContain(
      '[Web/Fleet] invalid configuration:\n  - applicationName = "web": the tenant action role may only deploy to CodeDeploy applications whose names start with \'main-\'');
  });

  test('a deployment group name with a wildcard', () => {
    expect(synthErrorOf(() => build({ deploymentGroupName: 'main-*' }))).toContain('deploymentGroupName = "main-*": a CodeDeploy name holds at most 100 characters');
  });

  test('maxCapacity below minCapacity', () => {
    expect(synthErrorOf(() => build({ minCapacity: 3, maxCapacity: 2 }))).toContain('maxCapacity = 2: below minCapacity (3). Fix: set maxCapacity to at least 3');
  });
});
