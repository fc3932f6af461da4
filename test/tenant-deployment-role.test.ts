import { App, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { DeploymentContract, TenantDeploymentRole, TenantDeploymentRoleProps } from '../src';
import { AccessModel } from './support/access-model';
import { allStatements, wildcardActions } from './support/policy-inspection';
import { synthErrorOf } from './support/synth-error';

const TOOLING = '111111111111';
const TENANT = '222222222222';
const ORG = 'o-abcdefghij';
const orgContract = () => new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG });
const s3Statement = () => new iam.PolicyStatement({ actions: ['s3:CreateBucket'], resources: ['arn:aws:s3:::main-*'] });

function tenant(props: Partial<TenantDeploymentRoleProps> = {}, app = new App()) {
  const stack = new Stack(app, 'Tenant', { env: { account: TENANT, region: 'eu-west-1' } });
  const roles = new TenantDeploymentRole(stack, 'Roles', {
    contract: orgContract(),
    executionRoleStatements: [s3Statement()],
    ...props,
  });
  return { app, stack, roles };
}

function trustOf(template: Template, roleName: string): any[] {
  const roles = template.findResources('AWS::IAM::Role', { Properties: { RoleName: roleName } });
  return (Object.values(roles)[0] as any).Properties.AssumeRolePolicyDocument.Statement;
}

