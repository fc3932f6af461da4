/**
 * Access proofs for BlueGreenEfsDeploy, on the integ app's synthesized
 * template, evaluated with real IAM logic (test/support/access-model.ts and
 * @cloud-copilot/iam-simulate):
 * - EFS: NFS client requests are evaluated against the role's identity
 *   policies AND the file system policy, as EFS does (same account: either may
 *   allow, an explicit deny in either wins). The fleet mounts `/app` read-only
 *   through the app access point; the publishing build mounts and writes only
 *   through the blue or green access point; nobody gets root access, no client
 *   gets in without TLS, and nobody but the publisher writes, except the fleet
 *   through the shared directory's access point, which the publisher may not use;
 * - the release state: only the live-color function writes `live`, only the
 *   publishing build writes `pending`;
 * - CodeDeploy's service role and the deployment-group handler only touch this
 *   fleet, its copies and its instance role;
 * - no role of the stack allows every action, or every action of a service.
 *
 * Every request is its own test and asserts the exact decision. Denials sit
 * next to allowed requests that differ in one respect (role, access point,
 * parameter, tag), so a request refused for an unrelated reason cannot pass as
 * proof; the last block re-evaluates requests on templates with one control
 * removed, to show the denials depend on the construct's controls.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CfnElement, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { IConstruct } from 'constructs';
import { INTEG_TOOLING_ACCOUNT } from '../integ/integ-environment';
import { buildBlueGreenEfsDeployIntegApp } from '../integ/integ.blue-green-efs-deploy';
import { BlueGreenEfsDeploy } from '../src';
import { AccessModel, AccessModelOptions, AccessRequest, Decision } from './support/access-model';
import { PolicyDocument } from './support/assembly';
import { AWS_MANAGED_POLICIES } from './support/aws-managed-policies';
import { BlueGreenDeploymentGroup } from '../src/blue-green-efs-deploy/private/blue-green-deployment-group';
import { ColorFileSystem } from '../src/blue-green-efs-deploy/private/color-file-system';
import { LiveColorTracker } from '../src/blue-green-efs-deploy/private/live-color-tracker';
import { ReleasePipeline } from '../src/blue-green-efs-deploy/private/release-pipeline';
import { FLEET_TAG, WebFleet } from '../src/blue-green-efs-deploy/private/web-fleet';

const ACCOUNT = INTEG_TOOLING_ACCOUNT;
const OUTSIDER = '999999999999';
const REGION = 'us-east-1';
/** releaseName of the integ app. */
const RELEASE = 'cdkx-integ-web';
const GROUP = `${RELEASE}-bluegreen`;
const MODEL_OPTIONS: AccessModelOptions = {
  // The integ-tests assertion stack is environment-agnostic; it deploys next to the stack under test.
  defaultEnv: { account: ACCOUNT, region: REGION },
  awsManagedPolicies: AWS_MANAGED_POLICIES,
};

/** One request and the decision AWS must reach, under a readable name. */
type Case = [name: string, request: AccessRequest, expected: Decision];

function build() {
  const { app, stacks: [stack] } = buildBlueGreenEfsDeployIntegApp();
  const web = stack.node.findChild('Web') as BlueGreenEfsDeploy;
  const assembly = app.synth();
  return { stack, web, assembly, model: AccessModel.fromAssembly(assembly, MODEL_OPTIONS) };
}

/** The resources and principals of the construct, as deployed (names and ARNs resolved by the model). */
function deployed(stack: Stack, web: BlueGreenEfsDeploy, model: AccessModel) {
  const logicalId = (c: IConstruct) => stack.getLogicalId(c.node.defaultChild as CfnElement);
  const roleOf = (c: IConstruct) => model.roleAt(stack.stackName, logicalId(c));
  const ref = (c: IConstruct) => model.assembly.resolve(stack.stackName, { Ref: logicalId(c) }) as string;

  const colors = web.node.findChild('Content') as ColorFileSystem;
  const tracker = web.node.findChild('LiveColor') as LiveColorTracker;
  const pipeline = web.node.findChild('Pipeline') as ReleasePipeline;
  const group = web.node.findChild('DeploymentGroup') as BlueGreenDeploymentGroup;
  const handler = group.node.findChild('Handler') as lambda.Function;

  const fileSystem = model.fileSystem(ACCOUNT, logicalId(colors.fileSystem));
  const accessPoint = (c: IConstruct) => {
    const found = fileSystem.accessPoints.find((a) => a.source.logicalId === logicalId(c));
    if (!found) throw new Error(`access point ${c.node.path} is not an access point of ${fileSystem.fileSystemId}`);
    return found;
  };
  const parameterArn = (name: string) => `arn:aws:ssm:${REGION}:${ACCOUNT}:parameter${name}`;
  const asgArn = (name: string) => `arn:aws:autoscaling:${REGION}:${ACCOUNT}:autoScalingGroup:0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0:autoScalingGroupName/${name}`;
  const fleet = web.node.findChild('Fleet') as WebFleet;
  const ec2Arn = (resource: string) => `arn:aws:ec2:${REGION}:${ACCOUNT}:${resource}`;
  const artifactBucket = model.assembly.buckets.find((b) => b.source.logicalId === logicalId(pipeline.artifactBucket))!;
  const artifactKey = model.assembly.keys.find((k) => k.source.logicalId === logicalId(pipeline.artifactKey))!;

  return {
    roles: {
      instance: roleOf(web.instanceRole),
      publish: roleOf(pipeline.publishProject.role!),
      build: roleOf(pipeline.buildProject!.role!),
      pipeline: roleOf(pipeline.pipelineRole),
      liveColor: roleOf(tracker.handler.role!),
      codeDeploy: roleOf(web.deploymentServiceRole),
      groupHandler: roleOf(handler.role!),
    },
    fileSystem,
    accessPoints: {
      app: accessPoint(colors.appAccessPoint),
      blue: accessPoint(colors.colorAccessPoints.blue),
      green: accessPoint(colors.colorAccessPoints.green),
      shared: accessPoint(colors.sharedAccessPoint!),
    },
    liveParameter: parameterArn(ref(tracker.liveParameter)),
    pendingParameter: parameterArn(ref(tracker.pendingParameter)),
    originalGroup: asgArn(ref(web.autoScalingGroup)),
    copyGroup: asgArn(`CodeDeploy_${GROUP}_d-ABC123XYZ`),
    asgArn,
    targetGroup: ref(web.targetGroup),
    deploymentGroup: `arn:aws:codedeploy:${REGION}:${ACCOUNT}:deploymentgroup:${RELEASE}/${GROUP}`,
    artifactBucket,
    artifactKey,
    bundle: `${artifactBucket.arn}/${RELEASE}-release/Bundle/a1b2c3d.zip`,
    instance: `arn:aws:ec2:${REGION}:${ACCOUNT}:instance/i-0123456789abcdef0`,
    ec2Arn,
    launchTemplate: ec2Arn(`launch-template/${ref(fleet.launchTemplate)}`),
    otherLaunchTemplate: ec2Arn('launch-template/lt-0aaaabbbbccccdddd'),
    fleetSubnets: web.vpc.selectSubnets({ subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS }).subnets.map((subnet) => ec2Arn(`subnet/${ref(subnet)}`)),
    publicSubnets: web.vpc.selectSubnets({ subnetType: ec2.SubnetType.PUBLIC }).subnets.map((subnet) => ec2Arn(`subnet/${ref(subnet)}`)),
    volume: ec2Arn('volume/vol-0123456789abcdef0'),
  };
}

