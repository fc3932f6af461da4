import { awscdk, javascript } from 'projen';

// One place for the aws-cdk-lib version: the peer minimum, the dev pin and the
// matching integ-tests-alpha all follow it. 2.236 is the first release line with
// an integ-tests-alpha build that also has `CapacityProviderOptions` on the ECS
// launch targets (needed by FargateSpotRunner).
const CDK_VERSION = '2.236.0';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'cdk-cross-account-cicd',
  description:
    'CDK constructs to ship one application from a tooling account into many AWS accounts: ' +
    'artifact store, tenant deployment roles, a pipeline that scales to thousands of targets, ' +
    'EC2 blue/green on EFS and Fargate Spot runners.',
  author: 'cdk-cross-account-cicd developers',
  authorAddress: 'maintainers@cdk-cross-account-cicd.dev',
  repositoryUrl: 'https://github.com/cdk-cross-account-cicd/cdk-cross-account-cicd.git',
  // `awscdk` is the keyword Construct Hub indexes by.
  keywords: ['awscdk', 'cdk', 'aws-cdk', 'codepipeline', 'cross-account', 'multi-account', 'saas', 'cicd'],
  // Nothing has been deployed to real accounts yet: every type is experimental until it
  // has (the README's status table says which constructs have been).
  stability: 'experimental',
  // The jsii runtime that Python and Java users run supports Node 22 and 24 only.
  minNodeVersion: '22.0.0',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  jsiiVersion: '~6.0.0',
  cdkVersion: CDK_VERSION,
  constructsVersion: '10.5.1',

  // A top-level tsconfig.dev.json that type-checks src, test, integ and scripts.
  tsconfigDevFile: 'tsconfig.dev.json',
  tsconfigDev: {
    include: ['src/**/*.ts', 'test/**/*.ts', 'integ/**/*.ts', 'scripts/**/*.ts', 'demo/**/*.ts', 'bench/**/*.ts', '.projenrc.ts', 'projenrc/**/*.ts'],
    compilerOptions: {},
  },

  publishToPypi: {
    distName: 'cdk-cross-account-cicd',
    module: 'cdk_cross_account_cicd',
  },
  publishToMaven: {
    javaPackage: 'io.github.cdkcrossaccountcicd',
    mavenGroupId: 'io.github.cdkcrossaccountcicd',
    mavenArtifactId: 'cdk-cross-account-cicd',
  },

  devDeps: [
    `@aws-cdk/integ-tests-alpha@${CDK_VERSION}-alpha.0`,
    '@aws-cdk/integ-runner@^2.197.0',
    // AGPL: used by the access-proof tests only, never shipped.
    '@cloud-copilot/iam-simulate@^0.1.173',
    // Checks the integ apps; a consumer never needs it at run time.
    'cdk-nag@^2.38.2',
    // BlueGreenEfsDeploy's Lambda handlers: typed and unit-tested against SDK v3
    // here, bundled by esbuild at build time with the SDK left to the Lambda runtime.
    '@aws-sdk/client-codedeploy@^3.1133.0',
    '@aws-sdk/client-ssm@^3.1133.0',
    '@aws-sdk/client-auto-scaling@^3.1133.0',
    // FleetRollout's planner: reads the registry, writes ring files, checks release templates.
    '@aws-sdk/client-dynamodb@^3.1133.0',
    '@aws-sdk/util-dynamodb@^3.996.0',
    '@aws-sdk/client-s3@^3.1133.0',
    '@types/aws-lambda@^8.10.164',
    'aws-sdk-client-mock@^4.1.0',
    'esbuild@^0.25.0',
    // Mutation testing of the pure modules (`npm run mutation`). StrykerJS 8, the line
    // the issue measured with; 10 needs Node 22, and the quick start runs on Node 20.
    '@stryker-mutator/core@~8.7.0',
    '@stryker-mutator/jest-runner@~8.7.0',
    // The CDK ecosystem's asset publisher library, pinned as the pipeline's Assets stage
    // installs it: tests run the stage's commands with it against a local S3 endpoint.
    '@aws-cdk/cdk-assets-lib@1.5.0',
  ],

  jestOptions: {
    // Jest 29 matches ts-jest 29 and, unlike 30, needs no platform-specific
    // resolver binaries (unrs-resolver), which the package mirror lacks for
    // other platforms and which `npm ci` then reports missing from the lock file.
    jestVersion: '^29',
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    jestConfig: {
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      testTimeout: 120_000,
    },
  },

  // Type-aware lint over every TypeScript file, with the dev tsconfig that includes them all.
  eslintOptions: {
    dirs: ['src'],
    devdirs: ['test', 'integ', 'scripts', 'demo', 'bench', 'build-tools'],
    tsconfigPath: './tsconfig.dev.json',
    projectService: false,
  },

  githubOptions: { mergify: false },
  gitignore: ['/.venv/', '/cdk.out/', '/.jsii.tabl.json', '/consumers/**/node_modules/', '/consumers/**/cdk.out/', '/consumers/java-app/target/', '__pycache__/', '.pytest_cache/', '/integ/**/cdk-integ.out.*', '/integ/**/*.snapshot.tmp/', '/.cdk.staging/'],
});

// 3.8 is the last line without unrs-resolver (see jestVersion above); set after
// construction because the ESLint component adds its own, newer requirement.
project.deps.removeDependency('eslint-import-resolver-typescript');
project.addDevDeps('eslint-import-resolver-typescript@~3.8.0');

