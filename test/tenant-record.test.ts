import {
  DeployContext, isSpecialItem, parameterReasons, releaseProblems, roleWaitSchedule, stackNameFor, templateLocation, TenantRecord,
  TenantRecordOptions, validateTenantRecords, workItemFor,
} from '../src/fleet-rollout/tenant-record';

const OPTIONS: TenantRecordOptions = {
  regions: ['eu-west-1', 'us-east-1'],
  stackNamePrefix: 'shop-',
  applicationName: 'app',
  ringNames: ['canary', 'early'],
};

function record(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { tenantId: 't-0001', account: '123456789012', region: 'eu-west-1', status: 'active', ...extra };
}

/** The reason a single record is invalid; fails the test when it is not. */
function reasonOf(item: unknown, options: TenantRecordOptions = OPTIONS): string {
  const result = validateTenantRecords([item], options);
  expect(result.valid).toEqual([]);
  expect(result.invalid).toHaveLength(1);
  return result.invalid[0].reason;
}

describe('validateTenantRecords', () => {
  test('a good record is valid, with defaults', () => {
    const result = validateTenantRecords([record()], OPTIONS);
    expect(result).toEqual({
      valid: [{ tenantId: 't-0001', account: '123456789012', region: 'eu-west-1', model: 'silo', parameters: {}, status: 'active' }],
      invalid: [],
      inactive: [],
    });
  });

  test('keeps ring, model, parameters and the engine\'s last result', () => {
    const lastResult = { status: 'SUCCEEDED', release: 'v41', at: '2026-01-01T00:00:00Z' };
    const result = validateTenantRecords([record({ ring: 'canary', model: 'pool', parameters: { Size: 'L' }, lastRelease: 'v41', lastResult })], OPTIONS);
    expect(result.valid[0]).toEqual({
      tenantId: 't-0001',
      account: '123456789012',
      region: 'eu-west-1',
      ring: 'canary',
      model: 'pool',
      parameters: { Size: 'L' },
      status: 'active',
      lastRelease: 'v41',
      lastResult,
    });
  });

  test.each(['', '-starts-with-dash', 'has_underscore', 'has space', 'x'.repeat(64)])('tenant id %p is refused', (tenantId) => {
    expect(reasonOf(record({ tenantId }))).toBe(`tenantId '${tenantId}' must be 1 to 63 letters, digits or '-', starting with a letter or digit`);
  });

  test('a 63-character tenant id is fine', () => {
    expect(validateTenantRecords([record({ tenantId: 'a'.repeat(63), model: 'pool' })], { ...OPTIONS, stackNamePrefix: '' }).invalid).toEqual([]);
  });

  test.each([['12345678901'], ['1234567890123'], ['12345678901a'], [123456789012], [undefined]])('account %p is refused', (account) => {
    expect(reasonOf(record({ account }))).toBe(`account ${JSON.stringify(account)} is not a 12-digit AWS account id`);
  });

  test('a region other than the rollout\'s is refused, naming the regions served and why', () => {
    expect(reasonOf(record({ region: 'ap-south-1' })))
      .toBe('region "ap-south-1" is not served by this rollout (it deploys to eu-west-1, us-east-1 only; Step Functions calls CloudFormation in its own region): register the tenant with the FleetRollout of its region');
    expect(reasonOf(record({ region: undefined }))).toMatch(/^region undefined is not served by this rollout/);
    expect(reasonOf(record(), { ...OPTIONS, regions: [] })).toMatch(/it deploys to none only/);
  });

  test('model must be silo or pool', () => {
    expect(reasonOf(record({ model: 'bridge' }))).toBe('model "bridge" must be \'silo\' or \'pool\'');
  });

  test('status must be active, suspended or retired', () => {
    expect(reasonOf(record({ status: 'paused' }))).toBe('status "paused" must be \'active\', \'suspended\' or \'retired\'');
    expect(reasonOf(record({ status: undefined }))).toBe('status undefined must be \'active\', \'suspended\' or \'retired\'');
  });

  test('suspended and retired records are inactive, whatever else they hold', () => {
    const result = validateTenantRecords([
      record({ tenantId: 'a', status: 'suspended' }),
      record({ tenantId: 'b', status: 'retired', account: 'garbage' }),
    ], OPTIONS);
    expect(result).toEqual({ valid: [], invalid: [], inactive: [{ tenantId: 'a', status: 'suspended' }, { tenantId: 'b', status: 'retired' }] });
  });

  test('a ring that is not a named ring', () => {
    expect(reasonOf(record({ ring: 'gamma' }))).toBe("ring 'gamma' is not one of: canary, early");
    expect(reasonOf(record({ ring: 7 }))).toBe('ring 7 must be a string');
  });

  test.each([
    [{ 'Bad-Key': 'x' }, "parameters key 'Bad-Key' is not a CloudFormation parameter name (1 to 255 letters or digits)"],
    [{ ['k'.repeat(256)]: 'x' }, `parameters key '${'k'.repeat(256)}' is not a CloudFormation parameter name (1 to 255 letters or digits)`],
    [{ Size: 3 }, 'parameters.Size must be a string, not 3'],
    [{ Blob: 'x'.repeat(4097) }, "parameters.Blob is 4097 characters, over CloudFormation's limit of 4096"],
    ['Size=L', 'parameters must be a map of strings to strings'],
    [['Size'], 'parameters must be a map of strings to strings'],
  ])('parameters %#: CloudFormation would refuse them', (parameters, reason) => {
    expect(reasonOf(record({ parameters }))).toBe(reason);
  });

  test('parameters that would not fit a Step Functions item are refused at 64 KiB, naming the size', () => {
    // 16 values of 4,096 characters are each fine for CloudFormation, but the work
    // item carrying them must stay well under Step Functions' 256 KiB payload.
    const fits = Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`P${i}`, 'x'.repeat(4096)]));
    expect(validateTenantRecords([record({ parameters: fits })], OPTIONS).invalid).toEqual([]);
    const tooBig = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`P${i}`, 'x'.repeat(4096)]));
    expect(reasonOf(record({ parameters: tooBig }))).toMatch(/^parameters take 69\d{3} bytes as JSON, over the 65536 a tenant's work item may carry \(Step Functions passes at most 256 KiB per item\)/);
  });

  test('at most 200 parameters, values up to 4,096 characters', () => {
    const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`P${i}`, 'v']));
    expect(validateTenantRecords([record({ parameters: { ...many(200), Blob: undefined } })], OPTIONS).invalid).not.toEqual([]);
    expect(validateTenantRecords([record({ parameters: many(199) })], OPTIONS).invalid).toEqual([]);
    expect(validateTenantRecords([record({ parameters: many(200) })], OPTIONS).invalid).toEqual([]);
    expect(reasonOf(record({ parameters: many(201) }))).toBe("parameters has 201 entries, over CloudFormation's limit of 200 parameters");
    expect(validateTenantRecords([record({ parameters: { Blob: 'x'.repeat(4096) } })], OPTIONS).invalid).toEqual([]);
  });

  test('a stack name over 128 characters', () => {
    const tenantId = 'a'.repeat(63);
    const applicationName = 'b'.repeat(60);
    const name = `shop-${applicationName}-${tenantId}`;
    expect(name.length).toBe(129);
    expect(reasonOf(record({ tenantId, model: 'pool' }), { ...OPTIONS, applicationName }))
      .toBe(`stack name '${name}' is 129 characters, over CloudFormation's limit of 128`);
    // Silo stacks do not carry the tenant id.
    expect(validateTenantRecords([record({ tenantId })], { ...OPTIONS, applicationName }).invalid).toEqual([]);
  });

  test('a stack name CloudFormation would refuse', () => {
    expect(reasonOf(record(), { ...OPTIONS, stackNamePrefix: '1-' }))
      .toBe("stack name '1-app' must start with a letter and hold only letters, digits and '-'");
  });

  test('two active silo tenants in one account are both invalid, each naming the other', () => {
    const result = validateTenantRecords([
      record({ tenantId: 'acme' }),
      record({ tenantId: 'globex' }),
      record({ tenantId: 'pooled', model: 'pool' }),
      record({ tenantId: 'elsewhere', account: '210987654321' }),
      record({ tenantId: 'gone', status: 'retired' }),
    ], OPTIONS);
    expect(result.valid.map((r) => r.tenantId)).toEqual(['pooled', 'elsewhere']);
    expect(result.invalid).toEqual([
      { tenantId: 'acme', reason: "account 123456789012 is also the account of active silo tenant 'globex'; a silo account holds one tenant" },
      { tenantId: 'globex', reason: "account 123456789012 is also the account of active silo tenant 'acme'; a silo account holds one tenant" },
    ]);
    expect(result.inactive).toEqual([{ tenantId: 'gone', status: 'retired' }]);
  });

  test('three silo tenants in one account: each names both others, even when broken otherwise', () => {
    const result = validateTenantRecords([
      record({ tenantId: 'a' }), record({ tenantId: 'b', region: 'mars-1' }), record({ tenantId: 'c' }),
      record({ tenantId: 'd', status: 'unknown' }),
    ], OPTIONS);
    expect(result.valid).toEqual([]);
    const reasons = Object.fromEntries(result.invalid.map((i) => [i.tenantId, i.reason]));
    expect(reasons.a).toMatch(/active silo tenant 'b', 'c';/);
    expect(reasons.b).toMatch(/^region "mars-1" .*; account 123456789012 is also the account of active silo tenant 'a', 'c';/);
    // A record whose status is not active does not hold the account.
    expect(reasons.d).not.toMatch(/also the account/);
  });

  test('every problem of a record is in its reason', () => {
    expect(reasonOf(record({ account: 'x', model: 'hybrid', parameters: { 'a-b': 'c' } }))).toBe([
      'account "x" is not a 12-digit AWS account id',
      'model "hybrid" must be \'silo\' or \'pool\'',
      "parameters key 'a-b' is not a CloudFormation parameter name (1 to 255 letters or digits)",
    ].join('; '));
  });

  test('records that are not objects or have no string tenant id', () => {
    const result = validateTenantRecords([record(), 'junk', null, { account: '123456789012' }, { tenantId: 7 }], OPTIONS);
    expect(result.valid).toHaveLength(1);
    expect(result.invalid).toEqual([
      { tenantId: '(unknown)', index: 1, reason: 'record 1 is not an object' },
      { tenantId: '(unknown)', index: 2, reason: 'record 2 is not an object' },
      { tenantId: '(unknown)', index: 3, reason: 'record 3 has no string tenantId' },
      { tenantId: '(unknown)', index: 4, reason: 'record 4 has no string tenantId' },
    ]);
  });

  test('the lock and the release items are not tenants', () => {
    const result = validateTenantRecords([
      { tenantId: '#lock', executionArn: 'arn:x', startedAt: 'now' },
      { tenantId: '#release', version: 'v1', templateKey: 'k' },
      record(),
    ], OPTIONS);
    expect(result.valid).toHaveLength(1);
    expect(result.invalid).toEqual([]);
    expect(isSpecialItem({ tenantId: '#lock' })).toBe(true);
    expect(isSpecialItem(record())).toBe(false);
    expect(isSpecialItem('#lock')).toBe(false);
  });
});