describe('TenantDeploymentRole', () => {
  const { stack, roles } = tenant();
  const template = Template.fromStack(stack);

  test('both roles carry the fixed names of the contract', () => {
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'cdkx-main-deploy-action', MaxSessionDuration: 3600 });
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'cdkx-main-cfn-exec' });
    expect(stack.resolve(roles.actionRole.roleName)).toEqual({ Ref: expect.stringMatching(/ActionRole/) });
  });

  test('the action role trusts the tooling account only for roles on the pipeline path and this account\'s deployers, in the organization', () => {
    expect(trustOf(template, 'cdkx-main-deploy-action')).toEqual([{
      Action: 'sts:AssumeRole',
      Effect: 'Allow',
      Principal: { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${TOOLING}:root`]] } },
      Condition: {
        ArnLike: {
          'aws:PrincipalArn': [
            { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${TOOLING}:role/cdkx-main/*`]] },
            // The deployers (DeploymentKind.codeBuild) of this account only, whatever account the stack lands in.
            { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:iam::${TOOLING}:role/cdkx-main_deployer/`, { Ref: 'AWS::AccountId' }, '/*']] },
          ],
        },
        StringEquals: { 'aws:PrincipalOrgID': ORG },
      },
    }]);
  });

  // CloudFormation documents aws:SourceAccount / aws:SourceArn for StackSets administration
  // roles and extension roles, not for a stack's service role: no condition that could refuse it.
  test('the execution role is trusted by CloudFormation only, without source conditions', () => {
    expect(trustOf(template, 'cdkx-main-cfn-exec')).toEqual([{
      Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'cloudformation.amazonaws.com' },
    }]);
  });

  test('the action role may pass only the execution role, only to CloudFormation', () => {
    const passRole = allStatements(template.toJSON()).filter(({ statement }) => [].concat(statement.Action).includes('iam:PassRole' as never));
    expect(passRole).toHaveLength(1);
    expect(passRole[0].statement).toEqual(expect.objectContaining({
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/ExecutionRole/), 'Arn'] },
      Condition: { StringEquals: { 'iam:PassedToService': 'cloudformation.amazonaws.com' } },
    }));
  });

  test('the action role changes stacks of the prefix only through the execution role', () => {
    const change = allStatements(template.toJSON()).find(({ statement }) => statement.Sid === 'ChangeStacksOnlyThroughTheExecutionRole')!;
    expect(change.statement.Condition.StringEquals['cloudformation:RoleArn']).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/ExecutionRole/), 'Arn'] });
    expect(JSON.stringify(change.statement.Resource)).toContain(':stack/main-*/*');
  });

  test('no allow statement anywhere has a wildcard action', () => {
    expect(allStatements(template.toJSON()).flatMap(({ statement }) => wildcardActions(statement))).toEqual([]);
  });

  test('static helpers give the role ARNs of any account without a reference', () => {
    const other = new Stack(new App(), 'Tooling', { env: { account: TOOLING, region: 'eu-west-1' } });
    expect(other.resolve(TenantDeploymentRole.actionRoleArn(orgContract(), '333333333333')))
      .toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::333333333333:role/cdkx-main-deploy-action']] });
    expect(other.resolve(TenantDeploymentRole.executionRoleArn(orgContract(), '333333333333')))
      .toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::333333333333:role/cdkx-main-cfn-exec']] });
  });
});

describe('TenantDeploymentRole options', () => {
  test('an external id and no organization condition without an organization', () => {
    const contract = new DeploymentContract({ toolingAccount: TOOLING });
    const { stack } = tenant({ contract, externalId: 'tenant-222-secret' });
    const [trust] = trustOf(Template.fromStack(stack), 'cdkx-main-deploy-action');
    expect(trust.Condition.StringEquals).toEqual({ 'sts:ExternalId': 'tenant-222-secret' });
  });

  test('requireCallerInOrganization: false drops the organization condition', () => {
    const { stack } = tenant({ requireCallerInOrganization: false });
    const [trust] = trustOf(Template.fromStack(stack), 'cdkx-main-deploy-action');
    expect(trust.Condition.StringEquals).toBeUndefined();
    expect(trust.Condition.ArnLike).toBeDefined();
  });

  test.each([
    [{ repository: 'acme/shop', branch: 'main' }, 'repo:acme/shop:ref:refs/heads/main'],
    [{ repository: 'acme/shop', environment: 'production' }, 'repo:acme/shop:environment:production'],
  ])('GitHub OIDC trust %j pins aud and sub', (gitHubOidc, sub) => {
    const { stack } = tenant({ gitHubOidc });
    const statements = trustOf(Template.fromStack(stack), 'cdkx-main-deploy-action');
    expect(statements[1]).toEqual(expect.objectContaining({
      Action: 'sts:AssumeRoleWithWebIdentity',
      Principal: { Federated: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':oidc-provider/token.actions.githubusercontent.com']] } },
      Condition: { StringEquals: { 'token.actions.githubusercontent.com:aud': 'sts.amazonaws.com', 'token.actions.githubusercontent.com:sub': sub } },
    }));
  });

  test('a permissions boundary on the execution role, and principals it creates must carry it', () => {
    const app = new App();
    const stack = new Stack(app, 'Tenant', { env: { account: TENANT, region: 'eu-west-1' } });
    const boundary = new iam.ManagedPolicy(stack, 'Boundary', { statements: [s3Statement()] });
    new TenantDeploymentRole(stack, 'Roles', { contract: orgContract(), permissionsBoundary: boundary, executionRoleStatements: [s3Statement()] });
    const template = Template.fromStack(stack);
    const boundaryRef = { Ref: Match.stringLikeRegexp('Boundary') };
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'cdkx-main-cfn-exec', PermissionsBoundary: boundaryRef });
    // The action role is not capped by it (the boundary would have to allow the pipeline's actions).
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'cdkx-main-deploy-action', PermissionsBoundary: Match.absent() });
    const statements = allStatements(template.toJSON()).map(({ statement }) => statement);
    expect(statements.find((s) => s.Sid === 'DenyPrincipalsWithoutTheBoundary')).toEqual(expect.objectContaining({
      Effect: 'Deny',
      Action: [
        'iam:CreateRole', 'iam:PutRolePermissionsBoundary', 'iam:AttachRolePolicy', 'iam:DetachRolePolicy',
        'iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:UpdateAssumeRolePolicy',
        'iam:CreateUser', 'iam:PutUserPermissionsBoundary', 'iam:AttachUserPolicy', 'iam:DetachUserPolicy',
        'iam:PutUserPolicy', 'iam:DeleteUserPolicy',
      ],
      Resource: '*',
      Condition: { StringNotEquals: { 'iam:PermissionsBoundary': { Ref: expect.stringMatching(/Boundary/) } } },
    }));
    // Actions IAM cannot check the boundary for: only on names of the contract's stacks.
    const stackNamed = (type: string) => [
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, `:${type}/main-*`]] },
      { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, `:${type}/*/main-*`]] },
    ];
    expect(statements.filter((s) => s.NotResource).map((s) => [s.Sid, s.Effect, s.Action, s.NotResource])).toEqual([
      ['DenyCredentialsOfOtherUsers', 'Deny', [
        'iam:CreateAccessKey', 'iam:UpdateAccessKey', 'iam:CreateLoginProfile', 'iam:UpdateLoginProfile',
        'iam:CreateServiceSpecificCredential', 'iam:UploadSSHPublicKey',
      ], stackNamed('user')],
      ['DenyPassingOtherRoles', 'Deny', 'iam:PassRole', stackNamed('role')],
      ['DenyRewritingOtherPolicies', 'Deny', ['iam:CreatePolicyVersion', 'iam:SetDefaultPolicyVersion', 'iam:DeletePolicyVersion'], stackNamed('policy')],
    ]);
  });

  test('without a permissions boundary there is no boundary guard', () => {
    const { stack } = tenant();
    const sids = allStatements(Template.fromStack(stack).toJSON()).map(({ statement }) => statement.Sid);
    expect(sids.filter((sid) => /^Deny/.test(sid ?? ''))).toEqual(['DenyChangingTheDeploymentRoles']);
  });

  test('the action role takes its own boundary', () => {
    const app = new App();
    const stack = new Stack(app, 'Tenant', { env: { account: TENANT, region: 'eu-west-1' } });
    const boundary = new iam.ManagedPolicy(stack, 'ActionBoundary', { statements: [s3Statement()] });
    new TenantDeploymentRole(stack, 'Roles', { contract: orgContract(), actionRolePermissionsBoundary: boundary, executionRoleStatements: [s3Statement()] });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Role', {
      RoleName: 'cdkx-main-deploy-action', PermissionsBoundary: { Ref: Match.stringLikeRegexp('ActionBoundary') },
    });
  });

  test('managed policies for the execution role are attached to it and not to the action role', () => {
    const { stack } = tenant({
      executionRoleStatements: undefined,
      executionRoleManagedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSNSFullAccess')],
    });
    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'cdkx-main-cfn-exec', ManagedPolicyArns: [Match.anyValue()] });
    template.hasResourceProperties('AWS::IAM::Role', { RoleName: 'cdkx-main-deploy-action', ManagedPolicyArns: Match.absent() });
  });

  test('ECS service deployments: update services of one cluster, pass only the task roles, only to ECS tasks', () => {
    const { stack } = tenant({
      ecsServiceDeployments: { clusterName: 'shop', serviceNames: ['web'], taskRoleArns: [`arn:aws:iam::${TENANT}:role/shop-web-task`] },
    });
    const statements = allStatements(Template.fromStack(stack).toJSON()).map(({ statement }) => statement);
    expect(statements.find((s) => s.Sid === 'UpdateEcsServices')).toEqual(expect.objectContaining({
      Action: ['ecs:DescribeServices', 'ecs:UpdateService'],
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':ecs:*:', { Ref: 'AWS::AccountId' }, ':service/shop/web']] },
    }));
    expect(statements.find((s) => s.Sid === 'PassTaskRolesToEcs')).toEqual(expect.objectContaining({
      Resource: `arn:aws:iam::${TENANT}:role/shop-web-task`,
      Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
    }));
  });

  test('ECS access proof: the action role updates web in shop, nothing else, and passes the task role only to ECS', async () => {
    const { app } = tenant({
      ecsServiceDeployments: { clusterName: 'shop', serviceNames: ['web'], taskRoleArns: [`arn:aws:iam::${TENANT}:role/shop-web-task`] },
    });
    const model = AccessModel.fromAssembly(app.synth());
    const actionRole = model.role(TENANT, 'cdkx-main-deploy-action');
    const service = (cluster: string, name: string) => `arn:aws:ecs:eu-west-1:${TENANT}:service/${cluster}/${name}`;
    await model.expectDecision({ principal: actionRole, action: 'ecs:UpdateService', resource: service('shop', 'web') }, 'Allowed');
    await model.expectDecision({ principal: actionRole, action: 'ecs:UpdateService', resource: service('shop', 'admin') }, 'ImplicitlyDenied');
    await model.expectDecision({ principal: actionRole, action: 'ecs:UpdateService', resource: service('billing', 'web') }, 'ImplicitlyDenied');
    const taskRole = `arn:aws:iam::${TENANT}:role/shop-web-task`;
    await model.expectDecision({ principal: actionRole, action: 'iam:PassRole', resource: taskRole, context: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } }, 'Allowed');
    await model.expectDecision({ principal: actionRole, action: 'iam:PassRole', resource: taskRole, context: { 'iam:PassedToService': 'ec2.amazonaws.com' } }, 'ImplicitlyDenied');
  });

  test('blue/green EFS releases: the action role only writes objects of this account\'s release inboxes', () => {
    const { stack } = tenant({ blueGreenEfsReleases: true });
    const statements = allStatements(Template.fromStack(stack).toJSON()).map(({ statement }) => statement);
    expect(statements.find((s) => s.Sid === 'DropBlueGreenReleases')).toEqual({
      Sid: 'DropBlueGreenReleases',
      Effect: 'Allow',
      Action: 's3:PutObject',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::cdkx-main-releases-', { Ref: 'AWS::AccountId' }, '-*/*']] },
      Condition: { StringEquals: { 'aws:ResourceAccount': { Ref: 'AWS::AccountId' } } },
    });
  });

  test('without blueGreenEfsReleases the action role cannot write release inboxes', () => {
    const { stack } = tenant();
    expect(JSON.stringify(Template.fromStack(stack).toJSON())).not.toContain('-releases-');
  });

  test('without ecsServiceDeployments the action role has no ECS permission', () => {
    const { stack } = tenant();
    expect(JSON.stringify(Template.fromStack(stack).toJSON())).not.toContain('ecs:');
  });

  test('an execution role without permissions is flagged with a warning', () => {
    const { stack } = tenant({ executionRoleStatements: [] });
    Annotations.fromStack(stack).hasWarning('/Tenant/Roles', Match.stringLikeRegexp('The CloudFormation execution role has no permissions of its own'));
  });
});

