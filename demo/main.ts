/**
 * `npm run demo`: synthesizes the demo vendor app into cdk.out and prints what
 * it built: stacks per account and region, resource counts, every generated
 * policy against its quota, the tenant fleet (its state machines, template
 * bytes and the ring plan of 5,000 tenants next to the pipeline's), and the
 * access proof (allowed and denied requests evaluated with IAM semantics on the
 * synthesized templates). Offline.
 */
import * as path from 'path';
import { CfnElement, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { printFleet } from './fleet-report';
import { DEMO, buildVendorApp } from './vendor-app';
import { BlueGreenEfsDeploy, DeploymentContract } from '../src';
import { PolicyQuota } from '../src/shared/policy-size';
import { measurePolicies } from '../src/shared/policy-size-guard';
import { AccessModel, AccessPrincipal } from '../test/support/access-model';
import { AWS_MANAGED_POLICIES } from '../test/support/aws-managed-policies';

async function main(): Promise<void> {
  const started = Date.now();
  const outdir = path.resolve(__dirname, '..', 'cdk.out');
  const { app, contract, stores, pipeline: release, testRunner, webTier, fleets } = buildVendorApp(outdir);
  const assembly = app.synth();

  section('Stacks');
  for (const stack of assembly.stacks) {
    const resources = Object.keys(stack.template.Resources ?? {}).length;
    console.log(`  ${pad(stack.stackName, 24)} ${stack.environment.account}/${pad(stack.environment.region, 10)} ${resources} resources`);
  }

  section('Policies against their quotas (largest of each kind)');
  const measurements = app.node.findAll()
    .filter((c) => c.node.scopes.length === 2) // stacks
    .flatMap((stack) => measurePolicies(stack));
  const labels: Array<[PolicyQuota, string]> = [
    [PolicyQuota.KMS_KEY_POLICY, 'key policy (bytes)'],
    [PolicyQuota.S3_BUCKET_POLICY, 'bucket policy (bytes)'],
    [PolicyQuota.IAM_TRUST_POLICY, 'role trust policy (chars)'],
    [PolicyQuota.IAM_ROLE_INLINE_POLICIES, 'inline policies of a role (chars)'],
    [PolicyQuota.MANAGED_POLICIES_PER_ROLE, 'managed policies on a role'],
  ];
  for (const [quota, label] of labels) {
    const largest = measurements.filter((m) => m.quota === quota).sort((a, b) => b.size - a.size)[0];
    if (!largest) continue;
    const percent = Math.round((largest.size / quota) * 100);
    console.log(`  ${pad(label, 34)} ${pad(`${largest.size} / ${quota}`, 14)} ${pad(`${percent}%`, 5)} ${largest.subject}`);
  }

  section('Tenant fleet (tenants as data: a TenantRegistry and a FleetRollout per tooling region)');
  printFleet(assembly, fleets, contract);

  section('Access proof');
  const model = AccessModel.fromAssembly(assembly, {
    awsManagedPolicies: AWS_MANAGED_POLICIES,
    organizations: [{
      id: DEMO.organizationId,
      accounts: [DEMO.tooling.account, DEMO.dev.account, ...DEMO.tenants.map((t) => t.account)],
    }],
  });
  const tooling = DEMO.tooling.account;
  const store = model.bucket(tooling, contract.artifactBucketName(stores[0].region));
  const key = model.assembly.keys.find((k) => k.account === tooling && k.region === stores[0].region)!;
  const artifact = `${store.arn}/pipeline/source/artifact.zip`;
  const viaS3 = { 'kms:ViaService': `s3.${stores[0].region}.amazonaws.com` };
  const pipeline = model.role(tooling, /PipelineRole/);
  const acme = DEMO.tenants[0].account;
  const globex = DEMO.tenants[1].account;
  const action = (account: string) => model.role(account, contract.actionRoleName);
  const execution = (account: string) => model.role(account, contract.executionRoleName);
  // The tenants are deployed by the fleet of their region, no longer by the pipeline.
  const fleetOf = (region: string) => fleets.find((f) => f.region === region)!.rollout;
  const fleetRole = (region: string, role: (fleet: ReturnType<typeof fleetOf>) => IConstruct) => {
    const fleet = fleetOf(region);
    return model.roleAt(Stack.of(fleet).stackName, Stack.of(fleet).getLogicalId(role(fleet).node.defaultChild as CfnElement));
  };
  const engine = (region: string) => fleetRole(region, (f) => f.engineRole);
  const planner = (region: string) => fleetRole(region, (f) => f.planner.role!);
  const acmeRegion = DEMO.tenants[0].region;
  const globexRegion = DEMO.tenants[1].region;

  const checks: Array<[string, boolean, Promise<boolean>]> = [
    [`the ${acmeRegion} fleet engine assumes the acme action role`, true, model.canAssume(engine(acmeRegion), action(acme).arn)],
    [`the ${globexRegion} fleet engine assumes the globex action role`, true, model.canAssume(engine(globexRegion), action(globex).arn)],
    ['pipeline role assumes the dev action role', true, model.canAssume(pipeline, action(DEMO.dev.account).arn)],
    [`the ${acmeRegion} fleet engine assumes the acme execution role`, false, model.canAssume(engine(acmeRegion), execution(acme).arn)],
    [`the ${acmeRegion} fleet planner assumes the acme action role`, false, model.canAssume(planner(acmeRegion), action(acme).arn)],
    ['acme action role reads an artifact', true, allowed(model, action(acme), 's3:GetObject', artifact)],
    ['acme action role decrypts it through S3', true, allowed(model, action(acme), 'kms:Decrypt', key.arn, viaS3)],
    ['acme execution role decrypts through S3', true, allowed(model, execution(acme), 'kms:Decrypt', key.arn, viaS3)],
    ['acme action role passes its execution role to CloudFormation', true,
      allowed(model, action(acme), 'iam:PassRole', execution(acme).arn, { 'iam:PassedToService': 'cloudformation.amazonaws.com' })],
    ['a developer role of the tooling account assumes the acme action role', false,
      model.canAssume(model.externalRole(`arn:aws:iam::${tooling}:role/developer`), action(acme).arn)],
    ['globex action role assumes the acme action role', false, model.canAssume(action(globex), action(acme).arn)],
    ['globex action role passes the acme execution role', false,
      allowed(model, action(globex), 'iam:PassRole', execution(acme).arn, { 'iam:PassedToService': 'cloudformation.amazonaws.com' })],
    ['a role with the action role name outside the organization reads an artifact', false,
      allowed(model, model.externalRole(`arn:aws:iam::${DEMO.outsider.account}:role/${contract.actionRoleName}`), 's3:GetObject', artifact)],
    ['anonymous reads an artifact', false, allowed(model, model.anonymous(), 's3:GetObject', artifact)],
    ['acme action role decrypts without going through S3', false, allowed(model, action(acme), 'kms:Decrypt', key.arn)],
    ...webTierChecks(model, webTier, contract),
  ];
  let failures = 0;
  for (const [what, expected, result] of checks) {
    const actual = await result;
    if (actual !== expected) failures++;
    console.log(`  ${actual === expected ? 'ok  ' : 'FAIL'} ${expected ? 'allowed' : 'denied '}  ${what}`);
  }

  section('Output');
  console.log(`  templates: ${path.relative(process.cwd(), outdir)}/`);
  console.log(`  rollout diagram and table: ${path.relative(process.cwd(), path.join(outdir, `rollout-${release.pipelineNames[0]}.md`))}`);
  console.log(`  pipelines: ${release.pipelineNames.join(', ')}`);
  console.log(`  integration tests: FargateSpotRunner ${testRunner.node.path} (Spot with FARGATE fallback, checkpoints in ${testRunner.checkpointBucket.node.path})`);
  console.log(`  web tier: BlueGreenEfsDeploy ${webTier.node.path} (pipeline ${webTier.pipelineName}, deployment group ${webTier.deploymentGroupName}, live color in ${webTier.liveColorParameter.node.path})`);
  console.log(`  took ${((Date.now() - started) / 1000).toFixed(1)} s`);
  if (failures > 0) {
    console.error(`\n${failures} access check(s) did not match`);
    process.exit(1);
  }
}

/** The web tier's EFS and release-state access, evaluated like the rest. */
function webTierChecks(model: AccessModel, web: BlueGreenEfsDeploy, contract: DeploymentContract): Array<[string, boolean, Promise<boolean>]> {
  const stack = Stack.of(web);
  const logicalId = (c: IConstruct) => stack.getLogicalId(c.node.defaultChild as CfnElement);
  const roleOf = (c: IConstruct) => model.roleAt(stack.stackName, logicalId(c));
  const fileSystem = model.fileSystem(DEMO.dev.account, logicalId(web.fileSystem));
  const through = (directory: string) => ({ 'elasticfilesystem:AccessPointArn': model.accessPoint(fileSystem, directory).arn });
  const instances = roleOf(web.instanceRole);
  const publisher = roleOf(web.publishRole);
  const inbox = `arn:aws:s3:::${model.assembly.resolve(stack.stackName, { Ref: logicalId(web.node.findChild('ReleaseInbox').node.findChild('Bucket')) })}/release.zip`;
  const action = (account: string) => model.role(account, contract.actionRoleName);
  const live = `arn:aws:ssm:${DEMO.dev.region}:${DEMO.dev.account}:parameter${model.assembly.resolve(stack.stackName, { Ref: logicalId(web.liveColorParameter) })}`;
  return [
    ['web instances mount the release content read-only through /app', true, allowed(model, instances, 'elasticfilesystem:ClientMount', fileSystem.arn, through('/app'))],
    ['the publishing build writes the green color through /app/green', true, allowed(model, publisher, 'elasticfilesystem:ClientWrite', fileSystem.arn, through('/app/green'))],
    ['web instances write the release content', false, allowed(model, instances, 'elasticfilesystem:ClientWrite', fileSystem.arn, through('/app'))],
    ['the publishing build writes through /app (both colors at once)', false, allowed(model, publisher, 'elasticfilesystem:ClientWrite', fileSystem.arn, through('/app'))],
    ['the publishing build sets the live color', false, allowed(model, publisher, 'ssm:PutParameter', live)],
    ['dev action role drops a release into the dev web tier\'s inbox', true, allowed(model, action(DEMO.dev.account), 's3:PutObject', inbox)],
    ['acme action role drops a release into the dev web tier\'s inbox', false, allowed(model, action(DEMO.tenants[0].account), 's3:PutObject', inbox)],
  ];
}

async function allowed(model: AccessModel, principal: AccessPrincipal, action: string, resource: string,
  context?: Record<string, string>): Promise<boolean> {
  return (await model.evaluate({ principal, action, resource, context })).decision === 'Allowed';
}

function section(title: string): void {
  console.log(`\n${title}`);
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
