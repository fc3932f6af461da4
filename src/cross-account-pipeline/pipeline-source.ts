import { Aws, Token } from 'aws-cdk-lib';
import * as codecommit from 'aws-cdk-lib/aws-codecommit';
import * as codepipeline from 'aws-cdk-lib/aws-codepipeline';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { eventBridgePrincipal } from '../shared/service-principals';
import { sourceRuleName } from './private/source-rule-name';
import { Problem } from '../shared/validation';

/** Name of the artifact every source produces. */
export const SOURCE_ARTIFACT = 'Source';
/** Name of the source action (V2 triggers refer to it). */
export const SOURCE_ACTION_NAME = 'Source';

/**
 * A repository on GitHub, GitHub Enterprise, Bitbucket or GitLab, reached
 * through a CodeConnections (CodeStar) connection.
 */
export interface ConnectionSourceProps {
  /** ARN of the connection (codeconnections or codestar-connections). */
  readonly connectionArn: string;
  /** `owner/name` of the repository. */
  readonly repository: string;
  /** The branch to release from. */
  readonly branch: string;
  /**
   * Only pushes that touch these paths (glob patterns) start the pipeline, for
   * a monorepo with one pipeline per application.
   *
   * @default - every push to the branch
   */
  readonly filePaths?: string[];
  /**
   * Pushes that touch only these paths do not start the pipeline.
   *
   * @default - none excluded
   */
  readonly excludedFilePaths?: string[];
  /**
   * Whether a push to the branch starts the pipeline. With `false` the
   * pipeline has no trigger (`DetectChanges: false`) and runs only when
   * another system starts it (see `CrossAccountPipeline.grantStart`); it
   * still releases the head of the branch.
   *
   * @default true
   */
  readonly triggerOnPush?: boolean;
}

/** A CodeCommit repository. */
export interface CodeCommitSourceProps {
  /** The repository. */
  readonly repository: codecommit.IRepository;
  /** The branch to release from. */
  readonly branch: string;
  /**
   * Whether a push to the branch starts the pipeline (through an EventBridge
   * rule). With `false` there is no rule, and the pipeline runs only when
   * another system starts it (see `CrossAccountPipeline.grantStart`).
   *
   * @default true
   */
  readonly triggerOnPush?: boolean;
}

/** An object in S3 (a build produced elsewhere), zipped. */
export interface S3SourceProps {
  /** The bucket. It must send its events to EventBridge (`eventBridgeEnabled: true`) for new objects to start the pipeline. */
  readonly bucket: s3.IBucket;
  /** The object key, e.g. `releases/app.zip`. */
  readonly objectKey: string;
  /**
   * Whether a new version of the object starts the pipeline (through an
   * EventBridge rule). With `false` there is no rule, and the pipeline runs
   * only when another system starts it (see `CrossAccountPipeline.grantStart`);
   * it then releases the object's latest version.
   *
   * @default true
   */
  readonly triggerOnUpload?: boolean;
}

/** What a source renders into a pipeline. @internal */
export interface RenderedSource {
  readonly action: codepipeline.CfnPipeline.ActionDeclarationProperty;
  readonly trigger?: codepipeline.CfnPipeline.PipelineTriggerDeclarationProperty;
}

/**
 * Where the release pipeline gets the code from.
 */
export abstract class PipelineSource {
  /** A GitHub, GitHub Enterprise, Bitbucket or GitLab repository through a connection, with V2 trigger filters (or no trigger). */
  public static connection(props: ConnectionSourceProps): PipelineSource {
    return new ConnectionSource(props);
  }

  /** A CodeCommit repository; pushes to the branch start the pipeline through EventBridge, unless `triggerOnPush` is false. */
  public static codeCommit(props: CodeCommitSourceProps): PipelineSource {
    return new CodeCommitSource(props);
  }

  /** A zipped object in S3; new versions start the pipeline through EventBridge, unless `triggerOnUpload` is false. */
  public static s3(props: S3SourceProps): PipelineSource {
    return new S3Source(props);
  }

  /** @internal */
  public abstract _problems(property: string): Problem[];

  /**
   * Renders the source action, grants the pipeline role what the action needs,
   * and sets up what starts the pipeline.
   *
   * @internal
   */
  public abstract _render(scope: Construct, pipelineRole: iam.IRole, pipelineName: string): RenderedSource;
}

