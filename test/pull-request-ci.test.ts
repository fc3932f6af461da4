/**
 * PullRequestCi: the webhook filter groups the two projects render, the build
 * status they report, what the pull-request project may not do, the warnings,
 * and every bad input refused at synth.
 */
import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks } from 'cdk-nag';
import { PullRequestCi, PullRequestCiProps, PullRequestCommentApproval, PullRequestRepository } from '../src';
import { synthErrorOf } from './support/synth-error';
import { publishCommands } from '../src/pull-request-ci/private/publish-step';

const CONNECTION = 'arn:aws:codeconnections:us-east-1:111111111111:connection/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9';

function build(extra: Partial<PullRequestCiProps> = {}): { stack: Stack; ci: PullRequestCi; template: Template } {
  const app = new App();
  const stack = new Stack(app, 'Tooling', { env: { account: '111111111111', region: 'us-east-1' } });
  const ci = new PullRequestCi(stack, 'Ci', {
    repository: PullRequestRepository.gitHub({ owner: 'acme', repo: 'shop' }),
    buildOptions: { installCommands: ['npm ci'], commands: ['npm test'], outputDirectory: 'dist', secrets: { NPM_TOKEN: 'npm-token' } },
    projectNamePrefix: 'shop-ci',
    ...extra,
  });
  return { stack, ci, template: Template.fromStack(stack) };
}

const projectNamed = (template: Template, name: string) => {
  const found = Object.values(template.findResources('AWS::CodeBuild::Project', { Properties: { Name: name } }));
  expect(found).toHaveLength(1);
  return (found[0] as any).Properties;
};

function policyOfRole(template: Template, roleLogicalId: string): any[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p: any) => JSON.stringify(p.Properties.Roles).includes(roleLogicalId))
    .flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

describe('the pull-request project', () => {
  const { template } = build();
  const project = projectNamed(template, 'shop-ci-pull-requests');

  test('starts on pull requests opened, updated or reopened into main, and nothing else', () => {
    expect(project.Triggers.Webhook).toBe(true);
    expect(project.Triggers.FilterGroups).toEqual([[
      { Type: 'EVENT', Pattern: 'PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED, PULL_REQUEST_REOPENED' },
      { Type: 'BASE_REF', Pattern: '^refs/heads/main$' },
    ]]);
  });

  test('reports its status on the pull request, under its own name', () => {
    expect(project.Source).toMatchObject({ Type: 'GITHUB', Location: 'https://github.com/acme/shop.git', ReportBuildStatus: true, BuildStatusConfig: { Context: 'pull-request-ci' } });
  });

  test('waits for an approval comment on pull requests of authors without an approver role, by default', () => {
    expect(project.Triggers.PullRequestBuildPolicy).toEqual({ RequiresCommentApproval: 'ALL_PULL_REQUESTS' });
  });

  test('gets no secret, and no cache a pull request could leave files in', () => {
    expect(JSON.stringify(project.Environment.EnvironmentVariables ?? [])).not.toContain('npm-token');
    expect(project.Cache).toEqual({ Type: 'NO_CACHE' });
  });

  test('its role has no S3, KMS, Secrets Manager or SSM permission', () => {
    const statements = policyOfRole(template, project.ServiceRole['Fn::GetAtt'][0]);
    expect(statements.length).toBeGreaterThan(0);
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.filter((a: string) => /^(s3|kms|secretsmanager|ssm):/.test(a))).toEqual([]);
  });

  test('logs to its own log group, encrypted with the construct key', () => {
    expect(project.LogsConfig.CloudWatchLogs).toMatchObject({ Status: 'ENABLED', GroupName: { Ref: expect.stringMatching(/PullRequestLogs/) } });
    template.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/codebuild/shop-ci-pull-requests', KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('CiKey'), 'Arn'] } });
  });
});