describe('stackNameFor', () => {
  test('silo: one stack per account; pool: per tenant', () => {
    expect(stackNameFor({ tenantId: 't-1', model: 'silo' }, 'shop-', 'app')).toBe('shop-app');
    expect(stackNameFor({ tenantId: 't-1' }, 'shop-', 'app')).toBe('shop-app');
    expect(stackNameFor({ tenantId: 't-1', model: 'pool' }, 'shop-', 'app')).toBe('shop-app-t-1');
  });
});

describe('roleWaitSchedule', () => {
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

  test('0 seconds: no waiting', () => {
    expect(roleWaitSchedule(0)).toEqual([]);
  });

  test('doubles from 30 up to 900, the last trimmed to the window', () => {
    expect(roleWaitSchedule(10)).toEqual([10]);
    expect(roleWaitSchedule(30)).toEqual([30]);
    expect(roleWaitSchedule(100)).toEqual([30, 60, 10]);
    expect(roleWaitSchedule(600)).toEqual([30, 60, 120, 240, 150]);
    expect(roleWaitSchedule(3600)).toEqual([30, 60, 120, 240, 480, 900, 900, 870]);
  });

  test('24 hours', () => {
    const schedule = roleWaitSchedule(86_400);
    expect(sum(schedule)).toBe(86_400);
    expect(schedule.slice(0, 7)).toEqual([30, 60, 120, 240, 480, 900, 900]);
    expect(Math.max(...schedule)).toBe(900);
    expect(schedule[schedule.length - 1]).toBe(870);
    expect(schedule).toHaveLength(100);
  });

  test.each([-1, 1.5, Number.NaN])('refuses %p', (window) => {
    expect(() => roleWaitSchedule(window)).toThrow(/windowSeconds must be a whole number of at least 0/);
  });
});

