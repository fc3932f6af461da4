/**
 * Every integ app, buildable into a given App, and the feature flags an app
 * from today's `cdk init` carries, for the tests that check all integ apps
 * (cdk-nag 2 and 3, embedded parameters). Test-only.
 */
import { App, AppProps, Stack } from 'aws-cdk-lib';
import * as cxapi from 'aws-cdk-lib/cx-api';
import { buildArtifactStoreIntegApp } from '../../integ/integ.artifact-store';
import { buildAssetPublishingIntegApp } from '../../integ/integ.asset-publishing';
import { buildBlueGreenEfsDeployIntegApp } from '../../integ/integ.blue-green-efs-deploy';
import { buildContainerRegistryIntegApp } from '../../integ/integ.container-registry';
import { buildCodeDeployServerIntegApp } from '../../integ/integ.codedeploy-server';
import { buildCrossAccountPipelineIntegApp } from '../../integ/integ.cross-account-pipeline';
import { buildDeploymentPermissionsIntegApp } from '../../integ/integ.deployment-permissions';
import { buildFargateSpotRunnerIntegApp } from '../../integ/integ.fargate-spot-runner';
import { buildFleetRolloutIntegApp } from '../../integ/integ.fleet-rollout';
import { buildPipelineShapesIntegApp } from '../../integ/integ.pipeline-shapes';
import { buildPullRequestCiIntegApp } from '../../integ/integ.pull-request-ci';
import { buildTenantDeploymentRoleIntegApp } from '../../integ/integ.tenant-deployment-role';
import { buildTenantDeploymentRoleStackSetIntegApp } from '../../integ/integ.tenant-deployment-role-stack-set';

/** An integ app: the stacks under test (the integ-tests assertion stack is not one of them). */
export type IntegAppBuilder = (app: App) => { app: App; stacks: Stack[] };

export const INTEG_APPS: ReadonlyArray<[string, IntegAppBuilder]> = [
  ['artifact-store', buildArtifactStoreIntegApp],
  ['asset-publishing', buildAssetPublishingIntegApp],
  ['blue-green-efs-deploy', buildBlueGreenEfsDeployIntegApp],
  ['container-registry', buildContainerRegistryIntegApp],
  ['codedeploy-server', buildCodeDeployServerIntegApp],
  ['cross-account-pipeline', buildCrossAccountPipelineIntegApp],
  ['deployment-permissions', buildDeploymentPermissionsIntegApp],
  ['fargate-spot-runner', buildFargateSpotRunnerIntegApp],
  ['fleet-rollout', buildFleetRolloutIntegApp],
  ['pipeline-shapes', buildPipelineShapesIntegApp],
  ['pull-request-ci', buildPullRequestCiIntegApp],
  ['tenant-deployment-role', buildTenantDeploymentRoleIntegApp],
  ['tenant-deployment-role-stack-set', buildTenantDeploymentRoleStackSetIntegApp],
];

/**
 * The feature flags `cdk init` writes into a new app's cdk.json: aws-cdk-lib's
 * currently recommended flags, read from the installed aws-cdk-lib, so each
 * aws-cdk-lib line is checked with its own (2.276 adds, among others,
 * `@aws-cdk/core:validateAgainstDefaultRules` and `@aws-cdk/core:enablePartitionLiterals`).
 */
export const CDK_INIT_FEATURE_FLAGS: Readonly<Record<string, unknown>> = cxapi.CURRENTLY_RECOMMENDED_FLAGS;

/** The two kinds of app the integ apps are checked in. */
export const APP_VARIANTS: ReadonlyArray<[string, (props?: AppProps) => App]> = [
  // What integ-runner synthesizes into the committed snapshots.
  ['no feature flags', (props) => new App({ analyticsReporting: false, ...props })],
  // What a user who runs `cdk init` today has.
  ["cdk init's feature flags", (props) => new App({ analyticsReporting: false, ...props, context: { ...CDK_INIT_FEATURE_FLAGS, ...props?.context } })],
];