describe('the publish project', () => {
  const { template } = build();
  const project = projectNamed(template, 'shop-ci-publish');

  test('starts on pushes to main only', () => {
    expect(project.Triggers.FilterGroups).toEqual([[
      { Type: 'EVENT', Pattern: 'PUSH' },
      { Type: 'HEAD_REF', Pattern: '^refs/heads/main$' },
    ]]);
    expect(project.Source.ReportBuildStatus).toBe(true);
  });

  test('runs the build commands, then zips the output directory and puts it to the publish key', () => {
    const spec = JSON.parse(project.Source.BuildSpec);
    expect(spec.phases.build.commands).toEqual([
      'npm test',
      "cd \"$CODEBUILD_SRC_DIR\" && cd 'dist' && rm -f /tmp/cdkx-publish.zip && zip -qr /tmp/cdkx-publish.zip .",
      'aws s3api put-object --bucket "$CDKX_PUBLISH_BUCKET" --key "$CDKX_PUBLISH_KEY" --body /tmp/cdkx-publish.zip --server-side-encryption aws:kms --ssekms-key-id "$CDKX_PUBLISH_KMS_KEY"',
    ]);
    expect(project.Environment.EnvironmentVariables).toEqual(expect.arrayContaining([
      { Name: 'NPM_TOKEN', Type: 'SECRETS_MANAGER', Value: 'npm-token' },
      { Name: 'CDKX_PUBLISH_KEY', Type: 'PLAINTEXT', Value: 'pull-request-ci/main.zip' },
    ]));
  });
});

test('the created publish bucket: versioned, KMS, TLS only, sending events to EventBridge, retained', () => {
  const { template } = build();
  const buckets = template.findResources('AWS::S3::Bucket', { Properties: { NotificationConfiguration: { EventBridgeConfiguration: { EventBridgeEnabled: true } } } });
  expect(Object.keys(buckets)).toHaveLength(1);
  const [id, bucket] = Object.entries(buckets)[0] as [string, any];
  expect(bucket.DeletionPolicy).toBe('Retain');
  expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
  expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('aws:kms');
  template.hasResourceProperties('AWS::S3::BucketPolicy', {
    Bucket: { Ref: id },
    PolicyDocument: { Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]) },
  });
});

