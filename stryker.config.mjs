// Mutation testing of the pure modules (`npm run mutation`): StrykerJS 8 with its jest
// runner. Only modules without CDK constructs are mutated: their tests are plain
// function calls, so each mutant runs in a second or two. The run is incremental:
// reports/stryker-incremental.json (committed) holds the last results, and a rerun
// tests only the mutants whose code or covering tests changed. After adding tests
// for a mutant in module-level code (a regex or table constant, a "static" mutant),
// run `npm run mutation -- --force`: Stryker cannot tell which tests reach those.
//
// Every mutant that survives is either killed by a test or listed below in
// `equivalentMutants` with the reason no test can kill it;
// scripts/check-mutation-survivors.mjs fails the task otherwise.

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'jest',
  coverageAnalysis: 'perTest',
  concurrency: 2,
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  thresholds: { high: 95, low: 90, break: 85 },
  mutate: [
    'src/shared/policy-size.ts',
    'src/shared/validation.ts',
    'src/shared/naming.ts',
    'src/shared/contract-problems.ts',
    'src/shared/reader-conditions.ts',
    'src/cross-account-pipeline/rollout-plan.ts',
    'src/cross-account-pipeline/rollout-report.ts',
    'src/fargate-spot-runner/capacity-strategy.ts',
    'src/fargate-spot-runner/task-size.ts',
    'src/blue-green-efs-deploy/release-state.ts',
    'src/blue-green-efs-deploy/release-settings.ts',
    'src/cross-account-pipeline/private/artifact-folder.ts',
    'src/shared/rounds.ts',
    'src/fleet-rollout/ring-plan.ts',
    'src/fleet-rollout/tenant-record.ts',
    // codedeploy-limits.ts holds two numbers only, which Stryker does not mutate;
    // test/release-settings-mutants.test.ts pins them.
  ],
  // Only what the tests of the pure modules need goes into Stryker's sandbox.
  ignorePatterns: ['/*', '!/src', '!/test', '!/package.json', '!/tsconfig.json', '!/tsconfig.dev.json'],
  jest: {
    projectType: 'custom',
    // Per mutant, only the test files that import the mutated module (and of
    // those, only the tests that reach the mutant) run.
    enableFindRelatedTests: true,
    config: {
      // The fast tests of the pure modules; the construct tests synthesize whole
      // stacks and would make each mutant cost seconds more.
      testMatch: [
        '<rootDir>/test/policy-size.test.ts',
        '<rootDir>/test/rollout-plan.test.ts',
        '<rootDir>/test/rollout-report.test.ts',
        '<rootDir>/test/fargate-spot-runner-capacity.test.ts',
        '<rootDir>/test/bge-release-state.test.ts',
        '<rootDir>/test/ring-plan.test.ts',
        '<rootDir>/test/tenant-record.test.ts',
        '<rootDir>/test/*-mutants.test.ts',
      ],
    },
  },
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
};

/**
 * Surviving mutants no test can kill, because the mutated code behaves the same
 * for every input the module can receive. Matched by file, line and mutator (and
 * the replacement where one line has several).
 */
