import { Token } from 'aws-cdk-lib';
import { Problem } from '../shared/validation';

/** A CloudFormation parameter name: letters and digits, at most 255. */
const PARAMETER_NAME = /^[A-Za-z0-9]{1,255}$/;

/**
 * A template parameter whose value is known only when the pipeline runs:
 * where the released build output lies in the artifact store, or a value of a
 * JSON file in it. Rendered as CodePipeline's parameter override functions
 * (`Fn::GetArtifactAtt`, `Fn::GetParam`) on the deploy action's input artifact:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/continuous-delivery-codepipeline-parameter-override-functions.html
 *
 * CodePipeline exposes the artifact's bucket, key and URL, not an S3 object
 * version: a template cannot pin the version of the released object (the key
 * is new for every run, so it names one release already).
 *
 * In a target region other than the pipeline's, the artifact lies in that
 * region's replication bucket, and the functions name that one.
 */
export class ReleaseParameter {
  /** The bucket that holds the released build output in the target's region (`Fn::GetArtifactAtt` BucketName). */
  public static artifactBucketName(): ReleaseParameter {
    return new ReleaseParameter('GetArtifactAtt', ['BucketName']);
  }

  /** The key of the released build output's zip, e.g. 'shop-release/BuildOutpu/1ABCyZZ' (`Fn::GetArtifactAtt` ObjectKey). */
  public static artifactObjectKey(): ReleaseParameter {
    return new ReleaseParameter('GetArtifactAtt', ['ObjectKey']);
  }

  /** The S3 URL of the released build output's zip (`Fn::GetArtifactAtt` URL). */
  public static artifactUrl(): ReleaseParameter {
    return new ReleaseParameter('GetArtifactAtt', ['URL']);
  }

  /**
   * The value of `key` in a JSON file of the build output (`Fn::GetParam`),
   * e.g. `ReleaseParameter.fromOutputFile('release.json', 'version')`.
   *
   * @param fileName path of the JSON file inside the build output
   * @param key the top-level key whose value becomes the parameter
   */
  public static fromOutputFile(fileName: string, key: string): ReleaseParameter {
    return new ReleaseParameter('GetParam', [fileName, key]);
  }

  private constructor(private readonly fn: 'GetArtifactAtt' | 'GetParam', private readonly args: string[]) {}

  /** The override function on the action's input artifact. @internal */
  public _render(artifactName: string): Record<string, string[]> {
    return { [`Fn::${this.fn}`]: [artifactName, ...this.args] };
  }

  /** A file path or key that CodePipeline could not resolve. @internal */
  public _problems(property: string): Problem[] {
    if (this.fn !== 'GetParam') return [];
    const [fileName, key] = this.args;
    const problems: Problem[] = [];
    if (!Token.isUnresolved(fileName) && (fileName.length === 0 || fileName.startsWith('/') || fileName.split('/').includes('..'))) {
      problems.push({
        property,
        value: fileName,
        reason: 'Fn::GetParam reads a JSON file inside the build output, named by its path relative to the output',
        fix: "give a relative path such as 'release.json'",
      });
    }
    if (!Token.isUnresolved(key) && key.length === 0) {
      problems.push({ property, value: key, reason: 'Fn::GetParam needs the key of the value in the JSON file', fix: "give the key, e.g. 'version'" });
    }
    return problems;
  }
}

/**
 * Release parameters whose names are no CloudFormation parameter names, or
 * that the kind's parameterOverrides or a target's parameters also set (one
 * would silently win).
 */
export function releaseParameterProblems(
  release: Record<string, ReleaseParameter>, property: string, overrides: Record<string, string>,
  targets: ReadonlyArray<{ readonly id: string; readonly parameters?: Record<string, string> }>, targetsProperty: string,
): Problem[] {
  const problems: Problem[] = [];
  for (const [name, parameter] of Object.entries(release)) {
    const at = `${property}.${name}`;
    if (!PARAMETER_NAME.test(name)) {
      problems.push({ property: at, value: name, reason: 'not a CloudFormation parameter name (letters and digits, at most 255)', fix: "use the template's parameter name, e.g. 'CodeKey'" });
    }
    if (name in overrides) {
      problems.push({ property: at, value: name, reason: 'parameterOverrides sets the same parameter', fix: `set '${name}' in one of releaseParameters and parameterOverrides` });
    }
    targets.forEach((target, j) => {
      if (target.parameters && name in target.parameters) {
        problems.push({
          property: `${targetsProperty}[${j}].parameters`,
          value: name,
          reason: `target '${target.id}' sets parameter '${name}', which the deployment kind takes from the release (releaseParameters)`,
          fix: `remove '${name}' from the parameters of target '${target.id}'`,
        });
      }
    });
    problems.push(...parameter._problems(at));
  }
  return problems;
}
