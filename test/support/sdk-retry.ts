/**
 * How an SDK v3 client retries, read from its resolved configuration.
 *
 * aws-sdk-client-mock replaces `send` and so skips the retry middleware: a
 * handler test cannot watch the SDK retry. It can check what the client was
 * built with, which is what decides the retries in Lambda.
 */
export interface RetrySettings {
  /** `standard` or `adaptive`. */
  readonly mode: string;
  /** Tries in all, the first included. */
  readonly maxAttempts: number;
}

interface ClientWithRetryConfig {
  readonly config: {
    retryStrategy: () => Promise<object>;
    maxAttempts: () => Promise<number>;
  };
}

export async function retrySettingsOf(client: ClientWithRetryConfig): Promise<RetrySettings> {
  // The SDK's standard and adaptive strategies name their mode; a custom one may not.
  const strategy = await client.config.retryStrategy() as { readonly mode?: string };
  return { mode: strategy.mode ?? 'unknown', maxAttempts: await client.config.maxAttempts() };
}
