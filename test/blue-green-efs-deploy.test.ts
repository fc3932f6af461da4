import { App, Duration, RemovalPolicy, Stack, Tags } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as acm from 'aws-cdk-lib/aws-certificatemanager';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { BlueGreenEfsDeploy, BlueGreenEfsDeployProps, PipelineSource } from '../src';
import { allStatements, wildcardActions } from './support/policy-inspection';
import { synthErrorOf } from './support/synth-error';

const ACCOUNT = '111111111111';

/** Props, or a function of the stack giving them (for props that are constructs of the stack, like a certificate). */
type PropsIn = Partial<BlueGreenEfsDeployProps> | ((stack: Stack) => Partial<BlueGreenEfsDeployProps>);

function deploy(props: PropsIn = {}, vpcOptions?: ec2.VpcProps) {
  const app = new App();
  const stack = new Stack(app, 'Web', { env: { account: ACCOUNT, region: 'us-east-1' } });
  const bucket = new s3.Bucket(stack, 'Releases', { versioned: true });
  const vpc = vpcOptions ? new ec2.Vpc(stack, 'Vpc', vpcOptions) : undefined;
  const web = new BlueGreenEfsDeploy(stack, 'Shop', {
    releaseName: 'shop-web',
    source: PipelineSource.s3({ bucket, objectKey: 'shop/site.zip' }),
    // Most specifications here are not about the listener: plain HTTP keeps them short.
    allowPlaintextHttp: true,
    ...(vpc ? { vpc } : {}),
    ...(typeof props === 'function' ? props(stack) : props),
  });
  return { app, stack, web, template: Template.fromStack(stack) };
}

/** A certificate of the test account, imported by ARN. */
function certificateOf(stack: Stack): acm.ICertificate {
  return acm.Certificate.fromCertificateArn(stack, 'Cert', `arn:aws:acm:us-east-1:${ACCOUNT}:certificate/abc`);
}

/** Every ingress rule of the template: inline in security groups and standalone. */
function ingressRules(template: Template): any[] {
  const inline = Object.values(template.findResources('AWS::EC2::SecurityGroup'))
    .flatMap((sg: any) => sg.Properties.SecurityGroupIngress ?? []);
  const standalone = Object.values(template.findResources('AWS::EC2::SecurityGroupIngress')).map((r: any) => r.Properties);
  return [...inline, ...standalone];
}

/** The trust statements of the roles a service principal assumes. */
function serviceTrusts(template: Template, service: string): any[] {
  return Object.values(template.findResources('AWS::IAM::Role'))
    .flatMap((role: any) => role.Properties.AssumeRolePolicyDocument.Statement)
    .filter((s: any) => [].concat(s.Principal?.Service ?? []).includes(service as never));
}

function resourceOfType(template: Template, type: string): Record<string, any> {
  const found = Object.values(template.findResources(type));
  expect(found).toHaveLength(1);
  return found[0];
}

