import { defineProject } from 'vitest/config';
import { MONGODB_SERVER_TESTS, projectDefaults } from '../../tooling/vitest.shared.mjs';

// test/server/ needs a MongoDB server: run when CQ_TEST_MONGODB_URL names one, else one NOT RUN line in the summary.
export default defineProject(projectDefaults(import.meta.url, { serverTests: MONGODB_SERVER_TESTS }));
