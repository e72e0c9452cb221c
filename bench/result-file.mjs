/** Where a benchmark result is written: bench/results/<date>-<adapter slug><suffix>.json. */
export function resultFile(result, suffix) {
  // The suite's adapterSlug (bench/suite.ts); older result files have no slug.
  const slug =
    result.adapter.slug ??
    result.adapter.name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '');
  return `bench/results/${result.date.slice(0, 10)}-${slug}${suffix}.json`;
}
