/**
 * The EC2 blue/green deployment group, as the custom resource receives it and as
 * CodeDeploy wants it.
 *
 * CloudFormation cannot create an EC2 blue/green group that copies an Auto Scaling
 * group (cloudformation-coverage-roadmap #2071), so a custom resource calls the
 * CodeDeploy API. Pure: only SDK types and the shared limits are imported; the handler does the calls.
 */
import type {
  AutoRollbackEvent, CreateDeploymentGroupInput, DeploymentGroupInfo, UpdateDeploymentGroupInput,
} from '@aws-sdk/client-codedeploy';
import { MAX_BLUE_GREEN_WAIT_MINUTES } from './codedeploy-limits';

/** ResourceProperties of the custom resource, as CloudFormation delivers them (strings). */
export interface DeploymentGroupResourceProperties {
  readonly ApplicationName: string;
  readonly DeploymentGroupName: string;
  readonly ServiceRoleArn: string;
  /** The original, CloudFormation-created Auto Scaling group. */
  readonly AutoScalingGroupName: string;
  readonly TargetGroupName: string;
  readonly DeploymentConfigName?: string;
  /** Minutes the old fleet keeps running after a success (rollback window), e.g. "60". */
  readonly TerminationWaitTimeInMinutes?: string;
  /** "0": reroute traffic as soon as the new fleet is ready. */
  readonly DeploymentReadyWaitTimeInMinutes?: string;
  readonly AlarmNames?: string[];
  readonly AutoRollbackEvents?: string[];
}

/** The validated settings, numbers as numbers and lists always present. */
export interface DeploymentGroupSettings {
  readonly applicationName: string;
  readonly deploymentGroupName: string;
  readonly serviceRoleArn: string;
  readonly autoScalingGroupName: string;
  readonly targetGroupName: string;
  readonly deploymentConfigName: string;
  readonly terminationWaitTimeInMinutes: number;
  readonly deploymentReadyWaitTimeInMinutes: number;
  readonly alarmNames: string[];
  readonly autoRollbackEvents: AutoRollbackEvent[];
}

/** CodeDeploy's own default, sent explicitly so that removing the property resets it. */
export const DEFAULT_DEPLOYMENT_CONFIG_NAME = 'CodeDeployDefault.OneAtATime';

const AUTO_ROLLBACK_EVENTS: readonly string[] = ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM', 'DEPLOYMENT_STOP_ON_REQUEST'];


function requiredString(props: Record<string, unknown>, key: string): string {
  const value = props[key];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new Error(`ResourceProperties.${key} must be a non-empty string, got ${JSON.stringify(value)}`);
  }
  return value;
}

function minutes(props: Record<string, unknown>, key: string, fallback: number): number {
  const value = props[key];
  if (value === undefined || value === null || value === '') {
    return fallback;
  }
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string' || !/^\d+$/.test(text.trim())) {
    throw new Error(`ResourceProperties.${key} must be a whole number of minutes, got ${JSON.stringify(value)}`);
  }
  const n = Number(text.trim());
  if (n > MAX_BLUE_GREEN_WAIT_MINUTES) {
    throw new Error(`ResourceProperties.${key} must be at most ${MAX_BLUE_GREEN_WAIT_MINUTES} minutes, got ${n}`);
  }
  return n;
}

/** CloudFormation drops empty lists, so absent means empty. */
function stringList(props: Record<string, unknown>, key: string): string[] {
  const value = props[key];
  if (value === undefined || value === null || value === '') {
    return [];
  }
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v === '')) {
    throw new Error(`ResourceProperties.${key} must be a list of non-empty strings, got ${JSON.stringify(value)}`);
  }
  return [...new Set(value as string[])];
}

/** Validates and normalizes the custom resource's properties; throws naming the bad one. */
export function parseDeploymentGroupProperties(props: Record<string, unknown> | undefined): DeploymentGroupSettings {
  const p = props ?? {};
  const autoRollbackEvents = stringList(p, 'AutoRollbackEvents');
  const unknownEvents = autoRollbackEvents.filter((e) => !AUTO_ROLLBACK_EVENTS.includes(e));
  if (unknownEvents.length > 0) {
    throw new Error(`ResourceProperties.AutoRollbackEvents has unknown events ${unknownEvents.join(', ')}; allowed: ${AUTO_ROLLBACK_EVENTS.join(', ')}`);
  }
  const deploymentConfigName = p.DeploymentConfigName === undefined || p.DeploymentConfigName === ''
    ? DEFAULT_DEPLOYMENT_CONFIG_NAME
    : requiredString(p, 'DeploymentConfigName');
  return {
    applicationName: requiredString(p, 'ApplicationName'),
    deploymentGroupName: requiredString(p, 'DeploymentGroupName'),
    serviceRoleArn: requiredString(p, 'ServiceRoleArn'),
    autoScalingGroupName: requiredString(p, 'AutoScalingGroupName'),
    targetGroupName: requiredString(p, 'TargetGroupName'),
    deploymentConfigName,
    terminationWaitTimeInMinutes: minutes(p, 'TerminationWaitTimeInMinutes', 60),
    deploymentReadyWaitTimeInMinutes: minutes(p, 'DeploymentReadyWaitTimeInMinutes', 0),
    alarmNames: stringList(p, 'AlarmNames'),
    autoRollbackEvents: autoRollbackEvents as AutoRollbackEvent[],
  };
}