describe('BlueGreenEfsDeploy input errors name the construct, the property, the value and the fix', () => {
  test.each<[string, Partial<BlueGreenEfsDeployProps>, RegExp]>([
    ['capacity min over max', { minCapacity: 5, maxCapacity: 3 }, /minCapacity = 5: is over maxCapacity \(3\)\. Fix: set minCapacity at most 3/],
    ['desired outside min..max', { minCapacity: 2, maxCapacity: 4, desiredCapacity: 9 }, /desiredCapacity = 9: is outside minCapacity\.\.maxCapacity \(2\.\.4\)/],
    ['fractional capacity', { minCapacity: 1.5 }, /minCapacity = 1\.5: must be a whole number/],
    ['termination wait over 2,880 minutes', { terminationWaitTime: Duration.minutes(2881) }, /terminationWaitTime = "2881 minutes": CodeDeploy keeps the original instances between 0 and 2880 whole minutes.*Fix: use Duration\.minutes\(n\)/],
    ['termination wait not whole minutes', { terminationWaitTime: Duration.seconds(90) }, /terminationWaitTime = "1\.5 minutes"/],
    ['health check path without a leading slash', { healthCheckPath: 'health' }, /healthCheckPath = "health": a health check path starts with '\/'.*Fix: e\.g\. '\/health'/],
    ['health check path with a space', { healthCheckPath: '/a b' }, /healthCheckPath = "\/a b"/],
    ['port out of range', { applicationPort: 70000 }, /applicationPort = 70000: is not a TCP port/],
    ['validate timeout too short', { validateTimeout: Duration.seconds(5) }, /validateTimeout = "5 seconds"/],
    ['validate timeout over a hook\'s hour', { validateTimeout: Duration.seconds(3601) }, /validateTimeout = "3601 seconds": a CodeDeploy hook runs between 10 seconds .* and 3600 seconds/],
    ['release name with spaces', { releaseName: 'shop web' }, /releaseName = "shop web": must be letters, digits/],
    ['release name too long', { releaseName: 'x'.repeat(61) }, /releaseName = "x{61}".*at most 60 characters/],
    ['bad source', { source: PipelineSource.connection({ connectionArn: 'not-an-arn', repository: 'acme/shop', branch: 'main' }) }, /source\.connectionArn = "not-an-arn": not a CodeConnections connection ARN/],
  ])('%s', (_name, props, message) => {
    const error = synthErrorOf(() => deploy(props));
    expect(error).toMatch(/^\[Web\/Shop\] invalid configuration:/);
    expect(error).toMatch(message);
  });

  test('subnets in one availability zone', () => {
    const error = synthErrorOf(() => deploy({}, { maxAzs: 1, natGateways: 1 }));
    expect(error).toMatch(/\[Web\/Shop\] invalid configuration:/);
    expect(error).toMatch(/instanceSubnets = \["[a-z0-9-]+"\]: the fleet and the EFS mount targets need subnets in at least two availability zones.*Fix: select subnets in two or more AZs/);
  });

  test('every problem is reported at once', () => {
    const error = synthErrorOf(() => deploy({ minCapacity: 5, maxCapacity: 3, healthCheckPath: 'x', terminationWaitTime: Duration.days(3) }));
    expect(error.split('\n').filter((line) => line.startsWith('  - '))).toHaveLength(4);
  });

  test('valid edges pass: termination wait of 2,880 minutes, one instance', () => {
    expect(() => deploy({ terminationWaitTime: Duration.minutes(2880), minCapacity: 1, maxCapacity: 1 })).not.toThrow();
    expect(() => deploy({ terminationWaitTime: Duration.minutes(0) })).not.toThrow();
  });
});