describe('releases and work items', () => {
  const context: DeployContext = {
    qualifier: 'shop',
    toolingAccount: '111111111111',
    partition: 'aws',
    urlSuffix: 'amazonaws.com',
    stackNamePrefix: 'shop-',
    applicationName: 'app',
    actionRoleName: 'cdkx-shop-deploy-action',
    executionRoleName: 'cdkx-shop-cfn-exec',
  };
  const release = { version: 'v42', templateKey: 'fleet/releases/v42/template.json', parameters: { ImageTag: 'v42', Size: 'S' } };

  test('a good release has no problems', () => {
    expect(releaseProblems(release)).toEqual([]);
    expect(releaseProblems({ version: '1.2.3_rc-1', templateKey: 'k' })).toEqual([]);
  });

  test.each([
    [undefined, 'release must be an object { version, templateKey, parameters? }'],
    [{ version: '-v1', templateKey: 'k' }, 'release.version "-v1" must be 1 to 64 letters, digits, \'.\', \'_\' or \'-\', starting with a letter or digit'],
    [{ version: 'v'.repeat(65), templateKey: 'k' }, /release\.version/],
    [{ version: 'v1', templateKey: '' }, 'release.templateKey "" must be an S3 key of 1 to 1024 bytes, not starting with \'/\''],
    [{ version: 'v1', templateKey: '/abs' }, /release\.templateKey "\/abs"/],
    [{ version: 'v1', templateKey: 'é'.repeat(513) }, /release\.templateKey/],
    [{ version: 'v1', templateKey: 'k', parameters: { 'a-b': 'x' } }, "release.parameters key 'a-b' is not a CloudFormation parameter name (1 to 255 letters or digits)"],
  ])('release %#', (input, reason) => {
    const problems = releaseProblems(input);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toEqual(typeof reason === 'string' ? reason : expect.stringMatching(reason));
  });

  test('parameterReasons names what it checks', () => {
    expect(parameterReasons(undefined)).toEqual([]);
    expect(parameterReasons({ A: 1 }, 'x.parameters')).toEqual(['x.parameters.A must be a string, not 1']);
  });

  test('the template of a region is in that region\'s artifact store', () => {
    expect(templateLocation(release, 'eu-west-1', context)).toEqual({
      bucket: 'cdkx-shop-artifacts-111111111111-eu-west-1',
      key: 'fleet/releases/v42/template.json',
      url: 'https://cdkx-shop-artifacts-111111111111-eu-west-1.s3.eu-west-1.amazonaws.com/fleet/releases/v42/template.json',
    });
    expect(templateLocation({ ...release, templateKey: 'a b/c+d.json' }, 'cn-north-1', { ...context, urlSuffix: 'amazonaws.com.cn' }).url)
      .toBe('https://cdkx-shop-artifacts-111111111111-cn-north-1.s3.cn-north-1.amazonaws.com.cn/a%20b/c%2Bd.json');
  });

  test('a work item: roles in the tenant account, tenant parameters override the release\'s', () => {
    const tenant: TenantRecord = {
      tenantId: 't-0001', account: '123456789012', region: 'eu-west-1', model: 'pool', parameters: { Size: 'XL', Color: 'blue' }, status: 'active',
    };
    expect(workItemFor(tenant, 'canary', release, { ...context, partition: 'aws-cn' })).toEqual({
      tenantId: 't-0001',
      account: '123456789012',
      region: 'eu-west-1',
      ring: 'canary',
      stackName: 'shop-app-t-0001',
      actionRoleArn: 'arn:aws-cn:iam::123456789012:role/cdkx-shop-deploy-action',
      executionRoleArn: 'arn:aws-cn:iam::123456789012:role/cdkx-shop-cfn-exec',
      templateUrl: 'https://cdkx-shop-artifacts-111111111111-eu-west-1.s3.eu-west-1.amazonaws.com/fleet/releases/v42/template.json',
      release: 'v42',
      parameters: [
        { ParameterKey: 'Color', ParameterValue: 'blue' },
        { ParameterKey: 'ImageTag', ParameterValue: 'v42' },
        { ParameterKey: 'Size', ParameterValue: 'XL' },
      ],
    });
    expect(workItemFor({ ...tenant, model: 'silo', parameters: {} }, 'rest', { version: 'v1', templateKey: 't.json' }, context))
      .toMatchObject({ stackName: 'shop-app', parameters: [] });
  });
});

