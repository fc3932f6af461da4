/**
 * EventBridge target for "CodeDeploy Deployment State-change Notification": moves
 * the LIVE color once a release's fleet serves traffic, and records every settled
 * deployment so the next sync build knows this one has been processed.
 * Events may arrive late or out of order (redelivery, Lambda retries, a
 * dead-letter redrive); the decision tolerates that.
 *
 * Thin on purpose: the decision is decideAfterDeployment (release-state.ts); this
 * file fetches its inputs and writes LIVE only when the value changes, so a
 * redelivered event or a retried invocation is harmless.
 */
import { CodeDeployClient, GetDeploymentCommand } from '@aws-sdk/client-codedeploy';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { EventBridgeEvent, SQSEvent } from 'aws-lambda';
import {
  decideAfterDeployment, parseLiveState, parsePendingRelease, revisionFingerprint, serializeLiveState, SETTLED_STATES,
} from './release-state';
import { HANDLER_SDK_RETRY } from './sdk-retry';

/** The handler's SDK clients, retrying on the SDK alone; exported so tests can check how. */
export const clients = {
  codeDeploy: new CodeDeployClient(HANDLER_SDK_RETRY),
  ssm: new SSMClient(HANDLER_SDK_RETRY),
};
const { codeDeploy, ssm } = clients;

/** The detail of a CodeDeploy deployment state-change notification. */
export interface DeploymentStateChangeDetail {
  readonly application: string;
  readonly deploymentGroup: string;
  readonly deploymentId: string;
  /** START, SUCCESS, FAILURE, STOP, READY, ... */
  readonly state: string;
  readonly region?: string;
  readonly instanceGroupId?: string;
}

export type DeploymentStateChangeEvent = EventBridgeEvent<'CodeDeploy Deployment State-change Notification', DeploymentStateChangeDetail>;

/** The one-line outcome, also logged. */
export interface LiveColorResult {
  /** Whether LIVE was written. */
  readonly written: boolean;
  readonly reason: string;
  /** The LIVE value after this event (absent when the event was ignored). */
  readonly live?: string;
}

function env(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`environment variable ${name} is not set`);
  }
  return value;
}

interface ParameterValue {
  readonly value: string;
  /** LastModifiedDate in epoch milliseconds, when SSM reports it. */
  readonly modifiedAt?: number;
}

async function readParameter(name: string): Promise<ParameterValue> {
  const out = await ssm.send(new GetParameterCommand({ Name: name }));
  const value = out.Parameter?.Value;
  if (value === undefined) {
    throw new Error(`SSM parameter ${name} has no value`);
  }
  return { value, modifiedAt: out.Parameter?.LastModifiedDate?.getTime() };
}

function finish(result: LiveColorResult): LiveColorResult {
  console.log(JSON.stringify(result));
  return result;
}

/**
 * Entry point. The events arrive through an SQS FIFO queue with one message
 * group, so they are handled one at a time and in order: two deployments
 * settling together cannot both read the old state and overwrite each other.
 * A record that fails is retried before any later one, then dead-lettered.
 */
export async function handler(event: SQSEvent | DeploymentStateChangeEvent): Promise<LiveColorResult[]> {
  if (!('Records' in event)) return [await handleStateChange(event)];
  const results: LiveColorResult[] = [];
  for (const record of event.Records) {
    results.push(await handleStateChange(JSON.parse(record.body) as DeploymentStateChangeEvent));
  }
  return results;
}

/** One CodeDeploy state change: decide, then write LIVE when it changes. */
export async function handleStateChange(event: DeploymentStateChangeEvent): Promise<LiveColorResult> {
  const liveName = env('LIVE_PARAMETER_NAME');
  const pendingName = env('PENDING_PARAMETER_NAME');
  const applicationName = env('APPLICATION_NAME');
  const groupName = env('DEPLOYMENT_GROUP_NAME');
  const detail = event.detail;

  if (detail?.application !== applicationName || detail?.deploymentGroup !== groupName) {
    return finish({ written: false, reason: `ignored: event for ${detail?.application}/${detail?.deploymentGroup}, not ${applicationName}/${groupName}` });
  }
  if (!SETTLED_STATES.includes(detail.state)) {
    return finish({ written: false, reason: `ignored: state ${detail.state} of ${detail.deploymentId}` });
  }

  const deployment = (await codeDeploy.send(new GetDeploymentCommand({ deploymentId: detail.deploymentId }))).deploymentInfo;
  const [liveValue, pendingValue] = await Promise.all([readParameter(liveName), readParameter(pendingName)]);
  const live = parseLiveState(liveValue.value);
  const decision = decideAfterDeployment({
    live,
    pending: parsePendingRelease(pendingValue.value),
    // When the sync build published: a deployment created earlier cannot deploy that release.
    pendingPublishedAt: pendingValue.modifiedAt,
    deploymentId: detail.deploymentId,
    state: detail.state,
    creator: deployment?.creator,
    deploymentType: deployment?.deploymentStyle?.deploymentType,
    createTime: deployment?.createTime?.getTime(),
    revision: revisionFingerprint(deployment?.revision),
  });

  const next = serializeLiveState(decision.next);
  if (decision.changed) {
    await ssm.send(new PutParameterCommand({ Name: liveName, Value: next, Type: 'String', Overwrite: true }));
  }
  return finish({ written: decision.changed, reason: decision.reason, live: next });
}
