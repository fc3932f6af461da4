/**
 * Templates with transforms (AWS SAM): the CloudFormation kind checks the
 * transforms it is told about and tells the user what the targets must grant;
 * TenantDeploymentRole's `allowedTransforms` grants exactly
 * `cloudformation:CreateChangeSet` on each transform's ARN in its region,
 * proven with real IAM logic next to denied neighbours.
 */
import { App, Lazy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import {
  ArtifactStore, CloudFormationDeploymentProps, CloudFormationTransform, CrossAccountPipeline, DeploymentContract, DeploymentKind,
  PipelineSource, TenantDeploymentRole, TenantDeploymentRoleProps,
} from '../src';
import { AccessModel, ModelRole } from './support/access-model';
import { synthErrorOf } from './support/synth-error';
import { transformChangeSetStatement } from '../src/tenant-deployment-role/private/transform-permissions';

const TOOLING = '111111111111';
const TENANT = '222222222222';
const CONNECTION = 'arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-4e5f';
const contract = () => new DeploymentContract({ toolingAccount: TOOLING });

function pipelineStack(kind: Partial<CloudFormationDeploymentProps>): Stack {
  const app = new App();
  const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: 'us-east-1' } });
  const c = contract();
  new CrossAccountPipeline(stack, 'Release', {
    contract: c,
    artifactStore: new ArtifactStore(stack, 'Store', { contract: c, readerAccounts: [TENANT] }),
    source: PipelineSource.connection({ connectionArn: CONNECTION, repository: 'acme/shop', branch: 'main' }),
    buildOptions: { commands: ['sam build'] },
    deploymentKind: DeploymentKind.cloudFormation({ stackName: 'main-app', templatePath: 'packaged.yaml', ...kind }),
    stages: [{ name: 'Test', targets: [{ id: 'test', account: TENANT, region: 'us-east-1' }] }],
  });
  return stack;
}

function tenantStack(props: Partial<TenantDeploymentRoleProps>): { app: App; stack: Stack } {
  const app = new App();
  const stack = new Stack(app, 'Tenant', { env: { account: TENANT, region: 'eu-west-1' } });
  new TenantDeploymentRole(stack, 'Roles', { contract: contract(), executionRoleStatements: [], ...props });
  return { app, stack };
}

describe('transformChangeSetStatement', () => {
  test('CreateChangeSet on each transform ARN of the region, the name without AWS::, each once', () => {
    expect(transformChangeSetStatement(['AWS::Serverless-2016-10-31', 'AWS::Include', 'AWS::Serverless-2016-10-31'], 'aws-cn', 'cn-north-1')).toEqual({
      actions: ['cloudformation:CreateChangeSet'],
      resources: [
        'arn:aws-cn:cloudformation:cn-north-1:aws:transform/Serverless-2016-10-31',
        'arn:aws-cn:cloudformation:cn-north-1:aws:transform/Include',
      ],
    });
  });

  test('no transforms: no resources', () => {
    expect(transformChangeSetStatement([], 'aws', 'us-east-1').resources).toEqual([]);
  });
});

describe('CloudFormationTransform', () => {
  test('the constants carry the names templates declare', () => {
    expect(CloudFormationTransform.SERVERLESS.name).toBe('AWS::Serverless-2016-10-31');
    expect(CloudFormationTransform.INCLUDE.name).toBe('AWS::Include');
    expect(CloudFormationTransform.LANGUAGE_EXTENSIONS.name).toBe('AWS::LanguageExtensions');
    expect(CloudFormationTransform.SECRETS_MANAGER.name).toBe('AWS::SecretsManager-2020-07-23');
    expect(CloudFormationTransform.of('AWS::CodeDeployBlueGreen').name).toBe('AWS::CodeDeployBlueGreen');
  });
});

