/**
 * BlueGreenEfsDeploy's pure release settings checks, each limit at its edge,
 * each problem spelled out (the construct tests reach them only through synth).
 */
import { MAX_BLUE_GREEN_WAIT_MINUTES, MAX_HOOK_TIMEOUT_SECONDS } from '../src/blue-green-efs-deploy/codedeploy-limits';
import { autoRollbackEvents, listenerProblems, MAX_RELEASE_NAME_LENGTH, ReleaseSettings, releaseSettingsProblems } from '../src/blue-green-efs-deploy/release-settings';

const valid: ReleaseSettings = {
  releaseName: 'shop-web',
  minCapacity: 1,
  maxCapacity: 2,
  desiredCapacity: 1,
  terminationWaitMinutes: 60,
  validateTimeoutSeconds: 300,
  applicationPort: 80,
  healthCheckPath: '/health',
  instanceZones: ['eu-west-1a', 'eu-west-1b'],
};
const problemsWith = (changes: Partial<ReleaseSettings>) => releaseSettingsProblems({ ...valid, ...changes });

test('CodeDeploy limits: two days of waiting, an hour per hook; release names of 60 characters', () => {
  expect(MAX_BLUE_GREEN_WAIT_MINUTES).toBe(2 * 24 * 60);
  expect(MAX_HOOK_TIMEOUT_SECONDS).toBe(60 * 60);
  expect(MAX_RELEASE_NAME_LENGTH).toBe(60);
});

test('rollback on failure and stop requests always, on alarms when there is one', () => {
  expect(autoRollbackEvents(0)).toEqual(['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST']);
  expect(autoRollbackEvents(1)).toEqual(['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM']);
});

test('valid settings, and the inclusive ends of every range, have no problems', () => {
  expect(releaseSettingsProblems(valid)).toEqual([]);
  expect(problemsWith({ releaseName: 'a'.repeat(60), minCapacity: 0, desiredCapacity: 0, maxCapacity: 1 })).toEqual([]);
  expect(problemsWith({ releaseName: '9_x-Y', minCapacity: 2, desiredCapacity: 2, maxCapacity: 2 })).toEqual([]);
  expect(problemsWith({ terminationWaitMinutes: 0, validateTimeoutSeconds: 10, applicationPort: 1, healthCheckPath: '/' })).toEqual([]);
  expect(problemsWith({ terminationWaitMinutes: 2880, validateTimeoutSeconds: 3600, applicationPort: 65535, healthCheckPath: '/' + 'a'.repeat(1023) })).toEqual([]);
  expect(problemsWith({ instanceZones: undefined })).toEqual([]);
});

describe('releaseName', () => {
  test.each(['a'.repeat(61), '-web', '_web', 'shop web', ' web', 'web ', 'shop.web', '', 'shop/web'])('%p', (releaseName) => {
    expect(problemsWith({ releaseName })).toEqual([{
      property: 'releaseName',
      value: releaseName,
      reason: "must be letters, digits, '-' or '_', start with a letter or digit, and be at most 60 characters",
      fix: "choose a short name such as 'shop-web'",
    }]);
  });
});

describe('capacities', () => {
  test.each([
    ['minCapacity', -1], ['minCapacity', 0.5], ['maxCapacity', 2.5], ['desiredCapacity', 1.5],
  ] as const)('%s %p is not a whole number of instances', (property, value) => {
    expect(problemsWith({ [property]: value })).toContainEqual({ property, value, reason: 'must be a whole number of instances, 0 or more', fix: 'e.g. 2' });
  });

  test('negative desired capacity is one problem of its own kind and one of range', () => {
    expect(problemsWith({ desiredCapacity: -1 })).toEqual([
      { property: 'desiredCapacity', value: -1, reason: 'must be a whole number of instances, 0 or more', fix: 'e.g. 2' },
      { property: 'desiredCapacity', value: -1, reason: 'is outside minCapacity..maxCapacity (1..2)', fix: 'set it between the two, or leave it out to start at minCapacity' },
    ]);
  });

  test('min over max', () => {
    expect(problemsWith({ minCapacity: 3, desiredCapacity: 2 })).toEqual([
      { property: 'minCapacity', value: 3, reason: 'is over maxCapacity (2)', fix: 'set minCapacity at most 2, or raise maxCapacity' },
      { property: 'desiredCapacity', value: 2, reason: 'is outside minCapacity..maxCapacity (3..2)', fix: 'set it between the two, or leave it out to start at minCapacity' },
    ]);
  });

  test('desired below min or above max', () => {
    expect(problemsWith({ minCapacity: 2, maxCapacity: 4, desiredCapacity: 1 })).toEqual([
      { property: 'desiredCapacity', value: 1, reason: 'is outside minCapacity..maxCapacity (2..4)', fix: 'set it between the two, or leave it out to start at minCapacity' },
    ]);
    expect(problemsWith({ desiredCapacity: 3 })).toEqual([
      { property: 'desiredCapacity', value: 3, reason: 'is outside minCapacity..maxCapacity (1..2)', fix: 'set it between the two, or leave it out to start at minCapacity' },
    ]);
  });

  test('a fleet of at most 0 instances', () => {
    expect(problemsWith({ minCapacity: 0, desiredCapacity: 0, maxCapacity: 0 })).toEqual([{
      property: 'maxCapacity',
      value: 0,
      reason: 'a fleet of no instances cannot serve or be released to',
      fix: 'set maxCapacity to 1 or more (2 or more across two AZs for availability)',
    }]);
  });
});

