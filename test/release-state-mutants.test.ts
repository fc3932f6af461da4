/**
 * Edges of the release state that the behaviour tests leave open: every parse
 * rule at its edge, every log line of a decision spelled out, and equal times.
 */
import {
  decideAfterDeployment, DecisionInput, LiveState, parseLiveState, PendingRelease, revisionFingerprint,
} from '../src/blue-green-efs-deploy/release-state';

const live: LiveState = { color: 'blue', deploymentId: 'initial' };
const pending: PendingRelease = { color: 'green', releaseId: 'build:1' };

function decide(overrides: Partial<DecisionInput>) {
  return decideAfterDeployment({
    live, pending, deploymentId: 'd-1', state: 'SUCCESS', creator: 'user', deploymentType: 'BLUE_GREEN', ...overrides,
  });
}

describe('parseLiveState edges', () => {
  test.each(['7', '"blue"', 'true'])('%s is no JSON object', (json) => {
    expect(() => parseLiveState(json)).toThrow(new Error(`LIVE parameter must be a JSON object, got: ${JSON.stringify(json)}`));
  });

  test('null optional fields are absent ones', () => {
    const json = '{"color":"blue","deploymentId":"d-1","releaseId":null,"deploymentCreateTime":null,"settledDeploymentIds":null,"revisionColors":null}';
    expect(parseLiveState(json)).toStrictEqual({ color: 'blue', deploymentId: 'd-1' });
  });

  test('deploymentCreateTime: 0 is a time; negative and infinite are not', () => {
    expect(parseLiveState('{"color":"blue","deploymentId":"d-1","deploymentCreateTime":0}').deploymentCreateTime).toBe(0);
    for (const time of ['-1', '1e999']) {
      const parsed = JSON.parse(time);
      expect(() => parseLiveState(`{"color":"blue","deploymentId":"d-1","deploymentCreateTime":${time}}`)).toThrow(new Error(
        `LIVE parameter.deploymentCreateTime must be a time in epoch milliseconds when present, got ${JSON.stringify(parsed)}`,
      ));
    }
  });

  test('a repeated settled deployment id keeps its latest place', () => {
    expect(parseLiveState('{"color":"blue","deploymentId":"d-1","settledDeploymentIds":["d-1","d-2","d-1"]}').settledDeploymentIds).toEqual(['d-2', 'd-1']);
  });

  test('a repeated revision keeps its latest color and place', () => {
    expect(parseLiveState('{"color":"blue","deploymentId":"d-1","revisionColors":[["a","blue"],["b","green"],["a","green"]]}').revisionColors)
      .toEqual([['b', 'green'], ['a', 'green']]);
  });

  test.each([
    ['"a"'], ['["a"]'], ['["a","blue","x"]'], ['["","blue"]'], ['[1,"blue"]'],
  ])('revision color entry %s is refused', (entry) => {
    expect(() => parseLiveState(`{"color":"blue","deploymentId":"d-1","revisionColors":[${entry}]}`)).toThrow(new Error(
      `LIVE parameter.revisionColors must hold [revision, "blue"|"green"] pairs, got ${JSON.stringify(JSON.parse(entry))}`,
    ));
  });
});

test('GitHub revisions are fingerprinted by repository and commit', () => {
  const a = revisionFingerprint({ gitHubLocation: { repository: 'org/app', commitId: 'aaaa' } });
  expect(a).toMatch(/^[0-9a-f]{12}$/);
  expect(revisionFingerprint({ gitHubLocation: { repository: 'org/app', commitId: 'bbbb' } })).not.toBe(a);
  expect(revisionFingerprint({ gitHubLocation: { repository: 'org/other', commitId: 'aaaa' } })).not.toBe(a);
  expect(revisionFingerprint({ gitHubLocation: { repository: 'org/app', commitId: 'aaaa' } })).toBe(a);
});

describe('decideAfterDeployment: each log line', () => {
  test('a state that settles nothing', () => {
    expect(decide({ state: 'IN_PROGRESS' })).toEqual({ next: live, changed: false, reason: 'state IN_PROGRESS of d-1 does not settle a deployment' });
  });

  test('the deployment that made the color live, even when LIVE lists no settled ids', () => {
    const current: LiveState = { color: 'green', deploymentId: 'd-1' };
    expect(decide({ live: current })).toEqual({ next: current, changed: false, reason: 'd-1 was already processed; live stays green' });
  });

  test.each([
    [{ creator: 'autoscaling', state: 'FAILURE' }, 'd-1 ended in FAILURE but was created by autoscaling, not a release; live stays blue'],
    [{ creator: undefined }, 'd-1 succeeded but was created by an unknown creator, not a release; live stays blue'],
    [{ deploymentType: 'IN_PLACE', state: 'STOP' }, 'd-1 ended in STOP but is IN_PLACE, not BLUE_GREEN; live stays blue'],
    [{ deploymentType: undefined }, 'd-1 succeeded but is of unknown type, not BLUE_GREEN; live stays blue'],
    [{ pending: { color: 'none', releaseId: 'initial' } as PendingRelease }, 'd-1 succeeded but no release is pending; live stays blue'],
  ])('%j', (overrides, reason) => {
    expect(decide(overrides)).toEqual({ next: { ...live, settledDeploymentIds: ['d-1'] }, changed: true, reason });
  });

  test('a pending release already used up, by a known deployment or by one LIVE does not name', () => {
    const used: LiveState = { ...live, settledReleaseId: 'build:1', settledByDeploymentId: 'd-0' };
    expect(decide({ live: used, revision: 'abc123abc123' }).reason).toBe(
      'd-1 succeeded but the pending release build:1 was already settled by deployment d-0, '
      + 'and d-1 deploys revision abc123abc123, whose color is not known; live stays blue',
    );
    expect(decide({ live: { ...live, settledReleaseId: 'build:1' } }).reason).toBe(
      'd-1 succeeded but the pending release build:1 was already settled by deployment an earlier deployment, '
      + 'and d-1 deploys an unidentified revision; live stays blue',
    );
  });

  test('the pending release flips the color and is used up', () => {
    expect(decide({ revision: 'abc123abc123', createTime: 5 })).toEqual({
      next: {
        color: 'green',
        deploymentId: 'd-1',
        releaseId: 'build:1',
        deploymentCreateTime: 5,
        settledReleaseId: 'build:1',
        settledByDeploymentId: 'd-1',
        settledRevision: 'abc123abc123',
        revisionColors: [['abc123abc123', 'green']],
        settledDeploymentIds: ['d-1'],
      },
      changed: true,
      reason: 'd-1 succeeded and deploys the pending release build:1 (green): live flips blue -> green',
    });
  });

  test('a deployment created at the same millisecond as the live one, or as the publish, is not late', () => {
    const current: LiveState = { color: 'blue', deploymentId: 'd-0', deploymentCreateTime: 1000 };
    expect(decide({ live: current, createTime: 1000 }).next.color).toBe('green');
    expect(decide({ live: current, createTime: 999 }).reason).toBe(
      'd-1 succeeded but was created before d-0, which made blue live: a late event; live stays blue',
    );
    expect(decide({ createTime: 2000, pendingPublishedAt: 2000 }).next.color).toBe('green');
    expect(decide({ createTime: 1999, pendingPublishedAt: 2000 }).reason).toBe(
      'd-1 succeeded but was created before the pending release build:1 was published, so it does not deploy it; live stays blue',
    );
  });
});
