/**
 * The release state of a BlueGreenEfsDeploy: which EFS color serves traffic (LIVE)
 * and which color the last sync build wrote (PENDING), kept as JSON in two SSM
 * String parameters.
 *
 * Pure: no CDK or SDK imports (node's crypto only, for revision fingerprints).
 * The live-color Lambda only fetches the inputs and writes the result; every
 * decision about flipping lives here so it is tested directly. The invariant
 * it protects: a release never writes into the color that serves traffic, so
 * LIVE may only move once CodeDeploy has put a fleet of that color in service.
 */
import { createHash } from 'crypto';

/** One of the two EFS directories (access points) the web root can point at. */
export type Color = 'blue' | 'green';

/**
 * A deployed revision and the color its bundle switches instances to:
 * `[fingerprint, color]`, fingerprint from {@link revisionFingerprint}.
 */
export type RevisionColor = readonly [string, Color];

/**
 * Value of the LIVE parameter: the color serving traffic and what made it so,
 * plus what the live-color Lambda needs to decide the next deployments.
 *
 * Example:
 * `{"color":"green","deploymentId":"d-2","releaseId":"web:b1","deploymentCreateTime":1700000600000,
 * "settledReleaseId":"web:b1","settledByDeploymentId":"d-1","settledRevision":"3f9a0c1d2e4b",
 * "revisionColors":[["77aa01bc9d3e","blue"],["3f9a0c1d2e4b","green"]],"settledDeploymentIds":["d-0","d-1","d-2"]}`
 *
 * Every field after `deploymentId` is optional (the initial value has none).
 */