describe('boundaries and malformed values', () => {
  test('a record without ring or lastRelease has no such keys, not undefined ones', () => {
    const [valid] = validateTenantRecords([record()], OPTIONS).valid;
    expect(Object.keys(valid).sort()).toEqual(['account', 'model', 'parameters', 'region', 'status', 'tenantId']);
    // A lastRelease that is not a string is not carried over either.
    const [odd] = validateTenantRecords([record({ lastRelease: 41 })], OPTIONS).valid;
    expect(Object.keys(odd)).not.toContain('lastRelease');
  });

  test('a stack name of exactly 128 characters is fine', () => {
    const tenantId = 'a'.repeat(63);
    const applicationName = 'b'.repeat(59);
    expect(`shop-${applicationName}-${tenantId}`).toHaveLength(128);
    const result = validateTenantRecords([record({ tenantId, model: 'pool' })], { ...OPTIONS, applicationName });
    expect(result.invalid).toEqual([]);
    expect(result.valid).toHaveLength(1);
  });

  test('a stack name with a character CloudFormation refuses after its first letter', () => {
    expect(reasonOf(record(), { ...OPTIONS, stackNamePrefix: 'shop_' }))
      .toBe("stack name 'shop_app' must start with a letter and hold only letters, digits and '-'");
    expect(reasonOf(record(), { ...OPTIONS, applicationName: 'app.v2' }))
      .toBe("stack name 'shop-app.v2' must start with a letter and hold only letters, digits and '-'");
  });

  test('parameters of exactly 64 KiB as JSON are fine, one byte more is refused', () => {
    const sized = (last: number) => ({
      ...Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`P${i}`, 'x'.repeat(4096)])),
      Last: 'x'.repeat(last),
    });
    expect(Buffer.byteLength(JSON.stringify(sized(3960)))).toBe(65_536);
    expect(validateTenantRecords([record({ parameters: sized(3960) })], OPTIONS).invalid).toEqual([]);
    expect(reasonOf(record({ parameters: sized(3961) })))
      .toBe("parameters take 65537 bytes as JSON, over the 65536 a tenant's work item may carry (Step Functions passes at most 256 KiB per item)");
  });

  test('parameter bytes count UTF-8, not characters', () => {
    // 15 values of 4,096 characters plus 1,321 three-byte characters: 62,897 characters of JSON, but 65,539 bytes.
    const parameters = {
      ...Object.fromEntries(Array.from({ length: 15 }, (_, i) => [`P${i}`, 'x'.repeat(4096)])),
      Last: '€'.repeat(1321),
    };
    expect(reasonOf(record({ parameters }))).toMatch(/^parameters take 65539 bytes as JSON/);
  });

  test('an account that is a number is refused once, and does not count as a shared silo account', () => {
    const result = validateTenantRecords([record({ tenantId: 'a', account: 123456789012 }), record({ tenantId: 'b', account: 123456789012 })], OPTIONS);
    expect(result.invalid).toEqual([
      { tenantId: 'a', reason: 'account 123456789012 is not a 12-digit AWS account id' },
      { tenantId: 'b', reason: 'account 123456789012 is not a 12-digit AWS account id' },
    ]);
  });

  test('a region or ring that is not a string', () => {
    expect(reasonOf(record({ region: 1 }))).toMatch(/^region 1 is not served by this rollout/);
    expect(reasonOf(record({ ring: null }))).toBe('ring null must be a string');
  });

  test('a release whose version or template key is not a string', () => {
    expect(releaseProblems({ version: 42, templateKey: 'k' }))
      .toEqual(["release.version 42 must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit"]);
    expect(releaseProblems({ version: 'v1' }))
      .toEqual(["release.templateKey undefined must be an S3 key of 1 to 1024 bytes, not starting with '/'"]);
    expect(releaseProblems({ version: 'v1', templateKey: 7 }))
      .toEqual(["release.templateKey 7 must be an S3 key of 1 to 1024 bytes, not starting with '/'"]);
  });

  test('a template key of exactly 1,024 bytes is fine, 1,025 is not', () => {
    expect(releaseProblems({ version: 'v1', templateKey: 'é'.repeat(512) })).toEqual([]);
    expect(releaseProblems({ version: 'v1', templateKey: `${'é'.repeat(512)}k` }))
      .toEqual([`release.templateKey "${'é'.repeat(512)}k" must be an S3 key of 1 to 1024 bytes, not starting with '/'`]);
  });
});