/**
 * A CodeConnections (or CodeStar Connections) connection ARN, or a token.
 *
 * @internal
 */
export function connectionArnProblems(property: string, connectionArn: string): Problem[] {
  if (Token.isUnresolved(connectionArn) || /^arn:aws[a-z-]*:(codestar-connections|codeconnections):[a-z0-9-]+:\d{12}:connection\/[\w-]+$/.test(connectionArn)) return [];
  return [{
    property,
    value: connectionArn,
    reason: 'not a CodeConnections connection ARN',
    fix: "copy the ARN of the connection from the console (Developer Tools > Settings > Connections), e.g. 'arn:aws:codeconnections:us-east-1:111111111111:connection/abcd...'",
  }];
}

const sourceActionType = (owner: string, provider: string) => ({ category: 'Source', owner, provider, version: '1' });

class ConnectionSource extends PipelineSource {
  constructor(private readonly props: ConnectionSourceProps) {
    super();
  }

  public _problems(property: string): Problem[] {
    const problems: Problem[] = [];
    problems.push(...connectionArnProblems(`${property}.connectionArn`, this.props.connectionArn));
    if (!/^[\w.-]+\/[\w.-]+$/.test(this.props.repository)) {
      problems.push({ property: `${property}.repository`, value: this.props.repository, reason: "must be 'owner/name'", fix: "e.g. 'acme/shop'" });
    }
    if (this.props.triggerOnPush === false && (this.props.filePaths || this.props.excludedFilePaths)) {
      problems.push({
        property: `${property}.${this.props.filePaths ? 'filePaths' : 'excludedFilePaths'}`,
        value: this.props.filePaths ?? this.props.excludedFilePaths,
        reason: 'file paths choose which pushes start the pipeline, and triggerOnPush is false: no push starts it',
        fix: 'remove the file paths, or set triggerOnPush to true',
      });
    }
    return problems;
  }

  public _render(_scope: Construct, pipelineRole: iam.IRole): RenderedSource {
    pipelineRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'UseSourceConnection',
      actions: ['codestar-connections:UseConnection', 'codeconnections:UseConnection'],
      resources: [this.props.connectionArn],
    }));
    const filePaths = this.props.filePaths || this.props.excludedFilePaths ? {
      includes: this.props.filePaths, excludes: this.props.excludedFilePaths,
    } : undefined;
    const triggered = this.props.triggerOnPush ?? true;
    return {
      action: {
        name: SOURCE_ACTION_NAME,
        actionTypeId: sourceActionType('AWS', 'CodeStarSourceConnection'),
        configuration: {
          ConnectionArn: this.props.connectionArn,
          FullRepositoryId: this.props.repository,
          BranchName: this.props.branch,
          OutputArtifactFormat: 'CODE_ZIP',
          // Without a trigger declaration CodePipeline would start on every push to the branch.
          ...(triggered ? {} : { DetectChanges: false }),
        },
        outputArtifacts: [{ name: SOURCE_ARTIFACT }],
        runOrder: 1,
      },
      trigger: triggered ? {
        providerType: 'CodeStarSourceConnection',
        gitConfiguration: {
          sourceActionName: SOURCE_ACTION_NAME,
          push: [{ branches: { includes: [this.props.branch] }, filePaths }],
        },
      } : undefined,
    };
  }
}

class CodeCommitSource extends PipelineSource {
  constructor(private readonly props: CodeCommitSourceProps) {
    super();
  }

  public _problems(): Problem[] {
    return [];
  }

  public _render(scope: Construct, pipelineRole: iam.IRole, pipelineName: string): RenderedSource {
    const repository = this.props.repository;
    pipelineRole.addToPrincipalPolicy(new iam.PolicyStatement({
      sid: 'ReadCodeCommitSource',
      actions: ['codecommit:GetBranch', 'codecommit:GetCommit', 'codecommit:UploadArchive',
        'codecommit:GetUploadArchiveStatus', 'codecommit:CancelUploadArchive'],
      resources: [repository.repositoryArn],
    }));
    if (this.props.triggerOnPush ?? true) {
      startOnEvent(scope, 'SourceChanged', pipelineName, {
        'source': ['aws.codecommit'],
        'resources': [repository.repositoryArn],
        'detail-type': ['CodeCommit Repository State Change'],
        'detail': { event: ['referenceCreated', 'referenceUpdated'], referenceName: [this.props.branch] },
      });
    }
    return {
      action: {
        name: SOURCE_ACTION_NAME,
        actionTypeId: sourceActionType('AWS', 'CodeCommit'),
        configuration: { RepositoryName: repository.repositoryName, BranchName: this.props.branch, PollForSourceChanges: false },
        outputArtifacts: [{ name: SOURCE_ARTIFACT }],
        runOrder: 1,
      },
    };
  }
}