export interface LiveState {
  /** The color the in-service fleet serves. */
  readonly color: Color;
  /** The deployment that made `color` live, or `initial` before the first release. */
  readonly deploymentId: string;
  /** The sync build that wrote `color`, when known. */
  readonly releaseId?: string;
  /**
   * CodeDeploy's createTime (epoch milliseconds) of `deploymentId`, when known.
   * User deployments of a group run one at a time, so an event for a deployment
   * created earlier is a late one (redelivery, retry, dead-letter redrive) and
   * must not change the color.
   */
  readonly deploymentCreateTime?: number;
  /**
   * The PENDING release that a deployment has already used up: the first settled
   * user blue/green deployment after a publish whose revision was not known yet
   * is taken to be that release's deployment, and binds its revision to the
   * pending color. Later deployments of other, unknown revisions do not flip to it.
   */
  readonly settledReleaseId?: string;
  /** The deployment that used up `settledReleaseId` (for the log). */
  readonly settledByDeploymentId?: string;
  /** The revision fingerprint bound to `settledReleaseId`, when the deployment had one. */
  readonly settledRevision?: string;
  /**
   * Colors of recently released revisions, oldest first, at most
   * {@link MAX_REVISION_COLORS}: a redeploy of one of them (CodePipeline retry,
   * console redeploy of an older revision) makes its color live.
   */
  readonly revisionColors?: readonly RevisionColor[];
  /**
   * Recently settled deployments of the group whose outcome this state has taken
   * into account, in processing order (newest last), without duplicates, at most
   * {@link MAX_SETTLED_DEPLOYMENT_IDS}. A set, not a high-water mark, so events
   * processed out of order never move it backwards; the sync build waits until
   * the group's last attempted deployment is in it.
   */
  readonly settledDeploymentIds?: readonly string[];
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

/**
 * How many settled deployment ids LIVE keeps. Enough to cover the deployments
 * that can settle while one event waits for redelivery; small enough that LIVE
 * stays far below the 4 KB limit of a standard SSM parameter.
 */
export const MAX_SETTLED_DEPLOYMENT_IDS = 20;

/** How many released revisions LIVE remembers the color of. */
export const MAX_REVISION_COLORS = 10;

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

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function optionalString(obj: Record<string, unknown>, key: string, what: string): string | undefined {
  const value = obj[key];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (!isNonEmptyString(value)) {
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

function optionalTime(obj: Record<string, unknown>, key: string, what: string): number | undefined {
  const value = obj[key];
  if (value === undefined || value === null) {
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new Error(`${what}.${key} must be a time in epoch milliseconds when present, got ${JSON.stringify(value)}`);
  }
  return value;
}

function optionalArray(obj: Record<string, unknown>, key: string, what: string): unknown[] {
  const value = obj[key];
  if (value === undefined || value === null) {
    return [];
  }
  if (!Array.isArray(value)) {
    throw new Error(`${what}.${key} must be an array when present, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** `items` with `item` moved to the end, trimmed to the newest `max`. */
function appendBounded<T>(items: readonly T[] | undefined, item: T, max: number, same: (a: T, b: T) => boolean): T[] {
  return [...(items ?? []).filter((existing) => !same(existing, item)), item].slice(-max);
}

function settledIdsOf(obj: Record<string, unknown>, what: string): string[] {
  const key = 'settledDeploymentIds';
  let ids: string[] = [];
  for (const id of optionalArray(obj, key, what)) {
    if (!isNonEmptyString(id)) {
      throw new Error(`${what}.${key} must hold non-empty strings, got ${JSON.stringify(id)}`);
    }
    ids = appendBounded(ids, id, MAX_SETTLED_DEPLOYMENT_IDS, (a, b) => a === b);
  }
  return ids;
}

function revisionColorsOf(obj: Record<string, unknown>, what: string): RevisionColor[] {
  const key = 'revisionColors';
  let entries: RevisionColor[] = [];
  for (const entry of optionalArray(obj, key, what)) {
    if (!Array.isArray(entry) || entry.length !== 2 || !isNonEmptyString(entry[0]) || !isColor(entry[1])) {
      throw new Error(`${what}.${key} must hold [revision, "blue"|"green"] pairs, got ${JSON.stringify(entry)}`);
    }
    entries = appendBounded(entries, [entry[0], entry[1]] as const, MAX_REVISION_COLORS, (a, b) => a[0] === b[0]);
  }
  return entries;
}

/**
 * Reads the LIVE parameter value; throws a message naming the bad field.
 */
export function parseLiveState(json: string): LiveState {
  const what = 'LIVE parameter';
  const obj = parseObject(json, what);
  if (!isColor(obj.color)) {
    throw new Error(`${what}.color must be "blue" or "green", got ${JSON.stringify(obj.color)}`);
  }
  const optional = {
    releaseId: optionalString(obj, 'releaseId', what),
    deploymentCreateTime: optionalTime(obj, 'deploymentCreateTime', what),
    settledReleaseId: optionalString(obj, 'settledReleaseId', what),
    settledByDeploymentId: optionalString(obj, 'settledByDeploymentId', what),
    settledRevision: optionalString(obj, 'settledRevision', what),
    revisionColors: nonEmpty(revisionColorsOf(obj, what)),
    settledDeploymentIds: nonEmpty(settledIdsOf(obj, what)),
  };
  return withoutUndefined({ color: obj.color, deploymentId: requiredString(obj, 'deploymentId', what), ...optional });
}

function nonEmpty<T>(items: T[]): T[] | undefined {
  return items.length > 0 ? items : undefined;
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
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
 * The LIVE parameter value, compact, keys in a fixed order so that equal states
 * serialize equally (the Lambda writes only when the string changes).
 */
export function serializeLiveState(state: LiveState): string {
  return JSON.stringify(withoutUndefined({
    color: state.color,
    deploymentId: state.deploymentId,
    releaseId: state.releaseId,
    deploymentCreateTime: state.deploymentCreateTime,
    settledReleaseId: state.settledReleaseId,
    settledByDeploymentId: state.settledByDeploymentId,
    settledRevision: state.settledRevision,
    revisionColors: state.revisionColors?.length ? state.revisionColors : undefined,
    settledDeploymentIds: state.settledDeploymentIds?.length ? state.settledDeploymentIds : undefined,
  }));
}

/** The part of CodeDeploy's RevisionLocation that identifies a revision. */
export interface RevisionLocationLike {
  readonly revisionType?: string;
  readonly s3Location?: { readonly bucket?: string; readonly key?: string };
  readonly gitHubLocation?: { readonly repository?: string; readonly commitId?: string };
}

/**
 * A short, stable fingerprint of a deployed revision (12 hex digits of SHA-256),
 * so LIVE can remember recent revisions in few bytes. For S3 it is bucket and
 * key only: CodePipeline writes every artifact under a new key, and a retry or a
 * console redeploy may or may not repeat eTag and version. Undefined when the
 * revision is not identifiable (the decisions then fall back to PENDING alone).
 */
export function revisionFingerprint(revision: RevisionLocationLike | undefined): string | undefined {
  let identity: string | undefined;
  const s3 = revision?.s3Location;
  const gitHub = revision?.gitHubLocation;
  if (s3?.bucket && s3.key) {
    identity = `s3\0${s3.bucket}\0${s3.key}`;
  } else if (gitHub?.repository && gitHub.commitId) {
    identity = `github\0${gitHub.repository}\0${gitHub.commitId}`;
  }
  return identity === undefined ? undefined : createHash('sha256').update(identity).digest('hex').slice(0, 12);
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
  /** DeploymentInfo.createTime in epoch milliseconds, when known. */
  readonly createTime?: number;
  /** {@link revisionFingerprint} of DeploymentInfo.revision, when known. */
  readonly revision?: string;
}

/** Input of {@link decideAfterDeployment}. */
export interface DecisionInput extends DeploymentOutcome {
  /** Current LIVE value. */
  readonly live: LiveState;
  /** Current PENDING value. */
  readonly pending: PendingRelease;
  /** When PENDING was last written (its LastModifiedDate, epoch milliseconds), when known. */
  readonly pendingPublishedAt?: number;
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

function createdBefore(time: number | undefined, reference: number | undefined): boolean {
  return time !== undefined && reference !== undefined && time < reference;
}

/**
 * What LIVE becomes after a deployment of the group settles. The goal: LIVE's
 * color is the color the in-service fleet serves, so a release never writes into it.
 *
 * - Every settled deployment is added to `settledDeploymentIds` (the sync build
 *   waits for it there); one already there, or the one that made the color live,
 *   changes nothing (EventBridge redelivery, Lambda retry).
 * - Only a user-created (CodePipeline, console, CLI) BLUE_GREEN deployment can
 *   change the color: scale-out deployments (`autoscaling`) and rollbacks
 *   (`codeDeployRollback`) put already-live code on instances. One created before
 *   the deployment that made the color live is a late event and changes nothing.
 * - Its color: a revision LIVE remembers (`revisionColors`) deploys its
 *   remembered color; this covers a CodePipeline retry of a failed release and a
 *   console redeploy of an earlier release. Otherwise it is the PENDING release's
 *   deployment if that release is not used up yet and the deployment was created
 *   after the publish: it uses the release up (`settledReleaseId`, whatever its
 *   outcome) and binds its revision to the pending color. Otherwise its color is
 *   unknown, and it changes nothing.
 * - SUCCESS makes that color live; FAILURE and STOP leave the old fleet serving.
 */
export function decideAfterDeployment(input: DecisionInput): Decision {
  const { live, pending, deploymentId, state } = input;
  const unchanged = (reason: string): Decision => ({ next: live, changed: false, reason });

  if (!SETTLED_STATES.includes(state)) {
    return unchanged(`state ${state} of ${deploymentId} does not settle a deployment`);
  }
  if (deploymentId === live.deploymentId || live.settledDeploymentIds?.includes(deploymentId)) {
    return unchanged(`${deploymentId} was already processed; live stays ${live.color}`);
  }

  const recorded: LiveState = {
    ...live,
    settledDeploymentIds: appendBounded(live.settledDeploymentIds, deploymentId, MAX_SETTLED_DEPLOYMENT_IDS, (a, b) => a === b),
  };
  const settle = (reason: string, changes: Partial<LiveState> = {}): Decision => {
    const next = withoutUndefined<LiveState>({ ...recorded, ...changes });
    return { next, changed: serializeLiveState(next) !== serializeLiveState(live), reason };
  };
  const outcome = state === 'SUCCESS' ? 'succeeded' : `ended in ${state}`;
  const stays = `live stays ${live.color}`;

  if (input.creator !== 'user') {
    return settle(`${deploymentId} ${outcome} but was created by ${input.creator ?? 'an unknown creator'}, not a release; ${stays}`);
  }
  if (input.deploymentType !== 'BLUE_GREEN') {
    return settle(`${deploymentId} ${outcome} but is ${input.deploymentType ?? 'of unknown type'}, not BLUE_GREEN; ${stays}`);
  }
  if (createdBefore(input.createTime, live.deploymentCreateTime)) {
    return settle(`${deploymentId} ${outcome} but was created before ${live.deploymentId}, which made ${live.color} live: a late event; ${stays}`);
  }

  // Which color did this deployment put on its fleet?
  let color: Color;
  let releaseId: string | undefined;
  let what: string;
  let changes: Partial<LiveState> = {};
  const known = input.revision === undefined ? undefined : live.revisionColors?.find(([revision]) => revision === input.revision);
  if (known !== undefined) {
    color = known[1];
    releaseId = known[0] === live.settledRevision ? live.settledReleaseId : undefined;
    what = `redeploys revision ${known[0]} (${color}${releaseId !== undefined ? `, release ${releaseId}` : ''})`;
  } else {
    if (pending.color === 'none') {
      return settle(`${deploymentId} ${outcome} but no release is pending; ${stays}`);
    }
    if (pending.releaseId === live.settledReleaseId) {
      const settledBy = live.settledByDeploymentId ?? 'an earlier deployment';
      return settle(`${deploymentId} ${outcome} but the pending release ${pending.releaseId} was already settled by deployment ${settledBy}, `
        + `and ${deploymentId} deploys ${input.revision !== undefined ? `revision ${input.revision}, whose color is not known` : 'an unidentified revision'}; ${stays}`);
    }
    if (createdBefore(input.createTime, input.pendingPublishedAt)) {
      return settle(`${deploymentId} ${outcome} but was created before the pending release ${pending.releaseId} was published, so it does not deploy it; ${stays}`);
    }
    color = pending.color;
    releaseId = pending.releaseId;
    what = `deploys the pending release ${pending.releaseId} (${color})`;
    changes = {
      settledReleaseId: pending.releaseId,
      settledByDeploymentId: deploymentId,
      settledRevision: input.revision,
      ...(input.revision !== undefined
        ? { revisionColors: appendBounded(live.revisionColors, [input.revision, color] as const, MAX_REVISION_COLORS, (a, b) => a[0] === b[0]) }
        : {}),
    };
  }

  if (state !== 'SUCCESS') {
    return settle(`${deploymentId} ${what} and ended in ${state}; ${stays}`, changes);
  }
  if (color === live.color) {
    return settle(`${deploymentId} succeeded and ${what}, already live; ${stays}`, changes);
  }
  const next: LiveState = {
    ...recorded,
    ...changes,
    color,
    deploymentId,
    releaseId,
    deploymentCreateTime: input.createTime,
  };
  return { next: withoutUndefined(next), changed: true, reason: `${deploymentId} succeeded and ${what}: live flips ${live.color} -> ${color}` };
}