type Deployed = ReturnType<typeof deployed>;

/** An NFS client request on the file system, through `accessPoint` (an ARN) or without one. */
function client(d: Deployed, principal: AccessRequest['principal'], action: 'ClientMount' | 'ClientWrite' | 'ClientRootAccess',
  accessPoint?: string, extra: Partial<AccessRequest> = {}): AccessRequest {
  return {
    principal,
    action: `elasticfilesystem:${action}`,
    resource: d.fileSystem.arn,
    ...extra,
    context: { ...(accessPoint ? { 'elasticfilesystem:AccessPointArn': accessPoint } : {}), ...extra.context },
  };
}

/**
 * One resource of a RunInstances (or tag-on-launch CreateTags) request by the
 * CodeDeploy service role, launched from `launchTemplate` (an ARN, or none)
 * with the tags `tags` requested for the new instance and volumes.
 */
function launch(d: Deployed, action: 'ec2:RunInstances' | 'ec2:CreateTags', resource: string,
  options: { launchTemplate?: string; tags?: Record<string, string>; createAction?: string } = {}): AccessRequest {
  return {
    principal: d.roles.codeDeploy,
    action,
    resource,
    context: {
      ...(options.launchTemplate ? { 'ec2:LaunchTemplate': options.launchTemplate } : {}),
      ...(options.createAction ? { 'ec2:CreateAction': options.createAction } : {}),
      ...Object.fromEntries(Object.entries(options.tags ?? {}).map(([key, value]) => [`aws:RequestTag/${key}`, value])),
      ...(options.tags ? { 'aws:TagKeys': Object.keys(options.tags) } : {}),
    },
  };
}

function statementsOf(document: PolicyDocument | undefined): any[] {
  return document ? [].concat(document.Statement) : [];
}

/** Actions of an Allow statement that grant everything, or everything of a service. */
function allActionWildcards(statement: any): string[] {
  if (statement.Effect !== 'Allow') return [];
  if (statement.NotAction !== undefined) return [`NotAction ${JSON.stringify(statement.NotAction)}`];
  return ([] as string[]).concat(statement.Action ?? []).filter((a) => a === '*' || a.endsWith(':*'));
}