/** Everything but names and Auto Scaling groups: the same for create and update. */
function sharedSettings(s: DeploymentGroupSettings) {
  return {
    deploymentConfigName: s.deploymentConfigName,
    serviceRoleArn: s.serviceRoleArn,
    deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
    blueGreenDeploymentConfiguration: {
      greenFleetProvisioningOption: { action: 'COPY_AUTO_SCALING_GROUP' },
      terminateBlueInstancesOnDeploymentSuccess: {
        action: 'TERMINATE',
        terminationWaitTimeInMinutes: s.terminationWaitTimeInMinutes,
      },
      // CONTINUE_DEPLOYMENT reroutes at once; a wait only means something with
      // STOP_DEPLOYMENT (reroute by hand within the wait, else the deployment stops).
      deploymentReadyOption: s.deploymentReadyWaitTimeInMinutes === 0
        ? { actionOnTimeout: 'CONTINUE_DEPLOYMENT', waitTimeInMinutes: 0 }
        : { actionOnTimeout: 'STOP_DEPLOYMENT', waitTimeInMinutes: s.deploymentReadyWaitTimeInMinutes },
    },
    loadBalancerInfo: { targetGroupInfoList: [{ name: s.targetGroupName }] },
    // Sent even when empty so that an update removes alarms and rollback events.
    alarmConfiguration: {
      enabled: s.alarmNames.length > 0,
      ignorePollAlarmFailure: false,
      alarms: s.alarmNames.map((name) => ({ name })),
    },
    autoRollbackConfiguration: {
      enabled: s.autoRollbackEvents.length > 0,
      events: s.autoRollbackEvents,
    },
  } satisfies Partial<CreateDeploymentGroupInput & UpdateDeploymentGroupInput>;
}

/** CreateDeploymentGroup for a new group on the original Auto Scaling group. */
export function buildCreateInput(s: DeploymentGroupSettings): CreateDeploymentGroupInput {
  return {
    applicationName: s.applicationName,
    deploymentGroupName: s.deploymentGroupName,
    autoScalingGroups: [s.autoScalingGroupName],
    ...sharedSettings(s),
  };
}

/**
 * UpdateDeploymentGroup bringing group `currentGroupName` to `s`.
 *
 * `currentAutoScalingGroups` are the groups CodeDeploy reports now: after a release
 * the original is gone and `CodeDeploy_<group>_<deploymentId>` serves traffic, so the
 * original name from the properties must never be sent again.
 */
export function buildUpdateInput(
  s: DeploymentGroupSettings,
  currentGroupName: string,
  currentAutoScalingGroups: string[],
): UpdateDeploymentGroupInput {
  return {
    applicationName: s.applicationName,
    currentDeploymentGroupName: currentGroupName,
    ...(currentGroupName !== s.deploymentGroupName ? { newDeploymentGroupName: s.deploymentGroupName } : {}),
    autoScalingGroups: currentAutoScalingGroups,
    ...sharedSettings(s),
  };
}

/** Names of the Auto Scaling groups a GetDeploymentGroup answer lists. */
export function autoScalingGroupNamesOf(info: DeploymentGroupInfo | undefined): string[] {
  return (info?.autoScalingGroups ?? [])
    .map((g) => g.name)
    .filter((name): name is string => typeof name === 'string' && name !== '');
}

/**
 * Whether `asgName` is a copy CodeDeploy made for group `groupName` in a blue/green
 * deployment (`CodeDeploy_<group>_<deploymentId>`). CloudFormation does not know
 * these, so deleting the group must delete them. The deployment id part is checked
 * too, so that group `web` never claims the copies of a group `web_admin`.
 */
export function isCodeDeployCopy(asgName: string, groupName: string): boolean {
  const prefix = codeDeployCopyPrefix(groupName);
  return asgName.startsWith(prefix) && /^d-[A-Za-z0-9]+$/.test(asgName.slice(prefix.length));
}

/** Every copy of group `groupName` is named this followed by a deployment id (`d-...`). */
export function codeDeployCopyPrefix(groupName: string): string {
  return `CodeDeploy_${groupName}_`;
}
