import autocannon from 'autocannon';

/** Latency figures of one load run, in milliseconds. */
export interface LoadResult {
  requests: number;
  errors: number;
  non2xx: number;
  p50: number;
  p99: number;
  max: number;
}

/** A fixed-rate load that runs until `stop()` (or `seconds`), then reports its latencies. */
export function startLoad(options: {
  url: string;
  rate: number;
  connections?: number;
  headers?: Record<string, string>;
  seconds?: number;
}): { stop(): void; result: Promise<LoadResult> } {
  let instance: autocannon.Instance;
  const result = new Promise<LoadResult>((resolve, reject) => {
    instance = autocannon(
      {
        url: options.url,
        connections: options.connections ?? 4,
        overallRate: options.rate,
        duration: options.seconds ?? 600,
        headers: options.headers,
      },
      (error, r) =>
        error
          ? reject(error)
          : resolve({
              requests: r.requests.total,
              errors: r.errors,
              non2xx: r.non2xx,
              p50: r.latency.p50,
              p99: r.latency.p99,
              max: r.latency.max,
            }),
    );
  });
  return { stop: () => instance.stop(), result };
}