describe('BlueGreenEfsDeploy defaults', () => {
  const { template, web } = deploy();

  test('creates a VPC over two AZs with flow logs', () => {
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::FlowLog', 1);
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
  });

  test('EFS is encrypted, backed up and retained on stack deletion', () => {
    const fs = resourceOfType(template, 'AWS::EFS::FileSystem');
    expect(fs.Properties.Encrypted).toBe(true);
    expect(fs.Properties.BackupPolicy).toEqual({ Status: 'ENABLED' });
    expect(fs.DeletionPolicy).toBe('Retain');
    expect(fs.UpdateReplacePolicy).toBe('Retain');
  });

  test('access points: /app for readers, /app/blue and /app/green for the publisher', () => {
    const paths = Object.values(template.findResources('AWS::EFS::AccessPoint')).map((ap: any) => ap.Properties.RootDirectory.Path).sort();
    expect(paths).toEqual(['/app', '/app/blue', '/app/green']);
  });

  test('the file system policy: no allows, and denies root access, writes by others and clients without TLS', () => {
    const policy = resourceOfType(template, 'AWS::EFS::FileSystem').Properties.FileSystemPolicy;
    expect(policy.Statement.filter((s: any) => s.Effect === 'Allow')).toEqual([]);
    expect(policy.Statement).toContainEqual(expect.objectContaining({ Effect: 'Deny', Action: 'elasticfilesystem:ClientRootAccess', Principal: { AWS: '*' } }));
    expect(policy.Statement).toContainEqual(expect.objectContaining({
      Effect: 'Deny', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    }));
    const writes = policy.Statement.find((s: any) => s.Action === 'elasticfilesystem:ClientWrite');
    expect(writes).toMatchObject({ Effect: 'Deny', Condition: { ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [expect.stringMatching(/Publish.*Role/), 'Arn'] } } } });
  });

  test('readers mount only through /app, the publisher writes only through /app/blue and /app/green', () => {
    const efsGrants = allStatements(template.toJSON()).filter((s) => [].concat(s.statement.Action).some((a: string) => a.startsWith('elasticfilesystem:')) && s.statement.Effect === 'Allow');
    expect(efsGrants.map((s) => [].concat(s.statement.Action).sort())).toEqual(expect.arrayContaining([
      ['elasticfilesystem:ClientMount'],
      ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
    ]));
    expect(efsGrants).toHaveLength(2);
    const accessPointsOf = (s: any) => [].concat(s.statement.Condition.StringEquals['elasticfilesystem:AccessPointArn'])
      .map((arn: any) => JSON.stringify(arn).match(/ShopContentFileSystem(App|Blue|Green)/)![1]);
    const reader = efsGrants.find((s) => [].concat(s.statement.Action).length === 1)!;
    const publisher = efsGrants.find((s) => [].concat(s.statement.Action).length === 2)!;
    expect(accessPointsOf(reader)).toEqual(['App']);
    expect(accessPointsOf(publisher)).toEqual(['Blue', 'Green']);
  });

  test('the launch template requires IMDSv2 and encrypts the root volume', () => {
    template.hasResourceProperties('AWS::EC2::LaunchTemplate', {
      LaunchTemplateData: Match.objectLike({
        MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: Match.objectLike({ Encrypted: true, VolumeType: 'gp3' }) }],
      }),
    });
  });

  test('instances mount EFS over TLS with _netdev and noresvport before the CodeDeploy agent starts', () => {
    const userData = JSON.stringify(resourceOfType(template, 'AWS::EC2::LaunchTemplate').Properties.LaunchTemplateData.UserData);
    for (const option of ['tls', 'iam', '_netdev', 'noresvport', 'accesspoint=']) expect(userData).toContain(option);
    const mountAt = userData.indexOf('_netdev');
    const agentAt = userData.indexOf('codedeploy-agent');
    expect(mountAt).toBeGreaterThan(-1);
    expect(agentAt).toBeGreaterThan(mountAt);
  });

  test('the fleet sits behind an ALB that checks the health check path', () => {
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { HealthCheckPath: '/', Port: 80, Matcher: { HttpCode: '200-399' } });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'HTTP' });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      LoadBalancerAttributes: Match.arrayWith([{ Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' }]),
    });
    template.hasResourceProperties('AWS::AutoScaling::AutoScalingGroup', { MinSize: '2', MaxSize: '4', HealthCheckType: 'ELB' });
  });

  test('the deployment group is an EC2 blue/green custom resource with rollback on failure, stop and alarms', () => {
    const group = resourceOfType(template, 'Custom::Ec2BlueGreenDeploymentGroup');
    expect(group.Properties).toMatchObject({
      ApplicationName: 'shop-web',
      DeploymentGroupName: 'shop-web-bluegreen',
      TerminationWaitTimeInMinutes: '60',
      DeploymentConfigName: 'CodeDeployDefault.HalfAtATime',
      AutoRollbackEvents: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM'],
    });
    expect(group.Properties.AlarmNames).toHaveLength(2);
    expect(web.rollbackAlarms).toHaveLength(2);
    expect(group.Properties.AutoScalingGroupName).toEqual({ Ref: expect.stringMatching(/Group/) });
  });

  test('the default alarms watch target 5xx and unhealthy hosts', () => {
    const metrics = Object.values(template.findResources('AWS::CloudWatch::Alarm')).map((a: any) => a.Properties.MetricName).sort();
    expect(metrics).toEqual(['HTTPCode_Target_5XX_Count', 'UnHealthyHostCount']);
  });

  test('both handlers run on a pinned Node.js runtime from the bundled asset', () => {
    const functions = Object.values(template.findResources('AWS::Lambda::Function'))
      .filter((f: any) => /blue-green-efs-deploy|settled|fleet swaps/.test(f.Properties.Description ?? ''));
    expect(functions).toHaveLength(2);
    for (const f of functions) expect(f.Properties.Runtime).toBe('nodejs24.x');
  });

  test('the live state: two parameters, blue live at first, nothing pending', () => {
    template.hasResourceProperties('AWS::SSM::Parameter', { Name: '/cdkx/bluegreen/shop-web/live', Value: '{"color":"blue","deploymentId":"initial"}' });
    template.hasResourceProperties('AWS::SSM::Parameter', { Name: '/cdkx/bluegreen/shop-web/pending', Value: '{"color":"none","releaseId":"initial"}' });
  });

  test('the live color follows CodeDeploy events of this group only', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        'source': ['aws.codedeploy'],
        'detail-type': ['CodeDeploy Deployment State-change Notification'],
        'detail': { application: ['shop-web'], deploymentGroup: ['shop-web-bluegreen'], state: ['SUCCESS', 'FAILURE', 'STOP'] },
      },
    });
  });

  test('the pipeline is QUEUED and publishes then deploys in one Release stage', () => {
    const pipeline = resourceOfType(template, 'AWS::CodePipeline::Pipeline');
    expect(pipeline.Properties.ExecutionMode).toBe('QUEUED');
    expect(pipeline.Properties.Name).toBe('shop-web-release');
    const stages = pipeline.Properties.Stages;
    expect(stages.map((s: any) => s.Name)).toEqual(['Source', 'Release']);
    const release = stages[1].Actions;
    expect(release.map((a: any) => [a.Name, a.ActionTypeId.Provider, a.RunOrder])).toEqual([
      ['PublishToIdleColor', 'CodeBuild', 1],
      ['BlueGreenDeploy', 'CodeDeploy', 2],
    ]);
    expect(release[1].Configuration).toEqual({ ApplicationName: 'shop-web', DeploymentGroupName: 'shop-web-bluegreen' });
  });

  test('the publishing build runs in the VPC with both color access points and no build commands of the user', () => {
    const publish = Object.values(template.findResources('AWS::CodeBuild::Project'))
      .find((p: any) => /idle color/.test(p.Properties.Description));
    expect(publish).toBeDefined();
    expect(publish!.Properties.VpcConfig).toBeDefined();
    expect(publish!.Properties.Environment.PrivilegedMode).toBe(true);
    const names = publish!.Properties.Environment.EnvironmentVariables.map((v: any) => v.Name);
    expect(names).toEqual(expect.arrayContaining(['CDKX_BLUE_ACCESS_POINT_ID', 'CDKX_GREEN_ACCESS_POINT_ID', 'CDKX_LIVE_PARAMETER', 'CDKX_PENDING_PARAMETER']));
    expect(publish!.Properties.Source.BuildSpec).toContain('sync-release.sh');
  });

  test('the CodeDeploy service role passes only the instance role, only to EC2', () => {
    const passRole = allStatements(template.toJSON()).filter((s) => [].concat(s.statement.Action).includes('iam:PassRole' as never));
    const toEc2 = passRole.filter((s) => s.statement.Condition?.StringEquals?.['iam:PassedToService'] === 'ec2.amazonaws.com');
    expect(toEc2).toHaveLength(1);
    expect(toEc2[0].statement.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/InstanceRole/), 'Arn'] });
    for (const s of passRole) expect(s.statement.Resource).not.toBe('*');
  });

  test('no role policy allows a wildcard action', () => {
    // Key policies are left out: their root statement (kms:* for the account) hands control to IAM.
    const wildcards = allStatements(template.toJSON())
      .filter((s) => s.type !== 'AWS::KMS::Key')
      .flatMap((s) => wildcardActions(s.statement).map((a) => `${s.resource}: ${a}`))
      .filter((a) => a.endsWith(':*') || a.endsWith(' *'));
    expect(wildcards).toEqual([]);
  });
});

