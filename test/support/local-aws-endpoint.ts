/**
 * A local AWS endpoint for running the asset publisher offline
 * (AWS_ENDPOINT_URL=http://127.0.0.1:<port>; S3 path-style, as the SDK uses
 * for a loopback endpoint). It answers the calls the publisher makes:
 * - for file assets, S3 GetBucketLocation, GetBucketEncryption,
 *   ListObjectsV2 and PutObject on the buckets it is given, keeping what is put;
 * - for images, ECR DescribeRepositories, DescribeImages (never found: the
 *   image is built and pushed) and GetAuthorizationToken on the repositories
 *   it is given (the push itself goes to Docker, not here);
 * and records every request, so that a test can check each against the
 * access model.
 */
import * as http from 'http';
import { AddressInfo } from 'net';

/** One bucket: its region and the KMS key its default encryption names. */
export interface LocalBucket {
  readonly name: string;
  readonly region: string;
  readonly kmsKeyArn: string;
}

/** One ECR repository (its account and region make its URI). */
export interface LocalRepository {
  readonly name: string;
  readonly account: string;
  readonly region: string;
}

/** An S3 request as the endpoint saw it. */
export interface RecordedS3Request {
  readonly service: 's3';
  readonly method: string;
  readonly bucket: string;
  readonly key: string;
  readonly query: Record<string, string>;
  readonly headers: http.IncomingHttpHeaders;
}

/** An ECR request: the operation, the region it was signed for, and its input. */
export interface RecordedEcrRequest {
  readonly service: 'ecr';
  readonly operation: string;
  readonly region: string;
  readonly input: any;
}

export type RecordedRequest = RecordedS3Request | RecordedEcrRequest;

/** A stored object: its body (aws-chunked bodies decoded) and the headers it was put with. */
export interface StoredObject {
  readonly body: Buffer;
  readonly headers: http.IncomingHttpHeaders;
}

const XML = { 'content-type': 'application/xml' };
const JSON_11 = { 'content-type': 'application/x-amz-json-1.1' };
const ECR_TARGET = 'AmazonEC2ContainerRegistry_V20150921.';

/** The payload of an `aws-chunked` body (`<hex size>[;ext]\r\n<data>\r\n`... then `0\r\n` and trailers). */
function decodeAwsChunked(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at);
    if (lineEnd < 0) throw new Error('aws-chunked body without a chunk size line');
    const size = parseInt(raw.subarray(at, lineEnd).toString('ascii').split(';')[0], 16);
    if (Number.isNaN(size)) throw new Error('aws-chunked body with a bad chunk size');
    if (size === 0) return Buffer.concat(parts);
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

export class LocalAwsEndpoint {
  /** Starts an endpoint on a free loopback port. */
  public static async start(buckets: LocalBucket[], repositories: LocalRepository[] = []): Promise<LocalAwsEndpoint> {
    const endpoint = new LocalAwsEndpoint(buckets, repositories);
    await new Promise<void>((resolve) => endpoint.server.listen(0, '127.0.0.1', resolve));
    return endpoint;
  }

  public readonly requests: RecordedRequest[] = [];
  public readonly objects = new Map<string, StoredObject>();
  private readonly server: http.Server;

