/**
 * DeploymentKind.stackSet: the CodePipeline StackSet actions it renders for
 * each target (the StackSet's administrator account), and every bad input
 * refused at synth with the construct path, the property, the value and the fix.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import {
  ArtifactStore, CrossAccountPipeline, DeploymentContract, DeploymentKind, PipelineSource, PipelineTarget,
} from '../src';
// Exported from '../src' once the lead adds them to src/index.ts.
import { synthErrorOf } from './support/synth-error';
import { StackSetAutoDeployment, StackSetDeploymentProps, StackSetPermissionModel } from '../src/cross-account-pipeline/stack-set-deployment';

const TOOLING = '111111111111';
const MANAGEMENT = '222222222222';
const ORG = 'o-abcdefghij';
const OU = 'ou-ab12-cdefgh34';
const CONNECTION = 'arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-4e5f';

const BASE: StackSetDeploymentProps = {
  stackSetName: 'main-guardrails',
  templatePath: 'cdk.out/Guardrails.template.json',
  organizationalUnitIds: [OU],
  regions: ['eu-west-1', 'us-east-1'],
};

function build(props: Partial<StackSetDeploymentProps> = {}, target: Partial<PipelineTarget> = {}): Stack {
  const app = new App();
  const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG });
  const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: 'us-east-1' } });
  new CrossAccountPipeline(stack, 'Release', {
    contract,
    artifactStore: new ArtifactStore(stack, 'Store', { contract }),
    source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/guardrails', branch: 'main' }),
    buildOptions: { commands: ['npm ci', 'npx cdk synth'] },
    deploymentKind: DeploymentKind.stackSet({ ...BASE, ...props }),
    stages: [{ name: 'Org', targets: [{ id: 'org', account: MANAGEMENT, region: 'us-east-1', ...target }] }],
  });
  return stack;
}

/** The actions of the 'Org' stage. */
function orgActions(stack: Stack): any[] {
  const [pipeline] = Object.values(Template.fromStack(stack).findResources('AWS::CodePipeline::Pipeline')) as any[];
  return pipeline.Properties.Stages.find((s: any) => s.Name.startsWith('Org')).Actions;
}

const errorOf = (props: Partial<StackSetDeploymentProps>) => synthErrorOf(() => build(props));

describe('DeploymentKind.stackSet renders', () => {
  test('one CloudFormationStackSet action in the administrator account, as its action role, for OU targets', () => {
    const [action, ...rest] = orgActions(build({ failureTolerancePercentage: 10, maxConcurrentPercentage: 25 }));
    expect(rest).toEqual([]);
    expect(action.Name).toBe('org');
    expect(action.ActionTypeId).toEqual({ Category: 'Deploy', Owner: 'AWS', Provider: 'CloudFormationStackSet', Version: '1' });
    expect(action.Region).toBe('us-east-1');
    expect(JSON.stringify(action.RoleArn)).toContain(`:iam::${MANAGEMENT}:role/cdkx-main-deploy-action`);
    expect(action.Configuration).toEqual({
      StackSetName: 'main-guardrails',
      TemplatePath: expect.stringMatching(/^\w+::cdk\.out\/Guardrails\.template\.json$/),
      Capabilities: 'CAPABILITY_IAM,CAPABILITY_NAMED_IAM',
      PermissionModel: 'SERVICE_MANAGED',
      DeploymentTargets: OU,
      Regions: 'eu-west-1,us-east-1',
      FailureTolerancePercentage: '10',
      MaxConcurrentPercentage: '25',
    });
    expect(action.Configuration.TemplatePath.split('::')[0]).toBe(action.InputArtifacts[0].Name);
  });

  test('self-managed: account targets, the administration role of the administrator account and the execution role name', () => {
    const [action] = orgActions(build({
      permissionModel: StackSetPermissionModel.SELF_MANAGED,
      organizationalUnitIds: undefined,
      accounts: ['333333333333', '444444444444'],
      executionRoleName: 'guardrails-exec',
    }));
    expect(action.Configuration).toMatchObject({
      PermissionModel: 'SELF_MANAGED',
      DeploymentTargets: '333333333333,444444444444',
      ExecutionRoleName: 'guardrails-exec',
    });
    expect(JSON.stringify(action.Configuration.AdministrationRoleArn)).toContain(`:iam::${MANAGEMENT}:role/AWSCloudFormationStackSetAdministrationRole`);
  });

  test('StackSet parameters from the kind and the target (the target wins), in the shorthand CodePipeline reads', () => {
    const [action] = orgActions(build({ parameters: { Stage: 'prod', Owner: 'platform' } }, { parameters: { Stage: 'org' } }));
    expect(action.Configuration.Parameters).toBe('ParameterKey=Stage,ParameterValue=org ParameterKey=Owner,ParameterValue=platform');
  });

  test('instance parameter overrides: a CloudFormationStackInstances action after the StackSet update, on the same targets', () => {
    const [stackSet, instances] = orgActions(build({ parameterOverrides: { LogRetentionDays: '30' }, maxConcurrentPercentage: 50 }));
    expect(stackSet).toMatchObject({ Name: 'org.StackSet', RunOrder: 1, ActionTypeId: { Provider: 'CloudFormationStackSet' } });
    expect(instances).toMatchObject({
      Name: 'org.Instances',
      RunOrder: 2,
      ActionTypeId: { Category: 'Deploy', Provider: 'CloudFormationStackInstances' },
      Configuration: {
        StackSetName: 'main-guardrails',
        DeploymentTargets: OU,
        Regions: 'eu-west-1,us-east-1',
        ParameterOverrides: 'ParameterKey=LogRetentionDays,ParameterValue=30',
        MaxConcurrentPercentage: '50',
      },
    });
    expect(instances.RoleArn).toEqual(stackSet.RoleArn);
  });

  test('automatic deployment to accounts joining the OUs, without targets', () => {
    const [action] = orgActions(build({
      organizationalUnitIds: undefined, regions: undefined, autoDeployment: StackSetAutoDeployment.ENABLED_WITH_STACK_RETENTION,
    }));
    expect(action.Configuration.OrganizationsAutoDeployment).toBe('EnabledWithStackRetention');
    expect(action.Configuration.DeploymentTargets).toBeUndefined();
    expect(action.Configuration.Regions).toBeUndefined();
  });
});

