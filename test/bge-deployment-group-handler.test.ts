import { AutoScalingClient, DeleteAutoScalingGroupCommand, DescribeAutoScalingGroupsCommand } from '@aws-sdk/client-auto-scaling';
import {
  ApplicationDoesNotExistException, CodeDeployClient, CreateDeploymentGroupCommand, DeleteDeploymentGroupCommand,
  DeploymentGroupAlreadyExistsException, DeploymentGroupDoesNotExistException, GetDeploymentGroupCommand,
  UpdateDeploymentGroupCommand,
} from '@aws-sdk/client-codedeploy';
import type {
  CloudFormationCustomResourceCreateEvent, CloudFormationCustomResourceDeleteEvent, CloudFormationCustomResourceUpdateEvent,
} from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { retrySettingsOf } from './support/sdk-retry';
import { isCodeDeployCopy, parseDeploymentGroupProperties } from '../src/blue-green-efs-deploy/deployment-group-settings';
import { clients, deletionWait, handler } from '../src/blue-green-efs-deploy/deployment-group.lambda';

const codeDeploy = mockClient(CodeDeployClient);
const autoScaling = mockClient(AutoScalingClient);
const sleep = jest.fn(async (_ms: number) => undefined);

const PROPS = {
  ServiceToken: 'arn:aws:lambda:eu-west-1:111111111111:function:provider',
  ApplicationName: 'web-app',
  DeploymentGroupName: 'web',
  ServiceRoleArn: 'arn:aws:iam::111111111111:role/codedeploy',
  AutoScalingGroupName: 'stack-Fleet-ORIGINAL',
  TargetGroupName: 'web-tg',
  DeploymentConfigName: 'CodeDeployDefault.AllAtOnce',
  TerminationWaitTimeInMinutes: '60',
  DeploymentReadyWaitTimeInMinutes: '0',
  AlarmNames: ['web-5xx'],
  AutoRollbackEvents: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM'],
};