describe('BlueGreenEfsDeploy after CodeDeploy owns the fleet', () => {
  test('the group launches the template\'s $Latest version, so template changes do not update the replaced group', () => {
    const { template } = deploy();
    const group = resourceOfType(template, 'AWS::AutoScaling::AutoScalingGroup');
    expect(group.Properties.LaunchTemplate.Version).toBe('$Latest');
  });

  test('stack-wide tags do not reach the state parameters (an update would reset the live color)', () => {
    const app = new App();
    const stack = new Stack(app, 'Web', { env: { account: ACCOUNT, region: 'us-east-1' } });
    new BlueGreenEfsDeploy(stack, 'Shop', { releaseName: 'shop-web', source: PipelineSource.s3({ bucket: new s3.Bucket(stack, 'B'), objectKey: 'a.zip' }), allowPlaintextHttp: true });
    Tags.of(stack).add('team', 'web');
    const parameters = Object.values(Template.fromStack(stack).findResources('AWS::SSM::Parameter'));
    expect(parameters).toHaveLength(2);
    for (const parameter of parameters) expect(parameter.Properties.Tags).toBeUndefined();
  });

  test('the deployment group waits for the listener that puts its target group in use', () => {
    const { template } = deploy();
    const [listenerId] = Object.keys(template.findResources('AWS::ElasticLoadBalancingV2::Listener'));
    expect(resourceOfType(template, 'Custom::Ec2BlueGreenDeploymentGroup').DependsOn).toContain(listenerId);
  });
});

