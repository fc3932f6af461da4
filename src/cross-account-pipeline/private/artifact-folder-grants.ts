import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import { IArtifactStore } from '../../artifact-store/artifact-store';
import { ANY_PARTITION, suppressOnDefaultPolicy } from '../../shared/nag-suppressions';

/**
 * What a CodeBuild project of a pipeline may do in the artifact store: read
 * (and for the build, write) the objects of its pipelines' folders, which
 * CodeBuild does with the project's role when CodePipeline hands it the input
 * and output artifacts; nothing else. No s3:ListBucket, no other pipeline's
 * folder, no handoff: the project runs repository code. The bucket actions
 * are those of CodeBuild's service role for a pipeline's artifact bucket:
 * https://docs.aws.amazon.com/codebuild/latest/userguide/setting-up-service-role.html
 * The artifact key comes with the project's `encryptionKey`. The cdk-nag
 * finding of each folder is suppressed with its reason.
 */
export function grantArtifactFolders(
  project: codebuild.PipelineProject, store: IArtifactStore, folders: readonly string[], options: { write: boolean },
): void {
  const unique = [...new Set(folders)];
  project.addToRolePolicy(new iam.PolicyStatement({
    sid: options.write ? 'ReadWritePipelineArtifacts' : 'ReadPipelineArtifacts',
    actions: ['s3:GetObject', 's3:GetObjectVersion', ...(options.write ? ['s3:PutObject'] : [])],
    resources: unique.map((folder) => store.bucket.arnForObjects(`${folder}/*`)),
  }));
  project.addToRolePolicy(new iam.PolicyStatement({
    sid: 'LocateArtifactBucket',
    actions: ['s3:GetBucketAcl', 's3:GetBucketLocation'],
    resources: [store.bucket.bucketArn],
  }));
  suppressArtifactFolderFindings(project, unique);
}

/** cdk-nag findings of the folder grants: the objects of one folder of the store (owned: by logical id; imported: by name). */
function suppressArtifactFolderFindings(project: codebuild.PipelineProject, folders: readonly string[]): void {
  const bucket = `(?:<.*Bucket[0-9A-F]{8}\\.Arn>|arn:${ANY_PARTITION}:s3:::[a-z0-9.-]+)`;
  suppressOnDefaultPolicy(project.role, [{
    id: 'AwsSolutions-IAM5',
    reason: 'The artifacts CodePipeline keeps for this project\'s pipeline: one folder of the artifact store, named after the pipeline; the object keys below it are random.',
    appliesTo: [...new Set(folders)].map((folder) => ({ regex: `/^Resource::${bucket}\\/${escapeRegex(folder)}\\/\\*$/` })),
  }]);
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