/** Everything the group gets besides names and Auto Scaling groups. */
const SETTINGS = {
  deploymentConfigName: 'CodeDeployDefault.AllAtOnce',
  serviceRoleArn: 'arn:aws:iam::111111111111:role/codedeploy',
  deploymentStyle: { deploymentType: 'BLUE_GREEN', deploymentOption: 'WITH_TRAFFIC_CONTROL' },
  blueGreenDeploymentConfiguration: {
    greenFleetProvisioningOption: { action: 'COPY_AUTO_SCALING_GROUP' },
    terminateBlueInstancesOnDeploymentSuccess: { action: 'TERMINATE', terminationWaitTimeInMinutes: 60 },
    deploymentReadyOption: { actionOnTimeout: 'CONTINUE_DEPLOYMENT', waitTimeInMinutes: 0 },
  },
  loadBalancerInfo: { targetGroupInfoList: [{ name: 'web-tg' }] },
  alarmConfiguration: { enabled: true, ignorePollAlarmFailure: false, alarms: [{ name: 'web-5xx' }] },
  autoRollbackConfiguration: { enabled: true, events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM'] },
};

const COMMON = {
  ServiceToken: PROPS.ServiceToken,
  ResponseURL: 'https://cloudformation-custom-resource-response.example/',
  StackId: 'arn:aws:cloudformation:eu-west-1:111111111111:stack/app/guid',
  RequestId: 'req-1',
  LogicalResourceId: 'DeploymentGroup',
  ResourceType: 'Custom::BlueGreenDeploymentGroup',
};

function createEvent(props: Record<string, unknown> = PROPS): CloudFormationCustomResourceCreateEvent {
  return { ...COMMON, RequestType: 'Create', ResourceProperties: props as typeof PROPS };
}

function updateEvent(
  physicalId: string,
  props: Record<string, unknown> = PROPS,
  old: Record<string, unknown> = PROPS,
): CloudFormationCustomResourceUpdateEvent {
  return {
    ...COMMON,
    RequestType: 'Update',
    PhysicalResourceId: physicalId,
    ResourceProperties: props as typeof PROPS,
    OldResourceProperties: old as typeof PROPS,
  };
}

function deleteEvent(physicalId: string): CloudFormationCustomResourceDeleteEvent {
  return { ...COMMON, RequestType: 'Delete', PhysicalResourceId: physicalId, ResourceProperties: PROPS };
}

function groupInfo(name: string, asgs: string[]) {
  return { deploymentGroupInfo: { applicationName: 'web-app', deploymentGroupName: name, autoScalingGroups: asgs.map((n) => ({ name: n, hook: 'hook' })) } };
}

const notFound = () => new DeploymentGroupDoesNotExistException({ message: 'No Deployment Group found', $metadata: { httpStatusCode: 400 } });
const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
const asgNotFound = (name: string) => Object.assign(new Error(`AutoScalingGroup name not found - AutoScalingGroup '${name}' not found`), {
  name: 'ValidationError', $metadata: { httpStatusCode: 400 },
});

beforeAll(() => {
  deletionWait.sleep = sleep;
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});

beforeEach(() => {
  codeDeploy.reset();
  autoScaling.reset();
  sleep.mockClear();
});

describe('Create', () => {
  test('creates a blue/green group on the original Auto Scaling group', async () => {
    codeDeploy.on(CreateDeploymentGroupCommand).resolves({ deploymentGroupId: 'id-1' });

    const result = await handler(createEvent());

    expect(result).toEqual({ PhysicalResourceId: 'web', Data: { DeploymentGroupName: 'web', AutoScalingGroupNames: 'stack-Fleet-ORIGINAL' } });
    const calls = codeDeploy.commandCalls(CreateDeploymentGroupCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0].args[0].input).toEqual({
      applicationName: 'web-app',
      deploymentGroupName: 'web',
      autoScalingGroups: ['stack-Fleet-ORIGINAL'],
      ...SETTINGS,
    });
    expect(codeDeploy.commandCalls(UpdateDeploymentGroupCommand)).toHaveLength(0);
  });

  test('without alarms or rollback events both are sent disabled and empty', async () => {
    codeDeploy.on(CreateDeploymentGroupCommand).resolves({});
    const { AlarmNames: _a, AutoRollbackEvents: _r, ...rest } = PROPS;

    await handler(createEvent({ ...rest, DeploymentReadyWaitTimeInMinutes: '15' }));

    const input = codeDeploy.commandCalls(CreateDeploymentGroupCommand)[0].args[0].input;
    expect(input.alarmConfiguration).toEqual({ enabled: false, ignorePollAlarmFailure: false, alarms: [] });
    expect(input.autoRollbackConfiguration).toEqual({ enabled: false, events: [] });
    expect(input.blueGreenDeploymentConfiguration?.deploymentReadyOption).toEqual({ actionOnTimeout: 'STOP_DEPLOYMENT', waitTimeInMinutes: 15 });
  });

  test('a retried create of an existing group converges by updating it', async () => {
    codeDeploy.on(CreateDeploymentGroupCommand).rejects(new DeploymentGroupAlreadyExistsException({ message: 'exists', $metadata: {} }));
    codeDeploy.on(GetDeploymentGroupCommand).resolves(groupInfo('web', ['stack-Fleet-ORIGINAL']));
    codeDeploy.on(UpdateDeploymentGroupCommand).resolves({});

    const result = await handler(createEvent());

    expect(result.PhysicalResourceId).toBe('web');
    expect(codeDeploy.commandCalls(GetDeploymentGroupCommand)[0].args[0].input).toEqual({ applicationName: 'web-app', deploymentGroupName: 'web' });
    const updates = codeDeploy.commandCalls(UpdateDeploymentGroupCommand);
    expect(updates).toHaveLength(1);
    expect(updates[0].args[0].input).toEqual({
      applicationName: 'web-app',
      currentDeploymentGroupName: 'web',
      autoScalingGroups: ['stack-Fleet-ORIGINAL'],
      ...SETTINGS,
    });
  });

  test('a throttling error the SDK gave up on fails the create: no retries on top of the SDK\'s', async () => {
    const error = throttled();
    codeDeploy.on(CreateDeploymentGroupCommand).rejectsOnce(error).resolves({});

    await expect(handler(createEvent())).rejects.toBe(error);
    expect(codeDeploy.commandCalls(CreateDeploymentGroupCommand)).toHaveLength(1);
  });

  test('bad properties fail before any call', async () => {
    await expect(handler(createEvent({ ...PROPS, TerminationWaitTimeInMinutes: 'soon' })))
      .rejects.toThrow(/TerminationWaitTimeInMinutes must be a whole number/);
    await expect(handler(createEvent({ ...PROPS, AutoRollbackEvents: ['DEPLOYMENT_OOPS'] })))
      .rejects.toThrow(/unknown events DEPLOYMENT_OOPS/);
    expect(codeDeploy.calls()).toHaveLength(0);
  });
});