describe('the CloudFormation kind with transforms', () => {
  test('deploys with CREATE_UPDATE and CAPABILITY_AUTO_EXPAND (no change set needed), and says what the targets must grant', () => {
    const stack = pipelineStack({ transforms: [CloudFormationTransform.SERVERLESS] });
    const [pipeline] = Object.values(Template.fromStack(stack).findResources('AWS::CodePipeline::Pipeline')) as any[];
    const deploy = pipeline.Properties.Stages.flatMap((s: any) => s.Actions).find((a: any) => a.ActionTypeId.Provider === 'CloudFormation');
    expect(deploy.Configuration).toMatchObject({ ActionMode: 'CREATE_UPDATE', Capabilities: 'CAPABILITY_IAM,CAPABILITY_NAMED_IAM,CAPABILITY_AUTO_EXPAND' });
    Annotations.fromStack(stack).hasInfo('/Tooling/Release', Match.stringLikeRegexp(
      "Stack 'main-app' declares transforms AWS::Serverless-2016-10-31: the TenantDeploymentRole of every target must list them in allowedTransforms"));
  });

  test('without transforms: no such annotation', () => {
    const stack = pipelineStack({});
    expect(Annotations.fromStack(stack).findInfo('*', Match.stringLikeRegexp('declares transforms'))).toEqual([]);
  });

  test('an unknown transform name is refused', () => {
    expect(synthErrorOf(() => pipelineStack({ transforms: [CloudFormationTransform.of('AWS::Serverless')] }))).toContain(
      'deploymentKind.transforms[0] = "AWS::Serverless": not a transform hosted by CloudFormation (AWS::Serverless-2016-10-31, AWS::Include, ' +
      'AWS::LanguageExtensions, AWS::SecretsManager-2020-07-23, AWS::CodeDeployBlueGreen, AWS::ServiceCatalog); custom macros are not supported. ' +
      'Fix: use one of the CloudFormationTransform constants, or the exact name the template declares (case matters)');
  });

  test('a name in the wrong case is refused', () => {
    expect(synthErrorOf(() => pipelineStack({ transforms: [CloudFormationTransform.of('aws::include')] })))
      .toContain('deploymentKind.transforms[0] = "aws::include": not a transform hosted by CloudFormation');
  });

  test('a transform listed twice is refused', () => {
    expect(synthErrorOf(() => pipelineStack({ transforms: [CloudFormationTransform.SERVERLESS, CloudFormationTransform.of('AWS::Serverless-2016-10-31')] })))
      .toContain('deploymentKind.transforms[1] = "AWS::Serverless-2016-10-31": listed twice. Fix: list each transform once');
  });
});

describe('TenantDeploymentRole allowedTransforms', () => {
  test('a custom macro name is refused', () => {
    expect(synthErrorOf(() => tenantStack({ allowedTransforms: [CloudFormationTransform.of('MyMacro')] })))
      .toContain('allowedTransforms[0] = "MyMacro": not a transform hosted by CloudFormation');
  });

  test('a name only known at deploy time is refused', () => {
    expect(synthErrorOf(() => tenantStack({ allowedTransforms: [CloudFormationTransform.of(Lazy.string({ produce: () => 'AWS::Include' }))] })))
      .toMatch(/allowedTransforms\[0\] = ".*": a template declares its transforms as literal strings, and the grant of each must be known at synth\. Fix: give the name as a literal/);
  });

  test('renders one statement on the action role, none on the execution role', () => {
    const { stack } = tenantStack({ allowedTransforms: [CloudFormationTransform.SERVERLESS] });
    const statements = Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement.filter((s: any) => s.Sid === 'ExpandTemplateTransforms')
        .map((s: any) => ({ roles: p.Properties.Roles, s })));
    expect(statements).toHaveLength(1);
    expect(JSON.stringify(statements[0].roles)).toContain('ActionRole');
    expect(statements[0].s.Action).toBe('cloudformation:CreateChangeSet');
  });

  describe('access proof (tenant stack in eu-west-1)', () => {
    const transform = (region: string, name: string) => `arn:aws:cloudformation:${region}:aws:transform/${name}`;
    let model: AccessModel;
    let action: ModelRole;
    let exec: ModelRole;
    let bareAction: ModelRole;

    beforeAll(() => {
      model = AccessModel.fromAssembly(tenantStack({ allowedTransforms: [CloudFormationTransform.SERVERLESS] }).app.synth());
      action = model.role(TENANT, 'cdkx-main-deploy-action');
      exec = model.role(TENANT, 'cdkx-main-cfn-exec');
      bareAction = AccessModel.fromAssembly(tenantStack({}).app.synth()).role(TENANT, 'cdkx-main-deploy-action');
    });

    test('the action role may CreateChangeSet on the SAM transform in its region: allowed', async () => {
      await model.expectDecision({ principal: action, action: 'cloudformation:CreateChangeSet', resource: transform('eu-west-1', 'Serverless-2016-10-31') }, 'Allowed');
    });

    test('on another transform, or the SAM transform of another region: denied', async () => {
      await model.expectDecision({ principal: action, action: 'cloudformation:CreateChangeSet', resource: transform('eu-west-1', 'Include') }, 'ImplicitlyDenied');
      await model.expectDecision({ principal: action, action: 'cloudformation:CreateChangeSet', resource: transform('us-east-1', 'Serverless-2016-10-31') }, 'ImplicitlyDenied');
    });

    test('the execution role, and an action role without allowedTransforms: denied', async () => {
      await model.expectDecision({ principal: exec, action: 'cloudformation:CreateChangeSet', resource: transform('eu-west-1', 'Serverless-2016-10-31') }, 'ImplicitlyDenied');
      await model.expectDecision({ principal: bareAction, action: 'cloudformation:CreateChangeSet', resource: transform('eu-west-1', 'Serverless-2016-10-31') }, 'ImplicitlyDenied');
    });

    test('the grant is CreateChangeSet only: ExecuteChangeSet on the transform is denied', async () => {
      await model.expectDecision({ principal: action, action: 'cloudformation:ExecuteChangeSet', resource: transform('eu-west-1', 'Serverless-2016-10-31') }, 'ImplicitlyDenied');
    });
  });
});