describe('BlueGreenEfsDeploy access', () => {
  const { stack, web, assembly, model } = build();
  const d = deployed(stack, web, model);
  const { roles, accessPoints: ap } = d;
  // Roles that are not in the assembly: the identity side allows exactly what is tested.
  const sameAccountAdmin = model.externalRole(`arn:aws:iam::${ACCOUNT}:role/ops-admin`);
  const outsider = model.externalRole(`arn:aws:iam::${OUTSIDER}:role/ops-admin`);
  const noTls = { secureTransport: false };
  const notViaMountTarget = { context: { 'elasticfilesystem:AccessedViaMountTarget': false } };

  const run = (cases: Case[]) => test.each(cases)('%s', async (_name, request, expected) => {
    await model.expectDecision(request, expected);
  });

  test('the assembly has the file system with its four access points and the roles under test', () => {
    expect(d.fileSystem.arn).toMatch(new RegExp(`^arn:aws:elasticfilesystem:${REGION}:${ACCOUNT}:file-system/fs-[0-9a-f]{17}$`));
    expect(d.fileSystem.fileSystemPolicy).toBeDefined(); // otherwise EFS's default policy (full access) would apply
    expect(Object.values(ap).map((a) => a.path)).toEqual(['/app', '/app/blue', '/app/green', '/shared']);
    expect(model.accessPoint(d.fileSystem, '/app/blue').arn).toBe(ap.blue.arn);
    expect(d.liveParameter).toBe(`arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/cdkx/bluegreen/${RELEASE}/live`);
    expect(d.pendingParameter).toBe(`arn:aws:ssm:${REGION}:${ACCOUNT}:parameter/cdkx/bluegreen/${RELEASE}/pending`);
    expect(new Set(Object.values(roles).map((r) => r.arn)).size).toBe(Object.keys(roles).length);
  });

  describe('allowed', () => {
    describe('EFS: the fleet reads /app, the publishing build writes a color', () => {
      run([
        ['instance role: ClientMount through the app access point', client(d, roles.instance, 'ClientMount', ap.app.arn), 'Allowed'],
        ['publish role: ClientMount through the blue access point', client(d, roles.publish, 'ClientMount', ap.blue.arn), 'Allowed'],
        ['publish role: ClientWrite through the blue access point', client(d, roles.publish, 'ClientWrite', ap.blue.arn), 'Allowed'],
        ['publish role: ClientMount through the green access point', client(d, roles.publish, 'ClientMount', ap.green.arn), 'Allowed'],
        ['publish role: ClientWrite through the green access point', client(d, roles.publish, 'ClientWrite', ap.green.arn), 'Allowed'],
      ]);
    });

    describe('EFS: the fleet writes the shared directory through its access point', () => {
      run([
        ['instance role: ClientMount through the shared access point', client(d, roles.instance, 'ClientMount', ap.shared.arn), 'Allowed'],
        ['instance role: ClientWrite through the shared access point', client(d, roles.instance, 'ClientWrite', ap.shared.arn), 'Allowed'],
      ]);
    });

    describe('release state parameters', () => {
      run([
        ['instance role: ssm:GetParameter on live', { principal: roles.instance, action: 'ssm:GetParameter', resource: d.liveParameter }, 'Allowed'],
        ['publish role: ssm:GetParameter on live', { principal: roles.publish, action: 'ssm:GetParameter', resource: d.liveParameter }, 'Allowed'],
        ['publish role: ssm:GetParameter on pending', { principal: roles.publish, action: 'ssm:GetParameter', resource: d.pendingParameter }, 'Allowed'],
        ['publish role: ssm:PutParameter on pending', { principal: roles.publish, action: 'ssm:PutParameter', resource: d.pendingParameter }, 'Allowed'],
        ['live-color function role: ssm:GetParameter on pending', { principal: roles.liveColor, action: 'ssm:GetParameter', resource: d.pendingParameter }, 'Allowed'],
        ['live-color function role: ssm:PutParameter on live', { principal: roles.liveColor, action: 'ssm:PutParameter', resource: d.liveParameter }, 'Allowed'],
      ]);
    });

    describe('CodeDeploy service role', () => {
      run([
        ['iam:PassRole of the instance role to ec2.amazonaws.com', {
          principal: roles.codeDeploy, action: 'iam:PassRole', resource: roles.instance.arn, context: { 'iam:PassedToService': 'ec2.amazonaws.com' },
        }, 'Allowed'],
        [`ec2:TerminateInstances on an instance tagged ${FLEET_TAG}=${RELEASE}`, {
          principal: roles.codeDeploy,
          action: 'ec2:TerminateInstances',
          resource: d.instance,
          context: { [`ec2:ResourceTag/${FLEET_TAG}`]: RELEASE, [`aws:ResourceTag/${FLEET_TAG}`]: RELEASE },
        }, 'Allowed'],
        ['autoscaling:DeleteAutoScalingGroup on the original group (retiring the first blue fleet)', {
          principal: roles.codeDeploy, action: 'autoscaling:DeleteAutoScalingGroup', resource: d.originalGroup,
        }, 'Allowed'],
        [`autoscaling:CreateAutoScalingGroup of a copy CodeDeploy_${GROUP}_d-...`, {
          principal: roles.codeDeploy, action: 'autoscaling:CreateAutoScalingGroup', resource: d.copyGroup,
        }, 'Allowed'],
        ['elasticloadbalancing:RegisterTargets in the fleet\'s target group', {
          principal: roles.codeDeploy, action: 'elasticloadbalancing:RegisterTargets', resource: d.targetGroup,
        }, 'Allowed'],
      ]);
    });

    // Auto Scaling checks these when CodeDeploy creates a copy of the fleet
    // from the launch template; the launches themselves run under Auto
    // Scaling's service-linked role (see blue-green-deployment-group.ts).
    describe('CodeDeploy service role: launching the fleet copy from the fleet\'s template, subnets and tag', () => {
      const fleetTag = { [FLEET_TAG]: RELEASE, Name: 'fleet' };
      run([
        ['ec2:RunInstances on the fleet\'s launch template', launch(d, 'ec2:RunInstances', d.launchTemplate, { launchTemplate: d.launchTemplate }), 'Allowed'],
        ['ec2:RunInstances into the first fleet subnet, from the fleet\'s template', launch(d, 'ec2:RunInstances', d.fleetSubnets[0], { launchTemplate: d.launchTemplate }), 'Allowed'],
        ['ec2:RunInstances into the second fleet subnet, from the fleet\'s template', launch(d, 'ec2:RunInstances', d.fleetSubnets[1], { launchTemplate: d.launchTemplate }), 'Allowed'],
        [`ec2:RunInstances of an instance tagged ${FLEET_TAG}=${RELEASE}, from the fleet's template`,
          launch(d, 'ec2:RunInstances', d.instance, { launchTemplate: d.launchTemplate, tags: fleetTag }), 'Allowed'],
        [`ec2:RunInstances of a volume tagged ${FLEET_TAG}=${RELEASE}, from the fleet's template`,
          launch(d, 'ec2:RunInstances', d.volume, { launchTemplate: d.launchTemplate, tags: fleetTag }), 'Allowed'],
        ['ec2:RunInstances with a network interface, from the fleet\'s template',
          launch(d, 'ec2:RunInstances', d.ec2Arn('network-interface/eni-0123456789abcdef0'), { launchTemplate: d.launchTemplate }), 'Allowed'],
        ['ec2:RunInstances with a security group, from the fleet\'s template',
          launch(d, 'ec2:RunInstances', d.ec2Arn('security-group/sg-0123456789abcdef0'), { launchTemplate: d.launchTemplate }), 'Allowed'],
        [`ec2:CreateTags ${FLEET_TAG}=${RELEASE} on an instance it launches`,
          launch(d, 'ec2:CreateTags', d.instance, { createAction: 'RunInstances', tags: fleetTag }), 'Allowed'],
      ]);
    });

    describe('deployment-group handler role', () => {
      run([
        ['codedeploy:CreateDeploymentGroup on its group', { principal: roles.groupHandler, action: 'codedeploy:CreateDeploymentGroup', resource: d.deploymentGroup }, 'Allowed'],
        [`autoscaling:DeleteAutoScalingGroup on a copy CodeDeploy_${GROUP}_d-...`, {
          principal: roles.groupHandler, action: 'autoscaling:DeleteAutoScalingGroup', resource: d.copyGroup,
        }, 'Allowed'],
        ['iam:PassRole of the CodeDeploy service role to codedeploy.amazonaws.com', {
          principal: roles.groupHandler, action: 'iam:PassRole', resource: roles.codeDeploy.arn, context: { 'iam:PassedToService': 'codedeploy.amazonaws.com' },
        }, 'Allowed'],
      ]);
    });

    describe('release bundles', () => {
      run([
        ['instance role: s3:GetObject of a bundle in the artifact bucket', { principal: roles.instance, action: 's3:GetObject', resource: d.bundle }, 'Allowed'],
        ['instance role: kms:Decrypt of the artifact key through S3', {
          principal: roles.instance, action: 'kms:Decrypt', resource: d.artifactKey.arn, context: { 'kms:ViaService': `s3.${REGION}.amazonaws.com` },
        }, 'Allowed'],
        ['pipeline role: codedeploy:CreateDeployment in the blue/green group', { principal: roles.pipeline, action: 'codedeploy:CreateDeployment', resource: d.deploymentGroup }, 'Allowed'],
      ]);
    });
  });

  describe('denied', () => {
    describe('EFS: the instance role only reads, only through the app access point', () => {
      run([
        ['instance role: ClientWrite through the app access point', client(d, roles.instance, 'ClientWrite', ap.app.arn), 'ExplicitlyDenied'],
        ['instance role: ClientWrite through the blue access point', client(d, roles.instance, 'ClientWrite', ap.blue.arn), 'ExplicitlyDenied'],
        ['instance role: ClientWrite through the green access point', client(d, roles.instance, 'ClientWrite', ap.green.arn), 'ExplicitlyDenied'],
        ['instance role: ClientWrite without an access point', client(d, roles.instance, 'ClientWrite'), 'ExplicitlyDenied'],
        ['instance role: ClientMount through the blue access point', client(d, roles.instance, 'ClientMount', ap.blue.arn), 'ImplicitlyDenied'],
        ['instance role: ClientMount through the green access point', client(d, roles.instance, 'ClientMount', ap.green.arn), 'ImplicitlyDenied'],
        ['instance role: ClientMount without an access point (the whole file system)', client(d, roles.instance, 'ClientMount'), 'ImplicitlyDenied'],
        ['instance role: ClientMount through the app access point, not via a mount target', client(d, roles.instance, 'ClientMount', ap.app.arn, notViaMountTarget), 'ImplicitlyDenied'],
        ['instance role: ClientRootAccess through the app access point', client(d, roles.instance, 'ClientRootAccess', ap.app.arn), 'ExplicitlyDenied'],
      ]);
    });

    // The fleet is exempt from the file system policy's write denial only for
    // the shared directory: its own policy denies every other write.
    describe('EFS: the fleet writes nothing but the shared directory, and it never as root', () => {
      run([
        ['instance role: ClientWrite through the shared access point, not via a mount target',
          client(d, roles.instance, 'ClientWrite', ap.shared.arn, notViaMountTarget), 'ImplicitlyDenied'],
        ['instance role: ClientWrite through the shared access point without TLS', client(d, roles.instance, 'ClientWrite', ap.shared.arn, noTls), 'ExplicitlyDenied'],
        ['instance role: ClientRootAccess through the shared access point', client(d, roles.instance, 'ClientRootAccess', ap.shared.arn), 'ExplicitlyDenied'],
        ['instance role: ClientRootAccess without an access point', client(d, roles.instance, 'ClientRootAccess'), 'ExplicitlyDenied'],
      ]);
    });

    describe('EFS: releases never touch the shared directory', () => {
      run([
        ['publish role: ClientMount through the shared access point', client(d, roles.publish, 'ClientMount', ap.shared.arn), 'ExplicitlyDenied'],
        ['publish role: ClientWrite through the shared access point', client(d, roles.publish, 'ClientWrite', ap.shared.arn), 'ExplicitlyDenied'],
        ['publish role: ClientRootAccess through the shared access point', client(d, roles.publish, 'ClientRootAccess', ap.shared.arn), 'ExplicitlyDenied'],
        ['the build role (runs user commands): ClientWrite through the shared access point', client(d, roles.build, 'ClientWrite', ap.shared.arn), 'ExplicitlyDenied'],
        ['the build role (runs user commands): ClientMount through the shared access point', client(d, roles.build, 'ClientMount', ap.shared.arn), 'ExplicitlyDenied'],
      ]);
    });

    describe('EFS: the publish role only through a color access point, never as root', () => {
      run([
        ['publish role: ClientMount through the app access point', client(d, roles.publish, 'ClientMount', ap.app.arn), 'ImplicitlyDenied'],
        ['publish role: ClientWrite through the app access point', client(d, roles.publish, 'ClientWrite', ap.app.arn), 'ImplicitlyDenied'],
        ['publish role: ClientMount without an access point', client(d, roles.publish, 'ClientMount'), 'ImplicitlyDenied'],
        ['publish role: ClientWrite without an access point', client(d, roles.publish, 'ClientWrite'), 'ImplicitlyDenied'],
        ['publish role: ClientWrite through the blue access point, not via a mount target', client(d, roles.publish, 'ClientWrite', ap.blue.arn, notViaMountTarget), 'ImplicitlyDenied'],
        ['publish role: ClientRootAccess through the blue access point', client(d, roles.publish, 'ClientRootAccess', ap.blue.arn), 'ExplicitlyDenied'],
        ['publish role: ClientRootAccess through the green access point', client(d, roles.publish, 'ClientRootAccess', ap.green.arn), 'ExplicitlyDenied'],
        ['publish role: ClientRootAccess through the app access point', client(d, roles.publish, 'ClientRootAccess', ap.app.arn), 'ExplicitlyDenied'],
        ['publish role: ClientRootAccess without an access point', client(d, roles.publish, 'ClientRootAccess'), 'ExplicitlyDenied'],
      ]);
    });

    describe('EFS: no client without TLS, even with a grant', () => {
      run([
        ['instance role: ClientMount through the app access point without TLS', client(d, roles.instance, 'ClientMount', ap.app.arn, noTls), 'ExplicitlyDenied'],
        ['publish role: ClientMount through the blue access point without TLS', client(d, roles.publish, 'ClientMount', ap.blue.arn, noTls), 'ExplicitlyDenied'],
        ['publish role: ClientWrite through the blue access point without TLS', client(d, roles.publish, 'ClientWrite', ap.blue.arn, noTls), 'ExplicitlyDenied'],
        ['publish role: ClientWrite through the green access point without TLS', client(d, roles.publish, 'ClientWrite', ap.green.arn, noTls), 'ExplicitlyDenied'],
        ['another role of the account allowed everything: ClientMount through the app access point without TLS',
          client(d, sameAccountAdmin, 'ClientMount', ap.app.arn, noTls), 'ExplicitlyDenied'],
      ]);
    });

    describe('EFS: principals the construct does not grant', () => {
      // EFS allows a client request when the identity policy OR the file system
      // policy allows it (same account), so a role of the account whose own
      // policy grants elasticfilesystem:Client* is only stopped by the file
      // system policy's explicit denies: mounts by anyone but the fleet and the
      // publisher, writes by anyone but the publisher (and the fleet, whose own
      // role limits it to the shared access point), root access, no TLS.
      run([
        ['another role of the account allowed everything: ClientWrite through the blue access point',
          client(d, sameAccountAdmin, 'ClientWrite', ap.blue.arn), 'ExplicitlyDenied'],
        ['another role of the account allowed everything: ClientWrite through the green access point',
          client(d, sameAccountAdmin, 'ClientWrite', ap.green.arn), 'ExplicitlyDenied'],
        ['another role of the account allowed everything: ClientRootAccess through the app access point',
          client(d, sameAccountAdmin, 'ClientRootAccess', ap.app.arn), 'ExplicitlyDenied'],
        ['a role of another account allowed everything: ClientMount through the app access point',
          client(d, outsider, 'ClientMount', ap.app.arn), 'ExplicitlyDenied'],
        ['an anonymous client (mounted without IAM): ClientMount through the app access point',
          client(d, model.anonymous(), 'ClientMount', ap.app.arn), 'ExplicitlyDenied'],
        ['the pipeline role (no EFS grant): ClientMount through the app access point', client(d, roles.pipeline, 'ClientMount', ap.app.arn), 'ExplicitlyDenied'],
        ['another role of the account allowed everything: ClientMount through the blue access point',
          client(d, sameAccountAdmin, 'ClientMount', ap.blue.arn), 'ExplicitlyDenied'],
        ['another role of the account allowed everything: ClientMount through the app access point',
          client(d, sameAccountAdmin, 'ClientMount', ap.app.arn), 'ExplicitlyDenied'],
        ['the build role (runs user commands): ClientWrite through the blue access point', client(d, roles.build, 'ClientWrite', ap.blue.arn), 'ExplicitlyDenied'],
        ['another role of the account allowed everything: ClientMount through the shared access point',
          client(d, sameAccountAdmin, 'ClientMount', ap.shared.arn), 'ExplicitlyDenied'],
        ['another role of the account allowed everything: ClientWrite through the shared access point',
          client(d, sameAccountAdmin, 'ClientWrite', ap.shared.arn), 'ExplicitlyDenied'],
        ['another role of the account allowed everything: ClientRootAccess through the shared access point',
          client(d, sameAccountAdmin, 'ClientRootAccess', ap.shared.arn), 'ExplicitlyDenied'],
        ['another role of the account allowed everything: ClientRootAccess without an access point',
          client(d, sameAccountAdmin, 'ClientRootAccess'), 'ExplicitlyDenied'],
        ['a role of another account allowed everything: ClientWrite through the shared access point',
          client(d, outsider, 'ClientWrite', ap.shared.arn), 'ExplicitlyDenied'],
      ]);
    });

    describe('release state parameters', () => {
      run([
        ['publish role: ssm:PutParameter on live', { principal: roles.publish, action: 'ssm:PutParameter', resource: d.liveParameter }, 'ImplicitlyDenied'],
        ['instance role: ssm:PutParameter on live', { principal: roles.instance, action: 'ssm:PutParameter', resource: d.liveParameter }, 'ImplicitlyDenied'],
        ['instance role: ssm:PutParameter on pending', { principal: roles.instance, action: 'ssm:PutParameter', resource: d.pendingParameter }, 'ImplicitlyDenied'],
        ['instance role: ssm:GetParameter on pending', { principal: roles.instance, action: 'ssm:GetParameter', resource: d.pendingParameter }, 'ImplicitlyDenied'],
        ['live-color function role: ssm:PutParameter on pending', { principal: roles.liveColor, action: 'ssm:PutParameter', resource: d.pendingParameter }, 'ImplicitlyDenied'],
        ['build role (runs user commands): ssm:PutParameter on pending', { principal: roles.build, action: 'ssm:PutParameter', resource: d.pendingParameter }, 'ImplicitlyDenied'],
        ['publish role: ssm:DeleteParameter on pending', { principal: roles.publish, action: 'ssm:DeleteParameter', resource: d.pendingParameter }, 'ImplicitlyDenied'],
      ]);
    });

    describe('artifact bucket', () => {
      run([
        ['instance role: s3:PutObject in the artifact bucket', { principal: roles.instance, action: 's3:PutObject', resource: d.bundle }, 'ImplicitlyDenied'],
        ['instance role: s3:DeleteObject in the artifact bucket', { principal: roles.instance, action: 's3:DeleteObject', resource: d.bundle }, 'ImplicitlyDenied'],
        ['instance role: s3:ListBucket of the artifact bucket', { principal: roles.instance, action: 's3:ListBucket', resource: d.artifactBucket.arn }, 'ImplicitlyDenied'],
        ['instance role: s3:GetObject of a bundle without TLS', { principal: roles.instance, action: 's3:GetObject', resource: d.bundle, ...noTls }, 'ExplicitlyDenied'],
        ['instance role: kms:Decrypt of the artifact key outside S3', { principal: roles.instance, action: 'kms:Decrypt', resource: d.artifactKey.arn }, 'ImplicitlyDenied'],
      ]);
    });

    describe('CodeDeploy service role', () => {
      run([
        ['iam:PassRole of the publish role to ec2.amazonaws.com', {
          principal: roles.codeDeploy, action: 'iam:PassRole', resource: roles.publish.arn, context: { 'iam:PassedToService': 'ec2.amazonaws.com' },
        }, 'ImplicitlyDenied'],
        ['iam:PassRole of its own role to ec2.amazonaws.com', {
          principal: roles.codeDeploy, action: 'iam:PassRole', resource: roles.codeDeploy.arn, context: { 'iam:PassedToService': 'ec2.amazonaws.com' },
        }, 'ImplicitlyDenied'],
        ['iam:PassRole of a role outside the stack to ec2.amazonaws.com', {
          principal: roles.codeDeploy, action: 'iam:PassRole', resource: `arn:aws:iam::${ACCOUNT}:role/ops-admin`, context: { 'iam:PassedToService': 'ec2.amazonaws.com' },
        }, 'ImplicitlyDenied'],
        ['iam:PassRole of the instance role to lambda.amazonaws.com', {
          principal: roles.codeDeploy, action: 'iam:PassRole', resource: roles.instance.arn, context: { 'iam:PassedToService': 'lambda.amazonaws.com' },
        }, 'ImplicitlyDenied'],
        ['ec2:TerminateInstances on an instance without the fleet tag', {
          principal: roles.codeDeploy, action: 'ec2:TerminateInstances', resource: d.instance,
        }, 'ImplicitlyDenied'],
        [`ec2:TerminateInstances on an instance of another fleet (${FLEET_TAG}=other-web)`, {
          principal: roles.codeDeploy,
          action: 'ec2:TerminateInstances',
          resource: d.instance,
          context: { [`ec2:ResourceTag/${FLEET_TAG}`]: 'other-web', [`aws:ResourceTag/${FLEET_TAG}`]: 'other-web' },
        }, 'ImplicitlyDenied'],
        ['autoscaling:DeleteAutoScalingGroup on an unrelated group', {
          principal: roles.codeDeploy, action: 'autoscaling:DeleteAutoScalingGroup', resource: d.asgArn('batch-workers'),
        }, 'ImplicitlyDenied'],
      ]);
    });

    describe('CodeDeploy service role: no launch outside the fleet\'s template, subnets or tag', () => {
      const fleetTag = { [FLEET_TAG]: RELEASE };
      run([
        ['ec2:RunInstances on another launch template', launch(d, 'ec2:RunInstances', d.otherLaunchTemplate, { launchTemplate: d.otherLaunchTemplate }), 'ImplicitlyDenied'],
        ['ec2:RunInstances of an instance tagged for the fleet, from another launch template',
          launch(d, 'ec2:RunInstances', d.instance, { launchTemplate: d.otherLaunchTemplate, tags: fleetTag }), 'ImplicitlyDenied'],
        ['ec2:RunInstances of an instance tagged for the fleet, without a launch template',
          launch(d, 'ec2:RunInstances', d.instance, { tags: fleetTag }), 'ImplicitlyDenied'],
        ['ec2:RunInstances of an instance without the fleet tag, from the fleet\'s template',
          launch(d, 'ec2:RunInstances', d.instance, { launchTemplate: d.launchTemplate, tags: { Name: 'fleet' } }), 'ImplicitlyDenied'],
        [`ec2:RunInstances of an instance tagged for another fleet (${FLEET_TAG}=other-web), from the fleet's template`,
          launch(d, 'ec2:RunInstances', d.instance, { launchTemplate: d.launchTemplate, tags: { [FLEET_TAG]: 'other-web' } }), 'ImplicitlyDenied'],
        ['ec2:RunInstances of a volume without the fleet tag, from the fleet\'s template',
          launch(d, 'ec2:RunInstances', d.volume, { launchTemplate: d.launchTemplate }), 'ImplicitlyDenied'],
        ['ec2:RunInstances into a public subnet of the VPC, from the fleet\'s template',
          launch(d, 'ec2:RunInstances', d.publicSubnets[0], { launchTemplate: d.launchTemplate }), 'ImplicitlyDenied'],
        ['ec2:RunInstances into a subnet of another VPC, from the fleet\'s template',
          launch(d, 'ec2:RunInstances', d.ec2Arn('subnet/subnet-0aaaabbbbccccdddd'), { launchTemplate: d.launchTemplate }), 'ImplicitlyDenied'],
        ['ec2:RunInstances into a fleet subnet, from another launch template',
          launch(d, 'ec2:RunInstances', d.fleetSubnets[0], { launchTemplate: d.otherLaunchTemplate }), 'ImplicitlyDenied'],
        ['ec2:RunInstances with a security group, without a launch template',
          launch(d, 'ec2:RunInstances', d.ec2Arn('security-group/sg-0123456789abcdef0')), 'ImplicitlyDenied'],
        [`ec2:CreateTags ${FLEET_TAG}=${RELEASE} on an existing instance (not at launch)`,
          launch(d, 'ec2:CreateTags', d.instance, { tags: fleetTag }), 'ImplicitlyDenied'],
        ['ec2:CreateTags at launch without the fleet tag',
          launch(d, 'ec2:CreateTags', d.instance, { createAction: 'RunInstances', tags: { Name: 'fleet' } }), 'ImplicitlyDenied'],
        ['ec2:CreateTags at launch on a subnet',
          launch(d, 'ec2:CreateTags', d.fleetSubnets[0], { createAction: 'RunInstances', tags: fleetTag }), 'ImplicitlyDenied'],
      ]);
    });

    describe('deployment-group handler role', () => {
      run([
        ['autoscaling:DeleteAutoScalingGroup on an unrelated group', {
          principal: roles.groupHandler, action: 'autoscaling:DeleteAutoScalingGroup', resource: d.asgArn('batch-workers'),
        }, 'ImplicitlyDenied'],
        ['autoscaling:DeleteAutoScalingGroup on a copy of another deployment group', {
          principal: roles.groupHandler, action: 'autoscaling:DeleteAutoScalingGroup', resource: d.asgArn('CodeDeploy_other-web-bluegreen_d-ABC123XYZ'),
        }, 'ImplicitlyDenied'],
        ['autoscaling:DeleteAutoScalingGroup on the original CloudFormation-created group', {
          principal: roles.groupHandler, action: 'autoscaling:DeleteAutoScalingGroup', resource: d.originalGroup,
        }, 'ImplicitlyDenied'],
        ['codedeploy:CreateDeploymentGroup in another application', {
          principal: roles.groupHandler, action: 'codedeploy:CreateDeploymentGroup', resource: `arn:aws:codedeploy:${REGION}:${ACCOUNT}:deploymentgroup:other-app/${GROUP}`,
        }, 'ImplicitlyDenied'],
        ['iam:PassRole of the instance role', {
          principal: roles.groupHandler, action: 'iam:PassRole', resource: roles.instance.arn, context: { 'iam:PassedToService': 'ec2.amazonaws.com' },
        }, 'ImplicitlyDenied'],
      ]);

      // The IAM prefix names a deployment id (CodeDeploy_<group>_d-*), so the
      // copies of a group whose name extends this one are out of reach.
      test(`autoscaling:DeleteAutoScalingGroup on a copy of a group named ${GROUP}_admin`, async () => {
        await model.expectDecision({
          principal: roles.groupHandler, action: 'autoscaling:DeleteAutoScalingGroup', resource: d.asgArn(`CodeDeploy_${GROUP}_admin_d-ABC123XYZ`),
        }, 'ImplicitlyDenied');
      });
    });
  });

  describe('policy shape', () => {
    const inStack = model.assembly.roles.filter((r) => r.source.stackName === stack.stackName);

    test('no role of the stack has an Allow statement for every action or a whole service (e.g. s3:*)', () => {
      expect(inStack.length).toBeGreaterThanOrEqual(Object.keys(roles).length);
      const found = inStack.flatMap((r) => r.identityPolicies.flatMap((p) =>
        statementsOf(p.document).flatMap((s) => allActionWildcards(s).map((a) => `${r.source.logicalId} (${p.name}): ${a}`))));
      expect(found).toEqual([]);
    });

    test('resource policies grant no whole service, except the standard key policy delegating to the account', () => {
      const found = [
        ...model.assembly.buckets.filter((b) => b.source.stackName === stack.stackName)
          .flatMap((b) => statementsOf(b.bucketPolicy).map((s) => ({ where: `bucket policy of ${b.source.logicalId}`, s }))),
        ...model.assembly.keys.filter((k) => k.source.stackName === stack.stackName)
          .flatMap((k) => statementsOf(k.keyPolicy).map((s) => ({ where: `key policy of ${k.source.logicalId}`, s }))),
        ...statementsOf(d.fileSystem.fileSystemPolicy).map((s) => ({ where: 'file system policy', s })),
      ].flatMap(({ where, s }) => allActionWildcards(s).map((a) => `${where}: ${a} to ${JSON.stringify(s.Principal)}`));
      expect(found).toEqual([
        `key policy of ${d.artifactKey.source.logicalId}: kms:* to {"AWS":"arn:aws:iam::${ACCOUNT}:root"}`,
      ]);
    });
  });

  describe('the proof depends on the construct\'s controls (templates with one control removed)', () => {
    const copies: string[] = [];
    afterAll(() => copies.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

    /** A model of the same assembly after `mutate` edited the template of the stack under test. */
    function mutated(mutate: (template: any) => void): AccessModel {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bge-access-'));
      copies.push(dir);
      fs.cpSync(assembly.directory, dir, { recursive: true, filter: (src) => !path.basename(src).startsWith('asset.') });
      const file = path.join(dir, assembly.getStackByName(stack.stackName).templateFile);
      const template = JSON.parse(fs.readFileSync(file, 'utf8'));
      mutate(template);
      fs.writeFileSync(file, JSON.stringify(template));
      return AccessModel.fromAssembly(new cxapi.CloudAssembly(dir), MODEL_OPTIONS);
    }
    /** Applies `fn` to every policy statement of every resource in the template. */
    const eachStatement = (template: any, fn: (statements: any[]) => any[]) => {
      const visit = (node: any): void => {
        if (node === null || typeof node !== 'object') return;
        if (Array.isArray(node.Statement)) node.Statement = fn(node.Statement);
        Object.values(node).forEach(visit);
      };
      visit(template.Resources);
    };

    test('without the elasticfilesystem:AccessPointArn conditions of the grants, the instance role could mount a color and the publisher the app directory', async () => {
      let removed = 0;
      const m = mutated((t) => eachStatement(t, (statements) => statements.map((s) => {
        if (s.Effect === 'Allow' && s.Condition?.StringEquals?.['elasticfilesystem:AccessPointArn'] !== undefined) {
          delete s.Condition.StringEquals['elasticfilesystem:AccessPointArn'];
          if (Object.keys(s.Condition.StringEquals).length === 0) delete s.Condition.StringEquals;
          removed++;
        }
        return s;
      })));
      expect(removed).toBeGreaterThan(0);
      // Roles carry their identity policies: take them from the mutated model.
      const role = (r: typeof roles.instance) => m.roleAt(r.source.stackName, r.source.logicalId);
      await m.expectDecision(client(d, role(roles.instance), 'ClientMount', ap.blue.arn), 'Allowed');
      await m.expectDecision(client(d, role(roles.publish), 'ClientMount', ap.app.arn), 'Allowed');
    });

    test('without the ec2:LaunchTemplate conditions, CodeDeploy\'s role could launch into the fleet subnets from any template', async () => {
      let removed = 0;
      const m = mutated((t) => eachStatement(t, (statements) => statements.map((s) => {
        if (s.Condition?.ArnEquals?.['ec2:LaunchTemplate'] !== undefined) {
          delete s.Condition.ArnEquals;
          removed++;
        }
        return s;
      })));
      expect(removed).toBeGreaterThan(0);
      const codeDeploy = m.roleAt(roles.codeDeploy.source.stackName, roles.codeDeploy.source.logicalId);
      await m.expectDecision({ ...launch(d, 'ec2:RunInstances', d.fleetSubnets[0], { launchTemplate: d.otherLaunchTemplate }), principal: codeDeploy }, 'Allowed');
    });

    test(`without the aws:RequestTag/${FLEET_TAG} condition, CodeDeploy's role could launch instances not tagged as the fleet's`, async () => {
      let removed = 0;
      const m = mutated((t) => eachStatement(t, (statements) => statements.map((s) => {
        if (s.Action === 'ec2:RunInstances' && s.Condition?.StringEquals?.[`aws:RequestTag/${FLEET_TAG}`] !== undefined) {
          delete s.Condition.StringEquals;
          removed++;
        }
        return s;
      })));
      expect(removed).toBe(1);
      const codeDeploy = m.roleAt(roles.codeDeploy.source.stackName, roles.codeDeploy.source.logicalId);
      await m.expectDecision({ ...launch(d, 'ec2:RunInstances', d.instance, { launchTemplate: d.launchTemplate, tags: { Name: 'x' } }), principal: codeDeploy }, 'Allowed');
    });

    // The file system policy cannot name the shared access point (it would
    // depend on its own file system), so the fleet's role carries that denial.
    test('without the fleet role\'s own write deny, a broad EFS grant added to the fleet role would let it write the releases', async () => {
      let removed = 0;
      const m = mutated((t) => eachStatement(t, (statements) => [
        ...statements.filter((s) => {
          const fleetDeny = s.Sid === 'WriteNothingButTheSharedDirectory';
          if (fleetDeny) removed++;
          return !fleetDeny;
        }),
        ...(statements.some((s) => s.Sid === 'WriteTheSharedDirectoryThroughItsAccessPoint')
          ? [{ Effect: 'Allow', Action: 'elasticfilesystem:Client*', Resource: '*' }] : []),
      ]));
      expect(removed).toBe(1);
      const instance = m.roleAt(roles.instance.source.stackName, roles.instance.source.logicalId);
      await m.expectDecision(client(d, instance, 'ClientWrite', ap.app.arn), 'Allowed');
      await m.expectDecision(client(d, instance, 'ClientWrite', ap.blue.arn), 'Allowed');
    });

    test('with the fleet role\'s own write deny in place, the same broad grant still writes only the shared directory', async () => {
      const m = mutated((t) => eachStatement(t, (statements) => [
        ...statements,
        ...(statements.some((s) => s.Sid === 'WriteTheSharedDirectoryThroughItsAccessPoint')
          ? [{ Effect: 'Allow', Action: 'elasticfilesystem:Client*', Resource: '*' }] : []),
      ]));
      const instance = m.roleAt(roles.instance.source.stackName, roles.instance.source.logicalId);
      await m.expectDecision(client(d, instance, 'ClientWrite', ap.app.arn), 'ExplicitlyDenied');
      await m.expectDecision(client(d, instance, 'ClientWrite', ap.shared.arn), 'Allowed');
    });

    test('without the publisher\'s own deny, a broad EFS grant added to the publish role would let a release write the shared directory', async () => {
      const m = mutated((t) => eachStatement(t, (statements) => {
        if (!statements.some((s) => s.Sid === 'NeverTouchTheSharedDirectory')) return statements;
        return [...statements.filter((s) => s.Sid !== 'NeverTouchTheSharedDirectory'), { Effect: 'Allow', Action: 'elasticfilesystem:Client*', Resource: '*' }];
      }));
      const publish = m.roleAt(roles.publish.source.stackName, roles.publish.source.logicalId);
      await m.expectDecision(client(d, publish, 'ClientWrite', ap.shared.arn), 'Allowed');
    });

    test('without the TLS deny, a client without TLS could mount', async () => {
      const m = mutated((t) => eachStatement(t, (statements) =>
        statements.filter((s) => !(s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false' && JSON.stringify(s.Action).includes('elasticfilesystem')))));
      await m.expectDecision(client(d, roles.instance, 'ClientMount', ap.app.arn, noTls), 'Allowed');
    });

    test('without the file system policy\'s write deny, another role of the account could write a color', async () => {
      const m = mutated((t) => eachStatement(t, (statements) =>
        statements.filter((s) => !(s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === undefined
          && JSON.stringify(s.Action).includes('elasticfilesystem:ClientWrite')))));
      await m.expectDecision(client(d, sameAccountAdmin, 'ClientWrite', ap.blue.arn), 'Allowed');
    });
  });
});
