/**
 * Access proofs for the container registry: a tooling account with one
 * registry (cdkx-main/assets and cdkx-main/web), a build role granted push, a
 * tooling role granted nothing, and a repository of another team without a
 * policy, evaluated with real IAM logic (test/support/access-model.ts).
 *
 * Tenant roles are not deployed here: they are roles of other accounts whose
 * identity side allows what is tested, so the repository policy alone decides,
 * and each denial sits next to an allowed control that differs in one respect.
 */
import { App, Stack } from 'aws-cdk-lib';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import { ContainerRegistry, DeploymentContract } from '../src';
import { AccessModel, AccessModelOptions, AccessRequest, Decision, ModelRole } from './support/access-model';
import { LoadedRepository } from './support/assembly';

const TOOLING = '111111111111';
const TENANT = '222222222222';
const OTHER_TENANT = '333333333333';
const STRANGER = '999999999999';
const REGION = 'us-east-1';
const ORG_ID = 'o-abcdefghij';

interface Mode { readonly name: string; readonly organizationId?: string; readonly options: AccessModelOptions }

const MODES: Mode[] = [
  { name: 'organization mode', organizationId: ORG_ID, options: { organizations: [{ id: ORG_ID, accounts: [TOOLING, TENANT, OTHER_TENANT] }] } },
  { name: 'account-list mode', options: {} },
];

