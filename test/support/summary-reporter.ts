/**
 * Ends the run with one plain line, "N passed, N failed, N skipped", that any CI can read. A file
 * that failed outside its tests (a hook, an import) counts as failed too, so the line never says
 * "0 failed" for a run that failed.
 */
import type { Reporter, TestModule } from 'vitest/node';

export default class SummaryReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, errors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    let files = 0;
    for (const m of modules) {
      for (const t of m.children.allTests()) {
        const state = t.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
      // A hook that failed (a beforeAll of one describe block) leaves its tests skipped and its
      // error on the suite, not on the module.
      let suiteErrors = 0;
      for (const s of m.children.allSuites()) suiteErrors += s.errors().length;
      if (m.errors().length > 0 || suiteErrors > 0) files++;
    }
    const outside = files + errors.length;
    const extra = outside ? ` (and ${outside} failure${outside > 1 ? 's' : ''} outside any test)` : '';
    process.stdout.write(`\n${passed} passed, ${failed + outside} failed, ${skipped} skipped${extra}\n`);
  }
}
