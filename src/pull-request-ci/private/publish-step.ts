/**
 * Pure: the commands that publish the main branch's build output, and the
 * checks of where it goes. No constructs.
 */
import { Token } from 'aws-cdk-lib';
import { Problem } from '../../shared/validation';

/** Environment variables the publish commands read (set on the publish project). */
export const PUBLISH_BUCKET_VARIABLE = 'CDKX_PUBLISH_BUCKET';
export const PUBLISH_KEY_VARIABLE = 'CDKX_PUBLISH_KEY';
export const PUBLISH_KMS_KEY_VARIABLE = 'CDKX_PUBLISH_KMS_KEY';

/** Where the zip is written: outside the source directory, so it never zips itself. */
const ZIP = '/tmp/cdkx-publish.zip';

/** A POSIX shell word holding `text` literally. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, '\'\\\'\'')}'`;
}

/**
 * Zips the output directory and uploads it with one `PutObject`
 * (`s3api put-object` never splits an upload, so the role needs neither the
 * multipart actions nor `kms:Decrypt`; one request carries up to 5 GB).
 * With a KMS key, the object is encrypted with that key whatever the bucket's
 * default encryption is, so the role's `kms:GenerateDataKey` on it suffices.
 * https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
 */
export function publishCommands(outputDirectory: string, kmsEncrypted: boolean): string[] {
  const encryption = kmsEncrypted ? ` --server-side-encryption aws:kms --ssekms-key-id "$${PUBLISH_KMS_KEY_VARIABLE}"` : '';
  return [
    `cd "$CODEBUILD_SRC_DIR" && cd ${shellQuote(outputDirectory)} && rm -f ${ZIP} && zip -qr ${ZIP} .`,
    `aws s3api put-object --bucket "$${PUBLISH_BUCKET_VARIABLE}" --key "$${PUBLISH_KEY_VARIABLE}" --body ${ZIP}${encryption}`,
  ];
}

/** An object key the S3 source action of a pipeline can watch. */
export function objectKeyProblems(property: string, key: string): Problem[] {
  if (Token.isUnresolved(key)) return [];
  if (key.length === 0 || key.startsWith('/') || key.endsWith('/')) {
    return [{ property, value: key, reason: 'an S3 object key is not empty and neither starts nor ends with /', fix: "e.g. 'ci/main.zip'" }];
  }
  if (Buffer.byteLength(key, 'utf8') > 1024) {
    return [{ property, value: key, reason: `${Buffer.byteLength(key, 'utf8')} bytes, over the 1,024 bytes of an S3 object key`, fix: 'use a shorter key' }];
  }
  return [];
}
