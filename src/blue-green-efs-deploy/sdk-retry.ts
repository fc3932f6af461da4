// How the blue/green handlers' SDK clients retry. No imports: the Lambda bundles
// read this, and the settings are plain client options of the SDK the runtime ships.

/**
 * Client options for every SDK client of the handlers. The SDK is the only retry
 * layer (a loop of our own around it multiplied the calls under throttling).
 * Adaptive mode is the SDK's choice for a caller of a few APIs that is throttled
 * and can wait: on top of standard mode's backoff and retry quota it slows the
 * client's own request rate while the service throttles it. Six tries in all
 * instead of the default three, since a custom resource or a queued event can wait.
 */
export const HANDLER_SDK_RETRY = {
  maxAttempts: 6,
  retryMode: 'adaptive',
} as const;
