import {
  decideAfterDeployment, DecisionInput, INITIAL_LIVE_VALUE, INITIAL_PENDING_VALUE, LiveState, MAX_REVISION_COLORS,
  MAX_SETTLED_DEPLOYMENT_IDS, otherColor, parseLiveState, parsePendingRelease, PendingRelease, revisionFingerprint,
  serializeLiveState,
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

/** Feeds deployments one after another, like the Lambda does with each event. */
function replay(live: LiveState, steps: Array<Partial<DecisionInput>>) {
  let current = live;
  const decisions = steps.map((step) => {
    const d = decide({ ...step, live: current });
    current = d.next;
    return d;
  });
  return { live: current, decisions };
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
    const json = '{"settledDeploymentIds":["d-1","d-2"],"revisionColors":[["aaa","blue"],["bbb","green"]],"settledRevision":"bbb",'
      + '"settledByDeploymentId":"d-1","settledReleaseId":"r","deploymentCreateTime":1700000000000,"releaseId":"r","deploymentId":"d-1","color":"green"}';
    const state = parseLiveState(json);
    expect(state).toEqual({
      color: 'green',
      deploymentId: 'd-1',
      releaseId: 'r',
      deploymentCreateTime: 1700000000000,
      settledReleaseId: 'r',
      settledByDeploymentId: 'd-1',
      settledRevision: 'bbb',
      revisionColors: [['aaa', 'blue'], ['bbb', 'green']],
      settledDeploymentIds: ['d-1', 'd-2'],
    });
    expect(serializeLiveState(state)).toBe('{"color":"green","deploymentId":"d-1","releaseId":"r","deploymentCreateTime":1700000000000,'
      + '"settledReleaseId":"r","settledByDeploymentId":"d-1","settledRevision":"bbb","revisionColors":[["aaa","blue"],["bbb","green"]],'
      + '"settledDeploymentIds":["d-1","d-2"]}');
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
    ['{"color":"blue","deploymentId":"d-1","settledDeploymentIds":"d-2"}', /LIVE parameter\.settledDeploymentIds must be an array/],
    ['{"color":"blue","deploymentId":"d-1","settledDeploymentIds":["d-2",""]}', /settledDeploymentIds must hold non-empty strings/],
    ['{"color":"blue","deploymentId":"d-1","revisionColors":[["r","red"]]}', /revisionColors must hold \[revision, "blue"\|"green"\] pairs/],
    ['{"color":"blue","deploymentId":"d-1","deploymentCreateTime":"yesterday"}', /deploymentCreateTime must be a time in epoch milliseconds/],
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

  test('a full LIVE value stays far below the 4 KB limit of a standard SSM parameter', () => {
    // CodeBuild build ids are "<project name>:<uuid>"; CDK project names run long.
    const releaseId = `BlueGreenEfsDeployReleasePublishProject0A1B2C3D-AbCdEfGhIjKl:${'0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0'}`;
    let live: LiveState = initialLive;
    for (let n = 0; n < 60; n++) {
      const pending: PendingRelease = { color: otherColor(live.color), releaseId: `${releaseId.slice(0, -2)}${String(n).padStart(2, '0')}` };
      const revision = revisionFingerprint({ s3Location: { bucket: 'pipeline-artifactsbucket0123456789-abcdefghijkl', key: `ShopRelease/Bundle/K${n}abcde` } });
      live = decide({ live, pending, revision, deploymentId: `d-${String(n).padStart(9, 'X')}`, createTime: 1_700_000_000_000 + n }).next;
      live = decide({ live, creator: 'autoscaling', deploymentId: `d-${String(n).padStart(9, 'S')}` }).next;
    }
    const json = serializeLiveState(live);
    expect(live.settledDeploymentIds).toHaveLength(MAX_SETTLED_DEPLOYMENT_IDS);
    expect(live.revisionColors).toHaveLength(MAX_REVISION_COLORS);
    expect(Buffer.byteLength(json, 'utf8')).toBeLessThan(1500);
    expect(parseLiveState(json)).toEqual(live);
  });
});

