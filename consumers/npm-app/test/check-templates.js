// Asserts on the templates `cdk synth` wrote for bin/app.ts.
// Plain Node (no dependencies): node test/check-templates.js <cdk.out dir>
'use strict';
const fs = require('fs');
const path = require('path');

const outdir = path.resolve(process.argv[2] || 'cdk.out');
const TOOLING = '111111111111';
const ORG = 'o-a1b2c3d4e5';
const failures = [];
let passed = 0;

function check(ok, message) {
  if (ok) passed++; else failures.push(message);
}
function template(stack) {
  const file = path.join(outdir, `${stack}.template.json`);
  if (!fs.existsSync(file)) throw new Error(`missing template ${file}`);
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}
function resources(tpl, type) {
  return Object.values(tpl.Resources || {}).filter((r) => r.Type === type);
}
// Resolves the only intrinsics these values use: Fn::Join and Ref AWS::Partition.
function resolve(value) {
  if (Array.isArray(value)) return value.map(resolve);
  if (value && typeof value === 'object') {
    if ('Fn::Join' in value) {
      const [sep, parts] = value['Fn::Join'];
      return parts.map(resolve).join(sep);
    }
    if (value.Ref === 'AWS::Partition') return 'aws';
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v)]));
  }
  return value;
}
const asList = (v) => (v === undefined ? [] : [].concat(v));

// 1. Every target account: the action role trusts only the tooling account's
//    pipeline path inside the organization; the execution role trusts CloudFormation.
for (const [stack, account] of [['Target-dev', '222222222222'], ['Target-acme', '333333333333'], ['Target-globex', '444444444444']]) {
  const roles = resources(template(stack), 'AWS::IAM::Role').map((r) => resolve(r.Properties));
  const action = roles.find((r) => r.RoleName === 'cdkx-shop-deploy-action');
  check(action, `${stack}: no role named cdkx-shop-deploy-action`);
  if (action) {
    const trust = action.AssumeRolePolicyDocument.Statement.find((s) => asList(s.Principal && s.Principal.AWS).includes(`arn:aws:iam::${TOOLING}:root`));
    check(trust, `${stack}: action role does not trust arn:aws:iam::${TOOLING}:root`);
    const cond = (trust && trust.Condition) || {};
    check(asList((cond.ArnLike || {})['aws:PrincipalArn']).includes(`arn:aws:iam::${TOOLING}:role/cdkx-shop/*`),
      `${stack}: action role trust lacks ArnLike aws:PrincipalArn arn:aws:iam::${TOOLING}:role/cdkx-shop/* (got ${JSON.stringify(cond)})`);
    check((cond.StringEquals || {})['aws:PrincipalOrgID'] === ORG, `${stack}: action role trust lacks aws:PrincipalOrgID ${ORG}`);
  }
  const exec = roles.find((r) => r.RoleName === 'cdkx-shop-cfn-exec');
  check(exec && JSON.stringify(exec.AssumeRolePolicyDocument).includes('cloudformation.amazonaws.com'),
    `${stack} (${account}): no execution role cdkx-shop-cfn-exec trusted by CloudFormation`);
}

// 2. Tooling account, both regions: contract-named bucket; the key admits the tenant
//    roles by name, narrowed to the organization and to S3 of the store's region.
for (const [stack, region] of [['Tooling', 'us-east-1'], ['ToolingEu', 'eu-west-1']]) {
  const tpl = template(stack);
  const buckets = resources(tpl, 'AWS::S3::Bucket').map((b) => b.Properties.BucketName);
  check(buckets.includes(`cdkx-shop-artifacts-${TOOLING}-${region}`), `${stack}: no bucket cdkx-shop-artifacts-${TOOLING}-${region} (got ${buckets})`);
  // The store's key: the one that encrypts the artifact bucket (Tooling also holds the registry's key).
  const storeBucket = resources(tpl, 'AWS::S3::Bucket').find((b) => b.Properties.BucketName === `cdkx-shop-artifacts-${TOOLING}-${region}`);
  const keyId = storeBucket && JSON.stringify(storeBucket.Properties.BucketEncryption).match(/"Fn::GetAtt":\["([^"]+)","Arn"\]/);
  const keys = keyId && tpl.Resources[keyId[1]] && tpl.Resources[keyId[1]].Type === 'AWS::KMS::Key' ? [resolve(tpl.Resources[keyId[1]].Properties)] : [];
  check(keys.length === 1 && keys[0].EnableKeyRotation === true, `${stack}: the artifact bucket is not encrypted with a KMS key with rotation on`);
  const tenantStatement = keys.length === 1 && keys[0].KeyPolicy.Statement.find((s) => s.Principal && s.Principal.AWS === '*');
  check(tenantStatement, `${stack}: key policy has no statement for the tenant roles`);
  if (tenantStatement) {
    const c = tenantStatement.Condition || {};
    check((c.StringEquals || {})['aws:PrincipalOrgID'] === ORG, `${stack}: key policy tenant statement lacks aws:PrincipalOrgID ${ORG}`);
    check((c.StringEquals || {})['kms:ViaService'] === `s3.${region}.amazonaws.com`, `${stack}: key policy tenant statement lacks kms:ViaService s3.${region}`);
    check(asList((c.ArnLike || {})['aws:PrincipalArn']).includes('arn:aws:iam::*:role/cdkx-shop-deploy-action'),
      `${stack}: key policy tenant statement does not name the action role in aws:PrincipalArn`);
  }
}