test('a bucket and key of the user: the publish project writes there', () => {
  const app = new App();
  const stack = new Stack(app, 'Tooling', { env: { account: '111111111111', region: 'us-east-1' } });
  const releases = s3.Bucket.fromBucketName(stack, 'Releases', 'acme-releases');
  const ci = new PullRequestCi(stack, 'Ci', {
    repository: PullRequestRepository.bitbucket({ owner: 'acme', repo: 'shop' }),
    buildOptions: { commands: ['make'] },
    publishBucket: releases,
    publishObjectKey: 'shop/main.zip',
  });
  expect(ci.publishBucket).toBe(releases);
  expect(ci.publishObjectKey).toBe('shop/main.zip');
  const template = Template.fromStack(stack);
  template.resourceCountIs('AWS::S3::Bucket', 0);
  template.hasResourceProperties('AWS::IAM::Policy', {
    PolicyDocument: { Statement: Match.arrayWith([{ Sid: 'PublishMainBranchOutput', Effect: 'Allow', Action: 's3:PutObject', Resource: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::acme-releases/shop/main.zip']] } }]) },
  });
});

test('Bitbucket: no PULL_REQUEST_REOPENED (Bitbucket sends none), status under the build status name', () => {
  const { template } = build({ repository: PullRequestRepository.bitbucket({ owner: 'acme', repo: 'shop' }) });
  const project = projectNamed(template, 'shop-ci-pull-requests');
  expect(project.Triggers.FilterGroups[0][0]).toEqual({ Type: 'EVENT', Pattern: 'PULL_REQUEST_CREATED, PULL_REQUEST_UPDATED' });
  expect(project.Source).toMatchObject({ Type: 'BITBUCKET', ReportBuildStatus: true, BuildStatusConfig: { Context: 'pull-request-ci' } });
});

test('GitHub Enterprise Server with a connection: the source authenticates with it, and the roles may use it', () => {
  const { template } = build({ repository: PullRequestRepository.gitHubEnterprise({ httpsCloneUrl: 'https://git.acme.example/acme/shop.git', connectionArn: CONNECTION }) });
  for (const name of ['shop-ci-pull-requests', 'shop-ci-publish']) {
    const project = projectNamed(template, name);
    expect(project.Source).toMatchObject({ Type: 'GITHUB_ENTERPRISE', Location: 'https://git.acme.example/acme/shop.git', Auth: { Type: 'CODECONNECTIONS', Resource: CONNECTION } });
    expect(policyOfRole(template, project.ServiceRole['Fn::GetAtt'][0])).toEqual(expect.arrayContaining([{
      Sid: 'UseSourceConnection',
      Effect: 'Allow',
      Resource: CONNECTION,
      Action: ['codeconnections:GetConnectionToken', 'codeconnections:GetConnection', 'codestar-connections:GetConnectionToken', 'codestar-connections:GetConnection'],
    }]));
  }
});

test('actor ids and a custom branch narrow the pull-request webhook (ids matched whole)', () => {
  const { template } = build({ mainBranch: 'release/2.x', pullRequestActorIds: ['123', '456'] });
  expect(projectNamed(template, 'shop-ci-pull-requests').Triggers.FilterGroups[0]).toEqual(expect.arrayContaining([
    { Type: 'BASE_REF', Pattern: '^refs/heads/release/2\\.x$' },
    { Type: 'ACTOR_ACCOUNT_ID', Pattern: '^(123|456)$' },
  ]));
  expect(projectNamed(template, 'shop-ci-publish').Triggers.FilterGroups[0]).toEqual([
    { Type: 'EVENT', Pattern: 'PUSH' }, { Type: 'HEAD_REF', Pattern: '^refs/heads/release/2\\.x$' },
  ]);
});

describe('pullRequestSecrets', () => {
  test('gives the pull-request build the named secret only, with a warning', () => {
    const { stack, template } = build({ buildOptions: { commands: ['npm test'], secrets: { NPM_TOKEN: 'npm-token', SIGNING_KEY: 'signing' } }, pullRequestSecrets: ['NPM_TOKEN'] });
    const variables = projectNamed(template, 'shop-ci-pull-requests').Environment.EnvironmentVariables;
    expect(variables).toEqual([{ Name: 'NPM_TOKEN', Type: 'SECRETS_MANAGER', Value: 'npm-token' }]);
    Annotations.fromStack(stack).hasWarning('/Tooling/Ci', Match.stringLikeRegexp('pull-request builds get NPM_TOKEN: a pull request runs its author\'s code'));
  });

  test('with comment approval disabled, the warning names forks', () => {
    const { stack } = build({ pullRequestSecrets: ['NPM_TOKEN'], commentApproval: PullRequestCommentApproval.DISABLED });
    Annotations.fromStack(stack).hasWarning('/Tooling/Ci', Match.stringLikeRegexp('from a fork too'));
  });

  test('no warning without them', () => {
    const { stack } = build();
    Annotations.fromStack(stack).hasNoWarning('/Tooling/Ci', Match.anyValue());
  });
});

test('the output directory is quoted for the shell, and an unencrypted bucket gets no KMS header', () => {
  expect(publishCommands("it's out", false)).toEqual([
    "cd \"$CODEBUILD_SRC_DIR\" && cd 'it'\\''s out' && rm -f /tmp/cdkx-publish.zip && zip -qr /tmp/cdkx-publish.zip .",
    'aws s3api put-object --bucket "$CDKX_PUBLISH_BUCKET" --key "$CDKX_PUBLISH_KEY" --body /tmp/cdkx-publish.zip',
  ]);
});

test('FORK_PULL_REQUESTS renders as the pull request build policy', () => {
  const { template } = build({ commentApproval: PullRequestCommentApproval.FORK_PULL_REQUESTS });
  expect(projectNamed(template, 'shop-ci-pull-requests').Triggers.PullRequestBuildPolicy).toEqual({ RequiresCommentApproval: 'FORK_PULL_REQUESTS' });
});

test('an imported key: a warning that its policy must let CloudWatch Logs use it for the two log groups', () => {
  const app = new App();
  const stack = new Stack(app, 'Tooling', { env: { account: '111111111111', region: 'us-east-1' } });
  new PullRequestCi(stack, 'Ci', {
    repository: PullRequestRepository.gitHub({ owner: 'acme', repo: 'shop' }),
    buildOptions: { commands: ['make'] },
    projectNamePrefix: 'shop-ci',
    encryptionKey: kms.Key.fromKeyArn(stack, 'Imported', 'arn:aws:kms:us-east-1:111111111111:key/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9'),
  });
  Annotations.fromStack(stack).hasWarning('/Tooling/Ci', Match.stringLikeRegexp('log groups /aws/codebuild/shop-ci-pull-requests, /aws/codebuild/shop-ci-publish'));
});

test('cdk-nag AwsSolutions: no unsuppressed finding, with a connection and a pull-request secret', () => {
  const app = new App();
  const stack = new Stack(app, 'Tooling', { env: { account: '111111111111', region: 'us-east-1' } });
  new PullRequestCi(stack, 'Ci', {
    repository: PullRequestRepository.gitHub({ owner: 'acme', repo: 'shop', connectionArn: CONNECTION }),
    buildOptions: { commands: ['npm test'], secrets: { NPM_TOKEN: 'npm-token' }, parameters: { REGISTRY: '/shop/registry' } },
    pullRequestSecrets: ['NPM_TOKEN'],
  });
  Aspects.of(stack).add(new AwsSolutionsChecks());
  const findings = app.synth().getStackByName('Tooling').messages
    .filter((m) => /AwsSolutions-/.test(String(m.entry.data))).map((m) => `${m.id}: ${String(m.entry.data).split('\n')[0]}`);
  expect(findings).toEqual([]);
});

describe('PullRequestCi refuses at synth', () => {
  const errorOf = (extra: Partial<PullRequestCiProps>) => synthErrorOf(() => build(extra));

  test.each([
    ['a ref instead of a branch', { mainBranch: 'refs/heads/main' }, 'mainBranch = "refs/heads/main": a branch name, not a ref. Fix: give \'main\''],
    ['a branch Git refuses', { mainBranch: 'feature..x' }, 'mainBranch = "feature..x": not a Git branch name'],
    ['an object key starting with /', { publishObjectKey: '/ci/main.zip' }, 'publishObjectKey = "/ci/main.zip": an S3 object key is not empty and neither starts nor ends with /'],
    ['an object key over 1,024 bytes', { publishObjectKey: 'k'.repeat(1025) }, 'publishObjectKey = "' + 'k'.repeat(1025) + '": 1025 bytes, over the 1,024 bytes of an S3 object key'],
    ['owner/repo in owner', { repository: PullRequestRepository.gitHub({ owner: 'acme/shop', repo: 'shop' }) }, 'repository.owner = "acme/shop": the owner alone, without \'/\' and the repository. Fix: owner: \'acme\', repo: \'shop\''],
    ['a repo with .git', { repository: PullRequestRepository.bitbucket({ owner: 'acme', repo: 'shop.git' }) }, 'repository.repo = "shop.git": not a repository name (no owner, no slash, no .git)'],
    ['a bad connection ARN', { repository: PullRequestRepository.gitHub({ owner: 'acme', repo: 'shop', connectionArn: 'my-connection' }) }, 'repository.connectionArn = "my-connection": not a CodeConnections connection ARN'],
    ['a clone URL that is not HTTPS', { repository: PullRequestRepository.gitHubEnterprise({ httpsCloneUrl: 'git@git.acme.example:acme/shop.git' }) }, 'repository.httpsCloneUrl = "git@git.acme.example:acme/shop.git": not an HTTPS clone URL'],
    ['a project name prefix CodeBuild refuses', { projectNamePrefix: 'shop ci' }, 'projectNamePrefix = "shop ci": CodeBuild project names are letters, digits, - and _'],
    ['no actor at all', { pullRequestActorIds: [] }, 'pullRequestActorIds = []: an empty list admits no author, so no pull request would ever build'],
    ['an actor id with a space', { pullRequestActorIds: ['12 34'] }, 'pullRequestActorIds[0] = "12 34": not an account id of the source provider'],
    ['a pull-request secret that is not a build secret', { pullRequestSecrets: ['GITHUB_TOKEN'] }, 'pullRequestSecrets[0] = "GITHUB_TOKEN": not a variable of buildOptions.secrets or buildOptions.parameters. Fix: name one of: NPM_TOKEN'],
    ['a buildspec', { buildOptions: { buildSpec: codebuild.BuildSpec.fromSourceFilename('buildspec.yml') } }, 'buildOptions.buildSpec = "(a buildspec)": the publish step must run after the build commands'],
    ['test report files', { buildOptions: { commands: ['npm test'], testReportFiles: ['reports/*.xml'] } }, 'buildOptions.testReportFiles = ["reports/*.xml"]: a report group would be a place pull requests write to'],
  ] as Array<[string, Partial<PullRequestCiProps>, string]>)('%s', (_name, extra, message) => {
    const error = errorOf(extra);
    expect(error).toContain('[Tooling/Ci] invalid configuration:');
    expect(error).toContain(message);
  });
});