describe('Update', () => {
  test('after a release it sends the CURRENT Auto Scaling group, never the original', async () => {
    codeDeploy.on(GetDeploymentGroupCommand).resolves(groupInfo('web', ['CodeDeploy_web_d-ABC']));
    codeDeploy.on(UpdateDeploymentGroupCommand).resolves({});

    const result = await handler(updateEvent('web', { ...PROPS, TerminationWaitTimeInMinutes: '120' }));

    expect(result).toEqual({ PhysicalResourceId: 'web', Data: { DeploymentGroupName: 'web', AutoScalingGroupNames: 'CodeDeploy_web_d-ABC' } });
    const updates = codeDeploy.commandCalls(UpdateDeploymentGroupCommand);
    expect(updates).toHaveLength(1);
    const input = updates[0].args[0].input;
    expect(input).toEqual({
      applicationName: 'web-app',
      currentDeploymentGroupName: 'web',
      autoScalingGroups: ['CodeDeploy_web_d-ABC'],
      ...SETTINGS,
      blueGreenDeploymentConfiguration: {
        ...SETTINGS.blueGreenDeploymentConfiguration,
        terminateBlueInstancesOnDeploymentSuccess: { action: 'TERMINATE', terminationWaitTimeInMinutes: 120 },
      },
    });
    expect(JSON.stringify(input)).not.toContain('stack-Fleet-ORIGINAL');
    expect(codeDeploy.commandCalls(CreateDeploymentGroupCommand)).toHaveLength(0);
  });

  test('a rename updates the old group under its new name and returns the new physical id', async () => {
    codeDeploy.on(GetDeploymentGroupCommand).resolves(groupInfo('web', ['CodeDeploy_web_d-ABC']));
    codeDeploy.on(UpdateDeploymentGroupCommand).resolves({});

    const result = await handler(updateEvent('web', { ...PROPS, DeploymentGroupName: 'web-v2' }));

    expect(result.PhysicalResourceId).toBe('web-v2');
    expect(result.Data.DeploymentGroupName).toBe('web-v2');
    expect(codeDeploy.commandCalls(GetDeploymentGroupCommand)[0].args[0].input).toEqual({ applicationName: 'web-app', deploymentGroupName: 'web' });
    expect(codeDeploy.commandCalls(UpdateDeploymentGroupCommand)[0].args[0].input).toEqual(expect.objectContaining({
      currentDeploymentGroupName: 'web',
      newDeploymentGroupName: 'web-v2',
      autoScalingGroups: ['CodeDeploy_web_d-ABC'],
    }));
  });

  test('a group deleted out of band is created again', async () => {
    codeDeploy.on(GetDeploymentGroupCommand).rejects(notFound());
    codeDeploy.on(CreateDeploymentGroupCommand).resolves({});

    const result = await handler(updateEvent('web'));

    expect(result.PhysicalResourceId).toBe('web');
    expect(codeDeploy.commandCalls(UpdateDeploymentGroupCommand)).toHaveLength(0);
    expect(codeDeploy.commandCalls(CreateDeploymentGroupCommand)[0].args[0].input).toEqual({
      applicationName: 'web-app', deploymentGroupName: 'web', autoScalingGroups: ['stack-Fleet-ORIGINAL'], ...SETTINGS,
    });
  });

  test('a changed application is refused without touching anything', async () => {
    await expect(handler(updateEvent('web', { ...PROPS, ApplicationName: 'other-app' }))).rejects.toThrow(/ApplicationName cannot change/);
    expect(codeDeploy.calls()).toHaveLength(0);
  });

  test('other update errors fail without retry', async () => {
    const error = Object.assign(new Error('role'), { name: 'InvalidRoleException', $metadata: { httpStatusCode: 400 } });
    codeDeploy.on(GetDeploymentGroupCommand).resolves(groupInfo('web', ['CodeDeploy_web_d-ABC']));
    codeDeploy.on(UpdateDeploymentGroupCommand).rejects(error);

    await expect(handler(updateEvent('web'))).rejects.toBe(error);
    expect(codeDeploy.commandCalls(UpdateDeploymentGroupCommand)).toHaveLength(1);
  });
});