// 3. The release pipeline: source, build, Dev, verification, approval, Prod.
const pipelines = resources(template('Tooling'), 'AWS::CodePipeline::Pipeline');
check(pipelines.length === 1, `Tooling: expected 1 pipeline, got ${pipelines.length}`);
if (pipelines.length === 1) {
  const p = pipelines[0].Properties;
  check(p.Name === 'shop-release', `Tooling: pipeline name is ${p.Name}, expected shop-release`);
  const actions = p.Stages.flatMap((s) => s.Actions.map((a) => `${s.Name}/${a.Name}/${a.ActionTypeId.Provider}`));
  for (const expected of ['Source/Source/CodeStarSourceConnection', 'Build/Build/CodeBuild', 'Dev-Wave-1-of-1/dev/CloudFormation',
    'Verify-Dev/IntegrationTests/CodeBuild', 'Approve-Prod/Approve/Manual', 'Prod-Wave-1-of-1/acme/CloudFormation', 'Prod-Wave-1-of-1/globex/CloudFormation']) {
    check(actions.includes(expected), `Tooling: pipeline has no action ${expected} (got ${actions.join(', ')})`);
  }
}
// 3b. The Guardrails stage: a service-managed StackSet updated in the management account as its action role.
if (pipelines.length === 1) {
  const stackSetActions = pipelines[0].Properties.Stages.flatMap((s) => s.Actions)
    .filter((a) => a.ActionTypeId.Provider === 'CloudFormationStackSet');
  check(stackSetActions.length === 1, `Tooling: expected 1 CloudFormationStackSet action, got ${stackSetActions.length}`);
  if (stackSetActions.length === 1) {
    const c = stackSetActions[0].Configuration;
    check(c.StackSetName === 'shop-guardrails' && c.PermissionModel === 'SERVICE_MANAGED' && c.DeploymentTargets === 'ou-ab12-34cd56ef'
      && c.Regions === 'us-east-1,eu-west-1', `Tooling: the StackSet action is configured ${JSON.stringify(c)}`);
    check(JSON.stringify(resolve(stackSetActions[0].RoleArn)).includes(':iam::999999999999:role/cdkx-shop-deploy-action'),
      'Tooling: the StackSet action does not run as the management account\'s action role');
  }
}
const managementPolicies = resources(template('Target-management'), 'AWS::IAM::Policy');
check(JSON.stringify(managementPolicies).includes('cloudformation:UpdateStackSet'), 'Target-management: the action role may not update StackSets');
check(fs.existsSync(path.join(outdir, 'rollout-shop-release.md')), 'no rollout report rollout-shop-release.md in cdk.out');

// 4. Management account: a service-managed StackSet that carries the two roles.
const stackSets = resources(template('TenantRolesRollout'), 'AWS::CloudFormation::StackSet').map((s) => s.Properties);
check(stackSets.length === 1 && stackSets[0].PermissionModel === 'SERVICE_MANAGED', 'TenantRolesRollout: expected one SERVICE_MANAGED StackSet');
if (stackSets.length === 1) {
  const body = String(stackSets[0].TemplateBody);
  check(body.includes('cdkx-shop-deploy-action') && body.includes('cdkx-shop-cfn-exec'), 'TenantRolesRollout: StackSet template lacks the two roles');
}

