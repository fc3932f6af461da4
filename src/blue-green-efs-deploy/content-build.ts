/**
 * Pure: the rules of BlueGreenEfsDeploy's content build and the buildspec it
 * renders from commands. No constructs; values may be tokens, which are
 * accepted and left to CodeBuild.
 */
import { Token } from 'aws-cdk-lib';
import type { ContentBuildOptions } from './blue-green-efs-deploy-props';
import { Problem } from '../shared/validation';

/** A runtime name of `runtime-versions` (nodejs, python, java, golang, php, ruby, dotnet, ...). */
const RUNTIME_NAME = /^[a-z][a-z0-9]*$/;
/** A runtime version: '20', '3.12', '20.x', 'latest', 'corretto21'. */
const RUNTIME_VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** Images CodeBuild curates (standard, Amazon Linux), which know `runtime-versions`; Lambda compute images do not. */
const CURATED_IMAGE = /^aws\/codebuild\/(?!.*lambda)/;

/**
 * Everything wrong with a content build, each with its fix. `imageId` is the
 * image the build runs on (the default when none is given).
 */
export function contentBuildProblems(build: ContentBuildOptions, imageId: string): Problem[] {
  const problems: Problem[] = [];
  const runtimeVersions = build.runtimeVersions ?? {};
  if (build.buildSpec !== undefined) {
    const replaced: Array<[keyof ContentBuildOptions, unknown, string]> = [
      ['commands', build.commands, "put them in the buildspec's phases.build.commands"],
      ['installCommands', build.installCommands, "put them in the buildspec's phases.install.commands"],
      ['runtimeVersions', build.runtimeVersions, "put them in the buildspec's phases.install.runtime-versions"],
      ['outputDirectory', build.outputDirectory, "name the directory in the buildspec's artifacts.base-directory"],
    ];
    for (const [name, value, fix] of replaced) {
      if (value === undefined) continue;
      problems.push({
        property: `contentBuild.${name}`,
        value,
        reason: 'a buildSpec of your own replaces the buildspec made of commands, installCommands, runtimeVersions and outputDirectory, so this would be ignored',
        fix: `${fix}, or drop buildSpec`,
      });
    }
  } else if (build.commands === undefined) {
    problems.push({
      property: 'contentBuild.commands',
      value: undefined,
      reason: 'a content build needs its build commands, or a buildspec',
      fix: "give commands (e.g. ['npm ci', 'npm run build']) or buildSpec, or drop contentBuild to publish the source as it is",
    });
  }
  for (const [runtime, version] of Object.entries(runtimeVersions)) {
    if (!RUNTIME_NAME.test(runtime)) {
      problems.push({
        property: 'contentBuild.runtimeVersions',
        value: runtime,
        reason: 'is not a CodeBuild runtime name (lowercase letters and digits)',
        fix: 'use a runtime of the image, e.g. nodejs, python, java, golang, php, ruby or dotnet',
      });
    }
    if (!Token.isUnresolved(version) && !RUNTIME_VERSION.test(version)) {
      problems.push({
        property: `contentBuild.runtimeVersions.${runtime}`,
        value: version,
        reason: "is not a runtime version (letters, digits, '.', '_' or '-')",
        fix: "use a version the image offers, e.g. '20', '3.12' or 'latest'",
      });
    }
  }
  if (Object.keys(runtimeVersions).length > 0 && !Token.isUnresolved(imageId) && !CURATED_IMAGE.test(imageId)) {
    problems.push({
      property: 'contentBuild.runtimeVersions',
      value: runtimeVersions,
      reason: `only CodeBuild's own standard and Amazon Linux images select runtimes; the image ${imageId} would fail the build`,
      fix: 'install the runtimes into your image and drop runtimeVersions, or use an image such as LinuxBuildImage.STANDARD_7_0',
    });
  }
  return problems;
}

/** The buildspec of a content build given as commands: runtimes, install, build, and the output directory as the artifact. */
export function contentBuildSpec(build: ContentBuildOptions): Record<string, unknown> {
  const runtimeVersions = build.runtimeVersions ?? {};
  const install = {
    ...(Object.keys(runtimeVersions).length > 0 ? { 'runtime-versions': runtimeVersions } : {}),
    ...(build.installCommands?.length ? { commands: build.installCommands } : {}),
  };
  return {
    version: '0.2',
    phases: {
      ...(Object.keys(install).length > 0 ? { install } : {}),
      build: { commands: build.commands ?? [] },
    },
    artifacts: { 'base-directory': build.outputDirectory ?? '.', 'files': ['**/*'] },
  };
}
