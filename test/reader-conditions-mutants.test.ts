/**
 * The reader conditions of the artifact store's resource policies, spelled out
 * for each kind of scope (the construct tests see them inside whole policies).
 */
import { isEmptyReaderScope, readerConditions } from '../src/shared/reader-conditions';

const patterns = ['arn:aws:iam::*:role/cdkx-main-deploy-action', 'arn:aws:iam::*:role/cdkx-main-cfn-exec'];

test('an organization: its id, the role patterns, nothing per account', () => {
  expect(readerConditions({ organizationId: 'o-a1b2c3d4e5', organizationalUnitPaths: [], accounts: [] }, patterns)).toStrictEqual({
    ArnLike: { 'aws:PrincipalArn': patterns },
    StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' },
  });
});

test('OUs of an organization: each path and everything below it', () => {
  expect(readerConditions({ organizationId: 'o-a1b2c3d4e5', organizationalUnitPaths: ['o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/'], accounts: [] }, patterns)).toStrictEqual({
    'ArnLike': { 'aws:PrincipalArn': patterns },
    'StringEquals': { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5' },
    'ForAnyValue:StringLike': { 'aws:PrincipalOrgPaths': ['o-a1b2c3d4e5/r-ab12/ou-ab12-11111111/*'] },
  });
});

test('accounts only: the account list', () => {
  const conditions = readerConditions({ organizationalUnitPaths: [], accounts: ['111111111111', '222222222222'] }, patterns);
  expect(conditions).toStrictEqual({
    ArnLike: { 'aws:PrincipalArn': patterns },
    StringEquals: { 'aws:PrincipalAccount': ['111111111111', '222222222222'] },
  });
});

test('an organization and accounts: both in StringEquals (the accounts within the organization)', () => {
  expect(readerConditions({ organizationId: 'o-a1b2c3d4e5', organizationalUnitPaths: [], accounts: ['111111111111'] }, patterns)).toStrictEqual({
    ArnLike: { 'aws:PrincipalArn': patterns },
    StringEquals: { 'aws:PrincipalOrgID': 'o-a1b2c3d4e5', 'aws:PrincipalAccount': ['111111111111'] },
  });
});

test('the conditions hold copies: changing the inputs later changes nothing', () => {
  const accounts = ['111111111111'];
  const arns = [...patterns];
  const conditions = readerConditions({ organizationalUnitPaths: [], accounts }, arns);
  accounts.push('222222222222');
  arns.push('arn:aws:iam::*:role/other');
  expect(conditions.StringEquals['aws:PrincipalAccount']).toEqual(['111111111111']);
  expect(conditions.ArnLike['aws:PrincipalArn']).toEqual(patterns);
});

test('a scope is empty without an organization and without accounts', () => {
  expect(isEmptyReaderScope({ organizationalUnitPaths: [], accounts: [] })).toBe(true);
  expect(isEmptyReaderScope({ organizationId: '', organizationalUnitPaths: [], accounts: [] })).toBe(true);
  expect(isEmptyReaderScope({ organizationId: 'o-a1b2c3d4e5', organizationalUnitPaths: [], accounts: [] })).toBe(false);
  expect(isEmptyReaderScope({ organizationalUnitPaths: [], accounts: ['111111111111'] })).toBe(false);
});
