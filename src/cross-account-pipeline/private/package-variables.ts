/**
 * Where the build packages code into the artifact store (`sam package`,
 * `aws cloudformation package`): below its own pipeline's folder, which is all
 * the build may write, encrypted with the store's key, which is all the store
 * accepts. Given to the build as environment variables.
 */
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import { artifactFolder } from './artifact-folder';
import { IArtifactStore } from '../../artifact-store/artifact-store';

/** The sub-folder of the pipeline's folder that packaged code goes to. */
export const PACKAGE_SUBFOLDER = 'packages';

/** The key prefix packaged code is uploaded under (no trailing slash: both CLIs add one). */
export function packagePrefix(pipelineName: string): string {
  return `${artifactFolder(pipelineName)}/${PACKAGE_SUBFOLDER}`;
}

/**
 * The commands the README documents, with the variables below. `sam package`
 * (after `sam build`) and `aws cloudformation package` upload each local code
 * path of the template to the bucket, encrypted with the key, and write a
 * template that points to the uploads.
 */
export const PACKAGE_COMMANDS = {
  sam: 'sam package --template-file .aws-sam/build/template.yaml --s3-bucket "$ARTIFACT_BUCKET" --s3-prefix "$ARTIFACT_PREFIX" --kms-key-id "$ARTIFACT_KEY_ARN" --output-template-file packaged.yaml',
  cloudFormation: 'aws cloudformation package --template-file template.yaml --s3-bucket "$ARTIFACT_BUCKET" --s3-prefix "$ARTIFACT_PREFIX" --kms-key-id "$ARTIFACT_KEY_ARN" --output-template-file packaged.yaml',
};

/** ARTIFACT_BUCKET, ARTIFACT_PREFIX and ARTIFACT_KEY_ARN for the build project of `pipelineName`. */
export function packageVariables(store: IArtifactStore, pipelineName: string): Record<string, codebuild.BuildEnvironmentVariable> {
  return {
    ARTIFACT_BUCKET: { value: store.bucket.bucketName },
    ARTIFACT_PREFIX: { value: packagePrefix(pipelineName) },
    ARTIFACT_KEY_ARN: { value: store.encryptionKey.keyArn },
  };
}
