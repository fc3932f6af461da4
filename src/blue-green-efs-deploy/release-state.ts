/**
 * The release state of a BlueGreenEfsDeploy: which EFS color serves traffic (LIVE)
 * and which color the last sync build wrote (PENDING), kept as JSON in two SSM
 * String parameters.
 *
 * Pure: no CDK or SDK imports. The live-color Lambda only fetches the inputs and
 * writes the result; every decision about flipping lives here so it is tested
 * directly. The invariant it protects: a release never writes into the color that
 * serves traffic, so LIVE may only move once CodeDeploy has put that release's
 * fleet in service.
 */

/** One of the two EFS directories (access points) the web root can point at. */
export type Color = 'blue' | 'green';

/** Value of the LIVE parameter: the color serving traffic and what made it so. */
export interface LiveState {
  /** The color the in-service fleet serves. */
  readonly color: Color;
  /** The deployment that made `color` live, or `initial` before the first release. */
  readonly deploymentId: string;
  /** The sync build that wrote `color`, when known. */
  readonly releaseId?: string;
  /**
   * The last deployment of the group whose outcome (success, failure, stop) this
   * state has taken into account; the sync build waits for it before writing.
   */
  readonly lastSettledDeploymentId?: string;
}

/** Value of the PENDING parameter: what the last sync build wrote. */
export interface PendingRelease {
  /** The color written by the last sync build, or `none` before the first one. */
  readonly color: Color | 'none';
  /** The sync build (CodeBuild build id), or `initial`. */
  readonly releaseId: string;
}

/** LIVE as CloudFormation creates it: blue, so the first release writes green. */
export const INITIAL_LIVE_VALUE = '{"color":"blue","deploymentId":"initial"}';

/** PENDING as CloudFormation creates it: nothing written yet. */
export const INITIAL_PENDING_VALUE = '{"color":"none","releaseId":"initial"}';

/** The color that is not `color`: where the next release writes. */
export function otherColor(color: Color): Color {
  return color === 'blue' ? 'green' : 'blue';
}

function isColor(value: unknown): value is Color {
  return value === 'blue' || value === 'green';
}

function parseObject(json: string, what: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    throw new Error(`${what} is not valid JSON (${(e as Error).message}): ${JSON.stringify(json)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${what} must be a JSON object, got: ${JSON.stringify(json)}`);
  }
  return value as Record<string, unknown>;
}

function optionalString(obj: Record<string, unknown>, key: string, what: string): string | undefined {
  const value = obj[key];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'string' || value === '') {
    throw new Error(`${what}.${key} must be a non-empty string when present, got ${JSON.stringify(value)}`);
  }
  return value;
}

function requiredString(obj: Record<string, unknown>, key: string, what: string): string {
  const value = optionalString(obj, key, what);
  if (value === undefined) {
    throw new Error(`${what}.${key} is missing`);
  }
  return value;
}

/** Reads the LIVE parameter value; throws a message naming the bad field. */
export function parseLiveState(json: string): LiveState {
  const what = 'LIVE parameter';
  const obj = parseObject(json, what);
  if (!isColor(obj.color)) {
    throw new Error(`${what}.color must be "blue" or "green", got ${JSON.stringify(obj.color)}`);
  }
  const releaseId = optionalString(obj, 'releaseId', what);
  const lastSettledDeploymentId = optionalString(obj, 'lastSettledDeploymentId', what);
  return {
    color: obj.color,
    deploymentId: requiredString(obj, 'deploymentId', what),
    ...(releaseId !== undefined ? { releaseId } : {}),
    ...(lastSettledDeploymentId !== undefined ? { lastSettledDeploymentId } : {}),
  };
}

/** Reads the PENDING parameter value; throws a message naming the bad field. */
export function parsePendingRelease(json: string): PendingRelease {
  const what = 'PENDING parameter';
  const obj = parseObject(json, what);
  if (!isColor(obj.color) && obj.color !== 'none') {
    throw new Error(`${what}.color must be "blue", "green" or "none", got ${JSON.stringify(obj.color)}`);
  }
  return { color: obj.color, releaseId: requiredString(obj, 'releaseId', what) };
}

/**
 * The LIVE parameter value, keys in a fixed order so that equal states serialize
 * equally (the Lambda writes only when the string changes).
 */
