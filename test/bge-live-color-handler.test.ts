import { CodeDeployClient, GetDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { retrySettingsOf } from './support/sdk-retry';
import { clients, DeploymentStateChangeEvent, handleStateChange, handler } from '../src/blue-green-efs-deploy/live-color.lambda';
import { INITIAL_LIVE_VALUE, INITIAL_PENDING_VALUE } from '../src/blue-green-efs-deploy/release-state';

const codeDeploy = mockClient(CodeDeployClient);
const ssm = mockClient(SSMClient);

const LIVE = '/app/web/live';
const PENDING = '/app/web/pending';
const GREEN_PENDING = '{"color":"green","releaseId":"build:42"}';

const ENV = {
  LIVE_PARAMETER_NAME: LIVE,
  PENDING_PARAMETER_NAME: PENDING,
  APPLICATION_NAME: 'web-app',
  DEPLOYMENT_GROUP_NAME: 'web',
};

function event(state: string, deploymentId = 'd-ABC', group = 'web', application = 'web-app'): DeploymentStateChangeEvent {
  return {
    'version': '0',
    'id': 'evt-1',
    'detail-type': 'CodeDeploy Deployment State-change Notification',
    'source': 'aws.codedeploy',
    'account': '111111111111',
    'time': '2025-01-01T00:00:00Z',
    'region': 'eu-west-1',
    'resources': [],
    'detail': { application, deploymentGroup: group, deploymentId, state, region: 'eu-west-1', instanceGroupId: 'ig-1' },
  };
}

/** SSM with a LIVE and a PENDING value; PutParameter updates LIVE like the service would. */
function givenParameters(live: string, pending: string, pendingModified?: Date): void {
  let current = live;
  ssm.on(GetParameterCommand, { Name: LIVE }).callsFake(async () => ({ Parameter: { Name: LIVE, Value: current } }));
  ssm.on(GetParameterCommand, { Name: PENDING }).resolves({ Parameter: { Name: PENDING, Value: pending, LastModifiedDate: pendingModified } });
  ssm.on(PutParameterCommand).callsFake(async (input: { Value: string }) => {
    current = input.Value;
    return { Version: 2 };
  });
}

/** An S3 revision as CodePipeline's deploy action passes it. */
function s3Revision(key: string) {
  return { revisionType: 'S3' as const, s3Location: { bucket: 'pipeline-artifacts', key, bundleType: 'zip' as const } };
}

function givenDeployment(creator: string, deploymentType = 'BLUE_GREEN', deploymentId = 'd-ABC', extra: { key?: string; createTime?: Date } = {}): void {
  codeDeploy.on(GetDeploymentCommand, { deploymentId }).resolves({
    deploymentInfo: {
      deploymentId,
      creator: creator as never,
      status: 'Succeeded',
      deploymentStyle: { deploymentType: deploymentType as never, deploymentOption: 'WITH_TRAFFIC_CONTROL' },
      ...(extra.key ? { revision: s3Revision(extra.key) } : {}),
      ...(extra.createTime ? { createTime: extra.createTime } : {}),
    },
  });
}

/** The LIVE value the fake SSM holds now. */
async function currentLive(): Promise<Record<string, unknown>> {
  const out = await new SSMClient({}).send(new GetParameterCommand({ Name: LIVE }));
  return JSON.parse(out.Parameter!.Value!);
}

function puts() {
  return ssm.commandCalls(PutParameterCommand).map((c) => c.args[0].input);
}

const savedEnv = { ...process.env };

beforeAll(() => {
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});

beforeEach(() => {
  codeDeploy.reset();
  ssm.reset();
  Object.assign(process.env, ENV);
});

afterAll(() => {
  process.env = savedEnv;
});

describe('live-color handler', () => {
  test('a release SUCCESS flips LIVE to the pending color', async () => {
    givenParameters(INITIAL_LIVE_VALUE, GREEN_PENDING);
    givenDeployment('user');

    const result = await handleStateChange(event('SUCCESS'));

    expect(codeDeploy.commandCalls(GetDeploymentCommand).map((c) => c.args[0].input)).toEqual([{ deploymentId: 'd-ABC' }]);
    expect(ssm.commandCalls(GetParameterCommand).map((c) => c.args[0].input.Name).sort()).toEqual([LIVE, PENDING]);
    expect(puts()).toEqual([{
      Name: LIVE,
      Value: '{"color":"green","deploymentId":"d-ABC","releaseId":"build:42","settledReleaseId":"build:42",'
        + '"settledByDeploymentId":"d-ABC","settledDeploymentIds":["d-ABC"]}',
      Type: 'String',
      Overwrite: true,
    }]);
    expect(result.written).toBe(true);
    expect(result.reason).toMatch(/flips blue -> green/);
  });

  test('records from the FIFO queue are handled one after another, in order', async () => {
    givenParameters(INITIAL_LIVE_VALUE, GREEN_PENDING);
    givenDeployment('user', 'BLUE_GREEN', 'd-ONE');
    givenDeployment('user', 'BLUE_GREEN', 'd-TWO');
    const record = (body: unknown, id: string) => ({ messageId: id, body: JSON.stringify(body) }) as any;

    const results = await handler({ Records: [record(event('SUCCESS', 'd-ONE'), 'm1'), record(event('FAILURE', 'd-TWO'), 'm2')] });

    expect(results).toHaveLength(2);
    expect(codeDeploy.commandCalls(GetDeploymentCommand).map((c) => c.args[0].input.deploymentId)).toEqual(['d-ONE', 'd-TWO']);
    expect(results[0].written).toBe(true);
  });

  test('the same SUCCESS delivered twice writes once', async () => {
    givenParameters(INITIAL_LIVE_VALUE, GREEN_PENDING);
    givenDeployment('user');

    await handleStateChange(event('SUCCESS'));
    const second = await handleStateChange(event('SUCCESS'));

    expect(puts()).toHaveLength(1);
    expect(second.written).toBe(false);
    expect(second.reason).toMatch(/already processed/);
  });

  test.each(['FAILURE', 'STOP'])('%s keeps the color and records the deployment', async (state) => {
    givenParameters(INITIAL_LIVE_VALUE, GREEN_PENDING);
    givenDeployment('user');

    await handleStateChange(event(state));

    expect(puts()).toEqual([{
      Name: LIVE,
      Value: '{"color":"blue","deploymentId":"initial","settledReleaseId":"build:42","settledByDeploymentId":"d-ABC","settledDeploymentIds":["d-ABC"]}',
      Type: 'String',
      Overwrite: true,
    }]);
  });

  test('a rollback deployment (codeDeployRollback) succeeding does not flip', async () => {
    const live = '{"color":"green","deploymentId":"d-1","releaseId":"build:41","settledDeploymentIds":["d-1","d-FAIL"]}';
    givenParameters(live, '{"color":"blue","releaseId":"build:42"}');
    givenDeployment('codeDeployRollback', 'BLUE_GREEN', 'd-RB');

    const result = await handleStateChange(event('SUCCESS', 'd-RB'));

    expect(puts()).toEqual([{
      Name: LIVE,
      Value: '{"color":"green","deploymentId":"d-1","releaseId":"build:41","settledDeploymentIds":["d-1","d-FAIL","d-RB"]}',
      Type: 'String',
      Overwrite: true,
    }]);
    expect(result.reason).toMatch(/codeDeployRollback/);
  });

  test('an autoscaling (scale-out) deployment does not flip even with a release pending', async () => {
    givenParameters('{"color":"blue","deploymentId":"d-0","settledDeploymentIds":["d-0"]}', GREEN_PENDING);
    givenDeployment('autoscaling', 'BLUE_GREEN', 'd-SCALE');

    await handleStateChange(event('SUCCESS', 'd-SCALE'));

    expect(puts().map((p) => JSON.parse(p.Value!))).toEqual([{ color: 'blue', deploymentId: 'd-0', settledDeploymentIds: ['d-0', 'd-SCALE'] }]);
  });

  test('nothing pending: no flip, the deployment is recorded', async () => {
    givenParameters(INITIAL_LIVE_VALUE, INITIAL_PENDING_VALUE);
    givenDeployment('user');

    const result = await handleStateChange(event('SUCCESS'));

    expect(puts().map((p) => JSON.parse(p.Value!))).toEqual([{ color: 'blue', deploymentId: 'initial', settledDeploymentIds: ['d-ABC'] }]);
    expect(result.reason).toMatch(/no release is pending/);
  });

  test('revision and create time reach the decision: a retry of a failed release flips, a console redeploy of another revision does not', async () => {
    givenParameters(INITIAL_LIVE_VALUE, GREEN_PENDING, new Date('2025-01-01T00:00:00Z'));
    givenDeployment('user', 'BLUE_GREEN', 'd-FAIL', { key: 'Pipe/Bundle/Rel42', createTime: new Date('2025-01-01T00:01:00Z') });
    givenDeployment('user', 'BLUE_GREEN', 'd-OLD', { key: 'Pipe/Bundle/Rel41', createTime: new Date('2025-01-01T00:10:00Z') });
    givenDeployment('user', 'BLUE_GREEN', 'd-RETRY', { key: 'Pipe/Bundle/Rel42', createTime: new Date('2025-01-01T00:20:00Z') });

    await handleStateChange(event('FAILURE', 'd-FAIL'));
    const redeploy = await handleStateChange(event('SUCCESS', 'd-OLD'));
    expect(redeploy.reason).toMatch(/pending release build:42 was already settled by deployment d-FAIL/);
    expect((await currentLive()).color).toBe('blue');

    const retry = await handleStateChange(event('SUCCESS', 'd-RETRY'));
    expect(retry.reason).toMatch(/live flips blue -> green/);
    expect(await currentLive()).toEqual(expect.objectContaining({
      color: 'green',
      deploymentId: 'd-RETRY',
      releaseId: 'build:42',
      deploymentCreateTime: Date.parse('2025-01-01T00:20:00Z'),
      settledDeploymentIds: ['d-FAIL', 'd-OLD', 'd-RETRY'],
    }));
  });

  test('a deployment created before PENDING was written does not use the release up', async () => {
    givenParameters(INITIAL_LIVE_VALUE, GREEN_PENDING, new Date('2025-01-01T00:05:00Z'));
    givenDeployment('user', 'BLUE_GREEN', 'd-EARLY', { key: 'Pipe/Bundle/Rel41', createTime: new Date('2025-01-01T00:00:00Z') });

    const result = await handleStateChange(event('FAILURE', 'd-EARLY'));

    expect(result.reason).toMatch(/created before the pending release build:42 was published/);
    expect(await currentLive()).toEqual({ color: 'blue', deploymentId: 'initial', settledDeploymentIds: ['d-EARLY'] });
  });

  test('a redelivered old FAILURE after a newer SUCCESS writes nothing', async () => {
    givenParameters(INITIAL_LIVE_VALUE, GREEN_PENDING);
    givenDeployment('user', 'BLUE_GREEN', 'd-F', { key: 'Pipe/Bundle/Rel41' });
    givenDeployment('user', 'BLUE_GREEN', 'd-S', { key: 'Pipe/Bundle/Rel42' });
    await handleStateChange(event('FAILURE', 'd-F'));
    ssm.on(GetParameterCommand, { Name: PENDING }).resolves({ Parameter: { Name: PENDING, Value: '{"color":"green","releaseId":"build:43"}' } });
    await handleStateChange(event('SUCCESS', 'd-S'));
    const before = await currentLive();
    expect(before.color).toBe('green');

    const again = await handleStateChange(event('FAILURE', 'd-F'));

    expect(again).toEqual(expect.objectContaining({ written: false, reason: expect.stringMatching(/d-F was already processed/) }));
    expect(puts()).toHaveLength(2);
    expect(await currentLive()).toEqual(before);
  });

  test.each([
    ['another group', event('SUCCESS', 'd-ABC', 'other-group')],
    ['another application', event('SUCCESS', 'd-ABC', 'web', 'other-app')],
    ['a state that settles nothing', event('READY')],
  ])('%s is ignored without any call', async (_name, e) => {
    const result = await handleStateChange(e);

    expect(result.written).toBe(false);
    expect(result.reason).toMatch(/^ignored/);
    expect(codeDeploy.calls()).toHaveLength(0);
    expect(ssm.calls()).toHaveLength(0);
  });

  // The SDK retries throttling and 5xx errors (the mocks skip that middleware):
  // adaptive mode also slows the client's own request rate while throttled.
  test.each(Object.entries(clients))('the %s client retries on the SDK: adaptive mode, 6 tries in all', async (_name, client) => {
    await expect(retrySettingsOf(client)).resolves.toEqual({ mode: 'adaptive', maxAttempts: 6 });
  });

  test('a throttling error the SDK gave up on fails the event, LIVE unwritten: no retries on top of the SDK\'s', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
    givenParameters(INITIAL_LIVE_VALUE, GREEN_PENDING);
    codeDeploy.on(GetDeploymentCommand).rejectsOnce(throttled).resolves({
      deploymentInfo: { deploymentId: 'd-ABC', creator: 'user', deploymentStyle: { deploymentType: 'BLUE_GREEN' } },
    });

    await expect(handleStateChange(event('SUCCESS'))).rejects.toBe(throttled);
    expect(codeDeploy.commandCalls(GetDeploymentCommand)).toHaveLength(1);
    expect(puts()).toHaveLength(0);
  });

  test('a corrupt LIVE value fails loudly and writes nothing', async () => {
    givenParameters('{"color":"purple","deploymentId":"d-1"}', GREEN_PENDING);
    givenDeployment('user');

    await expect(handler(event('SUCCESS'))).rejects.toThrow(/LIVE parameter\.color must be "blue" or "green"/);
    expect(puts()).toHaveLength(0);
  });

  test('missing configuration fails', async () => {
    delete process.env.LIVE_PARAMETER_NAME;

    await expect(handler(event('SUCCESS'))).rejects.toThrow(/LIVE_PARAMETER_NAME is not set/);
  });
});