describe('BlueGreenEfsDeploy options', () => {
  test('a build step adds a Build stage whose output is published', () => {
    const { template } = deploy({ contentBuild: { commands: ['npm ci', 'npm run build'], outputDirectory: 'dist' } });
    const stages = resourceOfType(template, 'AWS::CodePipeline::Pipeline').Properties.Stages;
    expect(stages.map((s: any) => s.Name)).toEqual(['Source', 'Build', 'Release']);
    expect(stages[2].Actions[0].InputArtifacts).toEqual([{ Name: 'Content' }]);
  });


  test('without alarms there is no stop-on-alarm rollback', () => {
    const { template } = deploy({ defaultAlarms: false });
    const group = resourceOfType(template, 'Custom::Ec2BlueGreenDeploymentGroup');
    expect(group.Properties.AlarmNames).toEqual([]);
    expect(group.Properties.AutoRollbackEvents).toEqual(['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST']);
    template.resourceCountIs('AWS::CloudWatch::Alarm', 0);
  });

  test('user alarms are added to the defaults', () => {
    const app = new App();
    const stack = new Stack(app, 'Web', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const latency = cloudwatch.Alarm.fromAlarmName(stack, 'Latency', 'shop-latency');
    new BlueGreenEfsDeploy(stack, 'Shop', { releaseName: 'shop-web', source: PipelineSource.s3({ bucket: new s3.Bucket(stack, 'B'), objectKey: 'a.zip' }), alarms: [latency], allowPlaintextHttp: true });
    const group = resourceOfType(Template.fromStack(stack), 'Custom::Ec2BlueGreenDeploymentGroup');
    expect(group.Properties.AlarmNames).toHaveLength(3);
    expect(group.Properties.AlarmNames).toContain('shop-latency');
  });

  test('termination wait, port, health path and removal policy are passed through', () => {
    const { template } = deploy({
      terminationWaitTime: Duration.minutes(2880), applicationPort: 8080, healthCheckPath: '/health', removalPolicy: RemovalPolicy.DESTROY,
    });
    expect(resourceOfType(template, 'Custom::Ec2BlueGreenDeploymentGroup').Properties.TerminationWaitTimeInMinutes).toBe('2880');
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { HealthCheckPath: '/health', Port: 8080 });
    expect(resourceOfType(template, 'AWS::EFS::FileSystem').DeletionPolicy).toBe('Delete');
  });

  test('a given VPC is used, not a new one', () => {
    const { template } = deploy({}, { maxAzs: 2, natGateways: 1 });
    template.resourceCountIs('AWS::EC2::VPC', 1);
    template.resourceCountIs('AWS::EC2::FlowLog', 0);
  });

  test('a default release name is derived from the construct path', () => {
    const app = new App();
    const stack = new Stack(app, 'Web', { env: { account: ACCOUNT, region: 'us-east-1' } });
    const web = new BlueGreenEfsDeploy(stack, 'Shop', { source: PipelineSource.s3({ bucket: new s3.Bucket(stack, 'B'), objectKey: 'a.zip' }), allowPlaintextHttp: true });
    expect(web.pipelineName).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]*-release$/);
    expect(web.deploymentGroupName).toMatch(/-bluegreen$/);
  });
});

