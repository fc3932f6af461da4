/**
 * Custom resource (Provider framework onEvent) for the EC2 blue/green CodeDeploy
 * deployment group of a BlueGreenEfsDeploy.
 *
 * Thin on purpose: what to send lives in deployment-group-settings.ts. What this
 * file adds is the order of the calls and the cases CloudFormation replays:
 * a retried create, an update after CodeDeploy swapped the Auto Scaling group,
 * a group deleted out of band, and the Auto Scaling group copies CodeDeploy
 * leaves behind (CloudFormation knows only the original one).
 */
import {
  AutoScalingClient, DeleteAutoScalingGroupCommand, DescribeAutoScalingGroupsCommand,
} from '@aws-sdk/client-auto-scaling';
import {
  CodeDeployClient, CreateDeploymentGroupCommand, DeleteDeploymentGroupCommand, DeploymentGroupInfo,
  GetDeploymentGroupCommand, UpdateDeploymentGroupCommand,
} from '@aws-sdk/client-codedeploy';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import {
  autoScalingGroupNamesOf, buildCreateInput, buildUpdateInput, DeploymentGroupSettings, isCodeDeployCopy,
  parseDeploymentGroupProperties,
} from './deployment-group-settings';
import { HANDLER_SDK_RETRY } from './sdk-retry';

/** The handler's SDK clients, retrying on the SDK alone; exported so tests can check how. */
export const clients = {
  codeDeploy: new CodeDeployClient(HANDLER_SDK_RETRY),
  autoScaling: new AutoScalingClient(HANDLER_SDK_RETRY),
};
const { codeDeploy, autoScaling } = clients;

/** What the Provider framework passes back to CloudFormation. */
export interface DeploymentGroupResponse {
  readonly PhysicalResourceId: string;
  readonly Data: {
    readonly DeploymentGroupName: string;
    /** Comma-joined names of the Auto Scaling groups the group uses now. */
    readonly AutoScalingGroupNames: string;
  };
}

function log(message: string): void {
  console.log(message);
}

function errorName(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? (error as { name?: string }).name : undefined;
}

/** The group, or undefined when it (or its application) does not exist. */
async function getGroup(applicationName: string, groupName: string): Promise<DeploymentGroupInfo | undefined> {
  try {
    const out = await codeDeploy.send(new GetDeploymentGroupCommand({
      applicationName, deploymentGroupName: groupName,
    }));
    return out.deploymentGroupInfo;
  } catch (error) {
    const name = errorName(error);
    if (name === 'DeploymentGroupDoesNotExistException' || name === 'ApplicationDoesNotExistException') {
      return undefined;
    }
    throw error;
  }
}

function response(groupName: string, autoScalingGroups: string[]): DeploymentGroupResponse {
  return {
    PhysicalResourceId: groupName,
    Data: { DeploymentGroupName: groupName, AutoScalingGroupNames: autoScalingGroups.join(',') },
  };
}

/** Updates group `currentName` to `settings`, keeping the Auto Scaling groups it has now. */
async function update(settings: DeploymentGroupSettings, currentName: string, info: DeploymentGroupInfo): Promise<DeploymentGroupResponse> {
  const current = autoScalingGroupNamesOf(info);
  const asgs = current.length > 0 ? current : [settings.autoScalingGroupName];
  log(`updating deployment group ${currentName} -> ${settings.deploymentGroupName} on ${asgs.join(',')}`);
  await codeDeploy.send(new UpdateDeploymentGroupCommand(buildUpdateInput(settings, currentName, asgs)));
  return response(settings.deploymentGroupName, asgs);
}

async function create(settings: DeploymentGroupSettings): Promise<DeploymentGroupResponse> {
  try {
    log(`creating deployment group ${settings.deploymentGroupName} on ${settings.autoScalingGroupName}`);
    await codeDeploy.send(new CreateDeploymentGroupCommand(buildCreateInput(settings)));
    return response(settings.deploymentGroupName, [settings.autoScalingGroupName]);
  } catch (error) {
    if (errorName(error) !== 'DeploymentGroupAlreadyExistsException') {
      throw error;
    }
    // A retried create (or a lost response): converge on the wanted settings.
    const info = await getGroup(settings.applicationName, settings.deploymentGroupName);
    if (info === undefined) {
      throw error;
    }
    log(`deployment group ${settings.deploymentGroupName} already exists; updating it instead`);
    return update(settings, settings.deploymentGroupName, info);
  }
}

