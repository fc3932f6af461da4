import { MAX_BLUE_GREEN_WAIT_MINUTES, MAX_HOOK_TIMEOUT_SECONDS } from './codedeploy-limits';
import { Problem } from '../shared/validation';


/** Longest release name: the deployment group's ASG copies are named `CodeDeploy_<group>_<deploymentId>` within 255 characters, and CodePipeline names stop at 100. */
export const MAX_RELEASE_NAME_LENGTH = 60;

const RELEASE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

/** The numbers and names of a release after defaults; plain values so the checks stay pure. */
export interface ReleaseSettings {
  readonly releaseName: string;
  readonly minCapacity: number;
  readonly maxCapacity: number;
  readonly desiredCapacity: number;
  readonly terminationWaitMinutes: number;
  readonly validateTimeoutSeconds: number;
  readonly applicationPort: number;
  readonly healthCheckPath: string;
  /** Availability zones of the instance subnets, when known at synth (undefined for tokens). */
  readonly instanceZones?: readonly string[];
}

/** Events that roll a release back: always failure and stop requests, alarms when there are any. */
export function autoRollbackEvents(alarmCount: number): string[] {
  return ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', ...(alarmCount > 0 ? ['DEPLOYMENT_STOP_ON_ALARM'] : [])];
}

/** Everything wrong with the settings, each with its fix. */
export function releaseSettingsProblems(s: ReleaseSettings): Problem[] {
  const problems: Problem[] = [];
  if (!RELEASE_NAME.test(s.releaseName) || s.releaseName.length > MAX_RELEASE_NAME_LENGTH) {
    problems.push({
      property: 'releaseName',
      value: s.releaseName,
      reason: `must be letters, digits, '-' or '_', start with a letter or digit, and be at most ${MAX_RELEASE_NAME_LENGTH} characters`,
      fix: "choose a short name such as 'shop-web'",
    });
  }
  for (const [property, value] of [['minCapacity', s.minCapacity], ['maxCapacity', s.maxCapacity], ['desiredCapacity', s.desiredCapacity]] as const) {
    if (!Number.isInteger(value) || value < 0) {
      problems.push({ property, value, reason: 'must be a whole number of instances, 0 or more', fix: 'e.g. 2' });
    }
  }
  if (s.minCapacity > s.maxCapacity) {
    problems.push({ property: 'minCapacity', value: s.minCapacity, reason: `is over maxCapacity (${s.maxCapacity})`, fix: `set minCapacity at most ${s.maxCapacity}, or raise maxCapacity` });
  }
  if (s.desiredCapacity < s.minCapacity || s.desiredCapacity > s.maxCapacity) {
    problems.push({ property: 'desiredCapacity', value: s.desiredCapacity, reason: `is outside minCapacity..maxCapacity (${s.minCapacity}..${s.maxCapacity})`, fix: 'set it between the two, or leave it out to start at minCapacity' });
  }
  if (s.maxCapacity < 1) {
    problems.push({ property: 'maxCapacity', value: s.maxCapacity, reason: 'a fleet of no instances cannot serve or be released to', fix: 'set maxCapacity to 1 or more (2 or more across two AZs for availability)' });
  }
  if (!Number.isInteger(s.terminationWaitMinutes) || s.terminationWaitMinutes < 0 || s.terminationWaitMinutes > MAX_BLUE_GREEN_WAIT_MINUTES) {
    problems.push({
      property: 'terminationWaitTime',
      value: `${s.terminationWaitMinutes} minutes`,
      reason: `CodeDeploy keeps the original instances between 0 and ${MAX_BLUE_GREEN_WAIT_MINUTES} whole minutes (2 days)`,
      fix: `use Duration.minutes(n) with n from 0 to ${MAX_BLUE_GREEN_WAIT_MINUTES}; rollback is instant only while the old fleet exists`,
    });
  }
  if (!Number.isInteger(s.validateTimeoutSeconds) || s.validateTimeoutSeconds < 10 || s.validateTimeoutSeconds > MAX_HOOK_TIMEOUT_SECONDS) {
    problems.push({
      property: 'validateTimeout',
      value: `${s.validateTimeoutSeconds} seconds`,
      reason: `a CodeDeploy hook runs between 10 seconds (for the check to be meaningful) and ${MAX_HOOK_TIMEOUT_SECONDS} seconds`,
      fix: 'use Duration.minutes(5) or another value in that range',
    });
  }
  if (!Number.isInteger(s.applicationPort) || s.applicationPort < 1 || s.applicationPort > 65535) {
    problems.push({ property: 'applicationPort', value: s.applicationPort, reason: 'is not a TCP port', fix: 'use a port from 1 to 65535, e.g. 80 or 8080' });
  }
  if (!s.healthCheckPath.startsWith('/') || s.healthCheckPath.length > 1024 || /\s/.test(s.healthCheckPath)) {
    problems.push({
      property: 'healthCheckPath',
      value: s.healthCheckPath,
      reason: "a health check path starts with '/', has no spaces and is at most 1,024 characters",
      fix: `e.g. '/${s.healthCheckPath.replace(/^\/+/, '').replace(/\s/g, '')}' or '/health'`,
    });
  }
  if (s.instanceZones !== undefined && new Set(s.instanceZones).size < 2) {
    problems.push({
      property: 'instanceSubnets',
      value: [...s.instanceZones],
      reason: 'the fleet and the EFS mount targets need subnets in at least two availability zones, or one zone outage takes the site down',
      fix: 'select subnets in two or more AZs (for example a VPC with maxAzs: 2)',
    });
  }
  return problems;
}

/** Who the load balancer serves, and how; plain values so the check stays pure. */
export interface ListenerSettings {
  readonly internetFacing: boolean;
  readonly hasCertificate: boolean;
  readonly allowPlaintextHttp: boolean;
}

/**
 * Plain HTTP reaches the internet only when asked for: an internet-facing
 * load balancer needs a certificate or `allowPlaintextHttp`, and the flag
 * means nothing next to a certificate (port 80 then only redirects).
 */
export function listenerProblems(s: ListenerSettings): Problem[] {
  if (s.hasCertificate && s.allowPlaintextHttp) {
    return [{
      property: 'allowPlaintextHttp',
      value: true,
      reason: 'with a certificate, port 80 only redirects to HTTPS',
      fix: 'drop allowPlaintextHttp, or drop certificate to serve plain HTTP',
    }];
  }
  if (s.internetFacing && !s.hasCertificate && !s.allowPlaintextHttp) {
    return [{
      property: 'certificate',
      value: undefined,
      reason: 'an internet-facing load balancer without a certificate serves plain HTTP to the internet',
      fix: 'give certificate (an ACM certificate) to serve HTTPS, set internetFacing: false, or set allowPlaintextHttp: true to serve plain HTTP on purpose',
    }];
  }
  return [];
}