class S3Source extends PipelineSource {
  constructor(private readonly props: S3SourceProps) {
    super();
  }

  public _problems(property: string): Problem[] {
    if (Token.isUnresolved(this.props.objectKey) || (this.props.objectKey.length > 0 && !this.props.objectKey.startsWith('/'))) return [];
    return [{ property: `${property}.objectKey`, value: this.props.objectKey, reason: 'an S3 object key is not empty and does not start with /', fix: "e.g. 'releases/app.zip'" }];
  }

  public _render(scope: Construct, pipelineRole: iam.IRole, pipelineName: string): RenderedSource {
    return renderS3Source(scope, pipelineRole, pipelineName, this.props.bucket.bucketName, this.props.objectKey, (grantee) => {
      // Named actions, not grantRead's wildcards: what CodePipeline's S3 source
      // action reads of the object and its bucket.
      // https://docs.aws.amazon.com/codepipeline/latest/userguide/security-iam.html#how-to-custom-role
      iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetObject', 's3:GetObjectVersion'], resourceArns: [this.props.bucket.arnForObjects(this.props.objectKey)] });
      iam.Grant.addToPrincipal({ grantee, actions: ['s3:GetBucketAcl', 's3:GetBucketLocation', 's3:GetBucketVersioning'], resourceArns: [this.props.bucket.bucketArn] });
      this.props.bucket.encryptionKey?.grantDecrypt(grantee);
    }, this.props.triggerOnUpload ?? true);
  }
}

/**
 * An S3 source action started by the bucket's EventBridge "Object Created"
 * events (unless `triggered` is false). Also used by the continuation
 * pipelines, fed by the release pipeline.
 *
 * @internal
 */
export function renderS3Source(
  scope: Construct, pipelineRole: iam.IRole, pipelineName: string, bucketName: string, objectKey: string,
  grantRead: (grantee: iam.IGrantable) => void, triggered = true,
): RenderedSource {
  grantRead(pipelineRole);
  if (triggered) {
    startOnEvent(scope, 'SourceChanged', pipelineName, {
      'source': ['aws.s3'],
      'detail-type': ['Object Created'],
      'detail': { bucket: { name: [bucketName] }, object: { key: [objectKey] } },
    });
  }
  return {
    action: {
      name: SOURCE_ACTION_NAME,
      actionTypeId: sourceActionType('AWS', 'S3'),
      configuration: { S3Bucket: bucketName, S3ObjectKey: objectKey, PollForSourceChanges: false },
      outputArtifacts: [{ name: SOURCE_ARTIFACT }],
      runOrder: 1,
    },
  };
}

/**
 * An EventBridge rule that starts the pipeline, with a role allowed to start
 * only it, which EventBridge may assume only for this rule.
 */
function startOnEvent(scope: Construct, id: string, pipelineName: string, pattern: Record<string, unknown>): void {
  const pipelineArn = pipelineArnOf(pipelineName);
  const name = sourceRuleName(pipelineName);
  const ruleArn = `arn:${Aws.PARTITION}:events:${Aws.REGION}:${Aws.ACCOUNT_ID}:rule/${name ?? '*'}`;
  const role = new iam.Role(scope, `${id}Role`, { assumedBy: eventBridgePrincipal(Aws.ACCOUNT_ID, ruleArn) });
  role.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['codepipeline:StartPipelineExecution'], resources: [pipelineArn] }));
  new events.CfnRule(scope, id, {
    name,
    description: 'Starts the pipeline when its source changes',
    eventPattern: pattern,
    targets: [{ id: 'Pipeline', arn: pipelineArn, roleArn: role.roleArn }],
  });
}

/** ARN of a pipeline by name, in this stack's account and region. @internal */
export function pipelineArnOf(pipelineName: string): string {
  return `arn:${Aws.PARTITION}:codepipeline:${Aws.REGION}:${Aws.ACCOUNT_ID}:${pipelineName}`;
}