// 5. Tooling account: the Fargate Spot runner. A state machine runs the job; the container gets
//    Spot's whole 120 s between SIGTERM and SIGKILL; the cluster has both Fargate capacity
//    providers; the GitHub Actions role's trust pins the token's subject.
const jobs = template('ToolingJobs');
check(resources(jobs, 'AWS::StepFunctions::StateMachine').length === 1, 'ToolingJobs: expected 1 state machine');
// taskCount: 4 -> one Map iteration per task index, 0 to 3.
const definitions = resources(jobs, 'AWS::StepFunctions::StateMachine').map((r) => {
  const d = r.Properties.DefinitionString;
  return typeof d === 'string' ? d : d['Fn::Join'][1].filter((part) => typeof part === 'string').join('');
});
check(definitions.length === 1 && definitions[0].includes('"Type":"Map"') && definitions[0].includes('"taskIndexes":[0,1,2,3]'),
  'ToolingJobs: the runner does not split the job over 4 tasks (taskCount: 4)');
const taskDefinitions = resources(jobs, 'AWS::ECS::TaskDefinition').map((r) => r.Properties);
check(taskDefinitions.length === 1, `ToolingJobs: expected 1 task definition, got ${taskDefinitions.length}`);
if (taskDefinitions.length === 1) {
  const containers = taskDefinitions[0].ContainerDefinitions;
  check(containers.length === 1 && containers[0].StopTimeout === 120,
    `ToolingJobs: the job container's StopTimeout is not 120 (got ${JSON.stringify(containers.map((c) => c.StopTimeout))})`);
  check(containers.length === 1 && containers[0].Image === 'public.ecr.aws/aws-cli/aws-cli:2.17.0',
    'ToolingJobs: the job container does not run public.ecr.aws/aws-cli/aws-cli:2.17.0');
  check(taskDefinitions[0].Cpu === '1024' && taskDefinitions[0].Memory === '2048',
    `ToolingJobs: task size is ${taskDefinitions[0].Cpu}/${taskDefinitions[0].Memory}, expected 1024/2048`);
}
const providers = resources(jobs, 'AWS::ECS::ClusterCapacityProviderAssociations').map((r) => r.Properties.CapacityProviders);
check(providers.length === 1 && ['FARGATE', 'FARGATE_SPOT'].every((p) => providers[0].includes(p)),
  `ToolingJobs: the cluster lacks the FARGATE and FARGATE_SPOT capacity providers (got ${JSON.stringify(providers)})`);
const ciTrusts = resources(jobs, 'AWS::IAM::Role')
  .flatMap((r) => r.Properties.AssumeRolePolicyDocument.Statement)
  .filter((s) => s.Action === 'sts:AssumeRoleWithWebIdentity');
check(ciTrusts.length === 1, `ToolingJobs: expected 1 role trusting a web identity, got ${ciTrusts.length}`);
if (ciTrusts.length === 1) {
  const eq = (ciTrusts[0].Condition || {}).StringEquals || {};
  check(eq['token.actions.githubusercontent.com:sub'] === 'repo:acme/shop:ref:refs/heads/main',
    `ToolingJobs: external CI trust does not pin token.actions.githubusercontent.com:sub to repo:acme/shop:ref:refs/heads/main (got ${JSON.stringify(eq)})`);
  check(eq['token.actions.githubusercontent.com:aud'] === 'sts.amazonaws.com',
    'ToolingJobs: external CI trust does not pin token.actions.githubusercontent.com:aud to sts.amazonaws.com');
}

