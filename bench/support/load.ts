import autocannon from 'autocannon';

/** Figures of one load run. */
export interface LoadResult {
  requests: number;
  errors: number;
  non2xx: number;
  /** Requests per second, over the run. */
  rps: number;
  p50: number;
  p99: number;
  max: number;
}

interface LoadOptions {
  url: string;
  connections?: number;
  headers?: Record<string, string>;
  seconds?: number;
  /** A fixed request rate; without it, as fast as the server answers. */
  rate?: number;
  /** The path (and query) of the n-th request; default: the URL's. */
  path?: (n: number) => string;
  /** The Cookie header of the n-th request, if any. */
  cookie?: (n: number) => string | undefined;
}

/** A load that runs until `stop()` (or `seconds`), then reports. */
export function startLoad(options: LoadOptions): { stop(): void; result: Promise<LoadResult> } {
  let instance: autocannon.Instance;
  let n = 0;
  const setupRequest = (request: autocannon.Request) => {
    n += 1;
    const cookie = options.cookie?.(n);
    return {
      ...request,
      path: options.path ? options.path(n) : request.path,
      headers: { ...request.headers, ...(cookie && { cookie }) },
    };
  };
  const result = new Promise<LoadResult>((resolve, reject) => {
    instance = autocannon(
      {
        url: options.url,
        connections: options.connections ?? 4,
        overallRate: options.rate,
        duration: options.seconds ?? 600,
        headers: options.headers,
        requests: [{ setupRequest } as autocannon.Request],
      },
      (error, r) =>
        error
          ? reject(error)
          : resolve({
              requests: r.requests.total,
              errors: r.errors,
              non2xx: r.non2xx,
              rps: r.requests.total / (r.duration || 1),
              p50: r.latency.p50,
              p99: r.latency.p99,
              max: r.latency.max,
            }),
    );
  });
  return { stop: () => instance.stop(), result };
}

/** Runs a load for `seconds` and reports. */
export function runLoad(options: LoadOptions & { seconds: number }): Promise<LoadResult> {
  return startLoad(options).result;
}
