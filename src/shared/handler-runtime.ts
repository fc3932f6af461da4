import * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * Runtime of the library's Lambda handlers (blue/green, fleet planner): pinned (not "latest in the region") so
 * templates are the same everywhere; the handlers use only the SDK v3 clients
 * every Node.js runtime ships, and retry through their options alone
 * (sdk-retry.ts), so the bundles carry no SDK code of their own.
 */
export const HANDLER_RUNTIME = lambda.Runtime.NODEJS_24_X;