describe('BlueGreenEfsDeploy serves plain HTTP to the internet only when told to', () => {
  const worldIngress = (rule: any) => rule.CidrIp === '0.0.0.0/0' || rule.CidrIpv6 === '::/0';

  test('an internet-facing fleet without a certificate is refused unless allowPlaintextHttp is set', () => {
    const error = synthErrorOf(() => deploy({ allowPlaintextHttp: undefined }));
    expect(error).toMatch(/^\[Web\/Shop\] invalid configuration:/);
    expect(error).toMatch(/certificate = undefined: an internet-facing load balancer without a certificate serves plain HTTP to the internet\. Fix: give certificate \(an ACM certificate\) to serve HTTPS, set internetFacing: false, or set allowPlaintextHttp: true to serve plain HTTP on purpose/);
  });

  test('a certificate and allowPlaintextHttp together are refused: HTTP only redirects to HTTPS then', () => {
    const error = synthErrorOf(() => deploy((stack) => ({ certificate: certificateOf(stack), allowPlaintextHttp: true })));
    expect(error).toMatch(/^\[Web\/Shop\] invalid configuration:/);
    expect(error).toMatch(/allowPlaintextHttp = true: with a certificate, port 80 only redirects to HTTPS\. Fix: drop allowPlaintextHttp, or drop certificate to serve plain HTTP/);
  });

  test('with a certificate: HTTPS on 443 with a TLS 1.2+ policy, and port 80 redirects to it', () => {
    const { template } = deploy((stack) => ({ certificate: certificateOf(stack), allowPlaintextHttp: undefined }));
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443, Protocol: 'HTTPS', SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80, DefaultActions: [Match.objectLike({ Type: 'redirect', RedirectConfig: Match.objectLike({ Port: '443', Protocol: 'HTTPS' }) })],
    });
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 2);
  });

  test('allowPlaintextHttp: HTTP on port 80, open to the internet, and nothing on 443', () => {
    const { template } = deploy({ allowPlaintextHttp: true });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 80, Protocol: 'HTTP' });
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    expect(ingressRules(template).filter(worldIngress).map((r) => r.FromPort)).toEqual([80]);
  });

  test('an internal fleet needs no certificate, and its load balancer admits only the VPC, never 0.0.0.0/0', () => {
    const { template } = deploy({ internetFacing: false, allowPlaintextHttp: undefined });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Scheme: 'internal' });
    const rules = ingressRules(template);
    expect(rules.filter(worldIngress)).toEqual([]);
    const byAddress = rules.filter((r) => r.CidrIp !== undefined || r.CidrIpv6 !== undefined);
    // The VPC the construct made: its range as a literal, which cdk-nag's EC23 can read.
    template.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.0.0.0/16' });
    expect(byAddress).toEqual([expect.objectContaining({ CidrIp: '10.0.0.0/16', IpProtocol: 'tcp', FromPort: 80, ToPort: 80 })]);
  });

  test('an internal fleet in a VPC of yours admits its CIDR token, and says why cdk-nag cannot check it', () => {
    const { template } = deploy((stack) => ({
      internetFacing: false,
      allowPlaintextHttp: undefined,
      vpc: new ec2.Vpc(stack, 'Own', { maxAzs: 2 }),
    }));
    const rules = ingressRules(template).filter((r) => r.CidrIp !== undefined);
    expect(rules).toEqual([expect.objectContaining({ CidrIp: { 'Fn::GetAtt': [expect.stringMatching(/^Own/), 'CidrBlock'] }, FromPort: 80 })]);
    const groups = Object.values(template.findResources('AWS::EC2::SecurityGroup', {
      Properties: { GroupDescription: 'Load balancer of the web fleet' },
    })) as any[];
    const suppressed = groups.flatMap((g) => g.Metadata?.cdk_nag?.rules_to_suppress ?? []).map((r: any) => r.id).sort();
    expect(suppressed).toEqual(['AwsSolutions-EC23', 'CdkNagValidationFailure']);
  });

  test('an internal fleet in an imported VPC without its CIDR is refused: the listener would not know whom to admit', () => {
    const error = synthErrorOf(() => deploy((stack) => ({
      internetFacing: false,
      allowPlaintextHttp: undefined,
      vpc: ec2.Vpc.fromVpcAttributes(stack, 'Imported', {
        vpcId: 'vpc-0123456789abcdef0',
        availabilityZones: ['us-east-1a', 'us-east-1b'],
        privateSubnetIds: ['subnet-0aaaaaaaaaaaaaaaa', 'subnet-0bbbbbbbbbbbbbbbb'],
      }),
    })));
    expect(error).toMatch(/^\[Web\/Shop\] invalid configuration:/);
    expect(error).toMatch(/vpc = "vpc-0123456789abcdef0": an internal load balancer admits the VPC's own addresses, and this imported VPC does not say its CIDR block\. Fix: give vpcCidrBlock to Vpc\.fromVpcAttributes, or use Vpc\.fromLookup/);
  });

  test('an internal fleet with a certificate: HTTPS and the redirect, both only from the VPC', () => {
    const { template } = deploy((stack) => ({ internetFacing: false, certificate: certificateOf(stack), allowPlaintextHttp: undefined }));
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 2);
    const rules = ingressRules(template);
    expect(rules.filter(worldIngress)).toEqual([]);
    const fromVpc = rules.filter((r) => r.CidrIp === '10.0.0.0/16').map((r) => r.FromPort).sort();
    expect(fromVpc).toEqual([443, 80]);
  });
});

