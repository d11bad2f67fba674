// The cq house rules as an ESLint plugin (`cq/...` in eslint.config.mjs), one rule per file in rules/:
// - no-export-star: an index lists its exports by name;
// - no-package-internals: `@cq/x` is imported only through `@cq/x`, `@cq/x/testing`, `@cq/x/package.json`;
// - no-relative-outside-package: a relative import stays inside its package;
// - package-exports: a package.json `exports` map holds only `.`, `./package.json`, `./testing`.
import noExportStar from './rules/no-export-star.mjs';
import noPackageInternals from './rules/no-package-internals.mjs';
import noRelativeOutsidePackage from './rules/no-relative-outside-package.mjs';
import packageExports from './rules/package-exports.mjs';

/** @type {import('eslint').ESLint.Plugin} */
const plugin = {
  meta: { name: '@cq/eslint-plugin', version: '0.1.0' },
  rules: {
    'no-export-star': noExportStar,
    'no-package-internals': noPackageInternals,
    'no-relative-outside-package': noRelativeOutsidePackage,
    'package-exports': packageExports,
  },
};

export default plugin;