function buildModel(mode: Mode): AccessModel {
  const app = new App();
  const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: mode.organizationId });
  const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: REGION } });
  const registry = new ContainerRegistry(stack, 'Images', {
    contract,
    repositoryNames: ['web'],
    readerAccounts: mode.organizationId ? undefined : [TENANT, OTHER_TENANT],
  });
  const build = new iam.Role(stack, 'Build', { roleName: 'shop-build', assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com') });
  registry.grantPush(build);
  new iam.Role(stack, 'Bystander', { roleName: 'bystander', assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com') });
  new ecr.Repository(stack, 'OtherTeam', { repositoryName: 'other-team/app' });
  return AccessModel.fromAssembly(app.synth(), mode.options);
}

describe.each(MODES)('$name', (mode) => {
  let model: AccessModel;
  let web: LoadedRepository;
  let assets: LoadedRepository;
  let otherTeam: LoadedRepository;
  let build: ModelRole;
  let bystander: ModelRole;
  const expectDecision = (request: AccessRequest, expected: Decision) => model.expectDecision(request, expected);
  const tenantRole = (account: string, pathAndName: string) => model.externalRole(`arn:aws:iam::${account}:role/${pathAndName}`);
  const executionRole = (account: string) => tenantRole(account, 'cdkx-main-cfn-exec');
  const pullRole = (account: string) => tenantRole(account, `cdkx-main-image-pull/${'web-task-execution'}`);
  const lambdaPull = (repository: LoadedRepository, functionArn: string): AccessRequest => ({
    principal: model.service('lambda.amazonaws.com'),
    action: 'ecr:BatchGetImage',
    resource: repository.arn,
    context: { 'aws:SourceArn': functionArn, 'aws:SourceAccount': functionArn.split(':')[4] },
  });

  beforeAll(() => {
    model = buildModel(mode);
    web = model.repository(TOOLING, 'cdkx-main/web');
    assets = model.repository(TOOLING, 'cdkx-main/assets');
    otherTeam = model.repository(TOOLING, 'other-team/app');
    build = model.role(TOOLING, 'shop-build');
    bystander = model.role(TOOLING, 'bystander');
  });

  describe('ECS task execution roles under the image-pull path', () => {
    test.each(['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'])('of a tenant may call %s', async (action) => {
      await expectDecision({ principal: pullRole(TENANT), action, resource: web.arn }, 'Allowed');
    });

    test('of a tenant pull from the image-assets repository as well', async () => {
      await expectDecision({ principal: pullRole(OTHER_TENANT), action: 'ecr:BatchGetImage', resource: assets.arn }, 'Allowed');
    });

    test('with the same name outside the path are denied', async () => {
      await expectDecision({ principal: tenantRole(TENANT, 'web-task-execution'), action: 'ecr:BatchGetImage', resource: web.arn }, 'ImplicitlyDenied');
    });

    test('of an account outside the organization or the reader list are denied', async () => {
      await expectDecision({ principal: pullRole(STRANGER), action: 'ecr:BatchGetImage', resource: web.arn }, 'ImplicitlyDenied');
    });

    test('may not push', async () => {
      await expectDecision({ principal: pullRole(TENANT), action: 'ecr:PutImage', resource: web.arn }, 'ImplicitlyDenied');
    });

    test('get nothing from a repository outside the registry', async () => {
      await expectDecision({ principal: pullRole(TENANT), action: 'ecr:BatchGetImage', resource: otherTeam.arn }, 'ImplicitlyDenied');
    });
  });

  describe('the contract execution role (CloudFormation creating a Lambda function from an image)', () => {
    test('of a tenant may read the image', async () => {
      await expectDecision({ principal: executionRole(TENANT), action: 'ecr:GetDownloadUrlForLayer', resource: web.arn }, 'Allowed');
    });

    test('of an account outside the organization or the reader list is denied', async () => {
      await expectDecision({ principal: executionRole(STRANGER), action: 'ecr:GetDownloadUrlForLayer', resource: web.arn }, 'ImplicitlyDenied');
    });

    test('the tenant action role (the pipeline side, not a puller) is denied', async () => {
      await expectDecision({ principal: tenantRole(TENANT, 'cdkx-main-deploy-action'), action: 'ecr:BatchGetImage', resource: web.arn }, 'ImplicitlyDenied');
    });
  });

  describe('the Lambda service', () => {
    test('may fetch the image of a tenant function in the registry region', async () => {
      await expectDecision(lambdaPull(web, `arn:aws:lambda:${REGION}:${TENANT}:function:web`), 'Allowed');
    });

    test('is denied for a function in another region (Lambda pulls cross-account only within a region)', async () => {
      await expectDecision(lambdaPull(web, `arn:aws:lambda:us-west-2:${TENANT}:function:web`), 'ImplicitlyDenied');
    });

    test('may not download layers without a source function', async () => {
      await expectDecision({ principal: model.service('lambda.amazonaws.com'), action: 'ecr:BatchGetImage', resource: web.arn }, 'ImplicitlyDenied');
    });

    test('another service principal is denied', async () => {
      await expectDecision({
        principal: model.service('ecs-tasks.amazonaws.com'),
        action: 'ecr:BatchGetImage',
        resource: web.arn,
        context: { 'aws:SourceArn': `arn:aws:lambda:${REGION}:${TENANT}:function:web` },
      }, 'ImplicitlyDenied');
    });

    if (!mode.organizationId) {
      test('is denied for a function of an account not listed', async () => {
        await expectDecision(lambdaPull(web, `arn:aws:lambda:${REGION}:${STRANGER}:function:web`), 'ImplicitlyDenied');
      });
    }
  });

  describe('pushing', () => {
    test.each(['ecr:InitiateLayerUpload', 'ecr:UploadLayerPart', 'ecr:CompleteLayerUpload', 'ecr:PutImage', 'ecr:BatchCheckLayerAvailability'])(
      'the build granted push may call %s', async (action) => {
        await expectDecision({ principal: build, action, resource: web.arn }, 'Allowed');
      });

    test('the build may log in to the registry', async () => {
      await expectDecision({ principal: build, action: 'ecr:GetAuthorizationToken', resource: '*' }, 'Allowed');
    });

    test('the build may not push to a repository outside the registry', async () => {
      await expectDecision({ principal: build, action: 'ecr:PutImage', resource: otherTeam.arn }, 'ImplicitlyDenied');
    });

    test('the build may not delete images', async () => {
      await expectDecision({ principal: build, action: 'ecr:BatchDeleteImage', resource: web.arn }, 'ImplicitlyDenied');
    });

    test('a tooling role granted nothing may neither push nor pull', async () => {
      await expectDecision({ principal: bystander, action: 'ecr:PutImage', resource: web.arn }, 'ImplicitlyDenied');
      await expectDecision({ principal: bystander, action: 'ecr:BatchGetImage', resource: web.arn }, 'ImplicitlyDenied');
    });

    test('a tenant role allowed everything by its own account may not push', async () => {
      await expectDecision({ principal: executionRole(TENANT), action: 'ecr:PutImage', resource: assets.arn }, 'ImplicitlyDenied');
      await expectDecision({ principal: executionRole(TENANT), action: 'ecr:InitiateLayerUpload', resource: assets.arn }, 'ImplicitlyDenied');
    });
  });
});

describe('organization mode with OU paths', () => {
  const OU = `${ORG_ID}/r-ab12/ou-ab12-11111111/`;
  let model: AccessModel;
  let web: LoadedRepository;

  beforeAll(() => {
    const app = new App();
    const contract = new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG_ID, organizationalUnitPaths: [OU] });
    const stack = new Stack(app, 'Tooling', { env: { account: TOOLING, region: REGION } });
    new ContainerRegistry(stack, 'Images', { contract, imageAssets: false, repositoryNames: ['web'] });
    model = AccessModel.fromAssembly(app.synth(), {
      organizations: [{ id: ORG_ID, accounts: [TOOLING, TENANT, OTHER_TENANT], ouPaths: { [TENANT]: OU, [OTHER_TENANT]: `${ORG_ID}/r-ab12/ou-ab12-22222222/` } }],
    });
    web = model.repository(TOOLING, 'cdkx-main/web');
  });

  test('a pull role of an account in the OU may pull', async () => {
    await model.expectDecision({ principal: model.externalRole(`arn:aws:iam::${TENANT}:role/cdkx-main-image-pull/task`), action: 'ecr:BatchGetImage', resource: web.arn }, 'Allowed');
  });

  test('a pull role of a member account in another OU is denied', async () => {
    await model.expectDecision({ principal: model.externalRole(`arn:aws:iam::${OTHER_TENANT}:role/cdkx-main-image-pull/task`), action: 'ecr:BatchGetImage', resource: web.arn }, 'ImplicitlyDenied');
  });
});
