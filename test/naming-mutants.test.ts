/**
 * The names both sides of the contract compute on their own, and the contract's
 * own problems, tested directly: every name spelled out by hand, every limit at
 * its edge.
 */
import { Token } from 'aws-cdk-lib';
import { contractProblems } from '../src/shared/contract-problems';
import { DeploymentContract } from '../src/shared/deployment-contract';
import * as naming from '../src/shared/naming';

describe('naming', () => {
  test('every name of qualifier "shop"', () => {
    expect(naming.NAME_PREFIX).toBe('cdkx');
    expect(naming.LONGEST_REGION).toBe('ap-southeast-2');
    expect(naming.actionRoleName('shop')).toBe('cdkx-shop-deploy-action');
    expect(naming.executionRoleName('shop')).toBe('cdkx-shop-cfn-exec');
    expect(naming.pipelineRolePath('shop')).toBe('/cdkx-shop/');
    expect(naming.deployerRolePath('shop', '222222222222')).toBe('/cdkx-shop_deployer/222222222222/');
    expect(naming.artifactBucketName('shop', '111111111111', 'eu-west-1')).toBe('cdkx-shop-artifacts-111111111111-eu-west-1');
    expect(naming.artifactBucketNamePattern('shop', '111111111111')).toBe('cdkx-shop-artifacts-111111111111-*');
    expect(naming.RELEASE_INBOX_OBJECT_KEY).toBe('release.zip');
    expect(naming.releaseInboxBucketName('shop', '222222222222', 'us-east-1')).toBe('cdkx-shop-releases-222222222222-us-east-1');
    expect(naming.artifactKeyAliasName('shop')).toBe('alias/cdkx-shop-artifacts');
    expect(naming.defaultStackNamePrefix('shop')).toBe('shop-');
  });

  test.each(['a', '7', 'main', 'shop-prod', 'a-b-c', 'x1'])('qualifier %p matches', (qualifier) => {
    expect(naming.QUALIFIER_PATTERN.test(qualifier)).toBe(true);
  });

  test.each(['', '-a', 'a-', 'Main', 'a_b', 'a.b', 'a b', 'ab-', '-', ' a'])('qualifier %p does not', (qualifier) => {
    expect(naming.QUALIFIER_PATTERN.test(qualifier)).toBe(false);
  });

  test('no qualifier has a pipeline role path that is a prefix of a deployer path (of its own or another qualifier)', () => {
    // A qualifier would need the '_' of 'shop_deployer', which QUALIFIER_PATTERN refuses.
    expect(naming.QUALIFIER_PATTERN.test('shop_deployer')).toBe(false);
    for (const qualifier of ['shop', 'shop-deployer', 'main', 'shop-d']) {
      expect(naming.deployerRolePath('shop', '222222222222').startsWith(naming.pipelineRolePath(qualifier))).toBe(false);
    }
  });
});