describe('DeploymentKind.stackSet refuses at synth', () => {
  const where = '[Tooling/Release] invalid configuration';

  test('a StackSet name outside the contract prefix', () => {
    expect(errorOf({ stackSetName: 'guardrails' })).toContain(
      'deploymentKind.stackSetName = "guardrails": the tenant action role may only manage StackSets whose names start with \'main-\'. Fix: name the StackSet \'main-guardrails\'');
  });

  test('a StackSet name CloudFormation refuses', () => {
    const message = errorOf({ stackSetName: 'main_guardrails' });
    expect(message).toContain(where);
    expect(message).toContain('deploymentKind.stackSetName = "main_guardrails": CloudFormation refuses it: a StackSet name holds letters, digits and hyphens');
  });

  test('both OUs and accounts', () => {
    expect(errorOf({ accounts: ['333333333333'] })).toContain(
      `deploymentKind.organizationalUnitIds = ["${OU}"]: a StackSet operation targets either OUs or accounts, not both. Fix: keep organizationalUnitIds or accounts`);
  });

  test('OUs with self-managed permissions', () => {
    expect(errorOf({ permissionModel: StackSetPermissionModel.SELF_MANAGED })).toContain(
      'deploymentKind.organizationalUnitIds = ["ou-ab12-cdefgh34"]: self-managed StackSets deploy to accounts only. Fix: use permissionModel SERVICE_MANAGED');
  });

  test('a malformed OU id', () => {
    expect(errorOf({ organizationalUnitIds: ['ou-1'] })).toContain('deploymentKind.organizationalUnitIds[0] = "ou-1": not an OU id (ou-xxxx-xxxxxxxx) or a root id (r-xxxx)');
  });

  test('a malformed account id', () => {
    expect(errorOf({ organizationalUnitIds: undefined, accounts: ['12345'] })).toContain('deploymentKind.accounts[0] = "12345": not a 12-digit AWS account id');
  });

  test('empty regions with targets', () => {
    expect(errorOf({ regions: [] })).toContain(
      'deploymentKind.regions = []: CodePipeline needs the regions of the stack instances together with their OUs or accounts. Fix: list the regions');
  });

  test('regions without targets', () => {
    expect(errorOf({ organizationalUnitIds: undefined })).toContain(
      'deploymentKind.regions = ["eu-west-1","us-east-1"]: regions without organizationalUnitIds or accounts');
  });

  test('a malformed region', () => {
    expect(errorOf({ regions: ['eu-west'] })).toContain('deploymentKind.regions[0] = "eu-west": not an AWS region name');
  });

  test.each([
    ['failureTolerancePercentage', 101, 0],
    ['failureTolerancePercentage', -1, 0],
    ['failureTolerancePercentage', 12.5, 0],
    ['maxConcurrentPercentage', 0, 1],
    ['maxConcurrentPercentage', 150, 1],
  ] as const)('%s = %p', (property, value, min) => {
    expect(errorOf({ [property]: value })).toContain(
      `deploymentKind.${property} = ${value}: a percentage of accounts is a whole number from ${min} to 100. Fix: use a whole number from ${min} to 100`);
  });

  test('automatic deployment with targets', () => {
    expect(errorOf({ autoDeployment: StackSetAutoDeployment.ENABLED })).toContain(
      'deploymentKind.autoDeployment = "Enabled": CodePipeline refuses OrganizationsAutoDeployment together with DeploymentTargets and Regions');
  });

  test('automatic deployment of a self-managed StackSet', () => {
    expect(errorOf({
      permissionModel: StackSetPermissionModel.SELF_MANAGED,
      organizationalUnitIds: undefined,
      regions: undefined,
      autoDeployment: StackSetAutoDeployment.ENABLED,
    })).toContain('deploymentKind.autoDeployment = "Enabled": automatic deployment exists for service-managed StackSets only');
  });

  test('instance parameter overrides without targets', () => {
    expect(errorOf({ organizationalUnitIds: undefined, regions: undefined, parameterOverrides: { A: 'b' } })).toContain(
      'deploymentKind.parameterOverrides = {"A":"b"}: instance parameter overrides apply to the instances of given OUs or accounts and regions');
  });

  test('a parameter value the shorthand cannot carry', () => {
    expect(errorOf({ parameters: { Subnets: 'a,b' } })).toContain(
      'deploymentKind.parameters.Subnets = "a,b": CodePipeline reads StackSet parameters in the shorthand');
  });

  test('an administration role name on a service-managed StackSet', () => {
    expect(errorOf({ administrationRoleName: 'Admin' })).toContain(
      'deploymentKind.administrationRoleName = "Admin": service-managed StackSets use the roles StackSets creates');
  });

  test('a role name that is not one', () => {
    expect(errorOf({
      permissionModel: StackSetPermissionModel.SELF_MANAGED, organizationalUnitIds: undefined, accounts: ['333333333333'], executionRoleName: 'role/exec*',
    })).toContain('deploymentKind.executionRoleName = "role/exec*": not an IAM role name');
  });
});