// 6. Dev account: the blue/green web tier on EFS. The deployment group is the custom resource
//    (CloudFormation has no EC2 blue/green group) keeping the old fleet 120 minutes and rolling
//    back on alarms; the pipeline is QUEUED and its last stage publishes (run order 1) before
//    CodeDeploy deploys (run order 2); the content is on encrypted EFS; instances need IMDSv2.
const web = template('Web');
const groups = resources(web, 'Custom::Ec2BlueGreenDeploymentGroup').map((r) => r.Properties);
check(groups.length === 1, `Web: expected 1 Custom::Ec2BlueGreenDeploymentGroup, got ${groups.length}`);
if (groups.length === 1) {
  const g = groups[0];
  check(g.DeploymentGroupName === 'shop-web-bluegreen' && g.ApplicationName === 'shop-web',
    `Web: deployment group is ${g.ApplicationName}/${g.DeploymentGroupName}, expected shop-web/shop-web-bluegreen`);
  check(g.TerminationWaitTimeInMinutes === '120', `Web: TerminationWaitTimeInMinutes is ${JSON.stringify(g.TerminationWaitTimeInMinutes)}, expected '120'`);
  check(asList(g.AutoRollbackEvents).includes('DEPLOYMENT_STOP_ON_ALARM') && asList(g.AutoRollbackEvents).includes('DEPLOYMENT_FAILURE'),
    `Web: AutoRollbackEvents lack DEPLOYMENT_FAILURE or DEPLOYMENT_STOP_ON_ALARM (got ${JSON.stringify(g.AutoRollbackEvents)})`);
  check(asList(g.AlarmNames).length === 2, `Web: expected the 2 default rollback alarms, got ${JSON.stringify(g.AlarmNames)}`);
}
const webPipelines = resources(web, 'AWS::CodePipeline::Pipeline').map((r) => r.Properties);
check(webPipelines.length === 1, `Web: expected 1 pipeline, got ${webPipelines.length}`);
if (webPipelines.length === 1) {
  const p = webPipelines[0];
  check(p.Name === 'shop-web-release', `Web: pipeline name is ${p.Name}, expected shop-web-release`);
  check(p.ExecutionMode === 'QUEUED', `Web: pipeline ExecutionMode is ${p.ExecutionMode}, expected QUEUED`);
  const source = p.Stages[0].Actions[0];
  const releasesBucket = Object.entries(web.Resources).find(([id, r]) => r.Type === 'AWS::S3::Bucket' && id.startsWith('Releases'));
  check(source.ActionTypeId.Provider === 'S3' && source.Configuration.S3ObjectKey === 'web/site.zip'
    && releasesBucket && source.Configuration.S3Bucket.Ref === releasesBucket[0],
    `Web: the source is not web/site.zip in the stack's Releases bucket (got ${JSON.stringify(source.Configuration)})`);
  const build = p.Stages.find((s) => s.Name === 'Build');
  check(build && build.Actions.length === 1 && build.Actions[0].ActionTypeId.Provider === 'CodeBuild', 'Web: no Build stage with one CodeBuild action');
  const last = p.Stages[p.Stages.length - 1];
  const steps = last.Actions.map((a) => `${a.RunOrder}:${a.ActionTypeId.Provider}`).sort();
  check(JSON.stringify(steps) === JSON.stringify(['1:CodeBuild', '2:CodeDeploy']),
    `Web: the last stage (${last.Name}) is not CodeBuild at run order 1 then CodeDeploy at 2 (got ${steps.join(', ')})`);
}
const buildSpecs = resources(web, 'AWS::CodeBuild::Project').map((r) => String(r.Properties.Source.BuildSpec));
check(buildSpecs.some((spec) => spec.includes('npm ci') && spec.includes('npm run build')), 'Web: no CodeBuild project runs the build commands npm ci, npm run build');
const fileSystems = resources(web, 'AWS::EFS::FileSystem').map((r) => r.Properties);
check(fileSystems.length === 1 && fileSystems[0].Encrypted === true, `Web: expected 1 EFS file system with Encrypted: true, got ${JSON.stringify(fileSystems.map((f) => f.Encrypted))}`);
const launchTemplates = resources(web, 'AWS::EC2::LaunchTemplate').map((r) => r.Properties.LaunchTemplateData);
check(launchTemplates.length === 1 && (launchTemplates[0].MetadataOptions || {}).HttpTokens === 'required',
  `Web: the launch template does not require IMDSv2 (MetadataOptions ${JSON.stringify(launchTemplates.map((l) => l.MetadataOptions))})`);
const targetGroups = resources(web, 'AWS::ElasticLoadBalancingV2::TargetGroup').map((r) => r.Properties);
check(targetGroups.length === 1 && targetGroups[0].HealthCheckPath === '/health.html',
  `Web: the target group does not check /health.html (got ${JSON.stringify(targetGroups.map((t) => t.HealthCheckPath))})`);
// The hook command travels in the release-tools asset (shipped scripts + generated hooks), not in the template.
const webAssets = JSON.parse(fs.readFileSync(path.join(outdir, 'Web.assets.json'), 'utf8')).files;
const releaseTools = Object.values(webAssets).find((a) => String(a.displayName).endsWith('/Pipeline/ReleaseTools'));
check(releaseTools, 'Web: no ReleaseTools asset in Web.assets.json');
if (releaseTools) {
  const dir = path.join(outdir, releaseTools.source.path);
  const read = (file) => (fs.existsSync(path.join(dir, file)) ? fs.readFileSync(path.join(dir, file), 'utf8') : '');
  check(read('bundle/hooks/user-AfterInstall.sh').includes('systemctl reload nginx'),
    'Web: the release bundle has no AfterInstall hook running systemctl reload nginx');
  check(/AfterInstall:[\s\S]*hooks\/user-AfterInstall\.sh/.test(read('bundle/appspec.yml')), 'Web: appspec.yml does not run hooks/user-AfterInstall.sh');
  check(read('bundle/settings.env').includes("CDKX_HEALTH_CHECK_PATH='/health.html'"), 'Web: settings.env does not carry the health check path /health.html');
  for (const script of ['release-tools/sync-release.sh', 'bundle/hooks/switch-color.sh', 'bundle/hooks/validate-service.sh']) {
    check(read(script).startsWith('#!'), `Web: the packed library did not ship ${script}`);
  }
}

