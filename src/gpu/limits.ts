import { msg, str } from '@lit/localize';
import { formatBytes } from '../util/format';
import type { AdapterSummary } from './device';

export class LimitError extends RangeError {
  constructor(
    message: string,
    readonly limit: string,
    readonly allowed: number,
    readonly requested: number,
  ) {
    super(message);
    this.name = 'LimitError';
  }
}

/** Refuses a buffer size the adapter cannot bind, naming the limit. */
export function checkStorageSize(info: Pick<AdapterSummary, 'limits'>, what: string, bytes: number): void {
  for (const limit of ['maxStorageBufferBindingSize', 'maxBufferSize']) {
    const allowed = info.limits[limit];
    if (allowed !== undefined && bytes > allowed) {
      throw new LimitError(
        msg(str`${what} needs ${formatBytes(bytes)} but this adapter's ${limit} is ${formatBytes(allowed)}.`),
        limit,
        allowed,
        bytes,
      );
    }
  }
}
