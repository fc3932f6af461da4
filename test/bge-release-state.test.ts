import {
  decideAfterDeployment, DecisionInput, INITIAL_LIVE_VALUE, INITIAL_PENDING_VALUE, LiveState, otherColor,
  parseLiveState, parsePendingRelease, PendingRelease, serializeLiveState,
} from '../src/blue-green-efs-deploy/release-state';

const initialLive: LiveState = { color: 'blue', deploymentId: 'initial' };
const greenPending: PendingRelease = { color: 'green', releaseId: 'build:1' };

function decide(overrides: Partial<DecisionInput>) {
  return decideAfterDeployment({
    live: initialLive,
    pending: greenPending,
    deploymentId: 'd-AAAAAAAA1',
    state: 'SUCCESS',
    creator: 'user',
    deploymentType: 'BLUE_GREEN',
    ...overrides,
  });
}

describe('initial values and parsing', () => {
  test('initial values are the contract strings and parse', () => {
    expect(INITIAL_LIVE_VALUE).toBe('{"color":"blue","deploymentId":"initial"}');
    expect(INITIAL_PENDING_VALUE).toBe('{"color":"none","releaseId":"initial"}');
    expect(parseLiveState(INITIAL_LIVE_VALUE)).toEqual({ color: 'blue', deploymentId: 'initial' });
    expect(parsePendingRelease(INITIAL_PENDING_VALUE)).toEqual({ color: 'none', releaseId: 'initial' });
  });

  test('otherColor', () => {
    expect(otherColor('blue')).toBe('green');
    expect(otherColor('green')).toBe('blue');
  });

  test('a full LIVE value round-trips with a fixed key order', () => {
    const json = '{"lastSettledDeploymentId":"d-2","releaseId":"r","deploymentId":"d-1","color":"green"}';
    const state = parseLiveState(json);
    expect(state).toEqual({ color: 'green', deploymentId: 'd-1', releaseId: 'r', lastSettledDeploymentId: 'd-2' });
    expect(serializeLiveState(state)).toBe('{"color":"green","deploymentId":"d-1","releaseId":"r","lastSettledDeploymentId":"d-2"}');
    expect(serializeLiveState(parseLiveState(INITIAL_LIVE_VALUE))).toBe(INITIAL_LIVE_VALUE);
  });

  test.each([
    ['not json', /LIVE parameter is not valid JSON/],
    ['[]', /must be a JSON object/],
    ['null', /must be a JSON object/],
    ['{"color":"red","deploymentId":"d-1"}', /LIVE parameter\.color must be "blue" or "green", got "red"/],
    ['{"color":"none","deploymentId":"d-1"}', /LIVE parameter\.color must be "blue" or "green"/],
    ['{"color":"blue"}', /LIVE parameter\.deploymentId is missing/],
    ['{"color":"blue","deploymentId":7}', /LIVE parameter\.deploymentId must be a non-empty string/],
    ['{"color":"blue","deploymentId":"d-1","releaseId":""}', /LIVE parameter\.releaseId must be a non-empty string/],
  ])('bad LIVE %s', (json, message) => {
    expect(() => parseLiveState(json)).toThrow(message);
  });

  test.each([
    ['{', /PENDING parameter is not valid JSON/],
    ['{"color":"purple","releaseId":"r"}', /PENDING parameter\.color must be "blue", "green" or "none", got "purple"/],
    ['{"color":"green"}', /PENDING parameter\.releaseId is missing/],
  ])('bad PENDING %s', (json, message) => {
    expect(() => parsePendingRelease(json)).toThrow(message);
  });
});

describe('decideAfterDeployment', () => {
  test('a user blue/green SUCCESS flips to the pending color', () => {
    const d = decide({});
    expect(d.changed).toBe(true);
    expect(d.next).toEqual({ color: 'green', deploymentId: 'd-AAAAAAAA1', releaseId: 'build:1', lastSettledDeploymentId: 'd-AAAAAAAA1' });
    expect(d.reason).toMatch(/flips blue -> green/);
  });

  test('the next release flips back to blue', () => {
    const live = parseLiveState('{"color":"green","deploymentId":"d-1","releaseId":"build:1","lastSettledDeploymentId":"d-1"}');
    const d = decide({ live, pending: { color: 'blue', releaseId: 'build:2' }, deploymentId: 'd-2' });
    expect(d.next).toEqual({ color: 'blue', deploymentId: 'd-2', releaseId: 'build:2', lastSettledDeploymentId: 'd-2' });
  });

  test('the same deployment seen again changes nothing', () => {
    const first = decide({});
    const again = decide({ live: first.next });
    expect(again.changed).toBe(false);
    expect(again.next).toBe(first.next);
    expect(again.reason).toMatch(/already processed/);
  });

  test('a redelivered failure changes nothing', () => {
    const live: LiveState = { ...initialLive, lastSettledDeploymentId: 'd-F' };
    expect(decide({ live, deploymentId: 'd-F', state: 'FAILURE' })).toEqual(expect.objectContaining({ changed: false, next: live }));
  });

  test.each(['FAILURE', 'STOP'])('%s keeps the color and records the deployment', (state) => {
    const d = decide({ state });
    expect(d.changed).toBe(true);
    expect(d.next).toEqual({ color: 'blue', deploymentId: 'initial', lastSettledDeploymentId: 'd-AAAAAAAA1' });
    expect(d.reason).toContain(`ended in ${state}`);
  });

  test.each(['codeDeployRollback', 'autoscaling', 'CodeDeployAutoUpdate', undefined])('SUCCESS created by %s does not flip', (creator) => {
    const d = decide({ creator });
    expect(d.next.color).toBe('blue');
    expect(d.next.deploymentId).toBe('initial');
    expect(d.next.lastSettledDeploymentId).toBe('d-AAAAAAAA1');
    expect(d.reason).toMatch(/not a release/);
  });

  test('an IN_PLACE SUCCESS does not flip', () => {
    const d = decide({ deploymentType: 'IN_PLACE' });
    expect(d.next.color).toBe('blue');
    expect(d.reason).toMatch(/not BLUE_GREEN/);
  });

  test('SUCCESS with nothing pending does not flip and says why', () => {
    const d = decide({ pending: { color: 'none', releaseId: 'initial' } });
    expect(d.next).toEqual({ color: 'blue', deploymentId: 'initial', lastSettledDeploymentId: 'd-AAAAAAAA1' });
    expect(d.reason).toMatch(/no release is pending/);
  });

  test('SUCCESS when pending is already live does not flip and says why', () => {
    const d = decide({ pending: { color: 'blue', releaseId: 'build:0' } });
    expect(d.next.color).toBe('blue');
    expect(d.next.releaseId).toBeUndefined();
    expect(d.reason).toMatch(/already live/);
  });

  test('a state that does not settle a deployment changes nothing', () => {
    const d = decide({ state: 'READY' });
    expect(d).toEqual(expect.objectContaining({ changed: false, next: initialLive }));
  });

  test('a flip keeps lastSettled in step so a later failure is recorded separately', () => {
    const flipped = decide({}).next;
    const failed = decide({ live: flipped, pending: { color: 'blue', releaseId: 'build:2' }, deploymentId: 'd-2', state: 'FAILURE' });
    expect(failed.next).toEqual({ ...flipped, lastSettledDeploymentId: 'd-2' });
  });
});
