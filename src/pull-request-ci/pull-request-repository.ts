import { Token } from 'aws-cdk-lib';
import * as codebuild from 'aws-cdk-lib/aws-codebuild';
import * as iam from 'aws-cdk-lib/aws-iam';
import { connectionArnProblems } from '../cross-account-pipeline/pipeline-source';
import { Problem } from '../shared/validation';

/** A repository on GitHub or Bitbucket, named by its owner and name. */
export interface HostedRepositoryProps {
  /** The user or organization (GitHub) or workspace (Bitbucket) that owns the repository. */
  readonly owner: string;
  /** The repository's name, without the owner. */
  readonly repo: string;
  /**
   * A CodeConnections connection CodeBuild uses for this project's source
   * (clone, webhook, build status), instead of the account's default source
   * credential for the provider (one per provider and region, shared by every
   * project of the account).
   *
   * @default - the account's default source credential for the provider
   */
  readonly connectionArn?: string;
}

/** A repository on a GitHub Enterprise Server. */
export interface GitHubEnterpriseRepositoryProps {
  /** The repository's HTTPS clone URL, e.g. `https://github.example.com/acme/shop.git`. */
  readonly httpsCloneUrl: string;
  /**
   * A CodeConnections connection (through a host) CodeBuild uses for this project's source.
   *
   * @default - the account's default source credential for GitHub Enterprise
   */
  readonly connectionArn?: string;
}

/** Webhook and status settings of one of the two projects. @internal */
export interface RepositorySourceOptions {
  readonly filterGroups: codebuild.FilterGroup[];
  /** The build status name shown on the commit or pull request. */
  readonly statusName: string;
}

/**
 * The repository whose pull requests `PullRequestCi` builds: GitHub, GitHub
 * Enterprise Server or Bitbucket, the providers CodeBuild starts builds for
 * from webhooks and reports build status back to.
 */
export abstract class PullRequestRepository {
  /** A repository on github.com. */
  public static gitHub(props: HostedRepositoryProps): PullRequestRepository {
    return new HostedRepository('gitHub', props);
  }

  /** A repository on a GitHub Enterprise Server. */
  public static gitHubEnterprise(props: GitHubEnterpriseRepositoryProps): PullRequestRepository {
    return new GitHubEnterpriseRepository(props);
  }

  /** A repository on bitbucket.org. */
  public static bitbucket(props: HostedRepositoryProps): PullRequestRepository {
    return new HostedRepository('bitbucket', props);
  }

  /** The connection CodeBuild uses, if any. @internal */
  public abstract readonly _connectionArn?: string;

  /**
   * Whether the provider sends PULL_REQUEST_REOPENED (GitHub and GitHub
   * Enterprise Server only, per the CodeBuild webhook guides).
   *
   * @internal
   */
  public abstract readonly _reopenedEvent: boolean;

  /** @internal */
  public abstract _problems(property: string): Problem[];

  /** The CodeBuild source with the given webhook filters, reporting build status. @internal */
  public abstract _source(options: RepositorySourceOptions): codebuild.ISource;

  /**
   * Points the project's source at the connection and lets its role use the
   * connection's tokens, as the CodeBuild guide for GitHub App connections
   * documents (`GetConnectionToken`, `GetConnection`). Both are
   * permission-only actions: the role lets CodeBuild fetch the token for the
   * project, and build commands cannot call them as APIs.
   * https://docs.aws.amazon.com/codebuild/latest/userguide/connections-github-app.html
   *
   * @internal
   */
  public _bindConnection(project: codebuild.Project): void {
    const connectionArn = this._connectionArn;
    if (!connectionArn) return;
    (project.node.defaultChild as codebuild.CfnProject).addPropertyOverride('Source.Auth', { Type: 'CODECONNECTIONS', Resource: connectionArn });
    project.addToRolePolicy(new iam.PolicyStatement({
      sid: 'UseSourceConnection',
      actions: ['codeconnections:GetConnectionToken', 'codeconnections:GetConnection', 'codestar-connections:GetConnectionToken', 'codestar-connections:GetConnection'],
      resources: [connectionArn],
    }));
  }
}

const NAME_PART = /^[A-Za-z0-9_.-]+$/;

class HostedRepository extends PullRequestRepository {
  public readonly _reopenedEvent: boolean;
  public readonly _connectionArn?: string;

  constructor(private readonly provider: 'gitHub' | 'bitbucket', private readonly props: HostedRepositoryProps) {
    super();
    this._reopenedEvent = provider === 'gitHub';
    this._connectionArn = props.connectionArn;
  }

  public _problems(property: string): Problem[] {
    const problems: Problem[] = [];
    const { owner, repo } = this.props;
    if (!Token.isUnresolved(owner) && !NAME_PART.test(owner)) {
      problems.push({
        property: `${property}.owner`,
        value: owner,
        reason: owner.includes('/') ? "the owner alone, without '/' and the repository" : 'not an owner name',
        fix: owner.includes('/') ? `owner: '${owner.split('/')[0]}', repo: '${owner.split('/').slice(1).join('/')}'` : "e.g. 'acme'",
      });
    }
    if (!Token.isUnresolved(repo) && (!NAME_PART.test(repo) || repo.endsWith('.git'))) {
      problems.push({ property: `${property}.repo`, value: repo, reason: 'not a repository name (no owner, no slash, no .git)', fix: "e.g. 'shop'" });
    }
    if (this.props.connectionArn !== undefined) problems.push(...connectionArnProblems(`${property}.connectionArn`, this.props.connectionArn));
    return problems;
  }

  public _source(options: RepositorySourceOptions): codebuild.ISource {
    const common = { owner: this.props.owner, repo: this.props.repo, webhook: true, webhookFilters: options.filterGroups, reportBuildStatus: true };
    return this.provider === 'gitHub'
      ? codebuild.Source.gitHub({ ...common, buildStatusContext: options.statusName })
      : codebuild.Source.bitBucket({ ...common, buildStatusName: options.statusName });
  }
}

class GitHubEnterpriseRepository extends PullRequestRepository {
  public readonly _reopenedEvent = true;
  public readonly _connectionArn?: string;

  constructor(private readonly props: GitHubEnterpriseRepositoryProps) {
    super();
    this._connectionArn = props.connectionArn;
  }

  public _problems(property: string): Problem[] {
    const problems: Problem[] = [];
    const url = this.props.httpsCloneUrl;
    if (!Token.isUnresolved(url) && !/^https:\/\/[^/\s]+\/\S+$/.test(url)) {
      problems.push({ property: `${property}.httpsCloneUrl`, value: url, reason: 'not an HTTPS clone URL', fix: "e.g. 'https://github.example.com/acme/shop.git'" });
    }
    if (this.props.connectionArn !== undefined) problems.push(...connectionArnProblems(`${property}.connectionArn`, this.props.connectionArn));
    return problems;
  }

  public _source(options: RepositorySourceOptions): codebuild.ISource {
    return codebuild.Source.gitHubEnterprise({
      httpsCloneUrl: this.props.httpsCloneUrl,
      webhook: true,
      webhookFilters: options.filterGroups,
      reportBuildStatus: true,
      buildStatusContext: options.statusName,
    });
  }
}
