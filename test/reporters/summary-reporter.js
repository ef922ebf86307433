/**
 * Jest reporter that ends the run with one plain line CI reads: `tests: N passed, N failed, N skipped`.
 * (CI does not parse Jest's own summary.) Plain CommonJS: Jest loads reporters without transforming them.
 */
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
    const skipped = results.numPendingTests + results.numTodoTests;
    process.stdout.write(`\ntests: ${results.numPassedTests} passed, ${failed} failed, ${skipped} skipped\n`);
  }
}

module.exports = SummaryReporter;