  private constructor(private readonly buckets: LocalBucket[], private readonly repositories: LocalRepository[]) {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => this.answer(req, Buffer.concat(chunks), res));
    });
  }

  /** The endpoint URL for AWS_ENDPOINT_URL. */
  public get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Forgets the recorded requests (the objects stay). */
  public clearRequests(): void {
    this.requests.length = 0;
  }

  public async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private answer(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    const target = String(req.headers['x-amz-target'] ?? '');
    if (target.startsWith(ECR_TARGET)) {
      this.answerEcr(target.slice(ECR_TARGET.length), req, body, res);
    } else {
      this.answerS3(req, body, res);
    }
  }

  private answerEcr(operation: string, req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    // The region of the SigV4 credential scope: Credential=<key id>/<date>/<region>/ecr/aws4_request.
    const region = /Credential=[^/]+\/[0-9]+\/([a-z0-9-]+)\/ecr\//.exec(String(req.headers.authorization))?.[1] ?? '';
    const input = JSON.parse(body.toString('utf8') || '{}');
    this.requests.push({ service: 'ecr', operation, region, input });
    const repository = this.repositories.find((r) => r.region === region && r.name === input.repositoryName);
    const uri = (r: LocalRepository) => `${r.account}.dkr.ecr.${r.region}.amazonaws.com`;
    const error = (type: string, message: string): void => {
      res.writeHead(400, JSON_11).end(JSON.stringify({ __type: type, message }));
    };
    if (operation === 'DescribeRepositories') {
      const found = this.repositories.filter((r) => r.region === region && (input.repositoryNames ?? []).includes(r.name));
      if (found.length === 0) return error('RepositoryNotFoundException', `no repository ${input.repositoryNames} in ${region}`);
      res.writeHead(200, JSON_11).end(JSON.stringify({
        repositories: found.map((r) => ({
          repositoryName: r.name, repositoryUri: `${uri(r)}/${r.name}`, repositoryArn: `arn:aws:ecr:${r.region}:${r.account}:repository/${r.name}`,
        })),
      }));
    } else if (operation === 'DescribeImages') {
      if (!repository) return error('RepositoryNotFoundException', `no repository ${input.repositoryName} in ${region}`);
      error('ImageNotFoundException', 'the image is not in the repository');
    } else if (operation === 'GetAuthorizationToken') {
      const registry = this.repositories.find((r) => r.region === region);
      if (!registry) return error('AccessDeniedException', `no registry in ${region}`);
      res.writeHead(200, JSON_11).end(JSON.stringify({
        authorizationData: [{ authorizationToken: Buffer.from('AWS:local-password').toString('base64'), proxyEndpoint: `https://${uri(registry)}`, expiresAt: 4102444800 }],
      }));
    } else {
      error('UnsupportedOperation', `${operation} is not answered by LocalAwsEndpoint`);
    }
  }

  private answerS3(req: http.IncomingMessage, body: Buffer, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://local');
    const [, bucketName = '', ...keyParts] = url.pathname.split('/');
    const key = decodeURIComponent(keyParts.join('/'));
    const query = Object.fromEntries(url.searchParams.entries());
    this.requests.push({ service: 's3', method: req.method ?? '', bucket: bucketName, key, query, headers: req.headers });
    const bucket = this.buckets.find((b) => b.name === bucketName);
    if (!bucket) {
      res.writeHead(404, XML).end(`<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist: ${bucketName}</Message></Error>`);
      return;
    }
    if (req.method === 'GET' && 'location' in query) {
      res.writeHead(200, XML).end(`<LocationConstraint>${bucket.region === 'us-east-1' ? '' : bucket.region}</LocationConstraint>`);
    } else if (req.method === 'GET' && 'encryption' in query) {
      res.writeHead(200, XML).end('<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault>'
        + `<SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>${bucket.kmsKeyArn}</KMSMasterKeyID>`
        + '</ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>');
    } else if (req.method === 'GET' && query['list-type'] === '2') {
      const prefix = query.prefix ?? '';
      const hits = [...this.objects.entries()].filter(([k]) => k.startsWith(`${bucket.name}/${prefix}`));
      res.writeHead(200, XML).end(`<ListBucketResult><Name>${bucket.name}</Name><Prefix>${prefix}</Prefix><KeyCount>${hits.length}</KeyCount>`
        + `<IsTruncated>false</IsTruncated>${hits.map(([k, o]) => `<Contents><Key>${k.slice(bucket.name.length + 1)}</Key><Size>${o.body.length}</Size></Contents>`).join('')}</ListBucketResult>`);
    } else if (req.method === 'PUT' && key !== '' && Object.keys(query).every((q) => q === 'x-id')) {
      const chunked = String(req.headers['content-encoding'] ?? '').includes('aws-chunked');
      this.objects.set(`${bucket.name}/${key}`, { body: chunked ? decodeAwsChunked(body) : body, headers: req.headers });
      res.writeHead(200, { ETag: '"0"' }).end();
    } else {
      res.writeHead(501, XML).end(`<Error><Code>NotImplemented</Code><Message>${req.method} ${url.pathname}${url.search} is not answered by LocalAwsEndpoint</Message></Error>`);
    }
  }
}