async function deleteGroup(applicationName: string, groupName: string): Promise<DeploymentGroupResponse> {
  const info = await getGroup(applicationName, groupName);
  if (info === undefined) {
    log(`deployment group ${groupName} does not exist; nothing to delete`);
    return response(groupName, []);
  }
  const asgs = autoScalingGroupNamesOf(info);
  try {
    await codeDeploy.send(new DeleteDeploymentGroupCommand({ applicationName, deploymentGroupName: groupName }));
  } catch (error) {
    if (errorName(error) !== 'DeploymentGroupDoesNotExistException') {
      throw error;
    }
  }
  // The original Auto Scaling group is CloudFormation's; the copies are nobody's.
  const copies = asgs.filter((name) => isCodeDeployCopy(name, groupName));
  for (const asg of copies) {
    await deleteAutoScalingGroup(asg);
  }
  await waitUntilGone(copies);
  log(`deleted deployment group ${groupName} and Auto Scaling groups [${copies.join(',')}]`);
  return response(groupName, copies);
}

/** How long a delete waits for the copies' instances to terminate; exported so tests can shorten it. */
export const deletionWait = {
  timeoutMs: 12 * 60_000,
  pollMs: 15_000,
  now: () => Date.now(),
  sleep: (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * Waits until the force-deleted copies are gone: their instances hold network
 * interfaces in the fleet's security group and subnets, which CloudFormation
 * deletes right after this resource and could not while they exist.
 */
async function waitUntilGone(names: string[]): Promise<void> {
  if (names.length === 0) return;
  const deadline = deletionWait.now() + deletionWait.timeoutMs;
  for (;;) {
    const out = await autoScaling.send(new DescribeAutoScalingGroupsCommand({ AutoScalingGroupNames: names }));
    const remaining = (out?.AutoScalingGroups ?? []).map((group) => group.AutoScalingGroupName);
    if (remaining.length === 0) return;
    if (deletionWait.now() >= deadline) {
      throw new Error(`Auto Scaling groups [${remaining.join(',')}] are still being deleted after ${deletionWait.timeoutMs / 60_000} minutes; `
        + 'retry the stack deletion once their instances have terminated');
    }
    log(`waiting for Auto Scaling groups [${remaining.join(',')}] to finish deleting`);
    await deletionWait.sleep(deletionWait.pollMs);
  }
}

async function deleteAutoScalingGroup(name: string): Promise<void> {
  try {
    log(`force-deleting Auto Scaling group ${name}`);
    await autoScaling.send(new DeleteAutoScalingGroupCommand({ AutoScalingGroupName: name, ForceDelete: true }));
  } catch (error) {
    // Auto Scaling reports a missing group as a ValidationError "... not found".
    if (errorName(error) === 'ValidationError' && /not found/i.test((error as Error).message ?? '')) {
      log(`Auto Scaling group ${name} is already gone`);
      return;
    }
    throw error;
  }
}

export async function handler(event: CloudFormationCustomResourceEvent): Promise<DeploymentGroupResponse> {
  log(`${event.RequestType} ${event.LogicalResourceId} ${event.RequestType === 'Create' ? '' : event.PhysicalResourceId}`);
  switch (event.RequestType) {
    case 'Create':
      return create(parseDeploymentGroupProperties(event.ResourceProperties));
    case 'Update': {
      const settings = parseDeploymentGroupProperties(event.ResourceProperties);
      const oldApplication = (event.OldResourceProperties as Record<string, unknown> | undefined)?.ApplicationName;
      if (oldApplication !== undefined && oldApplication !== settings.applicationName) {
        // A group cannot move between applications, and a replacement would leave
        // two groups on one fleet: refuse, so CloudFormation rolls back cleanly.
        throw new Error(`ApplicationName cannot change (${String(oldApplication)} -> ${settings.applicationName}); create a new resource instead`);
      }
      const info = await getGroup(settings.applicationName, event.PhysicalResourceId);
      if (info === undefined) {
        log(`deployment group ${event.PhysicalResourceId} is missing; creating ${settings.deploymentGroupName}`);
        return create(settings);
      }
      return update(settings, event.PhysicalResourceId, info);
    }
    case 'Delete': {
      const applicationName = (event.ResourceProperties as Record<string, unknown> | undefined)?.ApplicationName;
      if (typeof applicationName !== 'string' || applicationName === '') {
        throw new Error('ResourceProperties.ApplicationName is missing');
      }
      return deleteGroup(applicationName, event.PhysicalResourceId);
    }
  }
}
