import { DynamoDBClient, GetItemCommand, ScanCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { HeadObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { retrySettingsOf } from './support/sdk-retry';
import { clients, fromItem, handler, OnboardResult, RolloutPlanResult } from '../src/fleet-rollout/planner.lambda';
import { RingSpec } from '../src/fleet-rollout/ring-plan';

const dynamo = mockClient(DynamoDBClient);
const s3 = mockClient(S3Client);

const RINGS: RingSpec[] = [
  { name: 'canary', selector: { kind: 'named', ringName: 'canary' }, bakeSeconds: 600, approval: false },
  { name: 'first', selector: { kind: 'count', count: 2 }, bakeSeconds: 0, approval: true },
  { name: 'empty', selector: { kind: 'percent', percent: 10 }, bakeSeconds: 0, approval: false },
  { name: 'rest', selector: { kind: 'rest' }, bakeSeconds: 0, approval: false },
];

const ENV = {
  TABLE_NAME: 'registry',
  WORK_BUCKET: 'work-bucket',
  QUALIFIER: 'shop',
  TOOLING_ACCOUNT: '111111111111',
  PARTITION: 'aws',
  URL_SUFFIX: 'amazonaws.com',
  STACK_NAME_PREFIX: 'shop-',
  APPLICATION_NAME: 'app',
  ACTION_ROLE_NAME: 'cdkx-shop-deploy-action',
  EXECUTION_ROLE_NAME: 'cdkx-shop-cfn-exec',
  REGIONS: JSON.stringify(['eu-west-1', 'us-east-1']),
  RINGS: JSON.stringify(RINGS),
};

const RELEASE = { version: 'v42', templateKey: 'fleet/releases/v42/template.json', parameters: { ImageTag: 'v42' } };
const EU_BUCKET = 'cdkx-shop-artifacts-111111111111-eu-west-1';
const US_BUCKET = 'cdkx-shop-artifacts-111111111111-us-east-1';

function tenant(tenantId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const n = tenantId.replace(/\D/g, '').padStart(12, '0');
  return { tenantId, account: n, region: 'eu-west-1', status: 'active', ...extra };
}

/** Serves `items` through Scan in pages of `pageSize`, like DynamoDB. */
function givenRegistry(items: Record<string, unknown>[], pageSize = 3): void {
  type ScanInput = { ExclusiveStartKey?: Record<string, never>; FilterExpression?: string; ExpressionAttributeValues?: Record<string, never> };
  dynamo.on(ScanCommand).callsFake(async (input: ScanInput) => {
    let pool = items;
    if (input.FilterExpression) {
      const values = unmarshall(input.ExpressionAttributeValues!);
      pool = items.filter((item) => item.account === values[':account'] && item.tenantId !== values[':tenantId']);
    }
    const start = input.ExclusiveStartKey ? pool.findIndex((item) => item.tenantId === unmarshall(input.ExclusiveStartKey!).tenantId) + 1 : 0;
    const page = pool.slice(start, start + pageSize);
    const more = start + pageSize < pool.length;
    const next = more ? { LastEvaluatedKey: marshall({ tenantId: page[page.length - 1].tenantId }) } : {};
    return { Items: page.map((item) => marshall(item)), ...next };
  });
  dynamo.on(GetItemCommand).callsFake(async (input: { Key: Record<string, never> }) => {
    const id = unmarshall(input.Key).tenantId;
    const item = items.find((candidate) => candidate.tenantId === id);
    return item ? { Item: marshall(item) } : {};
  });
  dynamo.on(UpdateItemCommand).resolves({});
}

function givenTemplates(present: Record<string, boolean>): void {
  s3.on(HeadObjectCommand).callsFake(async (input: { Bucket: string }) => {
    if (present[input.Bucket]) return { ContentLength: 10 };
    throw new S3ServiceException({ name: 'NotFound', $fault: 'client', $metadata: { httpStatusCode: 404 }, message: 'UnknownError' });
  });
  s3.on(PutObjectCommand).resolves({});
}

function ringFiles(): Record<string, unknown[]> {
  return Object.fromEntries(s3.commandCalls(PutObjectCommand).map((call) => {
    expect(call.args[0].input.Bucket).toBe('work-bucket');
    expect(call.args[0].input.ContentType).toBe('application/json');
    return [call.args[0].input.Key as string, JSON.parse(call.args[0].input.Body as string) as unknown[]];
  }));
}

function updates(): { tenantId: string; expression: string; values: Record<string, unknown> }[] {
  return dynamo.commandCalls(UpdateItemCommand).map((call) => ({
    tenantId: unmarshall(call.args[0].input.Key!).tenantId as string,
    expression: call.args[0].input.UpdateExpression!,
    values: unmarshall(call.args[0].input.ExpressionAttributeValues!),
  }));
}

async function rollout(release: unknown = RELEASE): Promise<RolloutPlanResult> {
  return await handler({ mode: 'rollout', release: release as never, executionName: 'exec-1' }) as RolloutPlanResult;
}

async function onboard(tenantId: string): Promise<OnboardResult> {
  return await handler({ mode: 'onboard', tenantId }) as OnboardResult;
}

const saved = { ...process.env };
beforeEach(() => {
  dynamo.reset();
  s3.reset();
  Object.assign(process.env, ENV);
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
afterEach(() => {
  process.env = { ...saved };
  jest.restoreAllMocks();
});

describe('rollout', () => {
  const registry = [
    { tenantId: '#lock', executionArn: 'arn:aws:states:eu-west-1:111111111111:execution:m:exec-1', startedAt: 'now' },
    tenant('t-01', { ring: 'canary' }),
    tenant('t-02'),
    tenant('t-03', { region: 'us-east-1', model: 'pool', parameters: { ImageTag: 'pinned', Size: 'L' } }),
    tenant('t-04'),
    tenant('t-05', { region: 'ap-south-1' }),
    tenant('t-06', { status: 'suspended' }),
    tenant('t-07', { ring: 'gamma' }),
    tenant('t-08', { lastRelease: 'v41', lastResult: { status: 'SUCCEEDED', release: 'v41', at: 'then' } }),
  ];

  test('reads every page consistently, marks the invalid, writes one ring file per ring', async () => {
    givenRegistry(registry);
    givenTemplates({ [EU_BUCKET]: true, [US_BUCKET]: true });

    const result = await rollout();

    const scans = dynamo.commandCalls(ScanCommand);
    expect(scans).toHaveLength(3);
    scans.forEach((scan) => expect(scan.args[0].input).toMatchObject({ TableName: 'registry', ConsistentRead: true }));
    expect(scans[1].args[0].input.ExclusiveStartKey).toEqual(marshall({ tenantId: 't-02' }));

    expect(result).toEqual({
      rings: [
        { name: 'canary', count: 1, itemsKey: 'rollouts/exec-1/canary.json' },
        { name: 'first', count: 2, itemsKey: 'rollouts/exec-1/first.json' },
        // 10% of 5 eligible tenants = 1.
        { name: 'empty', count: 1, itemsKey: 'rollouts/exec-1/empty.json' },
        { name: 'rest', count: 1, itemsKey: 'rollouts/exec-1/rest.json' },
      ],
      total: 5,
      invalid: 2,
      alreadyOnRelease: 0,
      inactive: 1,
      releaseParameters: '{"ImageTag":"v42"}',
    });
    const files = ringFiles();
    expect(Object.keys(files)).toEqual(['rollouts/exec-1/canary.json', 'rollouts/exec-1/first.json', 'rollouts/exec-1/empty.json', 'rollouts/exec-1/rest.json']);
    expect(files['rollouts/exec-1/canary.json']).toEqual([{
      tenantId: 't-01',
      account: '000000000001',
      region: 'eu-west-1',
      ring: 'canary',
      stackName: 'shop-app',
      actionRoleArn: 'arn:aws:iam::000000000001:role/cdkx-shop-deploy-action',
      executionRoleArn: 'arn:aws:iam::000000000001:role/cdkx-shop-cfn-exec',
      templateUrl: `https://${EU_BUCKET}.s3.eu-west-1.amazonaws.com/fleet/releases/v42/template.json`,
      release: 'v42',
      parameters: [{ ParameterKey: 'ImageTag', ParameterValue: 'v42' }],
    }]);
    expect(files['rollouts/exec-1/first.json']).toEqual([
      expect.objectContaining({ tenantId: 't-02', ring: 'first' }),
      expect.objectContaining({
        tenantId: 't-03',
        region: 'us-east-1',
        stackName: 'shop-app-t-03',
        templateUrl: `https://${US_BUCKET}.s3.us-east-1.amazonaws.com/fleet/releases/v42/template.json`,
        parameters: [{ ParameterKey: 'ImageTag', ParameterValue: 'pinned' }, { ParameterKey: 'Size', ParameterValue: 'L' }],
      }),
    ]);
    expect(files['rollouts/exec-1/empty.json']).toEqual([expect.objectContaining({ tenantId: 't-04' })]);
    expect(files['rollouts/exec-1/rest.json']).toEqual([expect.objectContaining({ tenantId: 't-08' })]);

    const marked = updates();
    expect(marked.map((u) => u.tenantId).sort()).toEqual(['t-05', 't-07']);
    for (const update of marked) {
      // Only lastResult: the stack still runs lastRelease.
      expect(update.expression).toBe('SET #lastResult = :lastResult');
      expect(update.values[':lastResult']).toEqual({ status: 'INVALID', reason: expect.any(String), release: 'v42', at: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    }
    expect(marked.find((u) => u.tenantId === 't-05')!.values[':lastResult']).toMatchObject({
      reason: 'region "ap-south-1" is not served by this rollout (it deploys to eu-west-1, us-east-1 only; Step Functions calls CloudFormation in its own region): register the tenant with the FleetRollout of its region',
    });
    expect(marked.find((u) => u.tenantId === 't-07')!.values[':lastResult']).toMatchObject({ reason: "ring 'gamma' is not one of: canary" });
    dynamo.commandCalls(UpdateItemCommand).forEach((call) => expect(call.args[0].input.ConditionExpression).toBe('attribute_exists(#tenantId)'));

    // One HeadObject per region with tenants to deploy, in that region.
    const heads = s3.commandCalls(HeadObjectCommand);
    expect(heads.map((call) => call.args[0].input)).toEqual([
      { Bucket: EU_BUCKET, Key: RELEASE.templateKey },
      { Bucket: US_BUCKET, Key: RELEASE.templateKey },
    ]);
    const regions = await Promise.all(heads.map((call) => (call.thisValue as S3Client).config.region()));
    expect(regions).toEqual(['eu-west-1', 'us-east-1']);
  });

  test('a template missing in one region fails the rollout before any ring file', async () => {
    givenRegistry(registry);
    givenTemplates({ [EU_BUCKET]: true });
    await expect(rollout()).rejects.toThrow(
      `release v42: the template is missing in us-east-1: s3://${US_BUCKET}/fleet/releases/v42/template.json does not exist`,
    );
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  test('other S3 errors name the bucket and key too', async () => {
    givenRegistry([tenant('t-01')]);
    s3.on(HeadObjectCommand).rejects(new S3ServiceException({ name: 'Forbidden', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'denied' }));
    await expect(rollout()).rejects.toThrow(`release v42: cannot check the template in eu-west-1 (s3://${EU_BUCKET}/fleet/releases/v42/template.json): Forbidden`);
  });

  test('regions without tenants to deploy are not checked', async () => {
    givenRegistry([tenant('t-01')]);
    givenTemplates({ [EU_BUCKET]: true });
    await rollout();
    expect(s3.commandCalls(HeadObjectCommand).map((call) => call.args[0].input.Bucket)).toEqual([EU_BUCKET]);
  });

  test('re-run: tenants on the release are skipped, records already marked are not written again', async () => {
    const done = { lastRelease: 'v42', lastResult: { status: 'SUCCEEDED', release: 'v42', at: 'then' } };
    givenRegistry([
      tenant('t-01', { ring: 'canary', ...done }),
      tenant('t-02', done),
      tenant('t-03', { lastRelease: 'v41', lastResult: { status: 'FAILED', reason: 'boom', release: 'v42', at: 'then' } }),
      tenant('t-05', {
        region: 'ap-south-1',
        lastResult: { status: 'INVALID', reason: 'region "ap-south-1" is not served by this rollout (it deploys to eu-west-1, us-east-1 only; Step Functions calls CloudFormation in its own region): register the tenant with the FleetRollout of its region', release: 'v42', at: 'then' },
      }),
      // Marked for an older release: marked again for this one.
      tenant('t-07', { ring: 'gamma', lastResult: { status: 'INVALID', reason: "ring 'gamma' is not one of: canary", release: 'v41', at: 'then' } }),
    ]);
    givenTemplates({ [EU_BUCKET]: true });
    const result = await rollout();
    expect(result.rings.map((r) => r.count)).toEqual([0, 1, 0, 0]);
    expect(result).toMatchObject({ total: 1, invalid: 2, alreadyOnRelease: 2, inactive: 0 });
    expect(ringFiles()).toEqual({
      'rollouts/exec-1/canary.json': [],
      'rollouts/exec-1/first.json': [expect.objectContaining({ tenantId: 't-03' })],
      'rollouts/exec-1/empty.json': [],
      'rollouts/exec-1/rest.json': [],
    });
    expect(updates().map((u) => u.tenantId)).toEqual(['t-07']);
  });

  test('an empty registry writes empty ring files and checks no template', async () => {
    givenRegistry([]);
    givenTemplates({});
    const result = await rollout();
    expect(result).toEqual(expect.objectContaining({ total: 0, invalid: 0 }));
    expect(Object.values(ringFiles())).toEqual([[], [], [], []]);
    expect(s3.commandCalls(HeadObjectCommand)).toHaveLength(0);
  });

  test('duplicate silo accounts: both marked, each naming the other', async () => {
    givenRegistry([tenant('t-01'), tenant('t-02', { account: '000000000001' })]);
    givenTemplates({ [EU_BUCKET]: true });
    const result = await rollout();
    expect(result.total).toBe(0);
    expect(updates().map((u) => [u.tenantId, (u.values[':lastResult'] as { reason: string }).reason])).toEqual([
      ['t-01', "account 000000000001 is also the account of active silo tenant 't-02'; a silo account holds one tenant"],
      ['t-02', "account 000000000001 is also the account of active silo tenant 't-01'; a silo account holds one tenant"],
    ]);
  });

  test('numbers out of range or in sets do not fail the rollout: the record is invalid', async () => {
    dynamo.on(ScanCommand).resolves({
      Items: [
        { tenantId: { S: 't-01' }, account: { N: '1e400' }, region: { S: 'eu-west-1' }, status: { S: 'active' } },
        { tenantId: { S: 't-02' }, account: { S: '000000000002' }, region: { S: 'eu-west-1' }, status: { S: 'active' }, parameters: { M: { Size: { N: '12345678901234567890' } } } },
        { tenantId: { S: 't-03' }, account: { S: '000000000003' }, region: { S: 'eu-west-1' }, status: { S: 'active' }, ring: { NS: ['1'] } },
      ],
    });
    dynamo.on(UpdateItemCommand).resolves({});
    givenTemplates({});
    expect(await rollout()).toMatchObject({ total: 0, invalid: 3 });
    expect(updates().map((u) => [u.tenantId, (u.values[':lastResult'] as { reason: string }).reason])).toEqual([
      ['t-01', 'account null is not a 12-digit AWS account id'],
      ['t-02', 'parameters.Size must be a string, not 12345678901234567000'],
      ['t-03', 'ring {} must be a string'],
    ]);
    expect(fromItem({ n: { N: '7' }, l: { L: [{ N: '1' }] }, b: { B: new Uint8Array([1]) }, m: { M: { value: { S: 'x' } } } }))
      .toEqual({ n: 7, l: [1], b: new Uint8Array([1]), m: { value: 'x' } });
  });

  test('records that cannot be keyed are reported but not written', async () => {
    givenRegistry([{ account: '000000000001' }, tenant('t-01')]);
    givenTemplates({ [EU_BUCKET]: true });
    expect((await rollout()).invalid).toBe(1);
    expect(updates()).toEqual([]);
  });

  test('a record deleted meanwhile is not written back', async () => {
    givenRegistry([tenant('t-05', { region: 'ap-south-1' })]);
    dynamo.on(UpdateItemCommand).rejects(Object.assign(new Error('gone'), { name: 'ConditionalCheckFailedException' }));
    givenTemplates({});
    await expect(rollout()).resolves.toMatchObject({ invalid: 1 });
  });

  test('other write errors fail the plan', async () => {
    givenRegistry([tenant('t-05', { region: 'ap-south-1' })]);
    dynamo.on(UpdateItemCommand).rejects(Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' }));
    givenTemplates({});
    await expect(rollout()).rejects.toThrow('slow down');
  });

  test('an invalid release fails before reading the registry', async () => {
    givenRegistry([tenant('t-01')]);
    await expect(rollout({ version: '-bad', templateKey: 'k' })).rejects.toThrow(/^invalid release: release\.version "-bad"/);
    expect(dynamo.commandCalls(ScanCommand)).toHaveLength(0);
  });

  test('a release without parameters is recorded with {} (RecordRelease needs a JSON string)', async () => {
    givenRegistry([tenant('t-01', { ring: 'canary' })]);
    givenTemplates({ [EU_BUCKET]: true });
    const { parameters: _omitted, ...bare } = RELEASE;
    const result = await handler({ mode: 'rollout', release: bare, executionName: 'exec-2' }) as any;
    expect(result.releaseParameters).toBe('{}');
  });

  test('the execution name is required', async () => {
    await expect(handler({ mode: 'rollout', release: RELEASE, executionName: '' })).rejects.toThrow(/executionName is missing/);
  });
});

describe('onboard', () => {
  const releaseItem = { tenantId: '#release', version: 'v42', templateKey: RELEASE.templateKey, parameters: { ImageTag: 'v42' }, at: 'then' };

  test('reads the #release item as the rollout state machine writes it (parameters as a JSON string)', async () => {
    givenRegistry([{ ...releaseItem, parameters: JSON.stringify({ ImageTag: 'v42' }) }, tenant('t-01', { ring: 'canary' })]);
    givenTemplates({ [EU_BUCKET]: true });
    const result = await onboard('t-01') as any;
    expect(result.deploy).toBe(true);
    expect(result.item.parameters).toEqual([{ ParameterKey: 'ImageTag', ParameterValue: 'v42' }]);
  });

  test('a #release item whose parameters are not a JSON object fails loudly', async () => {
    givenRegistry([{ ...releaseItem, parameters: '[1,2' }, tenant('t-01')]);
    givenTemplates({ [EU_BUCKET]: true });
    await expect(onboard('t-01')).rejects.toThrow(/#release.*parameters/);
  });

  test('deploys the last finished release', async () => {
    givenRegistry([releaseItem, tenant('t-01', { ring: 'canary', parameters: { Size: 'S' } }), tenant('t-02')]);
    givenTemplates({ [EU_BUCKET]: true });
    const result = await onboard('t-01');
    expect(result).toEqual({
      deploy: true,
      item: {
        tenantId: 't-01',
        account: '000000000001',
        region: 'eu-west-1',
        ring: 'canary',
        stackName: 'shop-app',
        actionRoleArn: 'arn:aws:iam::000000000001:role/cdkx-shop-deploy-action',
        executionRoleArn: 'arn:aws:iam::000000000001:role/cdkx-shop-cfn-exec',
        templateUrl: `https://${EU_BUCKET}.s3.eu-west-1.amazonaws.com/fleet/releases/v42/template.json`,
        release: 'v42',
        parameters: [{ ParameterKey: 'ImageTag', ParameterValue: 'v42' }, { ParameterKey: 'Size', ParameterValue: 'S' }],
      },
    });
    const gets = dynamo.commandCalls(GetItemCommand).map((call) => call.args[0].input);
    expect(gets.map((input) => unmarshall(input.Key!).tenantId).sort()).toEqual(['#release', 't-01']);
    gets.forEach((input) => expect(input).toMatchObject({ TableName: 'registry', ConsistentRead: true }));
    expect(s3.commandCalls(HeadObjectCommand).map((call) => call.args[0].input)).toEqual([{ Bucket: EU_BUCKET, Key: RELEASE.templateKey }]);
    expect(updates()).toEqual([]);
  });

  test('a tenant without a ring gets the onboarding ring name', async () => {
    givenRegistry([releaseItem, tenant('t-02')]);
    givenTemplates({ [EU_BUCKET]: true });
    expect(await onboard('t-02')).toMatchObject({ deploy: true, item: { ring: 'onboarding' } });
  });

  test('the engine\'s own items are not tenants', async () => {
    givenRegistry([releaseItem, { tenantId: '#lock', executionArn: 'arn' }]);
    expect(await onboard('#lock')).toEqual({ deploy: false, reason: "'#lock' is a registry item of the engine, not a tenant" });
    expect(dynamo.commandCalls(GetItemCommand)).toHaveLength(0);
  });

  test('no release finished yet', async () => {
    givenRegistry([tenant('t-01')]);
    expect(await onboard('t-01')).toEqual({ deploy: false, reason: "no release has finished every ring yet; tenant 't-01' gets the first one" });
    expect(s3.commandCalls(HeadObjectCommand)).toHaveLength(0);
  });

  test('a tenant not in the registry', async () => {
    givenRegistry([releaseItem]);
    expect(await onboard('t-09')).toEqual({ deploy: false, reason: "tenant 't-09' is not in the registry" });
  });

  test('an invalid record is marked INVALID and not deployed', async () => {
    givenRegistry([releaseItem, tenant('t-05', { region: 'ap-south-1', lastRelease: 'v40' })]);
    const result = await onboard('t-05');
    const reason = 'region "ap-south-1" is not served by this rollout (it deploys to eu-west-1, us-east-1 only; Step Functions calls CloudFormation in its own region): register the tenant with the FleetRollout of its region';
    expect(result).toEqual({ deploy: false, reason });
    expect(updates()).toEqual([{
      tenantId: 't-05',
      expression: 'SET #lastResult = :lastResult',
      values: { ':lastResult': { status: 'INVALID', reason, release: 'v42', at: expect.any(String) } },
    }]);
  });

  test('a second silo tenant in an account: only the newcomer is marked', async () => {
    givenRegistry([releaseItem, tenant('t-01'), tenant('t-02', { account: '000000000001' }), tenant('t-03')]);
    const result = await onboard('t-02');
    expect(result).toEqual({ deploy: false, reason: "account 000000000001 is also the account of active silo tenant 't-01'; a silo account holds one tenant" });
    expect(updates().map((u) => u.tenantId)).toEqual(['t-02']);
    const scan = dynamo.commandCalls(ScanCommand)[0].args[0].input;
    expect(scan).toMatchObject({ ConsistentRead: true, FilterExpression: '#account = :account AND #tenantId <> :tenantId' });
    expect(unmarshall(scan.ExpressionAttributeValues!)).toEqual({ ':account': '000000000001', ':tenantId': 't-02' });
  });

  test('a pool tenant may share an account', async () => {
    givenRegistry([releaseItem, tenant('t-01'), tenant('t-02', { account: '000000000001', model: 'pool' })]);
    givenTemplates({ [EU_BUCKET]: true });
    expect(await onboard('t-02')).toMatchObject({ deploy: true, item: { stackName: 'shop-app-t-02' } });
  });

  test('an inactive tenant is not deployed', async () => {
    givenRegistry([releaseItem, tenant('t-01', { status: 'suspended' })]);
    expect(await onboard('t-01')).toEqual({ deploy: false, reason: "tenant 't-01' is suspended" });
    expect(updates()).toEqual([]);
  });

  test('a tenant already on the release', async () => {
    givenRegistry([releaseItem, tenant('t-01', { lastRelease: 'v42', lastResult: { status: 'SUCCEEDED', release: 'v42', at: 'then' } })]);
    expect(await onboard('t-01')).toEqual({ deploy: false, reason: "tenant 't-01' is already on release v42" });
  });

  test('a tenant whose last try of the release failed is deployed again', async () => {
    givenRegistry([releaseItem, tenant('t-01', { lastRelease: 'v41', lastResult: { status: 'FAILED', release: 'v42', at: 'then' } })]);
    givenTemplates({ [EU_BUCKET]: true });
    expect(await onboard('t-01')).toMatchObject({ deploy: true });
  });

  test('the release template missing in the tenant region fails the onboarding', async () => {
    givenRegistry([releaseItem, tenant('t-03', { region: 'us-east-1' })]);
    givenTemplates({ [EU_BUCKET]: true });
    await expect(onboard('t-03')).rejects.toThrow(`release v42: the template is missing in us-east-1: s3://${US_BUCKET}/fleet/releases/v42/template.json`);
  });

  test('a broken #release item fails loudly', async () => {
    givenRegistry([{ tenantId: '#release', version: 'v 42' }, tenant('t-01')]);
    await expect(onboard('t-01')).rejects.toThrow(/the registry's #release item is not a valid release: release\.version "v 42"/);
  });
});

describe('configuration', () => {
  test('an unknown mode', async () => {
    await expect(handler({ mode: 'other' } as never)).rejects.toThrow('unknown planner mode "other"; expected \'rollout\' or \'onboard\'');
  });

  test('a missing variable', async () => {
    delete process.env.WORK_BUCKET;
    await expect(onboard('t-01')).rejects.toThrow('environment variable WORK_BUCKET is not set');
  });

  test('rings that are not valid', async () => {
    process.env.RINGS = JSON.stringify([{ name: 'canary', selector: { kind: 'count', count: 1 }, bakeSeconds: 0, approval: false }]);
    await expect(onboard('t-01')).rejects.toThrow(/environment variable RINGS is invalid: RINGS\[0\]: the last ring must be a rest ring/);
    process.env.RINGS = 'not json';
    await expect(onboard('t-01')).rejects.toThrow(/environment variable RINGS is not valid JSON/);
  });

  test('the SDK retries, adaptively', async () => {
    expect(await retrySettingsOf(clients.dynamo as never)).toEqual({ mode: 'adaptive', maxAttempts: 6 });
    expect(await retrySettingsOf(clients.s3 as never)).toEqual({ mode: 'adaptive', maxAttempts: 6 });
  });
});