describe('TenantDeploymentRole errors', () => {
  test('a qualifier that makes only the action role name 65 characters is refused, naming it', () => {
    const qualifier = 'q'.repeat(46); // cdkx- (5) + 46 + -deploy-action (14) = 65
    const contract = new DeploymentContract({ toolingAccount: TOOLING, qualifier });
    expect(() => tenant({ contract })).toThrow(new RegExp(
      `\\[Tenant/Roles\\] invalid configuration:[\\s\\S]*contract\\.qualifier = "${qualifier}": makes the action role name 'cdkx-${qualifier}-deploy-action' 65 characters, over the limit of 64. Fix: choose a shorter qualifier`,
    ));
  });

  test.each([
    [{ repository: 'acme/*', branch: 'main' }, /gitHubOidc\.repository = "acme\/\*": must be 'owner\/name' with no wildcard/],
    [{ repository: 'acme/shop' }, /gitHubOidc = \{\}: the trust must be pinned to exactly one branch or one environment/],
    [{ repository: 'acme/shop', branch: 'main', environment: 'prod' }, /pinned to exactly one branch or one environment/],
    [{ repository: 'acme/shop', branch: 'release/*' }, /gitHubOidc\.branch = "release\/\*": must be a literal name without wildcards/],
  ])('GitHub trust %j is refused', (gitHubOidc, message) => {
    expect(() => tenant({ gitHubOidc })).toThrow(message);
  });

  test('an execution role statement granting every action is refused', () => {
    const admin = new iam.PolicyStatement({ actions: ['*'], resources: ['*'] });
    expect(() => tenant({ executionRoleStatements: [s3Statement(), admin] }))
      .toThrow(/executionRoleStatements\[1\] = "\*": grants every action .* Fix: list the service actions your stacks need/);
  });

  test.each([['AdministratorAccess'], ['IAMFullAccess']])('%s for the execution role is refused', (name) => {
    expect(() => tenant({ executionRoleManagedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName(name)] }))
      .toThrow(new RegExp(`executionRoleManagedPolicies\\[0\\] = "${name}": the execution role would be able to do anything`));
  });

  test('requiring the organization without one in the contract is refused', () => {
    const contract = new DeploymentContract({ toolingAccount: TOOLING });
    expect(() => tenant({ contract, requireCallerInOrganization: true }))
      .toThrow(/requireCallerInOrganization = true: the contract has no organizationId to require/);
  });

  test('an ECS cluster name with a wildcard is refused', () => {
    expect(() => tenant({ ecsServiceDeployments: { clusterName: 'shop-*', taskRoleArns: [] } }))
      .toThrow(/ecsServiceDeployments\.clusterName = "shop-\*": an ECS cluster name holds 1 to 255 letters/);
  });

  test('a malformed external id is refused', () => {
    expect(() => tenant({ externalId: 'has spaces in it' })).toThrow(/externalId = "has spaces in it": an external id is 2 to 1,224 characters/);
  });

  test('execution role statements that overflow into more than 10 managed policies fail synth with the fix', () => {
    // CDK keeps 10,240 characters inline and moves the rest into extra managed policies.
    const statements = Array.from({ length: 400 }, (_, i) => new iam.PolicyStatement({
      actions: ['sns:Publish'],
      resources: [`arn:aws:sns:eu-west-1:${TENANT}:a-topic-with-a-rather-long-name-number-${i}-${'x'.repeat(120)}`],
    }));
    const app = new App();
    tenant({ executionRoleStatements: statements }, app);
    expect(synthErrorOf(() => app.synth())).toMatch(
      /\[Tenant\/Roles\] managed policies attached to Tenant\/Roles\/ExecutionRole\/Resource is \d+ policies, over the IAM limit of managed policies attached to one role \(default; raisable to 20\) of 10. Fix: merge execution role statements/,
    );
  });

  test('a trust policy over 2,048 characters fails synth with the fix', () => {
    const app = new App();
    tenant({ externalId: 'e'.repeat(1_224), gitHubOidc: { repository: 'acme/shop', environment: 'p'.repeat(200) } }, app);
    expect(synthErrorOf(() => app.synth())).toMatch(
      /trust policy of Tenant\/Roles\/ActionRole\/Resource is [\d,]+ characters, over the IAM role trust policy limit \(default; raisable to 4,096\) of 2,048. Fix: ask AWS to raise the role trust policy quota/,
    );
  });
});
