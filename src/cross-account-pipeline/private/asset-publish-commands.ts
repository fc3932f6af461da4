/**
 * The commands of the Assets stage's publish project (pure: text in, text
 * out). They install the CDK ecosystem's asset publisher, the library
 * `@aws-cdk/cdk-assets-lib` that the `cdk-assets` tool and the CDK CLI are
 * built on, at pinned versions, and run it on the asset manifests of the
 * build output, once per region.
 *
 * Why the library and not the `cdk-assets` tool: the tool bundles the schema
 * it reads, and its newest release (4.7.3) refuses the asset manifests of the
 * newest aws-cdk-lib (schema 55). The library takes the schema package as a
 * dependency, so the version that reads the app's manifests can be pinned next
 * to it.
 */

/** The `@aws-cdk/cdk-assets-lib` release the publish step runs unless told otherwise. */
export const DEFAULT_CDK_ASSETS_LIB_VERSION = '1.5.0';

/**
 * The `@aws-cdk/cloud-assembly-schema` release the publisher reads manifests
 * with unless told otherwise: it reads manifests up to its own major version
 * (55: aws-cdk-lib up to at least 2.276).
 */
export const DEFAULT_CLOUD_ASSEMBLY_SCHEMA_VERSION = '55.6.0';

/**
 * Where the publisher is installed: outside the build output, so no file of
 * the repository (an `.npmrc`, a `node_modules`) takes part in the install or
 * in resolving the library.
 */
export const PUBLISHER_DIR = '/tmp/cdkx-asset-publisher';

/** What the commands need to know. */
export interface AssetPublishCommandOptions {
  readonly manifestPaths: readonly string[];
  readonly dockerImages: boolean;
  readonly cdkAssetsLibVersion: string;
  readonly cloudAssemblySchemaVersion: string;
  /**
   * The S3 URL of a zip holding the publisher's package.json and
   * package-lock.json (the committed lock of the default versions): `npm ci`
   * then installs exactly that tree and checks every package's integrity hash.
   * Without it, `npm install` takes the two pinned packages and resolves their
   * dependencies when the stage runs.
   */
  readonly lockedPublisherUrl?: string;
}

/**
 * The publisher, run by `node -e` with the publisher's directory and the
 * manifests as arguments. It reads every manifest before publishing any (a
 * manifest of a newer schema, an asset built by a command, or an image
 * without `dockerImages` stops the run before the first upload), then
 * publishes them one by one and fails on the first manifest with a failed
 * asset, naming each. It is written without `"`, `$`, backquotes and
 * backslashes, so the shell passes it unchanged inside double quotes.
 */
export function publisherScript(options: AssetPublishCommandOptions): string {
  const schemaHint = ` (the publish step reads asset manifests with @aws-cdk/cloud-assembly-schema@${options.cloudAssemblySchemaVersion}: `
    + 'set assetPublishing.cloudAssemblySchemaVersion to a release whose major version is that of the manifest)';
  return [
    "const lib=require(process.argv[1]+'/node_modules/@aws-cdk/cdk-assets-lib');",
    'const stop=(m)=>{console.error(m);process.exit(1)};',
    'const manifests=process.argv.slice(2).map((f)=>{',
    `try{return [f,lib.AssetManifest.fromPath(f)]}catch(e){stop(f+': '+e.message+'${schemaHint}')}`,
    '});',
    'for(const [f,m] of manifests){',
    "if(m.entries.some((a)=>a.source.executable)){stop(f+': an asset built by a command (source.executable) would run repository code in the publish step')}",
    ...(options.dockerImages ? [] : ["if(m.entries.some((a)=>a.type==='docker-image')){stop(f+': holds Docker image assets; set assetPublishing.dockerImages to publish them')}"]),
    '}',
    '(async()=>{for(const [f,m] of manifests){',
    "const progressListener={onPublishEvent:(type,event)=>console.log(f+' ['+type+'] '+event.message)};",
    'const run=new lib.AssetPublishing(m,{aws:new lib.DefaultAwsClient(),throwOnError:false,progressListener});',
    'await run.publish();',
    "if(run.hasFailures){stop(run.failures.map((x)=>f+': '+x.asset.id+' was not published: '+x.error.message).join(String.fromCharCode(10)))}",
    '}})().catch((e)=>stop(String(e&&e.stack||e)));',
  ].join('');
}

/**
 * The publish project's install and build commands. The region comes from
 * PUBLISH_REGION (set per action): the publisher's SDK takes it from
 * AWS_REGION, and `${AWS::Region}` in the manifests' destinations becomes it.
 */
export function publishCommands(options: AssetPublishCommandOptions): { install: string[]; build: string[] } {
  // Globs stay unquoted so the shell expands them; the paths hold no quotes, `$` or spaces (checked at synth).
  const paths = options.manifestPaths.join(' ');
  const packages = `@aws-cdk/cdk-assets-lib@${options.cdkAssetsLibVersion} @aws-cdk/cloud-assembly-schema@${options.cloudAssemblySchemaVersion}`;
  // --ignore-scripts: no install script of a dependency runs with the publish role.
  const install = options.lockedPublisherUrl
    ? `mkdir -p ${PUBLISHER_DIR} && aws s3 cp ${options.lockedPublisherUrl} ${PUBLISHER_DIR}/publisher.zip --only-show-errors `
      + `&& (cd ${PUBLISHER_DIR} && unzip -q -o publisher.zip && npm ci --ignore-scripts --no-audit --no-fund)`
    : `mkdir -p ${PUBLISHER_DIR} && (cd ${PUBLISHER_DIR} && npm install --prefix ${PUBLISHER_DIR} --no-save --no-package-lock --ignore-scripts --no-audit --no-fund ${packages})`;
  return {
    install: [install],
    build: [
      `for m in ${paths}; do test -f "$m" || { echo "asset manifest $m is not in the build output" >&2; exit 1; }; done`,
      'test -n "$PUBLISH_REGION" || { echo "PUBLISH_REGION is not set (the Assets stage sets it per action)" >&2; exit 1; }',
      `AWS_REGION="$PUBLISH_REGION" AWS_DEFAULT_REGION="$PUBLISH_REGION" node -e "${publisherScript(options)}" ${PUBLISHER_DIR} ${paths}`,
    ],
  };
}

/**
 * Whether a publisher with this schema version reads the manifests a writer
 * of that schema version writes: the schema package refuses a manifest of a
 * newer major version than its own, and reads every older one.
 */
export function schemaReads(readerVersion: string, writerVersion: string): boolean {
  const major = (version: string) => Number(version.split('.')[0]);
  return major(writerVersion) <= major(readerVersion);
}