describe('revisionFingerprint', () => {
  const s3 = { revisionType: 'S3', s3Location: { bucket: 'artifacts', key: 'Pipe/Bundle/AbC1234', bundleType: 'zip' } };

  test('is short and stable for an S3 revision, whatever eTag and version say', () => {
    const fingerprint = revisionFingerprint(s3);
    expect(fingerprint).toMatch(/^[0-9a-f]{12}$/);
    expect(revisionFingerprint({ ...s3, s3Location: { ...s3.s3Location, eTag: '"abc"', version: 'v1' } as typeof s3.s3Location })).toBe(fingerprint);
  });

  test('differs for another key, bucket or source', () => {
    const fingerprint = revisionFingerprint(s3);
    expect(revisionFingerprint({ s3Location: { bucket: 'artifacts', key: 'Pipe/Bundle/Other12' } })).not.toBe(fingerprint);
    expect(revisionFingerprint({ s3Location: { bucket: 'other', key: 'Pipe/Bundle/AbC1234' } })).not.toBe(fingerprint);
    expect(revisionFingerprint({ gitHubLocation: { repository: 'o/r', commitId: 'abc' } })).toMatch(/^[0-9a-f]{12}$/);
  });

  test('is undefined when the revision cannot be identified', () => {
    expect(revisionFingerprint(undefined)).toBeUndefined();
    expect(revisionFingerprint({ revisionType: 'AppSpecContent' })).toBeUndefined();
    expect(revisionFingerprint({ s3Location: { bucket: 'artifacts' } })).toBeUndefined();
  });
});

