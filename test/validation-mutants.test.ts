/**
 * The shared validation rules, tested directly (the construct tests reach them
 * only through synth): each accepts the edge of its format and rejects one
 * character beyond it, and each problem names the property, value and fix.
 */
import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import {
  checkAccountId, checkAccountList, checkNameLength, checkOrganizationId, checkOrganizationPath, describeProblem, throwIfProblems,
} from '../src/shared/validation';

const token = Token.asString({ Ref: 'Unresolved' });

describe('describeProblem and throwIfProblems', () => {
  const problem = { property: 'props.name', value: 'a b', reason: 'has a space', fix: 'remove it' };

  test('one line: property = JSON value: reason. Fix: fix', () => {
    expect(describeProblem(problem)).toBe('props.name = "a b": has a space. Fix: remove it');
    expect(describeProblem({ ...problem, value: [1, 'x'] })).toBe('props.name = [1,"x"]: has a space. Fix: remove it');
  });

  test('no problems: no error; problems: one error under the construct path, one line each', () => {
    const scope = { node: { path: 'App/Stack/Thing' } } as unknown as IConstruct;
    expect(() => throwIfProblems(scope, [])).not.toThrow();
    const second = { ...problem, property: 'props.other' };
    expect(() => throwIfProblems(scope, [problem, second])).toThrow(new Error(
      '[App/Stack/Thing] invalid configuration:\n'
      + '  - props.name = "a b": has a space. Fix: remove it\n'
      + '  - props.other = "a b": has a space. Fix: remove it',
    ));
  });
});

describe('checkAccountId', () => {
  test.each(['123456789012', '000000000001'])('%s is an account id', (id) => {
    expect(checkAccountId('p', id)).toEqual([]);
  });

  test.each(['12345678901', '1234567890123', 'x123456789012', '123456789012x', '12345678901a', '1234-5678-9012', ''])('%p is not', (id) => {
    expect(checkAccountId('props.account', id)).toEqual([{
      property: 'props.account',
      value: id,
      reason: 'not a 12-digit AWS account id',
      fix: 'use the account id exactly as AWS shows it, 12 digits with leading zeros, no dashes',
    }]);
  });

  test('a token is left to AWS', () => {
    expect(checkAccountId('p', token)).toEqual([]);
  });
});

describe('checkAccountList', () => {
  test('each id checked at its index, each repeat named with its first index', () => {
    expect(checkAccountList('accounts', ['111111111111', 'bad', '222222222222', '111111111111', '111111111111'])).toEqual([
      expect.objectContaining({ property: 'accounts[1]', value: 'bad', reason: 'not a 12-digit AWS account id' }),
      { property: 'accounts[3]', value: '111111111111', reason: 'duplicate of accounts[0]', fix: 'list each account once' },
      { property: 'accounts[4]', value: '111111111111', reason: 'duplicate of accounts[0]', fix: 'list each account once' },
    ]);
  });

  test('distinct ids and repeated tokens are fine', () => {
    expect(checkAccountList('accounts', ['111111111111', '222222222222'])).toEqual([]);
    expect(checkAccountList('accounts', [token, token])).toEqual([]);
  });
});

describe('checkOrganizationId', () => {
  test.each(['o-' + 'a'.repeat(10), 'o-' + '0'.repeat(32), 'o-a1b2c3d4e5'])('%s is an organization id', (id) => {
    expect(checkOrganizationId('p', id)).toEqual([]);
  });

  test.each(['o-' + 'a'.repeat(9), 'o-' + 'a'.repeat(33), 'o-A1B2C3D4E5', 'xo-a1b2c3d4e5', 'o-a1b2c3d4e5/', 'oa1b2c3d4e5f', 'o-a1b2c3d4e-'])('%s is not', (id) => {
    expect(checkOrganizationId('props.organizationId', id)).toEqual([{
      property: 'props.organizationId',
      value: id,
      reason: "not an AWS Organizations id (expected 'o-' followed by 10 to 32 lowercase letters or digits)",
      fix: "copy the id from `aws organizations describe-organization --query Organization.Id`, for example 'o-a1b2c3d4e5'",
    }]);
  });

  test('a token is left to AWS', () => {
    expect(checkOrganizationId('p', token)).toEqual([]);
  });
});