describe('BlueGreenEfsDeploy network and trust defaults', () => {
  const { template } = deploy();

  test('the VPC it creates assigns no public IP on launch, not even in its public subnets', () => {
    const subnets = Object.values(template.findResources('AWS::EC2::Subnet'));
    expect(subnets).toHaveLength(4);
    expect(subnets.map((s: any) => s.Properties.MapPublicIpOnLaunch)).toEqual([false, false, false, false]);
  });

  test('the fleet runs in the private subnets', () => {
    const group = resourceOfType(template, 'AWS::AutoScaling::AutoScalingGroup');
    const privateSubnets = Object.entries(template.findResources('AWS::EC2::Subnet'))
      .filter(([, s]: [string, any]) => s.Properties.Tags.some((t: any) => t.Key === 'aws-cdk:subnet-type' && t.Value === 'Private'))
      .map(([id]) => ({ Ref: id }));
    expect(group.Properties.VPCZoneIdentifier).toEqual(privateSubnets);
  });

  // https://docs.aws.amazon.com/codebuild/latest/userguide/cross-service-confused-deputy-prevention.html
  test('CodeBuild assumes the build and publish roles only for its own project in this account', () => {
    const { template: withBuild } = deploy({ contentBuild: { commands: ['npm run build'] } });
    const trusts = serviceTrusts(withBuild, 'codebuild.amazonaws.com');
    expect(trusts).toHaveLength(2);
    const projectArn = (name: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:codebuild:us-east-1:${ACCOUNT}:project/${name}`]] });
    expect(trusts.map((t) => t.Condition)).toEqual(expect.arrayContaining([
      { StringEquals: { 'aws:SourceAccount': ACCOUNT, 'aws:SourceArn': projectArn('shop-web-release-build') } },
      { StringEquals: { 'aws:SourceAccount': ACCOUNT, 'aws:SourceArn': projectArn('shop-web-release-publish') } },
    ]));
    const projects = Object.values(withBuild.findResources('AWS::CodeBuild::Project')).map((p: any) => p.Properties.Name).sort();
    expect(projects).toEqual(['shop-web-release-build', 'shop-web-release-publish']);
  });

  // https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html
  test('VPC Flow Logs assumes its role only for flow logs of this account', () => {
    const [trust, ...others] = serviceTrusts(template, 'vpc-flow-logs.amazonaws.com');
    expect(others).toEqual([]);
    expect(trust.Condition).toEqual({
      StringEquals: { 'aws:SourceAccount': ACCOUNT },
      ArnLike: { 'aws:SourceArn': { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ec2:us-east-1:${ACCOUNT}:vpc-flow-log/*`]] } },
    });
  });

  // CodePipeline does not document sending these keys, so they are required only when present.
  test('CodePipeline assumes the pipeline role only for this pipeline of this account, when it names them', () => {
    const [trust, ...others] = serviceTrusts(template, 'codepipeline.amazonaws.com');
    expect(others).toEqual([]);
    expect(trust.Condition).toEqual({
      StringEqualsIfExists: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
      ArnLikeIfExists: {
        'aws:SourceArn': [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':codepipeline:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':shop-web-release']] }],
      },
    });
  });

  test('a new release in the source bucket starts this pipeline', () => {
    const rule = Object.values(template.findResources('AWS::Events::Rule'))
      .find((r: any) => r.Properties.EventPattern.source?.includes('aws.s3')) as any;
    expect(rule.Properties.Targets).toEqual([expect.objectContaining({
      Arn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':codepipeline:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, ':shop-web-release']] },
    })]);
  });

  test('CodeDeploy assumes its service role only for this account', () => {
    const [trust, ...others] = serviceTrusts(template, 'codedeploy.amazonaws.com');
    expect(others).toEqual([]);
    expect(trust.Condition).toEqual({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } });
  });
});