for (const ignored of ['/integ/', '/scripts/', '/demo/', '/bench/', '/consumers/', '/.ci/', '/.venv/', '/cdk.out/', '/tsconfig.dev.json']) {
  project.addPackageIgnore(ignored);
}

// The consumer apps resolve the packed library, not the source: keep them out of the dev build.
project.tsconfigDev.addExclude('consumers');

// Non-TypeScript files the constructs ship: the Fargate job's SIGTERM/checkpoint
// wrapper and the blue/green release and hook scripts.
for (const dir of ['fargate-spot-runner', 'blue-green-efs-deploy']) {
  project.compileTask.exec(`mkdir -p lib/${dir}/assets && cp src/${dir}/assets/*.sh lib/${dir}/assets/`);
}
// The Assets stage's publisher lock (package.json and package-lock.json, which `npm ci`
// installs from in the stage), written by scripts/update-asset-publisher-lock.sh.
project.compileTask.exec('mkdir -p lib/cross-account-pipeline/asset-publisher && cp src/cross-account-pipeline/asset-publisher/package*.json lib/cross-account-pipeline/asset-publisher/');

// Tools the script tests run for real (rsync, shellcheck), installed into .venv
// by the project itself when the machine lacks them.
const testTools = project.addTask('test:tools', {
  description: 'Install the tools the hook-script tests need (rsync, shellcheck) into .venv when missing',
  exec: 'bash scripts/install-test-tools.sh',
});
// Tests synthesize constructs whose Lambda code is the esbuild bundle: build it first.
project.testTask.prependSpawn(testTools);
project.testTask.prependSpawn(project.tasks.tryFind('bundle')!);

// `npm test`: unit tests (incl. cdk-nag and access proofs), lint, then the
// integ snapshots verified offline, then cfn-lint over every snapshot template.
const integVerify = project.addTask('integ:verify', {
  description: 'Synthesize every integ/integ.*.ts app and compare it with its committed snapshot (no AWS credentials needed)',
  exec: 'integ-runner --directory integ --language typescript --app "ts-node --project tsconfig.dev.json {filePath}" --parallel-regions us-east-1 --max-workers 1',
  receiveArgs: true,
});
project.addTask('integ:update', {
  description: 'Re-synthesize the integ snapshots after an intended template change (review and commit the diff)',
  exec: 'integ-runner --directory integ --language typescript --app "ts-node --project tsconfig.dev.json {filePath}" --parallel-regions us-east-1 --max-workers 1 --update-on-failed --dry-run',
  receiveArgs: true,
});
// The main job: synthesize the demo vendor app and print what it built and proved.
// It synthesizes constructs whose Lambda code is the esbuild bundle, so it builds
// that first: on a fresh clone `npm ci && npm run demo` must work with no other command.
const demo = project.addTask('demo', {
  description: 'Synthesize the demo vendor app into cdk.out and print stacks, policy sizes and the access proof (offline)',
});
demo.spawn(project.tasks.tryFind('bundle')!);
demo.exec('ts-node --project tsconfig.dev.json demo/main.ts');

// Performance claims come from here, never from timed unit tests.
project.addTask('bench', {
  description: 'Synthesize CrossAccountPipeline and CDK Pipelines for growing target counts and compare sizes, quotas and synth time',
  exec: 'ts-node --project tsconfig.dev.json bench/main.ts',
  receiveArgs: true,
});

const cfnLint = project.addTask('cfn-lint', {
  description: 'Run cfn-lint (installed into .venv when missing) over every synthesized integ template',
  exec: 'bash scripts/cfn-lint.sh',
});
project.testTask.spawn(integVerify);
project.testTask.spawn(cfnLint);
const checkov = project.addTask('checkov', {
  description: 'Checkov (pinned, installed into .venv/checkov when missing) over every integ template and a fresh demo cdk.out; fails on any finding not accepted with its reason in test/checkov-skips.txt, and on stale entries',
  exec: 'bash scripts/checkov.sh',
});
project.testTask.spawn(checkov);

// Mutation testing of the pure modules (no CDK constructs): StrykerJS with the jest
// runner, configured in stryker.config.mjs. Incremental: the committed
// reports/stryker-incremental.json holds the last results, so a rerun tests only the
// mutants whose code or covering tests changed. Run it and commit the updated file.
const mutation = project.addTask('mutation', {
  description: 'Mutation-test the pure modules (StrykerJS, incremental; fails under a score of 85 or on a survivor not listed as equivalent)',
  exec: 'stryker run',
  receiveArgs: true,
});
mutation.exec('node scripts/check-mutation-survivors.mjs');
// The HTML report and Stryker's sandboxes are local; the incremental results are committed.
project.gitignore.exclude('/reports/mutation/', '/.stryker-tmp/');
// Without a trailing slash: a git worktree that links these to the main checkout must
// not commit the links (a checkout of such a commit replaces the real directories).
project.gitignore.exclude('/node_modules', '/.venv');
project.gitignore.include('/reports/stryker-incremental.json');
project.gitattributes.addAttributes('/reports/stryker-incremental.json', 'linguist-generated');
for (const ignored of ['/reports/', '/.stryker-tmp/', '/stryker.config.mjs']) {
  project.addPackageIgnore(ignored);
}

project.synth();
