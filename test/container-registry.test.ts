import { App, Aspects, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ecr from 'aws-cdk-lib/aws-ecr';
import * as iam from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ContainerRegistry, ContainerRegistryProps, DeploymentContract } from '../src';
import { synthErrorOf } from './support/synth-error';
import { estimateResolvedLength } from '../src/shared/policy-size';

const TOOLING = '111111111111';
const ORG = 'o-abcdefghij';

function toolingStack(app = new App()): Stack {
  return new Stack(app, 'Tooling', { env: { account: TOOLING, region: 'us-east-1' } });
}
const orgContract = () => new DeploymentContract({ toolingAccount: TOOLING, organizationId: ORG, qualifier: 'shop' });
const noOrg = () => new DeploymentContract({ toolingAccount: TOOLING, qualifier: 'shop' });

function registry(props: Partial<ContainerRegistryProps> = {}, stack = toolingStack()): ContainerRegistry {
  return new ContainerRegistry(stack, 'Images', { contract: orgContract(), ...props });
}

/** The resolved repository policy of every repository of the stack, by repository name. */
function repositoryPolicies(stack: Stack): Record<string, any> {
  const template = Template.fromStack(stack);
  return Object.fromEntries(Object.values(template.findResources('AWS::ECR::Repository'))
    .map((r: any) => [r.Properties.RepositoryName, r.Properties.RepositoryPolicyText]));
}

function largestPolicySize(stack: Stack): number {
  return Math.max(...Object.values(repositoryPolicies(stack)).map(estimateResolvedLength));
}

