/**
 * Checks of `buildOptions`: its variables, and a buildspec file that replaces
 * what the construct would otherwise write into the buildspec.
 */
import { Token } from 'aws-cdk-lib';
import { buildVariableProblems, CODEBUILD_RESERVED } from './build-variables';
import { Problem } from '../../shared/validation';
import { PipelineBuildOptions } from '../cross-account-pipeline-props';

/** Options that go into the inline buildspec, so a buildspec file leaves them unused; and where the file takes each. */
const INLINE_ONLY: ReadonlyArray<[keyof PipelineBuildOptions, string]> = [
  ['commands', 'put the commands in the phases of the file'],
  ['installCommands', 'put the install commands in the install phase of the file'],
  ['buildSpec', 'give either a buildspec or a buildspec file'],
  ['outputDirectory', "set 'base-directory' in the artifacts section of the file"],
  ['testReportFiles', 'declare the reports in the reports section of the file (CodeBuild makes their report groups, named after the project)'],
];

export function buildOptionsProblems(build: PipelineBuildOptions, property = 'buildOptions'): Problem[] {
  const problems = buildVariableProblems(property, build, [CODEBUILD_RESERVED]);
  const file = build.buildSpecFile;
  if (file === undefined) return problems;
  if (!Token.isUnresolved(file) && (file.trim() === '' || file.startsWith('/') || file.split('/').includes('..'))) {
    problems.push({
      property: `${property}.buildSpecFile`,
      value: file,
      reason: 'CodeBuild reads the buildspec file from the source, by a path relative to its root',
      fix: "give a relative path inside the source, e.g. 'buildspec.yml' or 'ci/buildspec.yml'",
    });
  }
  for (const [option, fix] of INLINE_ONLY) {
    if (build[option] === undefined) continue;
    problems.push({
      property: `${property}.${option}`,
      value: build[option] instanceof Object && !Array.isArray(build[option]) ? '(a BuildSpec)' : build[option],
      reason: `buildSpecFile '${file}' replaces the buildspec the construct writes, so ${option} would be ignored`,
      fix: `${fix}, and drop ${option}`,
    });
  }
  return problems;
}