export const equivalentMutants = [
  {
    file: 'src/blue-green-efs-deploy/release-state.ts', line: 149, mutator: 'ConditionalExpression', replacement: 'false',
    reason: "`typeof value !== 'number'` dropped: Number.isFinite is false for every non-number, so the next test rejects the same values (the typeof test is there for the type checker)",
  },
  {
    file: 'src/blue-green-efs-deploy/release-state.ts', line: 318, mutator: 'ConditionalExpression',
    reason: 'createdBefore: `time !== undefined` / `reference !== undefined` (or both) replaced by true: `time < reference` is false when either is undefined, so the guards (there for the type checker) change no result',
  },
  {
    file: 'src/blue-green-efs-deploy/release-state.ts', line: 318, mutator: 'LogicalOperator',
    reason: 'createdBefore: `&&` between the two undefined guards made `||`: as above, a comparison with undefined is false either way',
  },
  {
    file: 'src/blue-green-efs-deploy/release-state.ts', line: 354, mutator: 'ArrowFunction',
    reason: 'the duplicate test when recording a settled deployment id: the id was just found not to be in the list (line 348), so no entry ever equals it',
  },
  {
    file: 'src/blue-green-efs-deploy/release-state.ts', line: 354, mutator: 'ConditionalExpression',
    reason: 'same duplicate test as the line above, replaced by false: never true here anyway',
  },
  {
    file: 'src/blue-green-efs-deploy/release-state.ts', line: 358, mutator: 'ConditionalExpression', replacement: 'true',
    reason: "settle()'s `changed`: every settle() adds a new deployment id to settledDeploymentIds, so the serialized state always differs",
  },
  {
    file: 'src/blue-green-efs-deploy/release-state.ts', line: 378, mutator: 'ConditionalExpression', replacement: 'false',
    reason: 'looking up an undefined revision: revisionColors only hold non-empty revisions (parse checks them, decide appends defined ones), so find() finds nothing, as the guard does',
  },
  {
    file: 'src/blue-green-efs-deploy/release-state.ts', line: 403, mutator: 'ArrowFunction',
    reason: 'the duplicate test when binding a revision to the pending color: this branch runs only when the revision is not in revisionColors (line 378), so no entry ever equals it',
  },
  {
    file: 'src/blue-green-efs-deploy/release-state.ts', line: 403, mutator: 'ConditionalExpression',
    reason: 'same duplicate test as the line above, replaced by false: never true here anyway',
  },
  {
    file: 'src/cross-account-pipeline/rollout-plan.ts', line: 399, mutator: 'ConditionalExpression', replacement: 'true',
    reason: "`other !== index`: each stage's names are checked once and are distinct (Approve-, Verify- and -Wave- names never equal one another), so a name seen before always belongs to another stage",
  },
  {
    file: 'src/fargate-spot-runner/task-size.ts', line: 39, mutator: 'ConditionalExpression', replacement: 'true',
    reason: '`size.extra.length > 0` replaced by true: in the Fargate size table an extra list is either absent or [512], never empty',
  },
  {
    file: 'src/fargate-spot-runner/task-size.ts', line: 39, mutator: 'EqualityOperator', replacement: 'size.extra.length >= 0',
    reason: 'as above: no extra list in the table is empty',
  },
  {
    file: 'src/fargate-spot-runner/task-size.ts', line: 39, mutator: 'StringLiteral', replacement: '""',
    reason: "the separator of `size.extra.join(', ')`: the only extra list has one value, so no separator is ever written",
  },
  {
    file: 'src/fleet-rollout/ring-plan.ts', line: 171, mutator: 'ConditionalExpression', replacement: 'false',
    reason: "`typeof count !== 'number'` dropped: Number.isInteger is false for every non-number, so the next test refuses the same values (the typeof test is there for the type checker)",
  },
  {
    file: 'src/fleet-rollout/ring-plan.ts', line: 181, mutator: 'ConditionalExpression', replacement: 'false',
    reason: "`typeof percent !== 'number'` dropped: Number.isFinite is false for every non-number, so the next test refuses the same values (the typeof test is there for the type checker)",
  },
  {
    file: 'src/fleet-rollout/ring-plan.ts', line: 292, mutator: 'ConditionalExpression', replacement: 'true',
    reason: "byTenantId's second test (`a.tenantId > b.tenantId`) replaced by true: it only turns the 0 of equal ids into 1, and V8's sort (TimSort) only asks whether the comparator is below 0",
  },
  {
    file: 'src/fleet-rollout/ring-plan.ts', line: 292, mutator: 'ConditionalExpression', replacement: 'false',
    reason: "byTenantId's second test replaced by false: it only turns the 1 of a greater id into 0, and V8's sort only asks whether the comparator is below 0",
  },
  {
    file: 'src/fleet-rollout/ring-plan.ts', line: 292, mutator: 'EqualityOperator', replacement: 'a.tenantId <= b.tenantId',
    reason: "byTenantId's second test made `<=` (the same mutant of the first test, column 11, is killed by the equal-ids test): it only swaps 0 and 1 for equal and greater ids, and V8's sort only asks whether the comparator is below 0",
  },
  {
    file: 'src/fleet-rollout/ring-plan.ts', line: 292, mutator: 'EqualityOperator', replacement: 'a.tenantId >= b.tenantId',
    reason: "byTenantId's second test made `>=`: it only turns the 0 of equal ids into 1, and V8's sort only asks whether the comparator is below 0",
  },
  {
    file: 'src/fleet-rollout/ring-plan.ts', line: 316, mutator: 'ConditionalExpression', replacement: 'true',
    reason: 'the first members of a count, percent or rest ring: the loop after it (line 325) replaces them for every ring that is not named, so what is put there first is never read',
  },
  {
    file: 'src/fleet-rollout/ring-plan.ts', line: 317, mutator: 'ArrayDeclaration',
    reason: 'as above: the placeholder [] of a ring that is not named is always replaced at line 325 before it is read',
  },
  {
    file: 'src/fleet-rollout/tenant-record.ts', line: 158, mutator: 'ConditionalExpression', replacement: 'false',
    reason: "`typeof region !== 'string'` dropped: options.regions holds strings only, so includes() is false for every non-string region and the same reason is given",
  },
  {
    file: 'src/fleet-rollout/tenant-record.ts', line: 171, mutator: 'ConditionalExpression', replacement: 'false',
    reason: "`typeof ring !== 'string'` dropped: options.ringNames holds strings only, so includes() is false for every non-string ring and the same reason is given",
  },
  {
    file: 'src/fleet-rollout/tenant-record.ts', line: 204, mutator: 'StringLiteral', replacement: '""',
    reason: "Buffer.byteLength's encoding 'utf8' made '': Node counts UTF-8 bytes when the encoding is empty, so every size is the same",
  },
  {
    file: 'src/shared/rounds.ts', line: 14, mutator: 'ConditionalExpression', replacement: 'false',
    reason: '`items === 0 ? 0 :` dropped: perRound is at least 1 (checked above), so Math.ceil(0 / perRound) is 0 as well',
  },
];