export function serializeLiveState(state: LiveState): string {
  return JSON.stringify({
    color: state.color,
    deploymentId: state.deploymentId,
    ...(state.releaseId !== undefined ? { releaseId: state.releaseId } : {}),
    ...(state.lastSettledDeploymentId !== undefined ? { lastSettledDeploymentId: state.lastSettledDeploymentId } : {}),
  });
}

/** What is known about one finished deployment of the group. */
export interface DeploymentOutcome {
  /** The CodeDeploy deployment id (`d-...`). */
  readonly deploymentId: string;
  /** The state of the EventBridge notification: SUCCESS, FAILURE, STOP (others are ignored). */
  readonly state: string;
  /** DeploymentInfo.creator: user, autoscaling, codeDeployRollback, ... */
  readonly creator?: string;
  /** DeploymentInfo.deploymentStyle.deploymentType: BLUE_GREEN or IN_PLACE. */
  readonly deploymentType?: string;
}

/** Input of {@link decideAfterDeployment}. */
export interface DecisionInput extends DeploymentOutcome {
  /** Current LIVE value. */
  readonly live: LiveState;
  /** Current PENDING value. */
  readonly pending: PendingRelease;
}

/** Output of {@link decideAfterDeployment}. */
export interface Decision {
  /** The LIVE value to store (equal to the input when nothing changes). */
  readonly next: LiveState;
  /** Whether `next` differs from the current value (so it must be written). */
  readonly changed: boolean;
  /** One line for the log: why. */
  readonly reason: string;
}

/** The notification states that end a deployment. */
export const SETTLED_STATES: readonly string[] = ['SUCCESS', 'FAILURE', 'STOP'];

/**
 * What LIVE becomes after a deployment of the group settles.
 *
 * Only a successful blue/green deployment started by a user (CodePipeline, console,
 * CLI) moves traffic to the release's fleet, so only it flips the color, and only
 * to a real pending color different from the live one. Scale-out deployments
 * (`autoscaling`) and rollbacks (`codeDeployRollback`) put already-live code on
 * instances; failures and stops leave the old fleet serving. Every settled
 * deployment is recorded in `lastSettledDeploymentId` so the next sync build can
 * tell this outcome has been processed. A deployment seen before (EventBridge
 * redelivery, Lambda retry) changes nothing.
 */
export function decideAfterDeployment(input: DecisionInput): Decision {
  const { live, pending, deploymentId, state } = input;
  const unchanged = (reason: string): Decision => ({ next: live, changed: false, reason });

  if (!SETTLED_STATES.includes(state)) {
    return unchanged(`state ${state} of ${deploymentId} does not settle a deployment`);
  }
  if (deploymentId === live.lastSettledDeploymentId || deploymentId === live.deploymentId) {
    return unchanged(`${deploymentId} was already processed; live stays ${live.color}`);
  }

  const settle = (reason: string): Decision => {
    const next: LiveState = { ...live, lastSettledDeploymentId: deploymentId };
    return { next, changed: serializeLiveState(next) !== serializeLiveState(live), reason };
  };

  if (state !== 'SUCCESS') {
    return settle(`${deploymentId} ended in ${state}; live stays ${live.color}`);
  }
  if (input.creator !== 'user') {
    return settle(`${deploymentId} succeeded but was created by ${input.creator ?? 'an unknown creator'}, not a release; live stays ${live.color}`);
  }
  if (input.deploymentType !== 'BLUE_GREEN') {
    return settle(`${deploymentId} succeeded but is ${input.deploymentType ?? 'of unknown type'}, not BLUE_GREEN; live stays ${live.color}`);
  }
  if (pending.color === 'none') {
    return settle(`${deploymentId} succeeded but no release is pending; live stays ${live.color}`);
  }
  if (pending.color === live.color) {
    return settle(`${deploymentId} succeeded but pending ${pending.releaseId} is ${pending.color}, already live; live stays ${live.color}`);
  }

  const next: LiveState = {
    color: pending.color,
    deploymentId,
    releaseId: pending.releaseId,
    lastSettledDeploymentId: deploymentId,
  };
  return { next, changed: true, reason: `${deploymentId} succeeded: live flips ${live.color} -> ${pending.color} (release ${pending.releaseId})` };
}
