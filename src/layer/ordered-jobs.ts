/**
 * Compression jobs run on libuv's threadpool, which file reads share: this runs at most `limit`
 * at a time (started in the order they were added, as threads free up) and hands their results
 * back in that same order, which is the order their bytes go into the blob.
 */
interface Job<T> {
  start: () => Promise<T>;
  started: boolean;
  done: Promise<T>;
  resolve: (value: T) => void;
  reject: (err: unknown) => void;
}

export class OrderedJobs<T> {
  /** Jobs whose results are not taken yet, oldest first. */
  private readonly jobs: Job<T>[] = [];
  private running = 0;

  constructor(private readonly limit: number) {}

  /** Jobs added and not yet taken. */
  get length(): number {
    return this.jobs.length;
  }

  add(start: () => Promise<T>): void {
    let resolve!: (value: T) => void;
    let reject!: (err: unknown) => void;
    const done = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    done.catch(() => undefined); // a rejection surfaces when this job is taken
    this.jobs.push({ start, started: false, done, resolve, reject });
    this.pump();
  }

  /** The oldest job's result, once it is done; the job is gone afterwards. */
  async take(): Promise<T> {
    const job = this.jobs[0];
    if (!job) throw new Error('OrderedJobs.take: no job');
    try {
      return await job.done;
    } finally {
      this.jobs.shift();
    }
  }

  private pump(): void {
    for (const job of this.jobs) {
      if (this.running >= this.limit) return;
      if (job.started) continue;
      job.started = true;
      this.running++;
      // Through a promise, so a job that throws at once fails like one that rejects.
      Promise.resolve()
        .then(job.start)
        .then(
          (value) => {
            this.running--;
            job.resolve(value);
            this.pump();
          },
          (err: unknown) => {
            this.running--;
            job.reject(err);
            this.pump();
          },
        );
    }
  }
}
