import { RemovalPolicy } from 'aws-cdk-lib';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { PullRequestRepository } from './pull-request-repository';
import { PipelineBuildOptions } from '../cross-account-pipeline/cross-account-pipeline-props';

/**
 * When a pull request's build waits for a maintainer's approval comment
 * (`/codebuild_run(<commit SHA>)`), CodeBuild's pull request build policy.
 * https://docs.aws.amazon.com/codebuild/latest/userguide/pull-request-build-policy.html
 */
export enum PullRequestCommentApproval {
  /** Every pull request whose author lacks an approver role in the repository waits for an approval comment. */
  ALL_PULL_REQUESTS = 'ALL_PULL_REQUESTS',
  /** Only pull requests from forks wait for an approval comment. */
  FORK_PULL_REQUESTS = 'FORK_PULL_REQUESTS',
  /** Every pull request builds as soon as it is opened or updated, whoever wrote it. */
  DISABLED = 'DISABLED',
}

/** Properties of a `PullRequestCi`. */
export interface PullRequestCiProps {
  /** The repository whose pull requests are built. */
  readonly repository: PullRequestRepository;
  /**
   * The branch pull requests target, and whose pushes are published. Pull
   * requests into other branches are not built.
   *
   * @default 'main'
   */
  readonly mainBranch?: string;
  /**
   * The build, the same options as `CrossAccountPipeline`'s build: install
   * and build commands, image, compute type, environment, and the secrets and
   * parameters (which only the publish build gets, unless named in
   * `pullRequestSecrets`). `buildSpec` and `testReportFiles` are not
   * supported: the publish step must follow the commands, and report groups
   * would be a place pull requests write to.
   */
  readonly buildOptions: PipelineBuildOptions;
  /**
   * Names of entries of `buildOptions.secrets` or `buildOptions.parameters`
   * that pull-request builds get too. A pull request runs the code of its
   * author, so its build can print or send away every value it gets; with
   * `commentApproval` DISABLED, that includes authors of pull requests from
   * forks. The construct warns about every name listed here.
   *
   * @default - pull-request builds get no secret and no parameter
   */
  readonly pullRequestSecrets?: string[];
  /**
   * Only pull requests whose webhook event comes from one of these accounts of
   * the provider are built (CodeBuild's ACTOR_ACCOUNT_ID filter: the numeric
   * user id on GitHub, the account id on Bitbucket).
   *
   * @default - pull requests of every author, subject to `commentApproval`
   */
  readonly pullRequestActorIds?: string[];
  /**
   * Which pull requests wait for a maintainer's approval comment before they build.
   *
   * @default PullRequestCommentApproval.ALL_PULL_REQUESTS
   */
  readonly commentApproval?: PullRequestCommentApproval;
  /**
   * The bucket the main branch's output is published to. It must be versioned
   * and send its events to EventBridge (`eventBridgeEnabled: true`) for a
   * `PipelineSource.s3` pipeline to start on new versions.
   *
   * @default - a versioned, KMS-encrypted, TLS-only bucket with server access logs, sending events to EventBridge
   */
  readonly publishBucket?: s3.IBucket;
  /**
   * The object the main branch's output is published to, as a zip; the
   * publish role may write this key and no other.
   *
   * @default 'pull-request-ci/main.zip'
   */
  readonly publishObjectKey?: string;
  /**
   * Prefix of the project names: `<prefix>-pull-requests` and `<prefix>-publish`.
   *
   * @default - derived from the construct path
   */
  readonly projectNamePrefix?: string;
  /**
   * The key that encrypts the build logs (and the publish bucket, when the
   * construct creates it). An imported key's policy must let CloudWatch Logs
   * use it for the two log groups.
   *
   * @default - a new key with rotation on
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * The bucket that receives the created publish bucket's server access logs.
   *
   * @default - a new bucket
   */
  readonly serverAccessLogsBucket?: s3.IBucket;
  /**
   * What happens to the key, the log groups and the created buckets when the
   * construct is removed.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Whether the created buckets are emptied on removal (only with `removalPolicy: DESTROY`).
   *
   * @default false
   */
  readonly autoDeleteObjects?: boolean;
}