test.each([-1, 2881, 1.5])('terminationWaitMinutes %p', (terminationWaitMinutes) => {
  expect(problemsWith({ terminationWaitMinutes })).toEqual([{
    property: 'terminationWaitTime',
    value: `${terminationWaitMinutes} minutes`,
    reason: 'CodeDeploy keeps the original instances between 0 and 2880 whole minutes (2 days)',
    fix: 'use Duration.minutes(n) with n from 0 to 2880; rollback is instant only while the old fleet exists',
  }]);
});

test.each([9, 3601, 10.5])('validateTimeoutSeconds %p', (validateTimeoutSeconds) => {
  expect(problemsWith({ validateTimeoutSeconds })).toEqual([{
    property: 'validateTimeout',
    value: `${validateTimeoutSeconds} seconds`,
    reason: 'a CodeDeploy hook runs between 10 seconds (for the check to be meaningful) and 3600 seconds',
    fix: 'use Duration.minutes(5) or another value in that range',
  }]);
});

test.each([0, 65536, 80.5])('applicationPort %p', (applicationPort) => {
  expect(problemsWith({ applicationPort })).toEqual([{ property: 'applicationPort', value: applicationPort, reason: 'is not a TCP port', fix: 'use a port from 1 to 65535, e.g. 80 or 8080' }]);
});

describe('healthCheckPath', () => {
  test.each([
    ['health', "e.g. '/health' or '/health'"],
    ['//x y', "e.g. '/xy' or '/health'"],
    ['a/b c', "e.g. '/a/bc' or '/health'"],
    ['/a\tb c', "e.g. '/abc' or '/health'"],
    ['/' + 'a'.repeat(1024), `e.g. '/${'a'.repeat(1024)}' or '/health'`],
  ])('%p', (healthCheckPath, fix) => {
    expect(problemsWith({ healthCheckPath })).toEqual([{
      property: 'healthCheckPath',
      value: healthCheckPath,
      reason: "a health check path starts with '/', has no spaces and is at most 1,024 characters",
      fix,
    }]);
  });
});

test.each([[['eu-west-1a', 'eu-west-1a']], [['eu-west-1a']], [[]]])('instance zones %j: fewer than two', (instanceZones) => {
  expect(problemsWith({ instanceZones })).toEqual([{
    property: 'instanceSubnets',
    value: instanceZones,
    reason: 'the fleet and the EFS mount targets need subnets in at least two availability zones, or one zone outage takes the site down',
    fix: 'select subnets in two or more AZs (for example a VPC with maxAzs: 2)',
  }]);
});

describe('listener: plain HTTP reaches the internet only on purpose', () => {
  const noCertificate = {
    property: 'certificate',
    value: undefined,
    reason: 'an internet-facing load balancer without a certificate serves plain HTTP to the internet',
    fix: 'give certificate (an ACM certificate) to serve HTTPS, set internetFacing: false, or set allowPlaintextHttp: true to serve plain HTTP on purpose',
  };
  const flagWithCertificate = {
    property: 'allowPlaintextHttp',
    value: true,
    reason: 'with a certificate, port 80 only redirects to HTTPS',
    fix: 'drop allowPlaintextHttp, or drop certificate to serve plain HTTP',
  };
  test.each([
    // internetFacing, hasCertificate, allowPlaintextHttp, problems
    [true, false, false, [noCertificate]],
    [true, false, true, []],
    [true, true, false, []],
    [true, true, true, [flagWithCertificate]],
    [false, false, false, []],
    [false, false, true, []],
    [false, true, false, []],
    [false, true, true, [flagWithCertificate]],
  ])('internetFacing %p, certificate %p, allowPlaintextHttp %p', (internetFacing, hasCertificate, allowPlaintextHttp, problems) => {
    expect(listenerProblems({ internetFacing, hasCertificate, allowPlaintextHttp })).toEqual(problems);
  });
});
