import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { DeploymentContract, TenantDeploymentRoleStackSet, TenantDeploymentRoleStackSetProps } from '../src';
import { AccessModel } from './support/access-model';

const TOOLING = '111111111111';
const contract = () => new DeploymentContract({ toolingAccount: TOOLING, organizationId: 'o-abcdefghij' });

function management(props: Partial<TenantDeploymentRoleStackSetProps> = {}) {
  const stack = new Stack(new App(), 'Management', { env: { account: '999999999999', region: 'us-east-1' } });
  const stackSet = new TenantDeploymentRoleStackSet(stack, 'TenantRoles', {
    contract: contract(),
    organizationalUnitIds: ['ou-ab12-11111111'],
    executionRoleManagedPolicyArns: ['arn:aws:iam::aws:policy/AmazonSNSFullAccess'],
    ...props,
  });
  return { stack, stackSet };
}

describe('TenantDeploymentRoleStackSet', () => {
  const { stack, stackSet } = management();

  test('a service-managed StackSet targets the OUs in one region, following accounts that join later', () => {
    Template.fromStack(stack).hasResourceProperties('AWS::CloudFormation::StackSet', {
      StackSetName: 'cdkx-main-tenant-deployment-roles',
      PermissionModel: 'SERVICE_MANAGED',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: false },
      Capabilities: ['CAPABILITY_NAMED_IAM'],
      StackInstancesGroup: [{ Regions: ['us-east-1'], DeploymentTargets: { OrganizationalUnitIds: ['ou-ab12-11111111'] } }],
      CallAs: 'SELF',
    });
  });

  test('the template carries both roles and needs no bootstrap in the target accounts', () => {
    const body = JSON.parse(stackSet.templateBody);
    expect(body.Parameters?.BootstrapVersion).toBeUndefined();
    expect(body.Rules?.CheckBootstrapVersion).toBeUndefined();
    const roleNames = Object.values<any>(body.Resources)
      .filter((r) => r.Type === 'AWS::IAM::Role').map((r) => r.Properties.RoleName).sort();
    expect(roleNames).toEqual(['cdkx-main-cfn-exec', 'cdkx-main-deploy-action']);
  });

  test('the rolled-out roles admit the tooling pipeline and nobody else (access proof on the StackSet template)', async () => {
    // Load the StackSet template as a stack of tenant 222222222222 and prove the trust.
    const model = AccessModel.fromAssembly(assemblyOf(stackSet.templateBody), {
      defaultEnv: { account: '222222222222', region: 'us-east-1' },
      organizations: [{ id: 'o-abcdefghij', accounts: [TOOLING, '222222222222'] }],
      // Its content does not matter for the trust; a stand-in keeps the loader strict.
      awsManagedPolicies: {
        'arn:aws:iam::aws:policy/AmazonSNSFullAccess': {
          Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sns:Publish'], Resource: '*' }],
        },
      },
    });
    const actionRole = model.role('222222222222', 'cdkx-main-deploy-action');
    const pipeline = model.externalRole(`arn:aws:iam::${TOOLING}:role/cdkx-main/release-pipeline`);
    const developer = model.externalRole(`arn:aws:iam::${TOOLING}:role/developer`);
    expect(await model.canAssume(pipeline, actionRole.arn)).toBe(true);
    expect(await model.canAssume(developer, actionRole.arn)).toBe(false);
  });

  test('the rolled-out trust admits the CodeBuild deployers of the account it lands in, and no other account\'s', async () => {
    // ${AWS::AccountId} in one template: each stack instance resolves it to its own account.
    for (const account of ['222222222222', '333333333333']) {
      const model = AccessModel.fromAssembly(assemblyOf(stackSet.templateBody), {
        defaultEnv: { account, region: 'us-east-1' },
        organizations: [{ id: 'o-abcdefghij', accounts: [TOOLING, account] }],
        awsManagedPolicies: {
          'arn:aws:iam::aws:policy/AmazonSNSFullAccess': {
            Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: ['sns:Publish'], Resource: '*' }],
          },
        },
      });
      const actionRole = model.role(account, 'cdkx-main-deploy-action');
      const other = account === '222222222222' ? '333333333333' : '222222222222';
      const own = model.externalRole(`arn:aws:iam::${TOOLING}:role/cdkx-main_deployer/${account}/Tooling-Deployer-1A2B3C`);
      const foreign = model.externalRole(`arn:aws:iam::${TOOLING}:role/cdkx-main_deployer/${other}/Tooling-Deployer-4D5E6F`);
      expect(await model.canAssume(own, actionRole.arn)).toBe(true);
      expect(await model.canAssume(foreign, actionRole.arn)).toBe(false);
    }
  });
});

describe('TenantDeploymentRoleStackSet errors', () => {
  test('no OUs', () => {
    expect(() => management({ organizationalUnitIds: [] }))
      .toThrow(/\[Management\/TenantRoles\] invalid configuration:\n {2}- organizationalUnitIds = \[\]: a StackSet without targets deploys nothing/);
  });

  test('a malformed OU id', () => {
    expect(() => management({ organizationalUnitIds: ['ou-ab12-11111111', 'Production'] }))
      .toThrow(/organizationalUnitIds\[1\] = "Production": not an OU id/);
  });

  test('a managed policy that is not an ARN', () => {
    expect(() => management({ executionRoleManagedPolicyArns: ['AmazonSNSFullAccess'] }))
      .toThrow(/executionRoleManagedPolicyArns\[0\] = "AmazonSNSFullAccess": not a managed policy ARN/);
  });

  test('AdministratorAccess, checked inside the rolled-out template too', () => {
    expect(() => management({ executionRoleManagedPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'] }))
      .toThrow(/executionRoleManagedPolicies\[0\] = "AdministratorAccess"/);
  });
});

/** A one-stack assembly directory holding `templateBody`, for the access model. */
function assemblyOf(templateBody: string): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require('fs'); const os = require('os'); const path = require('path');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stackset-assembly-'));
  fs.writeFileSync(path.join(dir, 'Tenant.template.json'), templateBody);
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({
    version: '36.0.0',
    artifacts: {
      Tenant: {
        type: 'aws:cloudformation:stack',
        environment: 'aws://unknown-account/unknown-region',
        properties: { templateFile: 'Tenant.template.json' },
      },
    },
  }));
  return dir;
}