describe('checkOrganizationPath', () => {
  const org = 'o-a1b2c3d4e5';
  const root = `${org}/r-ab12/`;

  test.each([
    root,
    `${root}ou-ab12-11111111/`,
    `${root}ou-ab12-11111111/ou-ab12-22222222/`,
    `o-${'a'.repeat(32)}/r-${'0'.repeat(32)}/ou-${'b'.repeat(32)}-${'c'.repeat(32)}/`,
  ])('%s is a path', (path) => {
    expect(checkOrganizationPath('p', path)).toEqual([]);
  });

  test.each([
    `${org}/r-ab12`, // no final slash
    `${org}/r-ab1/`, // root id too short
    `${org}/r-${'a'.repeat(33)}/`, // root id too long
    'o-a1b2c3d4e/r-ab12/', // organization id too short
    `o-${'a'.repeat(33)}/r-ab12/`, // organization id too long
    `${root}ou-ab1-11111111/`, // OU root part too short
    `${root}ou-${'a'.repeat(33)}-11111111/`, // OU root part too long
    `${root}ou-ab12-1111111/`, // OU id too short
    `${root}ou-ab12-${'1'.repeat(33)}/`, // OU id too long
    `${root}ou-ab12-11111111`, // OU without its slash
    `${root}ou-AB12-11111111/`, // uppercase
    `${root}ou-ab12-1111111A/`,
    `/${root}`, // leading slash
    `${root}x`, // trailing text
    `${org}/x-ab12/`,
    `${org}r-ab12/`,
    `${root}ou-ab1211111111/`,
    `${org}/r-AB12/`,
    'O-A1B2C3D4E5/r-ab12/',
    'ou-ab12-11111111',
  ])('%s is not', (path) => {
    expect(checkOrganizationPath('props.paths[0]', path)).toEqual([{
      property: 'props.paths[0]',
      value: path,
      reason: "not an organization path (expected 'o-xxxxxxxxxx/r-xxxx/ou-xxxx-xxxxxxxx/' ending in '/')",
      fix: 'give the path from the organization root down to the OU, each part followed by a slash',
    }]);
  });

  test('a path of another organization', () => {
    const path = 'o-zzzzzzzzzz/r-ab12/';
    expect(checkOrganizationPath('props.paths[0]', path, org)).toEqual([{
      property: 'props.paths[0]',
      value: path,
      reason: "the path does not belong to organization 'o-a1b2c3d4e5'",
      fix: 'use OU paths of the organization given as organizationId',
    }]);
    // The organization id must be followed by the slash: 'o-a1b2c3d4e5x' is another organization.
    expect(checkOrganizationPath('p', 'o-a1b2c3d4e5x/r-ab12/', org)).toHaveLength(1);
  });

  test('a path of the given organization, a token organization or a token path is fine', () => {
    expect(checkOrganizationPath('p', root, org)).toEqual([]);
    expect(checkOrganizationPath('p', root, token)).toEqual([]);
    expect(checkOrganizationPath('p', root, '')).toEqual([]);
    expect(checkOrganizationPath('p', token, org)).toEqual([]);
  });
});

describe('checkNameLength', () => {
  test('a name of exactly the limit passes; one more character names the derived name, its length and the limit', () => {
    expect(checkNameLength('props.qualifier', 'q', 'x'.repeat(64), 'the role name', 64, 'shorter')).toEqual([]);
    expect(checkNameLength('props.qualifier', 'q', 'x'.repeat(65), 'the role name', 64, 'choose a shorter qualifier')).toEqual([{
      property: 'props.qualifier',
      value: 'q',
      reason: `makes the role name '${'x'.repeat(65)}' 65 characters, over the limit of 64`,
      fix: 'choose a shorter qualifier',
    }]);
  });

  test('a token name is not measured', () => {
    expect(checkNameLength('p', 'q', `${token}${'x'.repeat(100)}`, 'the role name', 64, 'f')).toEqual([]);
  });
});