describe('decideAfterDeployment', () => {
  test('the first user blue/green SUCCESS after a publish flips to the pending color and uses the release up', () => {
    const d = decide({ revision: 'rev-1', createTime: 1000 });
    expect(d.changed).toBe(true);
    expect(d.next).toEqual({
      color: 'green',
      deploymentId: 'd-AAAAAAAA1',
      releaseId: 'build:1',
      deploymentCreateTime: 1000,
      settledReleaseId: 'build:1',
      settledByDeploymentId: 'd-AAAAAAAA1',
      settledRevision: 'rev-1',
      revisionColors: [['rev-1', 'green']],
      settledDeploymentIds: ['d-AAAAAAAA1'],
    });
    expect(d.reason).toMatch(/live flips blue -> green/);
  });

  test('the next release flips back to blue', () => {
    const { live } = replay(initialLive, [
      { deploymentId: 'd-1', revision: 'rev-1' },
      { deploymentId: 'd-2', revision: 'rev-2', pending: { color: 'blue', releaseId: 'build:2' } },
    ]);
    expect(live).toEqual(expect.objectContaining({ color: 'blue', deploymentId: 'd-2', releaseId: 'build:2', settledDeploymentIds: ['d-1', 'd-2'] }));
    expect(live.revisionColors).toEqual([['rev-1', 'green'], ['rev-2', 'blue']]);
  });

  test('the same deployment seen again changes nothing', () => {
    const first = decide({});
    const again = decide({ live: first.next });
    expect(again.changed).toBe(false);
    expect(again.next).toBe(first.next);
    expect(again.reason).toMatch(/already processed/);
  });

  test.each(['FAILURE', 'STOP'])('%s of the release keeps the color, records the deployment and uses the release up', (state) => {
    const d = decide({ state, revision: 'rev-1' });
    expect(d.changed).toBe(true);
    expect(d.next).toEqual({
      color: 'blue',
      deploymentId: 'initial',
      settledReleaseId: 'build:1',
      settledByDeploymentId: 'd-AAAAAAAA1',
      settledRevision: 'rev-1',
      revisionColors: [['rev-1', 'green']],
      settledDeploymentIds: ['d-AAAAAAAA1'],
    });
    expect(d.reason).toContain(`ended in ${state}`);
  });

  // The review's failure case: release N publishes green, its deployment fails,
  // then an operator redeploys an older revision from the console.
  test('a console redeploy after a failed release does not flip', () => {
    const { live, decisions } = replay(initialLive, [
      { deploymentId: 'd-1', revision: 'rev-N', state: 'FAILURE' },
      { deploymentId: 'd-2', revision: 'rev-OLD' },
    ]);
    expect(live.color).toBe('blue');
    expect(live.deploymentId).toBe('initial');
    expect(live.settledDeploymentIds).toEqual(['d-1', 'd-2']);
    expect(decisions[1].reason).toMatch(/pending release build:1 was already settled by deployment d-1/);
    expect(decisions[1].reason).toMatch(/live stays blue/);
  });

  test('the same holds when the revisions cannot be identified', () => {
    const { live, decisions } = replay(initialLive, [
      { deploymentId: 'd-1', state: 'FAILURE' },
      { deploymentId: 'd-2' },
    ]);
    expect(live.color).toBe('blue');
    expect(decisions[1].reason).toMatch(/already settled by deployment d-1, and d-2 deploys an unidentified revision/);
  });

  test('a console redeploy of a remembered blue revision after a failed green release does not flip', () => {
    const { live, decisions } = replay(initialLive, [
      { deploymentId: 'd-0', revision: 'rev-0', pending: { color: 'green', releaseId: 'build:0' } },
      { deploymentId: 'd-1', revision: 'rev-1', pending: { color: 'blue', releaseId: 'build:1' } },
      { deploymentId: 'd-2', revision: 'rev-2', pending: { color: 'green', releaseId: 'build:2' }, state: 'FAILURE' },
      { deploymentId: 'd-3', revision: 'rev-1', pending: { color: 'green', releaseId: 'build:2' } },
    ]);
    expect(live.color).toBe('blue');
    expect(live.deploymentId).toBe('d-1');
    expect(decisions[3].reason).toMatch(/redeploys revision rev-1 \(blue\), already live/);
  });

  test('a retry of the failed release (same revision, e.g. CodePipeline "Retry") flips to its color', () => {
    const { live, decisions } = replay(initialLive, [
      { deploymentId: 'd-1', revision: 'rev-N', state: 'FAILURE' },
      { deploymentId: 'd-2', revision: 'rev-N' },
    ]);
    expect(live).toEqual(expect.objectContaining({ color: 'green', deploymentId: 'd-2', releaseId: 'build:1' }));
    expect(decisions[1].reason).toMatch(/redeploys revision rev-N \(green, release build:1\): live flips blue -> green/);
  });

  test('a console redeploy after a successful release does not flip', () => {
    const released = replay(initialLive, [{ deploymentId: 'd-1', revision: 'rev-N' }]).live;
    // The release's own revision again, and a revision whose color is not known:
    for (const revision of ['rev-N', 'rev-UNKNOWN', undefined]) {
      const d = decide({ live: released, deploymentId: 'd-2', revision });
      expect(d.next.color).toBe('green');
      expect(d.next.deploymentId).toBe('d-1');
      expect(d.next.settledDeploymentIds).toEqual(['d-1', 'd-2']);
    }
    expect(decide({ live: released, deploymentId: 'd-2', revision: 'rev-UNKNOWN' }).reason)
      .toMatch(/pending release build:1 was already settled by deployment d-1/);
  });

  test('a console redeploy of the previous release\'s (blue) revision after a successful release makes blue live again', () => {
    // Its bundle switches the new fleet to blue: LIVE must say so, or the next
    // release would write into blue while it serves traffic.
    const { live, decisions } = replay(initialLive, [
      { deploymentId: 'd-1', revision: 'rev-1', pending: { color: 'green', releaseId: 'build:1' } },
      { deploymentId: 'd-2', revision: 'rev-2', pending: { color: 'blue', releaseId: 'build:2' } },
      { deploymentId: 'd-3', revision: 'rev-1', pending: { color: 'blue', releaseId: 'build:2' } },
    ]);
    expect(live).toEqual(expect.objectContaining({ color: 'green', deploymentId: 'd-3' }));
    expect(live.releaseId).toBeUndefined();
    expect(decisions[2].reason).toMatch(/redeploys revision rev-1 \(green\): live flips blue -> green/);
  });

  test('events processed out of order record both deployments; nothing moves backwards', () => {
    const before: LiveState = { color: 'blue', deploymentId: 'd-0', settledDeploymentIds: ['d-0'] };
    // d-3 (the release) and d-2 (a scale-out) end together; d-3's event is handled first.
    const { live } = replay(before, [
      { deploymentId: 'd-3', revision: 'rev-3' },
      { deploymentId: 'd-2', creator: 'autoscaling' },
    ]);
    expect(live.color).toBe('green');
    expect(live.deploymentId).toBe('d-3');
    expect(live.settledDeploymentIds).toEqual(['d-0', 'd-3', 'd-2']);
    // The last attempted deployment (d-3) stays recorded: the sync build does not wait forever.
    expect(live.settledDeploymentIds).toContain('d-3');
  });

  test('a redelivered old FAILURE after a newer SUCCESS changes nothing', () => {
    const { live } = replay(initialLive, [
      { deploymentId: 'd-F', revision: 'rev-F', state: 'FAILURE', pending: { color: 'green', releaseId: 'build:1' } },
      { deploymentId: 'd-S', revision: 'rev-S', pending: { color: 'green', releaseId: 'build:2' } },
    ]);
    expect(live.color).toBe('green');
    const redelivered = decide({ live, deploymentId: 'd-F', revision: 'rev-F', state: 'FAILURE', pending: { color: 'green', releaseId: 'build:2' } });
    expect(redelivered.changed).toBe(false);
    expect(redelivered.next).toBe(live);
    expect(redelivered.reason).toMatch(/d-F was already processed/);
  });

  test('a late event older than the live deployment changes nothing even when no longer in the list', () => {
    let live = replay(initialLive, [
      { deploymentId: 'd-1', revision: 'rev-1', createTime: 1000, pending: { color: 'green', releaseId: 'build:1' } },
      { deploymentId: 'd-2', revision: 'rev-2', createTime: 2000, pending: { color: 'blue', releaseId: 'build:2' } },
    ]).live;
    for (let n = 0; n < MAX_SETTLED_DEPLOYMENT_IDS; n++) {
      live = decide({ live, deploymentId: `d-scale-${n}`, creator: 'autoscaling' }).next;
    }
    expect(live.settledDeploymentIds).not.toContain('d-1');
    // d-1's SUCCESS, redriven from the dead-letter queue: its revision is green, but it is history.
    const late = decide({ live, deploymentId: 'd-1', revision: 'rev-1', createTime: 1000, pending: { color: 'blue', releaseId: 'build:2' } });
    expect(late.next.color).toBe('blue');
    expect(late.next.deploymentId).toBe('d-2');
    expect(late.reason).toMatch(/created before d-2, which made blue live: a late event/);
  });

  test('a deployment created before the publish does not use up the pending release', () => {
    const live: LiveState = { color: 'blue', deploymentId: 'd-0', releaseId: 'build:0', settledReleaseId: 'build:0', settledDeploymentIds: ['d-0'] };
    const late = decide({ live, deploymentId: 'd-OLD', revision: 'rev-OLD', state: 'FAILURE', createTime: 500, pendingPublishedAt: 900 });
    expect(late.next.settledReleaseId).toBe('build:0');
    expect(late.reason).toMatch(/created before the pending release build:1 was published/);
    // The release's own deployment still flips.
    const release = decide({ live: late.next, deploymentId: 'd-1', revision: 'rev-1', createTime: 1000, pendingPublishedAt: 900 });
    expect(release.next).toEqual(expect.objectContaining({ color: 'green', deploymentId: 'd-1', releaseId: 'build:1' }));
  });

  test.each(['codeDeployRollback', 'autoscaling', 'CodeDeployAutoUpdate', undefined])('SUCCESS created by %s neither flips nor uses the release up', (creator) => {
    const d = decide({ creator, revision: 'rev-1' });
    expect(d.next).toEqual({ color: 'blue', deploymentId: 'initial', settledDeploymentIds: ['d-AAAAAAAA1'] });
    expect(d.reason).toMatch(/not a release/);
    // The release's deployment that follows still flips.
    expect(decide({ live: d.next, deploymentId: 'd-2', revision: 'rev-2' }).next.color).toBe('green');
  });

  test('an IN_PLACE SUCCESS does not flip', () => {
    const d = decide({ deploymentType: 'IN_PLACE' });
    expect(d.next.color).toBe('blue');
    expect(d.next.settledReleaseId).toBeUndefined();
    expect(d.reason).toMatch(/not BLUE_GREEN/);
  });

  test('SUCCESS with nothing pending does not flip and says why', () => {
    const d = decide({ pending: { color: 'none', releaseId: 'initial' } });
    expect(d.next).toEqual({ color: 'blue', deploymentId: 'initial', settledDeploymentIds: ['d-AAAAAAAA1'] });
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

  test('a flip and a later failure are both recorded', () => {
    const flipped = decide({}).next;
    const failed = decide({ live: flipped, pending: { color: 'blue', releaseId: 'build:2' }, deploymentId: 'd-2', state: 'FAILURE' });
    expect(failed.next).toEqual({
      ...flipped, settledReleaseId: 'build:2', settledByDeploymentId: 'd-2', settledDeploymentIds: ['d-AAAAAAAA1', 'd-2'],
    });
  });

  test('the settled list keeps the newest ids, without duplicates', () => {
    let live: LiveState = initialLive;
    for (let n = 1; n <= MAX_SETTLED_DEPLOYMENT_IDS + 5; n++) {
      live = decide({ live, deploymentId: `d-${n}`, creator: 'autoscaling' }).next;
    }
    const ids = live.settledDeploymentIds!;
    expect(ids).toHaveLength(MAX_SETTLED_DEPLOYMENT_IDS);
    expect(ids[0]).toBe('d-6');
    expect(ids[ids.length - 1]).toBe(`d-${MAX_SETTLED_DEPLOYMENT_IDS + 5}`);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