describe('Delete', () => {
  test('a swapped group: deletes the group, then force-deletes only its CodeDeploy copy', async () => {
    codeDeploy.on(GetDeploymentGroupCommand).resolves(groupInfo('web', ['CodeDeploy_web_d-ABC', 'unrelated-asg', 'CodeDeploy_web_admin_d-XYZ']));
    codeDeploy.on(DeleteDeploymentGroupCommand).resolves({ hooksNotCleanedUp: [] });
    autoScaling.on(DeleteAutoScalingGroupCommand).resolves({});

    const result = await handler(deleteEvent('web'));

    expect(result.PhysicalResourceId).toBe('web');
    expect(codeDeploy.commandCalls(DeleteDeploymentGroupCommand).map((c) => c.args[0].input)).toEqual([
      { applicationName: 'web-app', deploymentGroupName: 'web' },
    ]);
    expect(autoScaling.commandCalls(DeleteAutoScalingGroupCommand).map((c) => c.args[0].input)).toEqual([
      { AutoScalingGroupName: 'CodeDeploy_web_d-ABC', ForceDelete: true },
    ]);
    // the group goes first, so CodeDeploy cannot launch into a fleet being deleted
    const groupDeleted = codeDeploy.commandCalls(DeleteDeploymentGroupCommand)[0];
    const asgDeleted = autoScaling.commandCalls(DeleteAutoScalingGroupCommand)[0];
    expect(groupDeleted.calledBefore(asgDeleted)).toBe(true);
  });

  test('waits until the copies are gone, so CloudFormation can delete the network after it', async () => {
    codeDeploy.on(GetDeploymentGroupCommand).resolves(groupInfo('web', ['CodeDeploy_web_d-ABC']));
    codeDeploy.on(DeleteDeploymentGroupCommand).resolves({});
    autoScaling.on(DeleteAutoScalingGroupCommand).resolves({});
    autoScaling.on(DescribeAutoScalingGroupsCommand)
      .resolvesOnce({ AutoScalingGroups: [{ AutoScalingGroupName: 'CodeDeploy_web_d-ABC', Status: 'Delete in progress' } as any] })
      .resolvesOnce({ AutoScalingGroups: [{ AutoScalingGroupName: 'CodeDeploy_web_d-ABC', Status: 'Delete in progress' } as any] })
      .resolves({ AutoScalingGroups: [] });

    await handler(deleteEvent('web'));

    expect(autoScaling.commandCalls(DescribeAutoScalingGroupsCommand).map((c) => c.args[0].input)).toEqual(
      Array(3).fill({ AutoScalingGroupNames: ['CodeDeploy_web_d-ABC'] }));
    expect(sleep).toHaveBeenCalledWith(deletionWait.pollMs);
  });

  test('copies still deleting after the wait: the delete fails with what to do', async () => {
    codeDeploy.on(GetDeploymentGroupCommand).resolves(groupInfo('web', ['CodeDeploy_web_d-ABC']));
    codeDeploy.on(DeleteDeploymentGroupCommand).resolves({});
    autoScaling.on(DeleteAutoScalingGroupCommand).resolves({});
    autoScaling.on(DescribeAutoScalingGroupsCommand).resolves({ AutoScalingGroups: [{ AutoScalingGroupName: 'CodeDeploy_web_d-ABC' } as any] });
    let clock = 0;
    const realNow = deletionWait.now;
    deletionWait.now = () => clock;
    sleep.mockImplementation(async (ms: number) => { clock += ms; });
    try {
      await expect(handler(deleteEvent('web'))).rejects.toThrow(
        /Auto Scaling groups \[CodeDeploy_web_d-ABC\] are still being deleted after 12 minutes; retry the stack deletion/);
    } finally {
      deletionWait.now = realNow;
      sleep.mockImplementation(async () => undefined);
    }
  });

  test('a never-released group: the original Auto Scaling group is left to CloudFormation', async () => {
    codeDeploy.on(GetDeploymentGroupCommand).resolves(groupInfo('web', ['stack-Fleet-ORIGINAL']));
    codeDeploy.on(DeleteDeploymentGroupCommand).resolves({});

    await handler(deleteEvent('web'));

    expect(codeDeploy.commandCalls(DeleteDeploymentGroupCommand)).toHaveLength(1);
    expect(autoScaling.commandCalls(DeleteAutoScalingGroupCommand)).toHaveLength(0);
  });

  test('a copy that is already gone is fine', async () => {
    codeDeploy.on(GetDeploymentGroupCommand).resolves(groupInfo('web', ['CodeDeploy_web_d-ABC']));
    codeDeploy.on(DeleteDeploymentGroupCommand).resolves({});
    autoScaling.on(DeleteAutoScalingGroupCommand).rejects(asgNotFound('CodeDeploy_web_d-ABC'));

    await expect(handler(deleteEvent('web'))).resolves.toEqual(expect.objectContaining({ PhysicalResourceId: 'web' }));
    expect(autoScaling.commandCalls(DeleteAutoScalingGroupCommand)).toHaveLength(1);
  });

  test('a group that is already gone: success, nothing deleted', async () => {
    codeDeploy.on(GetDeploymentGroupCommand).rejects(notFound());

    await expect(handler(deleteEvent('web'))).resolves.toEqual({
      PhysicalResourceId: 'web', Data: { DeploymentGroupName: 'web', AutoScalingGroupNames: '' },
    });
    expect(codeDeploy.commandCalls(DeleteDeploymentGroupCommand)).toHaveLength(0);
    expect(autoScaling.calls()).toHaveLength(0);
  });

  test('an application that is already gone: success, nothing deleted', async () => {
    codeDeploy.on(GetDeploymentGroupCommand).rejects(new ApplicationDoesNotExistException({ message: 'no app', $metadata: {} }));

    await handler(deleteEvent('web'));

    expect(codeDeploy.commandCalls(DeleteDeploymentGroupCommand)).toHaveLength(0);
    expect(autoScaling.calls()).toHaveLength(0);
  });

  test('other Auto Scaling errors fail the delete', async () => {
    codeDeploy.on(GetDeploymentGroupCommand).resolves(groupInfo('web', ['CodeDeploy_web_d-ABC']));
    codeDeploy.on(DeleteDeploymentGroupCommand).resolves({});
    const error = Object.assign(new Error('denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    autoScaling.on(DeleteAutoScalingGroupCommand).rejects(error);

    await expect(handler(deleteEvent('web'))).rejects.toBe(error);
  });
});

describe('retries', () => {
  // The SDK retries throttling and 5xx errors (the mock above skips that middleware):
  // adaptive mode also slows the client's own request rate while throttled.
  test.each(Object.entries(clients))('the %s client retries on the SDK: adaptive mode, 6 tries in all', async (_name, client) => {
    await expect(retrySettingsOf(client)).resolves.toEqual({ mode: 'adaptive', maxAttempts: 6 });
  });
});

describe('settings helpers', () => {
  test('isCodeDeployCopy matches CodeDeploy_<group>_<deploymentId> only', () => {
    expect(isCodeDeployCopy('CodeDeploy_web_d-ABC123XYZ', 'web')).toBe(true);
    expect(isCodeDeployCopy('CodeDeploy_web_admin_d-ABC123XYZ', 'web')).toBe(false);
    expect(isCodeDeployCopy('CodeDeploy_web_admin_d-ABC123XYZ', 'web_admin')).toBe(true);
    expect(isCodeDeployCopy('CodeDeploy_web_', 'web')).toBe(false);
    expect(isCodeDeployCopy('stack-Fleet-ORIGINAL', 'web')).toBe(false);
    expect(isCodeDeployCopy('codedeploy_web_d-ABC', 'web')).toBe(false);
  });

  test('defaults: absent lists are empty, waits and config have defaults', () => {
    const s = parseDeploymentGroupProperties({
      ApplicationName: 'a', DeploymentGroupName: 'g', ServiceRoleArn: 'r', AutoScalingGroupName: 'asg', TargetGroupName: 'tg',
    });
    expect(s).toEqual({
      applicationName: 'a',
      deploymentGroupName: 'g',
      serviceRoleArn: 'r',
      autoScalingGroupName: 'asg',
      targetGroupName: 'tg',
      deploymentConfigName: 'CodeDeployDefault.OneAtATime',
      terminationWaitTimeInMinutes: 60,
      deploymentReadyWaitTimeInMinutes: 0,
      alarmNames: [],
      autoRollbackEvents: [],
    });
  });

  test.each([
    [{ ApplicationName: '' }, /ApplicationName must be a non-empty string/],
    [{ TargetGroupName: undefined }, /TargetGroupName must be a non-empty string/],
    [{ TerminationWaitTimeInMinutes: '3000' }, /at most 2880 minutes/],
    [{ DeploymentReadyWaitTimeInMinutes: '-1' }, /DeploymentReadyWaitTimeInMinutes must be a whole number/],
    [{ AlarmNames: 'web-5xx' }, /AlarmNames must be a list of non-empty strings/],
  ])('rejects %j', (override, message) => {
    expect(() => parseDeploymentGroupProperties({ ...PROPS, ...override })).toThrow(message);
  });
});