describe('repositories', () => {
  test('the image-assets repository and the named ones are created with contract names', () => {
    const stack = toolingStack();
    const images = registry({ repositoryNames: ['web', 'jobs/worker'] }, stack);
    expect(Object.keys(repositoryPolicies(stack)).sort()).toEqual(['cdkx-shop/assets', 'cdkx-shop/jobs/worker', 'cdkx-shop/web']);
    expect(images.repositoryNames).toEqual(['assets', 'web', 'jobs/worker']);
    expect(images.imageAssetsRepository).toBe(images.repository('assets'));
    expect(stack.resolve(images.repository('jobs/worker').repositoryName)).toEqual({ Ref: expect.stringMatching(/^ImagesRepositoryjobsworker/) });
  });

  test('imageAssets: false leaves the image-assets repository out', () => {
    const stack = toolingStack();
    const images = registry({ imageAssets: false, repositoryNames: ['web'] }, stack);
    expect(Object.keys(repositoryPolicies(stack))).toEqual(['cdkx-shop/web']);
    expect(images.imageAssetsRepository).toBeUndefined();
    expect(() => images.repository('assets')).toThrow(/no repository 'assets' \(the registry has: web\)/);
  });

  test('every repository is KMS-encrypted with the registry key, scanned on push, with immutable tags, retained', () => {
    const stack = toolingStack();
    registry({ repositoryNames: ['web'] }, stack);
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::ECR::Repository', 2);
    template.allResourcesProperties('AWS::ECR::Repository', {
      EncryptionConfiguration: { EncryptionType: 'KMS', KmsKey: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ImagesKey'), 'Arn'] } },
      ImageScanningConfiguration: { ScanOnPush: true },
      ImageTagMutability: 'IMMUTABLE',
      EmptyOnDelete: false,
    });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    for (const resource of Object.values(template.findResources('AWS::ECR::Repository'))) {
      expect(resource).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
  });

  test('lifecycle rules expire untagged images and keep the newest, with defaults and props', () => {
    const lifecycle = (stack: Stack) => JSON.parse(Object.values(Template.fromStack(stack).findResources('AWS::ECR::Repository'))
      .map((r: any) => r.Properties.LifecyclePolicy.LifecyclePolicyText)[0]).rules;
    const defaults = toolingStack();
    registry({}, defaults);
    expect(lifecycle(defaults)).toEqual([
      expect.objectContaining({ rulePriority: 1, selection: expect.objectContaining({ tagStatus: 'untagged', countType: 'sinceImagePushed', countNumber: 14 }) }),
      expect.objectContaining({ rulePriority: 2, selection: expect.objectContaining({ tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 100 }) }),
    ]);
    const custom = toolingStack();
    registry({ untaggedImageExpiration: Duration.days(3), maxImageCount: 20 }, custom);
    expect(lifecycle(custom).map((r: any) => r.selection.countNumber)).toEqual([3, 20]);
  });

  test('DESTROY with emptyOnDelete deletes repositories and key', () => {
    const stack = toolingStack();
    registry({ removalPolicy: RemovalPolicy.DESTROY, emptyOnDelete: true }, stack);
    const template = Template.fromStack(stack);
    template.hasResource('AWS::ECR::Repository', { DeletionPolicy: 'Delete', Properties: Match.objectLike({ EmptyOnDelete: true }) });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Delete' });
  });

  test('the image-pull role path is computed from the contract', () => {
    expect(ContainerRegistry.imagePullRolePath(orgContract())).toBe('/cdkx-shop-image-pull/');
  });
});

describe('repository policies', () => {
  test('organization mode: Principal * narrowed by the organization and the contract roles, and Lambda for functions of the region', () => {
    const stack = toolingStack();
    registry({}, stack);
    expect(stack.resolve(repositoryPolicies(stack)['cdkx-shop/assets'])).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'TenantRolesPullImages',
          Effect: 'Allow',
          Principal: { AWS: '*' },
          Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
          Condition: {
            ArnLike: {
              'aws:PrincipalArn': [
                { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/cdkx-shop-cfn-exec']] },
                { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::*:role/cdkx-shop-image-pull/*']] },
              ],
            },
            StringEquals: { 'aws:PrincipalOrgID': ORG },
          },
        },
        {
          Sid: 'LambdaPullsImagesOfTenantFunctions',
          Effect: 'Allow',
          Principal: { Service: 'lambda.amazonaws.com' },
          Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
          Condition: { ArnLike: { 'aws:SourceArn': [{ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':lambda:us-east-1:*:function:*']] }] } },
        },
      ],
    });
  });

  test('organization mode: no statement lets anyone push, and the policy has no Resource element', () => {
    const stack = toolingStack();
    registry({}, stack);
    const text = JSON.stringify(repositoryPolicies(stack));
    expect(text).not.toMatch(/PutImage|InitiateLayerUpload|UploadLayerPart|CompleteLayerUpload|"Resource"/);
  });

  test('organization mode: the policy is 665 characters (measured, the partition at its longest) however many targets', () => {
    const stack = toolingStack();
    const images = registry({}, stack);
    expect(largestPolicySize(stack)).toBe(665);
    // Targets are not an input with an organization; adding accounts changes nothing.
    images.addReaderAccounts(...Array.from({ length: 500 }, (_, i) => String(200000000000 + i)));
    expect(largestPolicySize(stack)).toBe(665);
  });

  test('account-list mode: the accounts are principals and their functions are the Lambda source ARNs', () => {
    const stack = toolingStack();
    const images = registry({ contract: noOrg(), readerAccounts: ['222222222222'] }, stack);
    images.addReaderAccounts('333333333333');
    const policy = stack.resolve(repositoryPolicies(stack)['cdkx-shop/assets']);
    expect(policy.Statement[0].Principal).toEqual({ AWS: ['222222222222', '333333333333'] });
    expect(policy.Statement[0].Condition).toEqual({ ArnLike: { 'aws:PrincipalArn': expect.any(Array) } });
    expect(policy.Statement[1].Condition.ArnLike['aws:SourceArn']).toEqual(['222222222222', '333333333333']
      .map((a) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:lambda:us-east-1:${a}:function:*`]] })));
  });

  test('account-list mode: each account adds a fixed number of bytes to every repository policy', () => {
    const sizeWith = (count: number) => {
      const stack = toolingStack();
      const accounts = Array.from({ length: count }, (_, i) => String(200000000000 + i));
      registry({ contract: noOrg(), readerAccounts: accounts }, stack);
      return largestPolicySize(stack);
    };
    const perAccount = sizeWith(11) - sizeWith(10);
    expect(sizeWith(21) - sizeWith(20)).toBe(perAccount);
    // 15 bytes for the account principal ("222222222222",), 58 for the Lambda
    // source ARN ("arn:aws-us-gov:lambda:us-east-1:222222222222:function:*",), the partition counted at its longest.
    expect(perAccount).toBe(73);
  });

  test('addReaderAccounts does nothing with an organization', () => {
    const stack = toolingStack();
    const images = registry({}, stack);
    const before = JSON.stringify(repositoryPolicies(stack));
    images.addReaderAccounts('222222222222');
    expect(JSON.stringify(repositoryPolicies(stack))).toEqual(before);
  });

  test('a repository policy over the ECR limit of 10,240 characters fails synth, just under it synthesizes', () => {
    const stackWith = (count: number) => {
      const stack = toolingStack();
      const accounts = Array.from({ length: count }, (_, i) => String(200000000000 + i));
      registry({ contract: noOrg(), readerAccounts: accounts }, stack);
      return stack;
    };
    // The largest account count that fits, from the measured base and per-account growth (73 bytes).
    const base = largestPolicySize(stackWith(1));
    const fits = Math.floor((10_240 - base) / 73) + 1;
    expect(fits).toBe(132);
    expect(synthFails(stackWith(fits).node.root as App)).toBe(false);
    expect(synthErrorOf(() => (stackWith(fits + 1).node.root as App).synth())).toMatch(
      /repository policy of Tooling\/Images\/Repository-assets is 10,2\d\d characters, over the ECR repository policy limit of 10,240. Fix: give the DeploymentContract an organizationId/);
  });
});

function synthFails(app: App): boolean {
  try {
    app.synth();
    return false;
  } catch {
    return true;
  }
}

describe('grants', () => {
  test('grantPush: push and pull actions on the registry repositories, the key through ECR, and docker login in a policy of its own', () => {
    const stack = toolingStack();
    const images = registry({ repositoryNames: ['web'] }, stack);
    const build = new iam.Role(stack, 'Build', { assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com') });
    images.grantPush(build);
    images.grantPush(build); // a second grant adds no second login policy
    const policies = Template.fromStack(stack).findResources('AWS::IAM::Policy');
    const byName = (regex: RegExp) => stack.resolve(Object.entries(policies).find(([id]) => regex.test(id))![1].Properties.PolicyDocument.Statement);
    expect(Object.keys(policies)).toHaveLength(2);
    expect(byName(/^BuildDefaultPolicy/)).toEqual([
      {
        Effect: 'Allow',
        Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:CompleteLayerUpload', 'ecr:GetDownloadUrlForLayer',
          'ecr:InitiateLayerUpload', 'ecr:PutImage', 'ecr:UploadLayerPart'],
        Resource: [
          { 'Fn::GetAtt': [expect.stringMatching(/^ImagesRepositoryassets/), 'Arn'] },
          { 'Fn::GetAtt': [expect.stringMatching(/^ImagesRepositoryweb/), 'Arn'] },
        ],
      },
      {
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: { 'Fn::GetAtt': [expect.stringMatching(/^ImagesKey/), 'Arn'] },
        Condition: { StringEquals: { 'kms:ViaService': 'ecr.us-east-1.amazonaws.com' } },
      },
    ]);
    expect(byName(/^BuildEcrAuthorizationToken/)).toEqual([{ Effect: 'Allow', Action: 'ecr:GetAuthorizationToken', Resource: '*' }]);
  });

  test('grantPull: pull actions only', () => {
    const stack = toolingStack();
    const images = registry({}, stack);
    const job = new iam.Role(stack, 'Job', { assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com') });
    images.grantPull(job);
    const text = JSON.stringify(Template.fromStack(stack).findResources('AWS::IAM::Policy'));
    expect(text).toContain('ecr:BatchGetImage');
    expect(text).not.toMatch(/PutImage|InitiateLayerUpload|GenerateDataKey/);
    expect(text).toContain('kms:Decrypt');
  });

  test('a grant to a principal of another account is refused', () => {
    const images = registry();
    const tenantRole = iam.Role.fromRoleArn(images, 'Tenant', 'arn:aws:iam::222222222222:role/task');
    expect(() => images.grantPull(tenantRole)).toThrow(
      /grantee = "222222222222": grantPull is for principals of the registry's account 111111111111/);
  });

  test('an imported registry names the repositories by contract and grants on them', () => {
    const stack = new Stack(new App(), 'Other', { env: { account: TOOLING, region: 'eu-west-1' } });
    const imported = ContainerRegistry.fromAttributes(stack, 'Images', {
      contract: orgContract(),
      repositoryNames: ['assets', 'web'],
      encryptionKeyArn: `arn:aws:kms:eu-west-1:${TOOLING}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
    });
    const role = new iam.Role(stack, 'Build', { assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com') });
    imported.grantPush(role);
    expect(stack.resolve(imported.repository('web').repositoryArn)).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:ecr:eu-west-1:${TOOLING}:repository/cdkx-shop/web`]],
    });
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Action: ['kms:Decrypt', 'kms:GenerateDataKey'] })]) },
    });
    expect(imported.repository('web')).toBeInstanceOf(Object);
    expect(() => imported.repository('jobs')).toThrow(/no repository 'jobs'/);
    expect(ecr.Repository.isConstruct(imported.repository('assets'))).toBe(true);
  });
});

test('cdk-nag AwsSolutions finds nothing unsuppressed in organization mode (Principal * narrowed by the organization)', () => {
  const app = new App();
  const stack = toolingStack(app);
  const images = registry({ repositoryNames: ['web'] }, stack);
  images.grantPush(new iam.Role(stack, 'Build', { assumedBy: new iam.ServicePrincipal('codebuild.amazonaws.com') }));
  Aspects.of(stack).add(new AwsSolutionsChecks());
  app.synth();
  const findings = Annotations.fromStack(stack).findError('*', Match.stringLikeRegexp('AwsSolutions-.*'))
    .concat(Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*')));
  expect(findings.map((f) => String(f.entry.data).split(':')[0])).toEqual([]);
});

describe('validation', () => {
  test('a repository name ECR refuses is refused', () => {
    expect(() => registry({ repositoryNames: ['Web_App'] })).toThrow(
      "repositoryNames[0] = \"Web_App\": makes the repository name 'cdkx-shop/Web_App', which ECR refuses: lowercase letters and digits, " +
      "separated by single '.', '_', '-' or '/'. Fix: use a name such as 'web' or 'jobs/worker'");
  });

  test('a repository name with a doubled separator is refused', () => {
    expect(() => registry({ repositoryNames: ['jobs//worker'] })).toThrow(/repositoryNames\[0\] = "jobs\/\/worker": makes the repository name 'cdkx-shop\/jobs\/\/worker', which ECR refuses/);
  });

  test('a repository name over 256 characters is refused', () => {
    expect(() => registry({ repositoryNames: ['a'.repeat(250)] })).toThrow(
      /repositoryNames\[0\] = "a{250}": makes the repository name 'cdkx-shop\/a{250}' 260 characters, outside ECR's 2 to 256. Fix: choose a shorter name/);
  });

  test('a duplicate repository name is refused', () => {
    expect(() => registry({ repositoryNames: ['web', 'api', 'web'] })).toThrow(
      'repositoryNames[2] = "web": duplicate of repositoryNames[0]. Fix: list each repository once');
  });

  test("'assets' among the repository names next to imageAssets is refused", () => {
    expect(() => registry({ repositoryNames: ['assets'] })).toThrow(
      "repositoryNames[0] = \"assets\": 'assets' is the image-assets repository, which imageAssets already creates. " +
      "Fix: drop 'assets' from repositoryNames (keep imageAssets: true), or choose another name");
  });

  test('a registry without repositories is refused', () => {
    expect(() => registry({ imageAssets: false })).toThrow(
      'repositoryNames = []: with imageAssets off and no repository names the registry would hold no repository');
  });

  test('a registry with no organization and no reader accounts fails synth', () => {
    const app = new App();
    registry({ contract: noOrg() }, toolingStack(app));
    expect(synthErrorOf(() => app.synth())).toContain(
      'readerAccounts = []: the registry has no pullers, so no target account could pull its images. ' +
      'Fix: give the DeploymentContract an organizationId, or pass readerAccounts (or call addReaderAccounts)');
  });

  test('reader accounts next to an organization are refused', () => {
    expect(() => registry({ readerAccounts: ['222222222222'] })).toThrow(
      /readerAccounts = \["222222222222"\]: with an organization in the contract every member account may already pull/);
  });

  test('a malformed or duplicate reader account is refused', () => {
    expect(() => registry({ contract: noOrg(), readerAccounts: ['2222'] })).toThrow(/readerAccounts\[0\] = "2222": not a 12-digit AWS account id/);
    const images = registry({ contract: noOrg(), readerAccounts: ['222222222222'] });
    expect(() => images.addReaderAccounts('222222222222')).toThrow(/readerAccounts\[1\] = "222222222222": duplicate of readerAccounts\[0\]/);
  });

  test('emptyOnDelete without DESTROY is refused', () => {
    expect(() => registry({ emptyOnDelete: true })).toThrow(/emptyOnDelete = true: .*Fix: also set removalPolicy: RemovalPolicy.DESTROY/);
  });

  test('a maxImageCount below 1 is refused', () => {
    expect(() => registry({ maxImageCount: 0 })).toThrow('maxImageCount = 0: a repository must keep at least one image. Fix: use a whole number of at least 1, e.g. 100');
  });

  test('a registry in another account than the tooling account is refused', () => {
    const stack = new Stack(new App(), 'Elsewhere', { env: { account: '222222222222', region: 'us-east-1' } });
    expect(() => new ContainerRegistry(stack, 'Images', { contract: orgContract() })).toThrow(
      /contract\.toolingAccount = "111111111111": the registry's stack deploys to account 222222222222, but tenants pull images only from the contract's tooling account/);
  });

  test('a bad contract is refused with the contract problems', () => {
    const contract = new DeploymentContract({ toolingAccount: '1111', organizationId: ORG });
    expect(() => registry({ contract })).toThrow(/contract\.toolingAccount = "1111": not a 12-digit AWS account id/);
  });
});