// 7. Contract-synthesized ShopApp, registry, Assets stage and the lambdaUpdate preset.
//    ShopApp: no bootstrap version parameter or rule; its Lambda code is in the contract's
//    store of whichever region the template is deployed to (AWS::Region), under assets/.
const shop = template('ShopApp');
check(!('BootstrapVersion' in (shop.Parameters || {})) && !('CheckBootstrapVersion' in (shop.Rules || {})),
  `ShopApp: the template still has the bootstrap version parameter or rule (${JSON.stringify(Object.keys(shop.Parameters || {}))})`);
const shopBucket = `cdkx-shop-artifacts-${TOOLING}-\${AWS::Region}`;
const codes = resources(shop, 'AWS::Lambda::Function').map((r) => r.Properties.Code);
check(codes.length === 1 && JSON.stringify(codes[0].S3Bucket) === JSON.stringify({ 'Fn::Sub': shopBucket })
  && String(codes[0].S3Key).startsWith('assets/'),
  `ShopApp: the function's code is not in ${shopBucket} under assets/ (got ${JSON.stringify(codes)})`);
const shopFiles = Object.values(JSON.parse(fs.readFileSync(path.join(outdir, 'ShopApp.assets.json'), 'utf8')).files || {});
const code = shopFiles.find((a) => a.source.packaging === 'zip');
const destinations = code ? Object.values(code.destinations) : [];
check(destinations.length === 1 && destinations[0].bucketName === shopBucket && destinations[0].objectKey.startsWith('assets/'),
  `ShopApp.assets.json: the Lambda code is not published to ${shopBucket} under assets/ (got ${JSON.stringify(destinations)})`);
const repositories = resources(template('Tooling'), 'AWS::ECR::Repository').map((r) => r.Properties);
check(repositories.length === 1 && repositories[0].RepositoryName === 'cdkx-shop/assets' && repositories[0].ImageTagMutability === 'IMMUTABLE',
  `Tooling: expected one ECR repository cdkx-shop/assets with immutable tags (got ${JSON.stringify(repositories.map((r) => [r.RepositoryName, r.ImageTagMutability]))})`);
if (pipelines.length === 1) {
  // One publish action per distinct region of the targets (dev, acme, org: us-east-1; globex: eu-west-1), after the build.
  const stages = pipelines[0].Properties.Stages;
  const assets = stages.find((s) => s.Name === 'Assets');
  check(assets && stages.indexOf(assets) === 2, `Tooling: no Assets stage right after Build (got ${stages.map((s) => s.Name).join(', ')})`);
  const publish = assets ? assets.Actions.map((a) => `${a.Name}/${a.ActionTypeId.Provider}`).sort() : [];
  check(JSON.stringify(publish) === JSON.stringify(['Publish-eu-west-1/CodeBuild', 'Publish-us-east-1/CodeBuild']),
    `Tooling: the Assets stage does not publish once to each of eu-west-1 and us-east-1 (got ${publish.join(', ')})`);
}
for (const stack of ['Target-dev', 'Target-acme', 'Target-globex']) {
  const tpl = template(stack);
  const actionRole = Object.entries(tpl.Resources).find(([, r]) => r.Type === 'AWS::IAM::Role' && r.Properties.RoleName === 'cdkx-shop-deploy-action');
  const sids = Object.values(tpl.Resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && actionRole && r.Properties.Roles.some((role) => role.Ref === actionRole[0]))
    .flatMap((r) => r.Properties.PolicyDocument.Statement.map((s) => s.Sid));
  check(sids.includes('ShiftContractLambdaAliases'), `${stack}: the lambdaUpdate preset's statement ShiftContractLambdaAliases is not on the action role (got ${sids})`);
}

if (failures.length > 0) {
  console.error(`npm consumer: ${failures.length} assertion(s) failed:\n  - ${failures.join('\n  - ')}`);
  process.exit(1);
}
console.log(`npm consumer: ${passed} template assertions passed`);
