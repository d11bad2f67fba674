// House rule: a relative import stays inside its own package. `../../kombu/src/x` reaches into
// another package's files behind its `exports` map; import the package by name instead. The
// package of a file is the nearest directory above it holding a package.json.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { moduleSourceVisitor } from '../module-sources.mjs';

/** Directory -> its package root (nearest ancestor with a package.json), shared by every file linted. */
const roots = new Map();

/**
 * @param {string} dir absolute directory
 * @returns {string | undefined} the nearest ancestor directory (dir included) holding a package.json
 */
function packageRoot(dir) {
  if (roots.has(dir)) return roots.get(dir);
  const parent = path.dirname(dir);
  const root = existsSync(path.join(dir, 'package.json')) ? dir : parent === dir ? undefined : packageRoot(parent);
  roots.set(dir, root);
  return root;
}

/** @type {import('eslint').Rule.RuleModule} */
export default {
  meta: {
    type: 'problem',
    docs: { description: 'Forbid relative imports that leave the importing file’s package' },
    schema: [],
    messages: {
      leaves: 'relative import `{{specifier}}` leaves the package {{root}}: import the other package by its name.',
    },
  },
  create(context) {
    const dir = path.dirname(path.resolve(context.filename));
    const root = packageRoot(dir);
    if (root === undefined) return {};
    return moduleSourceVisitor((specifier, node) => {
      if (!specifier.startsWith('./') && !specifier.startsWith('../')) return;
      const rel = path.relative(root, path.resolve(dir, specifier));
      if (rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
        context.report({ node, messageId: 'leaves', data: { specifier, root: path.basename(root) } });
      }
    });
  },
};
