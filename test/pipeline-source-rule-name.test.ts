import { Token } from 'aws-cdk-lib';
import { sourceRuleName } from '../src/cross-account-pipeline/private/source-rule-name';

describe('sourceRuleName', () => {
  test('the pipeline name with -source, when that is a valid rule name', () => {
    expect(sourceRuleName('main-Release')).toBe('main-Release-source');
    expect(sourceRuleName('a'.repeat(57))).toBe(`${'a'.repeat(57)}-source`);
  });

  test('too long for a rule name: shortened, with a hash of the pipeline name, 64 characters', () => {
    const long = 'a'.repeat(58);
    const name = sourceRuleName(long)!;
    expect(name).toMatch(/^a{48}-[0-9a-f]{8}-source$/);
    expect(name).toHaveLength(64);
    expect(sourceRuleName(`${'a'.repeat(58)}b`)).not.toBe(name);
  });

  test('an @ (valid in pipeline names only) is replaced, and the hash keeps a@b and a_b apart', () => {
    const at = sourceRuleName('shop@prod')!;
    expect(at).toMatch(/^shop_prod-[0-9a-f]{8}-source$/);
    expect(sourceRuleName('shop_prod')).toBe('shop_prod-source');
  });

  test('an unresolved pipeline name: no name (CloudFormation names the rule)', () => {
    expect(sourceRuleName(Token.asString({ Ref: 'Name' }))).toBeUndefined();
  });
});