describe('contractProblems', () => {
  const TOOLING = '111111111111';
  const contract = (props: Partial<ConstructorParameters<typeof DeploymentContract>[0]> = {}) =>
    new DeploymentContract({ toolingAccount: TOOLING, ...props });

  test('a valid contract has none; the property prefix is the caller\'s', () => {
    expect(contractProblems(contract({ organizationId: 'o-a1b2c3d4e5', organizationalUnitPaths: ['o-a1b2c3d4e5/r-ab12/'] }))).toEqual([]);
    expect(contractProblems(contract({ toolingAccount: 'bad' }), 'props.contract').map((p) => p.property)).toEqual(['props.contract.toolingAccount']);
    expect(contractProblems(contract({ toolingAccount: 'bad' })).map((p) => p.property)).toEqual(['contract.toolingAccount']);
  });

  test('a malformed qualifier, and no length checks on it', () => {
    const qualifier = 'Shop_' + 'x'.repeat(60);
    expect(contractProblems(contract({ qualifier, stackNamePrefix: 'shop-' }))).toEqual([{
      property: 'contract.qualifier',
      value: qualifier,
      reason: 'a qualifier may hold only lowercase letters, digits and inner hyphens (it becomes part of role and bucket names)',
      fix: "choose something like 'main' or 'shop-prod'",
    }]);
  });

  test('qualifier lengths: the bucket name (63) binds at 21 characters, the action role (64) at 46, the execution role at 51', () => {
    // cdkx-<q>-artifacts-123456789012-ap-southeast-2 is q + 43 characters.
    expect(contractProblems(contract({ qualifier: 'q'.repeat(20) }))).toEqual([]);
    const q21 = 'q'.repeat(21);
    expect(contractProblems(contract({ qualifier: q21 }))).toEqual([{
      property: 'contract.qualifier',
      value: q21,
      reason: `makes the artifact bucket name (in the longest region, ap-southeast-2) 'cdkx-${q21}-artifacts-123456789012-ap-southeast-2' 64 characters, over the limit of 63`,
      fix: 'choose a shorter qualifier',
    }]);
    // cdkx-<q>-deploy-action is q + 19; cdkx-<q>-cfn-exec is q + 14.
    const q46 = 'q'.repeat(46);
    expect(contractProblems(contract({ qualifier: q46 }))).toEqual([
      {
        property: 'contract.qualifier',
        value: q46,
        reason: `makes the action role name 'cdkx-${q46}-deploy-action' 65 characters, over the limit of 64`,
        fix: 'choose a shorter qualifier',
      },
      expect.objectContaining({ property: 'contract.qualifier', reason: expect.stringContaining('the artifact bucket name') }),
    ]);
    const q51 = 'q'.repeat(51);
    expect(contractProblems(contract({ qualifier: q51 }))).toEqual([
      expect.objectContaining({ property: 'contract.qualifier', reason: expect.stringContaining('the action role name') }),
      {
        property: 'contract.qualifier',
        value: q51,
        reason: `makes the execution role name 'cdkx-${q51}-cfn-exec' 65 characters, over the limit of 64`,
        fix: 'choose a shorter qualifier',
      },
      expect.objectContaining({ property: 'contract.qualifier', reason: expect.stringContaining('the artifact bucket name') }),
    ]);
  });

  test('a malformed organization id', () => {
    expect(contractProblems(contract({ organizationId: 'o-short' }))).toEqual([
      expect.objectContaining({ property: 'contract.organizationId', value: 'o-short' }),
    ]);
  });

  test('OU paths without an organization, each path checked at its index', () => {
    const paths = ['o-a1b2c3d4e5/r-ab12/', 'ou-ab12-11111111'];
    expect(contractProblems(contract({ organizationalUnitPaths: paths }))).toEqual([
      {
        property: 'contract.organizationalUnitPaths',
        value: paths,
        reason: 'OU paths need an organization',
        fix: 'set organizationId as well, or drop organizationalUnitPaths',
      },
      expect.objectContaining({ property: 'contract.organizationalUnitPaths[1]', value: 'ou-ab12-11111111' }),
    ]);
  });

  test('OU paths of another organization', () => {
    expect(contractProblems(contract({ organizationId: 'o-a1b2c3d4e5', organizationalUnitPaths: ['o-zzzzzzzzzz/r-ab12/'] }))).toEqual([
      expect.objectContaining({ property: 'contract.organizationalUnitPaths[0]', reason: "the path does not belong to organization 'o-a1b2c3d4e5'" }),
    ]);
  });

  test.each(['shop-', 'A', 'a1-B2'])('stack name prefix %p is fine', (stackNamePrefix) => {
    expect(contractProblems(contract({ stackNamePrefix }))).toEqual([]);
  });

  test.each(['9lives-', '-shop', 'shop_', '', 'x shop', 'shop.'])('stack name prefix %p is not', (stackNamePrefix) => {
    expect(contractProblems(contract({ stackNamePrefix }))).toEqual([{
      property: 'contract.stackNamePrefix',
      value: stackNamePrefix,
      reason: 'a stack name prefix must start with a letter and hold only letters, digits and hyphens (it is the start of a CloudFormation stack name)',
      fix: "use a prefix such as 'shop-'",
    }]);
  });

  test('a token tooling account is left to AWS', () => {
    expect(contractProblems(contract({ toolingAccount: Token.asString({ Ref: 'Tooling' }) }))).toEqual([]);
  });
});
