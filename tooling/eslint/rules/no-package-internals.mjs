// House rule: a first-party package is imported only through its public entries: `@cq/x`,
// `@cq/x/testing` (its conformance suite or test support) and `@cq/x/package.json`. A deep import
// such as `@cq/app/src/task` or `@cq/cli/test/helpers` couples the importer to another package's
// file layout; tests included (shared test support lives in `@cq/tooling/testing`).
import { moduleSourceVisitor } from '../module-sources.mjs';

const FIRST_PARTY = /^(@cq\/[^/]+)\/(.+)$/;
const DEFAULT_ALLOWED = ['testing', 'package.json'];

/** @type {import('eslint').Rule.RuleModule} */
export default {
  meta: {
    type: 'problem',
    docs: { description: 'Forbid imports of @cq/* package internals (any subpath other than the public ones)' },
    schema: [
      {
        type: 'object',
        properties: { allowedSubpaths: { type: 'array', items: { type: 'string' } } },
        additionalProperties: false,
      },
    ],
    messages: {
      internal:
        '`{{specifier}}` reaches into the internals of {{pkg}}: import from `{{pkg}}`{{alternatives}} (its public exports).',
    },
  },
  create(context) {
    /** @type {string[]} */
    const allowed = context.options[0]?.allowedSubpaths ?? DEFAULT_ALLOWED;
    const alternatives = allowed.filter((s) => s !== 'package.json').map((s) => ` or \`{{pkg}}/${s}\``).join('');
    return moduleSourceVisitor((specifier, node) => {
      const m = FIRST_PARTY.exec(specifier);
      if (m === null || allowed.includes(m[2])) return;
      const pkg = /** @type {string} */ (m[1]);
      context.report({
        node,
        messageId: 'internal',
        data: { specifier, pkg, alternatives: alternatives.replaceAll('{{pkg}}', pkg) },
      });
    });
  },
};
